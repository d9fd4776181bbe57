#pragma once
/// @file
/// `keys::HealthStore`: key health persisted across restarts and shared by every process on
/// the host.
///
/// A daily quota spent at 14:00 is still spent after a restart at 14:05; without this file a
/// restarted application would burn one failed call per exhausted key before relearning it.
/// The file is JSON keyed by key fingerprint (never the key, never the account id):
///
/// ```json
/// {"format": "governed key health", "version": 1,
///  "keys": {"gsk_…1f0c3a9b22de": {"provider": "groq", "health": "exhausted",
///                                  "until_ms": 1735776000000}}}
/// ```
///
/// Times are wall-clock UTC in epoch milliseconds: monotonic time starts over at boot, so it
/// can not say when a reset comes after a restart. A stored `until` is rounded up to the next
/// millisecond, so a round trip never ends a state early. `invalid` has no `until`: it never
/// ends.
///
/// Every access holds an flock on `<file>.lock`. A write is read-modify-write under that lock
/// — the union of what is on disk and what this process knows, each key keeping the more
/// conservative of the two states — so two processes never erase each other's findings. A
/// file that is not JSON, not this format, or another version is renamed aside
/// (`<file>.corrupt-<ms>`, `<file>.foreign-<ms>`) and reported as a warning, never thrown.

#include <governed/detail/file_lock.hpp>
#include <governed/detail/state_file.hpp>
#include <governed/keys/health.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace governed::keys {

/// The `format` member of every health file: a JSON file that lacks it is someone else's.
inline constexpr std::string_view health_file_format = "governed key health";
/// The version this code writes and reads. Another version is set aside, not guessed at.
inline constexpr int health_file_version = 1;
/// A health file larger than this is treated as corrupt. An entry is about 100 bytes, so
/// 4 MiB holds 40 000 keys: far more than any pool, far less than memory.
inline constexpr std::size_t health_file_max_bytes = std::size_t{4} << 20;
/// The file's name inside the cache directory.
inline constexpr std::string_view health_file_name = "key-health.json";

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

}  // namespace detail

/// One key's persisted state.
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

/// Health records by key fingerprint.
using HealthRecords = std::map<std::string, HealthRecord, std::less<>>;

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

namespace detail {

inline std::int64_t to_epoch_ms_ceil(WallTime t) noexcept {
  const std::int64_t ns = t.time_since_epoch().count();
  const std::int64_t ms = ns / 1'000'000;
  return ms + (ns % 1'000'000 > 0 ? 1 : 0);
}

inline WallTime from_epoch_ms(std::int64_t ms) noexcept {
  constexpr std::int64_t max_ms = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  constexpr std::int64_t min_ms = std::numeric_limits<std::int64_t>::min() / 1'000'000;
  if (ms >= max_ms) return WallTime::max();  // year 2262 and later: "until reset"
  if (ms <= min_ms) return WallTime::min();
  return WallTime{std::chrono::milliseconds{ms}};
}

inline std::optional<KeyHealth> health_from_string(std::string_view s) noexcept {
  for (KeyHealth h : {KeyHealth::cooling, KeyHealth::exhausted, KeyHealth::invalid})
    if (s == health_name(h)) return h;
  return std::nullopt;
}

/// What parsing a health file found.
struct ParsedHealthFile {
  enum class Kind { ok, corrupt, foreign } kind = Kind::ok;
  std::string why;
  HealthRecords records;
};

inline ParsedHealthFile parse_health_file(std::string_view text) {
  using Kind = ParsedHealthFile::Kind;
  ParsedHealthFile out;
  const auto bad = [&](Kind k, std::string why) {
    out.kind = k;
    out.why = std::move(why);
    out.records.clear();
    return out;
  };
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad(Kind::corrupt, "not valid JSON");
  if (!j.is_object()) return bad(Kind::corrupt, "not a JSON object");
  const auto fmt_it = j.find("format");
  if (fmt_it == j.end() || !fmt_it->is_string() || fmt_it->get_ref<const std::string&>() != health_file_format)
    return bad(Kind::foreign, fmt::format("not a \"{}\" file", health_file_format));
  const auto ver = j.find("version");
  if (ver == j.end() || !ver->is_number_integer())
    return bad(Kind::corrupt, "no integer \"version\"");
  if (ver->get<std::int64_t>() != health_file_version)
    return bad(Kind::foreign, fmt::format("version {}, this program reads version {}",
                                          ver->get<std::int64_t>(), health_file_version));
  const auto keys = j.find("keys");
  if (keys == j.end() || !keys->is_object()) return bad(Kind::corrupt, "no \"keys\" object");
  for (const auto& item : keys->items()) {
    const std::string& fp = item.key();
    const nlohmann::json& e = item.value();
    if (fp.empty() || !e.is_object()) return bad(Kind::corrupt, "an entry that is not an object");
    const auto h = e.find("health");
    const auto health = h != e.end() && h->is_string()
                            ? health_from_string(h->get_ref<const std::string&>())
                            : std::nullopt;
    if (!health) return bad(Kind::corrupt, "an entry without a valid \"health\"");
    HealthRecord r{*health, WallTime::max(), {}};
    if (const auto p = e.find("provider"); p != e.end()) {
      if (!p->is_string()) return bad(Kind::corrupt, "a \"provider\" that is not a string");
      r.provider = p->get<std::string>();
    }
    if (*health != KeyHealth::invalid) {
      const auto u = e.find("until_ms");
      if (u == e.end() || !u->is_number_integer())
        return bad(Kind::corrupt, "a cooling or exhausted entry without an integer \"until_ms\"");
      // An unsigned value above int64 (nlohmann reads it as number_unsigned) is far future.
      r.until = u->is_number_unsigned() && u->get<std::uint64_t>() > std::uint64_t{std::numeric_limits<std::int64_t>::max()}
                    ? WallTime::max()
                    : from_epoch_ms(u->get<std::int64_t>());
    }
    out.records.emplace(fp, std::move(r));
  }
  return out;
}

inline std::string render_health_file(const HealthRecords& records) {
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& [fp, r] : records) {
    nlohmann::json e = {{"provider", r.provider}, {"health", health_name(r.health)}};
    if (r.health != KeyHealth::invalid) e["until_ms"] = to_epoch_ms_ceil(r.until);
    keys[fp] = std::move(e);
  }
  const nlohmann::json doc = {
      {"format", health_file_format}, {"version", health_file_version}, {"keys", std::move(keys)}};
  return doc.dump(2) + "\n";
}

}  // namespace detail

/// The health file of one host (or of one path the user chose). Cheap to copy: it holds only
/// the path; every call opens, locks and closes.
class HealthStore {
 public:
  explicit HealthStore(std::filesystem::path file) : file_(std::move(file)) {}

  const std::filesystem::path& file() const noexcept { return file_; }

  /// The records still in force at `now`. No file yet: none. A file that can not be used is
  /// set aside with a warning appended to `warnings`, and reads as none. An error only when
  /// the directory or the file can not be reached at all.
  Result<HealthRecords> load(WallTime now, std::vector<std::string>& warnings) const {
    auto lock = lock_file();
    if (!lock) return tl::unexpected(lock.error());
    return read_locked(now, warnings);
  }

  /// Merges `mine` into the file and returns what the file now holds (in force at `now`):
  /// under the lock, reads the file, keeps for each fingerprint the more conservative of its
  /// record and ours, drops expired records and the fingerprints in `forget` (states a user
  /// cleared), and replaces the file atomically.
  Result<HealthRecords> merge(const HealthRecords& mine, WallTime now, std::vector<std::string>& warnings,
                              std::span<const std::string> forget = {}) const {
    auto lock = lock_file();
    if (!lock) return tl::unexpected(lock.error());
    if (const std::size_t n = governed::detail::state_file_remove_stray_temporaries(file_); n > 0)
      warnings.push_back(fmt::format("removed {} temporary file(s) a crashed writer left beside {}", n,
                                     file_.string()));
    auto on_disk = read_locked(now, warnings);
    if (!on_disk) return on_disk;
    HealthRecords merged = std::move(*on_disk);
    for (const auto& fp : forget) merged.erase(fp);
    for (const auto& [fp, r] : mine) {
      if (r.expired(now)) continue;
      auto [it, inserted] = merged.try_emplace(fp, r);
      if (!inserted) it->second = HealthRecord(more_conservative(it->second, r));
    }
    if (auto w = governed::detail::state_file_write(file_, detail::render_health_file(merged)); !w)
      return tl::unexpected(w.error());
    return merged;
  }

 private:
  Result<governed::detail::FileLock> lock_file() const {
    const std::filesystem::path dir = file_.parent_path().empty() ? "." : file_.parent_path();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return fail(Errc::io_error, fmt::format("cannot use {} for the key health file: {}", dir.string(), ec.message()));
    std::filesystem::path lock_path = file_;
    lock_path += ".lock";
    return governed::detail::FileLock::acquire(lock_path);
  }

  Result<HealthRecords> read_locked(WallTime now, std::vector<std::string>& warnings) const {
    auto text = governed::detail::state_file_read(file_, health_file_max_bytes);
    detail::ParsedHealthFile parsed;
    if (!text) {
      if (text.error().code != Errc::parse_error) return tl::unexpected(text.error());
      parsed.kind = detail::ParsedHealthFile::Kind::corrupt;
      parsed.why = fmt::format("larger than {} bytes", health_file_max_bytes);
    } else if (!text->has_value()) {
      return HealthRecords{};
    } else {
      parsed = detail::parse_health_file(**text);
    }
    if (parsed.kind != detail::ParsedHealthFile::Kind::ok) {
      const bool corrupt = parsed.kind == detail::ParsedHealthFile::Kind::corrupt;
      auto aside = governed::detail::state_file_set_aside(file_, corrupt ? "corrupt" : "foreign", now);
      if (!aside) return tl::unexpected(aside.error());
      warnings.push_back(fmt::format("key health file {} was unusable ({}); set aside as {}; starting "
                                     "with every key healthy",
                                     file_.string(), parsed.why, aside->string()));
      return HealthRecords{};
    }
    std::erase_if(parsed.records, [now](const auto& kv) { return kv.second.expired(now); });
    return std::move(parsed.records);
  }

  std::filesystem::path file_;
};

}  // namespace governed::keys
