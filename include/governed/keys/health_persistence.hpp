#pragma once
/// @file
/// Key health persisted across restarts, behind a small interface: what a key pool saves
/// (`HealthRecords`: each key's, or each key and model's, state and when it ends) and what it
/// saves them through (`HealthPersistence`). A daily quota spent at 14:00 is still spent
/// after a restart at 14:05; without persistence a restarted application burns one failed
/// call per exhausted key before relearning it.
///
/// The persistence governed provides is the health file (`HealthStore`, keys/health_file.hpp,
/// which governed.hpp includes): JSON, shared by every process on the host under a lock.
/// `keys::Pool::open` and `State::create` use it unless told otherwise, so under core.hpp
/// alone a program either includes keys/health_file.hpp or asks for memory only:
///
/// ```cpp
/// #include <governed/core.hpp>
/// #include <governed/keys/health_file.hpp>   // key health survives restarts
/// auto state = governed::State<>::create(config);
/// // or, without the file:
/// auto state = governed::State<>::create<governed::keys::no_persistence>(config);
/// ```

#include <governed/keys/health.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace governed::keys {

/// How long a health-file access waits for another process's lock before giving up and
/// keeping what it knows in memory. A write under the lock takes a few milliseconds (one
/// fsync of a small file); 2 s leaves room for a slow disk without stalling a caller long.
inline constexpr std::chrono::nanoseconds default_lock_wait = std::chrono::seconds{2};

/// "Until the user resets it": billing exhaustion has no reset time.
inline constexpr WallTime until_reset = WallTime::max();

namespace detail {

/// The name of a health state, as the file spells it.
constexpr std::string_view health_name(KeyHealth h) noexcept {
  switch (h) {
    case KeyHealth::healthy: return "healthy";
    case KeyHealth::cooling: return "cooling";
    case KeyHealth::exhausted: return "exhausted";
    case KeyHealth::invalid: return "invalid";
  }
  return "unknown";
}

/// How conservative a state is: a merge keeps the higher. invalid never ends; exhausted lasts
/// to a daily or billing reset; cooling a minute or so.
constexpr int severity(KeyHealth h) noexcept {
  switch (h) {
    case KeyHealth::healthy: return 0;
    case KeyHealth::cooling: return 1;
    case KeyHealth::exhausted: return 2;
    case KeyHealth::invalid: return 3;
  }
  return 0;
}

/// Wall time as epoch milliseconds, rounded up: a saved end is never earlier than the one
/// known.
inline std::int64_t to_epoch_ms_ceil(WallTime t) noexcept {
  const std::int64_t ns = t.time_since_epoch().count();
  const std::int64_t ms = ns / 1'000'000;
  return ms + (ns % 1'000'000 > 0 ? 1 : 0);
}

/// Epoch milliseconds as wall time, saturating at the ends of `WallTime`'s range.
inline WallTime from_epoch_ms(std::int64_t ms) noexcept {
  constexpr std::int64_t max_ms = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  constexpr std::int64_t min_ms = std::numeric_limits<std::int64_t>::min() / 1'000'000;
  if (ms >= max_ms) return WallTime::max();  // year 2262 and later: "until reset"
  if (ms <= min_ms) return WallTime::min();
  return WallTime{std::chrono::milliseconds{ms}};
}

}  // namespace detail

/// What a record is about: a key (by fingerprint), or one model for that key's account.
struct HealthKey {
  std::string fingerprint;
  std::string model{};  ///< empty: the whole key

  HealthKey() = default;
  HealthKey(std::string fp, std::string m = {}) : fingerprint(std::move(fp)), model(std::move(m)) {}
  HealthKey(const char* fp) : fingerprint(fp) {}

  friend auto operator<=>(const HealthKey&, const HealthKey&) = default;
  friend bool operator==(const HealthKey&, const HealthKey&) = default;
};

/// One key's (or one key and model's) persisted state.
struct HealthRecord {
  KeyHealth health = KeyHealth::healthy;
  WallTime until{};      ///< when the state ends; ignored for invalid
  std::string provider;  ///< for a person reading the file; matching is by fingerprint

  /// Whether the state is over at `now` (invalid never is).
  bool expired(WallTime now) const noexcept {
    return health == KeyHealth::healthy || (health != KeyHealth::invalid && until <= now);
  }

  friend bool operator==(const HealthRecord&, const HealthRecord&) = default;
};

/// The more conservative of two records: the more severe state; of two equal states, the
/// later end.
inline const HealthRecord& more_conservative(const HealthRecord& a, const HealthRecord& b) noexcept {
  if (detail::severity(a.health) != detail::severity(b.health)) return detail::severity(a.health) > detail::severity(b.health) ? a : b;
  return a.until >= b.until ? a : b;
}

/// Health records by key fingerprint and model.
using HealthRecords = std::map<HealthKey, HealthRecord>;

/// The file's name inside the cache directory.
inline constexpr std::string_view health_file_name = "key-health.json";

/// `$XDG_CACHE_HOME/governed/key-health.json`, else `$HOME/.cache/governed/key-health.json`.
/// The XDG base-directory specification ignores a relative XDG_CACHE_HOME, and so does this.
inline Result<std::filesystem::path> default_health_file() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg && std::filesystem::path(xdg).is_absolute())
    return std::filesystem::path(xdg) / "governed" / health_file_name;
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "governed" / health_file_name;
  return fail(Errc::invalid_argument,
              "no cache directory for the key health file: set XDG_CACHE_HOME or HOME, or give "
              "the key pool a state file");
}

/// Where a key pool saves its health and learns what other processes saved. One call does
/// both, under whatever exclusion the place needs: `merge` keeps, for each record, the more
/// conservative of what is saved and `mine` (see `more_conservative`), drops records that have
/// ended at `now` and every record of the fingerprints in `forget` (keys a user cleared), saves
/// the result and returns it. Problems that lose nothing (a record set aside) are appended to
/// `warnings`; an error leaves what was saved as it was. Called from the pool's writer thread,
/// one call at a time per pool.
class HealthPersistence {
 public:
  virtual ~HealthPersistence() = default;

  /// Where the health is saved (the health file's path): named in warnings, and how pools of
  /// one process that share a place find each other (see `keys::Pool`).
  virtual const std::filesystem::path& file() const noexcept = 0;

  virtual Result<HealthRecords> merge(const HealthRecords& mine, WallTime now, std::vector<std::string>& warnings,
                                      std::span<const std::string> forget = {}) const = 0;
};

/// The health file (keys/health_file.hpp): the persistence `keys::Pool::open` and
/// `State::create` use when given none.
class HealthStore;

/// Persistence off, whatever `PoolConfig::persist` says: key health lives in this process
/// only. For a program that must not touch the disk, or that includes core.hpp alone.
struct no_persistence {};

namespace detail {

template <class P>
concept defined_type = requires { sizeof(P); };

/// Opens persistence of type `P` at a path with a lock wait; null for `no_persistence`.
using HealthOpener = std::unique_ptr<HealthPersistence> (*)(std::filesystem::path, std::chrono::nanoseconds);

template <class P>
HealthOpener health_opener() {
  if constexpr (std::is_same_v<P, no_persistence>) {
    return nullptr;
  } else {
    static_assert(defined_type<P>,
                  "key health is saved in the health file by default: include <governed/keys/health_file.hpp> "
                  "(governed.hpp includes it), or pass keys::no_persistence to keep key health in memory");
    static_assert(std::is_base_of_v<HealthPersistence, P> &&
                      std::is_constructible_v<P, std::filesystem::path, std::chrono::nanoseconds>,
                  "key health persistence must derive from keys::HealthPersistence and be constructible from a "
                  "path and a lock wait");
    return [](std::filesystem::path file, std::chrono::nanoseconds lock_wait) -> std::unique_ptr<HealthPersistence> {
      return std::make_unique<P>(std::move(file), lock_wait);
    };
  }
}

}  // namespace detail

}  // namespace governed::keys
