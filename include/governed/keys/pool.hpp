#pragma once
/// @file
/// `keys::Pool`: every API key the application holds, with each key's health — healthy,
/// cooling, exhausted, invalid — shared by every call site and persisted across restarts.
///
/// ```cpp
/// auto pool = governed::keys::Pool::open({.keys = {{"openai", key1, "org-a"},
///                                                  {"openai", key2, "org-b"}}},
///                                        clock.wall_now());
/// // a daily 429 on key 0: org-a is out until the stated reset, org-b serves at once
/// pool->mark_exhausted(0, reset, clock.wall_now());
/// ```
///
/// Reads happen on every call, writes on a rejection, so each key's state is one atomic word:
/// a read is one acquire load per key, no lock, no allocation. The word packs the state into
/// its top two bits and the end time (epoch milliseconds, rounded up) into the other 62, so
/// that "the more conservative of two states" — the rule both a racing write and the merge
/// with another process's file follow — is simply the larger word: invalid > exhausted >
/// cooling > healthy, and of two equal states the later end. A state whose end has passed
/// reads as healthy with no write at all.
///
/// The key itself is kept only to be sent; everything shown — messages, the file, candidate
/// views — names a key by its fingerprint (`keys/fingerprint.hpp`).
///
/// A mark never waits for the file. It changes the word at once and hands the write to the
/// pool's writer thread, which writes the latest state (a burst of marks coalesces
/// into one write) under the health file's lock, waited for at most `lock_wait`. A write that
/// can not happen — another process holds the lock, the disk refuses — is reported as a
/// warning; the marks stay in memory and go out with the next write. A first access at
/// `open` that fails other than on a busy lock — mostly a location that can not be used at
/// all (read-only, not a directory, a symbolic link where the file should be) — is one
/// warning, and the pool keeps its health in memory only. Only `open` and
/// `refresh` touch the file on the calling thread, each waiting at most `lock_wait`.

#include <governed/keys/detail/health_writer.hpp>
#include <governed/keys/fingerprint.hpp>
#include <governed/keys/health.hpp>
#include <governed/keys/health_persistence.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/providers/messages.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::keys {

/// One key as the user configures it.
struct KeyConfig {
  std::string provider{};  ///< the provider table's name: "openai", "groq", …
  std::string key{};       ///< the secret; never stored on disk, never shown
  /// The organisation or project the key bills to. Providers limit and exhaust accounts, so
  /// two keys of one account share one fate. Empty: the key is an account of its own.
  std::string account{};
  std::uint32_t weight = 1;  ///< for weighted selection; at least 1
};

/// How a pool is built.
struct PoolConfig {
  std::vector<KeyConfig> keys;
  /// Providers called with no key at all: a local server (vLLM, llama.cpp, Ollama) behind the
  /// provider's base URL. Each gets one entry in the pool with no secret, account "" (so its
  /// limits are kept per (provider, "", model group)) and fingerprint `keyless_fingerprint`;
  /// a transport sends it with no auth header. A keyless provider has no keys: naming it in
  /// `keys` too is an error. The entry's health is kept in memory only (it names no key the
  /// health file could hold). A `State` fills this from `ProviderSettings::keyless`.
  std::vector<std::string> keyless{};
  /// Persistence is "a path, or off". `persist` on (the default): exhausted and invalid keys
  /// stay out across restarts and across processes, through the health file at `state_file`,
  /// or, when that is empty, at `default_health_file()` ($XDG_CACHE_HOME/governed/
  /// key-health.json, else $HOME/.cache/governed/key-health.json). `persist` off: health is
  /// kept in this process's memory only, and `state_file` is not used. A location that turns
  /// out unusable is a warning (see `on_warning`), never an error: the pool then keeps its
  /// health in memory.
  bool persist = true;
  /// The health file; empty: `default_health_file()`. Its directory is created (mode 0700)
  /// when missing.
  std::optional<std::filesystem::path> state_file{};
  /// How long one access to the health file waits for another process's lock before the
  /// pool gives up on the file for that access and keeps what it knows in memory (a
  /// warning). Bounds `Pool::open`, `refresh` and the writer thread; no caller ever waits on
  /// the lock otherwise.
  std::chrono::nanoseconds lock_wait = default_lock_wait;
  /// Told about a health file or records set aside, stray temporary files removed, a lock
  /// that stayed busy, or a write that failed. Called from whichever thread found it (the
  /// writer thread for marks), never while the pool holds the file; must be thread safe. It
  /// may call back into the pool (`refresh`); a warning that call raises is not told again,
  /// its result carries it. An exception it throws is dropped. Empty: ignored.
  std::function<void(std::string_view)> on_warning{};
};

/// What names a keyless provider's entry where a key's fingerprint would be.
inline constexpr std::string_view keyless_fingerprint = "no-key";

/// A model whose allowance an account spent, as the health file remembers it for key `key`.
struct ModelExhaustion {
  std::size_t key;
  std::string model;
  WallTime until;
};

/// What a key-selection policy sees of one key: never the key itself.
struct KeyCandidate {
  std::size_t index;             ///< the key's position in the pool (its configuration order)
  std::string_view account;      ///< its account; a key configured without one: its fingerprint;
                                 ///< a keyless provider's entry: ""
  KeyHealth health;              ///< at the `now` the view was taken
  WallTime until;                ///< when that state ends: max for invalid, epoch for healthy
  std::uint32_t weight;
  std::string_view fingerprint;

  bool usable() const noexcept { return health == KeyHealth::healthy; }
};

namespace detail {

/// One key's state word: severity in bits 62–63, end time in epoch milliseconds below.
inline constexpr std::uint64_t until_mask = (std::uint64_t{1} << 62) - 1;

inline std::uint64_t encode(KeyHealth h, WallTime until) noexcept {
  if (h == KeyHealth::healthy) return 0;
  const std::int64_t ms = h == KeyHealth::invalid ? std::int64_t(until_mask) : to_epoch_ms_ceil(until);
  const std::uint64_t u = ms <= 0 ? 0 : std::min<std::uint64_t>(std::uint64_t(ms), until_mask);
  return (std::uint64_t(severity(h)) << 62) | u;
}

inline KeyHealth severity_health(std::uint64_t w) noexcept {
  switch (w >> 62) {
    case 1: return KeyHealth::cooling;
    case 2: return KeyHealth::exhausted;
    case 3: return KeyHealth::invalid;
    default: return KeyHealth::healthy;
  }
}

inline WallTime word_until(std::uint64_t w) noexcept {
  if ((w >> 62) == 3) return WallTime::max();
  return from_epoch_ms(std::int64_t(w & until_mask));
}

/// The word as it reads at `now`: an ended state is healthy (0).
inline std::uint64_t in_force(std::uint64_t w, WallTime now) noexcept {
  if (w == 0 || (w >> 62) == 3) return w;
  return word_until(w) <= now ? 0 : w;
}

}  // namespace detail

/// The key pool. Move-constructible (not assignable), not copyable; every member function
/// is thread safe.
class Pool {
 public:
  /// Builds the pool and, when `persist` is on, loads the health file: keys exhausted or
  /// invalid in an earlier run (or in another process) stay out until their time.
  /// Errors: no keys and no keyless provider, an empty key or provider, a zero weight, a key
  /// given twice, a keyless provider given twice or given keys, a negative lock wait
  /// (invalid_argument). A health file that can not be used is a warning, not an error: a
  /// lock held past `lock_wait` leaves the pool starting from memory and trying the file
  /// again with its next write; any other failure of this first access leaves it in memory
  /// for good — an unusable location (read-only, missing HOME, a symbolic link), and also a
  /// full disk or an I/O error at that moment.
  ///
  /// `Persistence` is where key health is saved: the health file (`HealthStore`, from
  /// keys/health_file.hpp) unless told otherwise; `no_persistence` keeps it in memory.
  template <class Persistence = HealthStore>
  static Result<Pool> open(PoolConfig config, WallTime now) {
    return open_with(std::move(config), now, detail::health_opener<Persistence>());
  }


  /// Moves the pool. Its writer thread keeps running: the move waits for a write in progress
  /// (at most the lock wait) and the telling of its warnings, then points the writer at the
  /// pool's new place.
  Pool(Pool&& o) noexcept : sink_mutex_(std::make_unique<std::mutex>()) {
    std::unique_lock<std::mutex> in_use, writing;
    if (o.file_) {
      in_use = std::unique_lock(o.file_->owner_mutex);
      writing = std::unique_lock(o.file_->io);
    }
    keys_ = std::move(o.keys_);
    words_ = std::move(o.words_);
    by_provider_ = std::move(o.by_provider_);
    on_warning_ = std::move(o.on_warning_);
    {
      std::lock_guard lk(*o.sink_mutex_);
      sink_ = std::move(o.sink_);
    }
    file_ = std::move(o.file_);
    if (file_) file_->owner = this;
  }
  Pool& operator=(Pool&&) = delete;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  /// Lets the writer thread finish the write it was asked for (bounded by the lock wait),
  /// then joins it.
  ~Pool() { stop_writer(); }

  std::size_t size() const noexcept { return keys_.size(); }

  std::string_view provider(std::size_t i) const noexcept { return keys_[i].provider; }
  std::string_view account(std::size_t i) const noexcept { return keys_[i].account; }
  std::string_view fingerprint(std::size_t i) const noexcept { return keys_[i].fingerprint; }
  std::uint32_t weight(std::size_t i) const noexcept { return keys_[i].weight; }
  /// The key to send. Only a transport should ask; nothing else should hold it. Empty for a
  /// keyless provider's entry: the request carries no auth header.
  std::string_view secret(std::size_t i) const noexcept { return keys_[i].key; }
  /// Whether entry `i` is a keyless provider's (see `PoolConfig::keyless`), not a key.
  bool keyless(std::size_t i) const noexcept { return keys_[i].key.empty(); }

  /// The health file, when the pool persists (none when `persist` is off, or the location
  /// turned out unusable at `open`).
  std::optional<std::filesystem::path> state_file() const {
    return file_ ? std::optional(file_->store->file()) : std::nullopt;
  }

  /// Where warnings go besides `PoolConfig::on_warning` (the State turns them into events).
  /// Returns once no call to the previous sink is running, so its owner may then go away.
  void set_warning_sink(std::function<void(std::string_view)> sink) {
    std::lock_guard lk(*sink_mutex_);
    sink_ = std::move(sink);
  }

  /// Key `i` at `now`. Lock-free, allocation-free.
  KeyCandidate view(std::size_t i, WallTime now) const noexcept {
    const std::uint64_t w = detail::in_force(words_[i].load(std::memory_order_acquire), now);
    const Key& k = keys_[i];
    return KeyCandidate{i, k.account, detail::severity_health(w), w == 0 ? WallTime{} : detail::word_until(w),
                        k.weight, k.fingerprint};
  }

  KeyHealth health(std::size_t i, WallTime now) const noexcept { return view(i, now).health; }

  /// The pool indices of `provider`'s keys, in configuration order; empty for an unknown one.
  std::span<const std::size_t> indices(std::string_view provider) const noexcept {
    const auto lo = std::lower_bound(by_provider_.begin(), by_provider_.end(), provider,
                                     [&](std::size_t i, std::string_view p) { return keys_[i].provider < p; });
    auto hi = lo;
    while (hi != by_provider_.end() && keys_[*hi].provider == provider) ++hi;
    return {lo, hi};
  }

  /// The pool index of `provider`'s key with fingerprint `fingerprint`: how a finding another
  /// process shares (it names keys by fingerprint only) reaches this pool's key.
  std::optional<std::size_t> find(std::string_view provider, std::string_view fingerprint) const noexcept {
    for (std::size_t i : indices(provider))
      if (keys_[i].fingerprint == fingerprint) return i;
    return std::nullopt;
  }

  /// Calls `f(const KeyCandidate&)` for each of `provider`'s keys, usable or not (a policy may
  /// want to know a sibling of the same account is exhausted). No allocation.
  template <class F>
  void for_each_candidate(std::string_view provider, WallTime now, F&& f) const {
    for (std::size_t i : indices(provider)) f(view(i, now));
  }

  /// Fills `out` with up to `out.size()` of `provider`'s candidates; returns how many. No
  /// allocation: a call site keeps a small array.
  std::size_t candidates(std::string_view provider, WallTime now, std::span<KeyCandidate> out) const noexcept {
    std::size_t n = 0;
    for (std::size_t i : indices(provider)) {
      if (n == out.size()) break;
      out[n++] = view(i, now);
    }
    return n;
  }

  /// Fills `out` with the selection policies' views (`keys::KeyView`) of up to `out.size()` of
  /// `provider`'s keys; returns how many. The pool keeps wall-clock ends (they must survive a
  /// restart) and the policies compare monotonic instants, so each end is carried over as
  /// `now + (until - wall_now)`; invalid keys get `instant_max`. `headroom` is left at 1: the
  /// pool knows health, not limit sets — the caller fills it for `least_loaded`.
  std::size_t views(std::string_view provider, WallTime wall_now, Instant now, std::span<KeyView> out) const noexcept {
    std::size_t n = 0;
    for (std::size_t i : indices(provider)) {
      if (n == out.size()) break;
      out[n++] = key_view(i, wall_now, now);
    }
    return n;
  }

  /// The selection policies' view of key `i` (see `views`). Lock-free, allocation-free.
  KeyView key_view(std::size_t i, WallTime wall_now, Instant now) const noexcept {
    const KeyCandidate c = view(i, wall_now);
    KeyView v;
    v.index = c.index;
    v.account = c.account;
    v.health = c.health;
    v.weight = c.weight;
    if (c.health == KeyHealth::cooling || c.health == KeyHealth::exhausted) {
      // until > wall_now here (an ended state reads healthy); saturate instead of wrapping
      // for "until reset" (year 2262).
      const Duration left = c.until - wall_now;
      v.until = c.until == WallTime::max() || left >= instant_max - now ? instant_max : now + left;
    }
    return v;
  }

  std::vector<KeyCandidate> candidates(std::string_view provider, WallTime now) const {
    std::vector<KeyCandidate> out;
    for_each_candidate(provider, now, [&](const KeyCandidate& c) { out.push_back(c); });
    return out;
  }

  /// Nothing when `provider` has a usable key at `now`; otherwise the error to give up with:
  /// all_rate_limited naming the provider, how many keys are out and why, and when the first
  /// comes back (`retry_after`); invalid_argument when none ever will (every key invalid, or
  /// no key configured for the provider).
  Result<void> available(std::string_view provider, WallTime now) const {
    std::size_t cooling = 0, exhausted = 0, invalid = 0;
    std::optional<WallTime> first;
    for (std::size_t i : indices(provider)) {
      const KeyCandidate c = view(i, now);
      switch (c.health) {
        case KeyHealth::healthy: return {};
        case KeyHealth::cooling: ++cooling; break;
        case KeyHealth::exhausted: ++exhausted; break;
        case KeyHealth::invalid: ++invalid; continue;
      }
      if (!first || c.until < *first) first = c.until;
    }
    const std::string name = providers::detail::shout(provider);
    if (cooling + exhausted + invalid == 0)
      return fail(Errc::invalid_argument, fmt::format("no {} key is configured", name));
    const std::string counts = out_counts(cooling, exhausted, invalid);
    if (!first)
      return fail(Errc::invalid_argument,
                  fmt::format("no usable {} key: {}; the provider refused every key, so none comes back", name,
                              counts));
    if (*first == WallTime::max())
      return fail(Errc::all_rate_limited,
                  fmt::format("no usable {} key: {}; the first comes back when its account is reset", name, counts));
    const Duration wait = *first - now;
    return fail(Errc::all_rate_limited,
                fmt::format("no usable {} key: {}; the first comes back at {:%Y-%m-%d %H:%M:%S} UTC, in {}", name,
                            counts, std::chrono::floor<std::chrono::seconds>(*first), providers::humanize(wait)),
                wait);
  }

  /// Key `i` hit a short limit (requests or tokens per minute): out until `until`. Kept in
  /// memory only — it ends within about a minute, and a 429 storm should not fsync per reply;
  /// it reaches the file with the next exhausted or invalid mark.
  Result<void> mark_cooling(std::size_t i, WallTime until, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    raise(i, detail::encode(KeyHealth::cooling, until), now);
    return {};
  }

  /// The account of key `i` spent a daily, monthly or billing quota: every key of that account
  /// (same provider and account) is out until `until` — the stated wait, the provider's reset
  /// (`providers::next_daily_reset`), or `until_reset` for billing. Holds in memory at once;
  /// persisted by the writer thread (no file I/O on the caller's thread). An error only for
  /// an index outside the pool.
  Result<void> mark_exhausted(std::size_t i, WallTime until, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    const std::uint64_t w = detail::encode(KeyHealth::exhausted, until);
    for (std::size_t j = 0; j < keys_.size(); ++j)
      if (same_account(i, j)) raise(j, w, now);
    schedule_write(now, {});
    return {};
  }

  /// The provider refused key `i` itself (401, or an auth failure sent as 400): out for good.
  /// Persisted as `mark_exhausted` is.
  Result<void> mark_invalid(std::size_t i, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    raise(i, detail::encode(KeyHealth::invalid, WallTime::max()), now);
    schedule_write(now, {});
    return {};
  }

  /// The account of key `i` spent its allowance of `model` only (a provider that limits each
  /// model apart): remembered in the health file for every key of the account, so the next
  /// process skips the model until `until`. The caller keeps its own cooldown; the pool only
  /// persists (nothing to do without persistence).
  Result<void> mark_model_exhausted(std::size_t i, std::string_view model, WallTime until, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    if (model.empty()) return fail(Errc::invalid_argument, "a model exhaustion needs the model's name");
    if (!file_ || until <= now || keyless(i)) return {};
    {
      std::lock_guard lk(file_->model_mutex);
      const HealthRecord r{KeyHealth::exhausted, until, keys_[i].provider};
      for (std::size_t j = 0; j < keys_.size(); ++j)
        if (same_account(i, j)) keep_conservative(file_->models, HealthKey{keys_[j].fingerprint, std::string(model)}, r);
    }
    schedule_write(now, {});
    return {};
  }

  /// The per-model exhaustions in force at `now` that the health file told this pool about
  /// (at `open` and with every write since), for the pool's own keys.
  std::vector<ModelExhaustion> model_exhaustions(WallTime now) const {
    std::vector<ModelExhaustion> out;
    if (!file_) return out;
    std::lock_guard lk(file_->model_mutex);
    for (const auto& [key, r] : file_->models) {
      if (r.expired(now)) continue;
      for (std::size_t i = 0; i < keys_.size(); ++i)
        if (!keyless(i) && keys_[i].fingerprint == key.fingerprint) out.push_back({i, key.model, r.until});
    }
    return out;
  }

  /// A person says key `i` is good again (a billing top-up, a key re-enabled): healthy now, and
  /// its records removed from the health file (by the writer thread). A process that still
  /// holds the old state in memory writes it back with its next write; restart it, or reset
  /// there too.
  Result<void> reset(std::size_t i, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    words_[i].store(0, std::memory_order_release);
    if (file_) {
      std::lock_guard lk(file_->model_mutex);
      std::erase_if(file_->models, [&](const auto& kv) { return kv.first.fingerprint == keys_[i].fingerprint; });
    }
    schedule_write(now, keys_[i].fingerprint);
    return {};
  }

  /// Merges this pool's states with the health file and takes in what other processes wrote,
  /// on the calling thread, waiting at most `lock_wait` for the lock. Nothing to do without
  /// persistence. Errors: timed_out (the lock stayed busy), io_error (the file could not be
  /// read or written); either way the states in memory hold.
  Result<void> refresh(WallTime now) { return file_ ? write_and_tell(now, {}) : Result<void>{}; }

  /// Waits until every write asked for before the call has been tried (written, or given up
  /// with a warning), for at most `timeout`. For shutdown and tests; a pool that is destroyed
  /// flushes on its own. Returns whether everything was tried in time.
  bool flush(std::chrono::nanoseconds timeout) { return !file_ || file_->writer.flush(timeout); }

 private:
  struct Key {
    std::string provider, key, account, fingerprint;
    std::uint32_t weight;
  };

  /// The health file and the thread that writes it. On the heap, so the pool can move while
  /// the thread runs: the thread reaches the pool through `owner`, which a move changes
  /// under `owner_mutex`.
  struct Persisted {
    Persisted(std::unique_ptr<HealthPersistence> persistence, Pool* pool)
        : store(std::move(persistence)),
          owner(pool),
          writer([this](WallTime now, std::span<const std::string> forget) {
            std::lock_guard lk(owner_mutex);
            return owner->write_and_tell(now, forget).has_value();
          }) {}

    std::unique_ptr<HealthPersistence> store;  // never null
    // Held by the writer thread for a whole write and its warnings, and by a move of the pool
    // while it changes `owner`; taken before `io`, never while holding it.
    std::mutex owner_mutex;
    std::mutex io;  // one access to the file at a time: the flock orders processes, this our threads
    Pool* owner;
    std::mutex model_mutex;
    HealthRecords models;  // per-model exhaustions, by fingerprint and model
    detail::HealthWriter writer;  // last: its thread uses the members above
  };

  /// The health files of this process's pools. A pool opening a file first lets the other
  /// pools of the process finish their pending writes to it, so a State made right after
  /// another (a restart in a test, a second State in one program) reads what the first knew.
  struct OpenFiles {
    std::mutex m;
    std::vector<Persisted*> files;

    static OpenFiles& instance() {
      static OpenFiles registry;
      return registry;
    }
    void add(Persisted* f) {
      std::lock_guard lk(m);
      files.push_back(f);
    }
    void remove(Persisted* f) {
      std::lock_guard lk(m);
      std::erase(files, f);
    }
    void flush(const std::filesystem::path& file, std::chrono::nanoseconds timeout) {
      std::lock_guard lk(m);
      for (Persisted* f : files)
        if (f->store->file() == file) f->writer.flush(timeout);
    }
  };

  Pool() : sink_mutex_(std::make_unique<std::mutex>()) {}

  bool same_account(std::size_t i, std::size_t j) const noexcept {
    return keys_[j].provider == keys_[i].provider && keys_[j].account == keys_[i].account;
  }

  static void keep_conservative(HealthRecords& records, HealthKey key, const HealthRecord& r) {
    auto [it, inserted] = records.try_emplace(std::move(key), r);
    if (!inserted) it->second = HealthRecord(more_conservative(it->second, r));
  }

  // Runs on the writer thread too, where an exception would end the process: a warning that
  // can not be told is dropped instead. A warning raised while this thread tells one (a
  // callback that calls `refresh`, which fails too) is dropped as well: the call's result
  // says what went wrong, and telling it would take `sink_mutex_` twice or recurse.
  void warn(std::string_view text) const noexcept {
    thread_local bool telling = false;
    if (telling) return;
    telling = true;
    try {
      if (on_warning_) on_warning_(text);
    } catch (...) {
    }
    try {
      std::lock_guard lk(*sink_mutex_);
      if (sink_) sink_(text);
    } catch (...) {
    }
    telling = false;
  }

  /// `open` with the persistence `opener` makes (none: memory only).
  static Result<Pool> open_with(PoolConfig config, WallTime now, detail::HealthOpener opener) {
    if (config.keys.empty() && config.keyless.empty())
      return fail(Errc::invalid_argument,
                  "the key pool has no keys; a provider that takes no key is configured keyless");
    if (config.lock_wait < std::chrono::nanoseconds{0})
      return fail(Errc::invalid_argument, "the key pool's lock_wait must not be negative");
    Pool p;
    p.on_warning_ = std::move(config.on_warning);
    if (auto r = check_keyless(config); !r) return tl::unexpected(r.error());
    const std::size_t n = config.keys.size() + config.keyless.size();
    p.keys_.reserve(n);
    for (std::size_t i = 0; i < config.keys.size(); ++i) {
      auto& k = config.keys[i];
      if (k.provider.empty())
        return fail(Errc::invalid_argument, fmt::format("key {} of the pool names no provider", i));
      if (k.key.empty())
        return fail(Errc::invalid_argument, fmt::format("key {} of the pool ({}) is empty", i, k.provider));
      if (k.weight == 0)
        return fail(Errc::invalid_argument,
                    fmt::format("key {} of the pool ({}) has weight 0; weights start at 1", i, k.provider));
      std::string fp = keys::fingerprint(k.key);
      Key key{std::move(k.provider), std::move(k.key), std::move(k.account), std::move(fp), k.weight};
      for (std::size_t j = 0; j < i; ++j)
        if (p.keys_[j].fingerprint == key.fingerprint)
          return fail(Errc::invalid_argument,
                      fmt::format("key {} of the pool ({}) repeats key {}", i, key.provider, j));
      if (key.account.empty()) key.account = key.fingerprint;
      p.keys_.push_back(std::move(key));
    }
    // After the keys: their indices are their configuration positions.
    for (auto& name : config.keyless)
      p.keys_.push_back(Key{std::move(name), {}, {}, std::string(keyless_fingerprint), 1});
    p.words_ = std::make_unique<std::atomic<std::uint64_t>[]>(n);
    for (std::size_t i = 0; i < n; ++i) p.words_[i].store(0, std::memory_order_relaxed);
    // Keys grouped by provider, in configuration order: a provider's candidates are one span.
    p.by_provider_.resize(n);
    for (std::size_t i = 0; i < n; ++i) p.by_provider_[i] = i;
    std::stable_sort(p.by_provider_.begin(), p.by_provider_.end(),
                     [&](std::size_t a, std::size_t b) { return p.keys_[a].provider < p.keys_[b].provider; });
    if (config.persist && opener) p.open_health_file(config, now, opener);
    return p;
  }

  void open_health_file(const PoolConfig& config, WallTime now, detail::HealthOpener opener) {
    auto file = config.state_file ? Result<std::filesystem::path>(*config.state_file) : default_health_file();
    if (!file) return warn(fmt::format("key health is kept in memory only: {}", file.error().message));
    // Twice the lock wait: the other pool's write waits for the lock at most once.
    OpenFiles::instance().flush(*file, 2 * config.lock_wait);
    file_ = std::make_unique<Persisted>(opener(std::move(*file), config.lock_wait), this);
    auto r = write_and_tell(now, {});
    if (!r && r.error().code != Errc::timed_out) {
      // Reported by write_locked. Such a failure is mostly the location's (read-only, a
      // symbolic link) and would recur: the pool stops trying rather than warn at every write.
      warn(fmt::format("key health is kept in memory only: {} can not be used", file_->store->file().string()));
      file_.reset();
      return;
    }
    OpenFiles::instance().add(file_.get());
  }

  static std::string out_counts(std::size_t cooling, std::size_t exhausted, std::size_t invalid) {
    std::string s;
    const auto add = [&](std::size_t n, std::string_view what) {
      if (n == 0) return;
      if (!s.empty()) s += ", ";
      s += fmt::format("{} {}", n, what);
    };
    add(exhausted, "exhausted");
    add(cooling, "cooling");
    add(invalid, "invalid");
    return s;
  }

  /// Every keyless provider named once, and given no keys.
  static Result<void> check_keyless(const PoolConfig& config) {
    for (std::size_t i = 0; i < config.keyless.size(); ++i) {
      const std::string& name = config.keyless[i];
      if (name.empty()) return fail(Errc::invalid_argument, fmt::format("keyless provider {} has no name", i));
      for (std::size_t j = 0; j < i; ++j)
        if (config.keyless[j] == name)
          return fail(Errc::invalid_argument, fmt::format("provider {} is named keyless twice", name));
      for (std::size_t j = 0; j < config.keys.size(); ++j)
        if (config.keys[j].provider == name)
          return fail(Errc::invalid_argument,
                      fmt::format("provider {} is configured keyless, yet key {} of the pool is for it: "
                                  "remove the key, or the keyless setting",
                                  name, j));
    }
    return {};
  }

  Result<void> check_index(std::size_t i) const {
    if (i >= keys_.size())
      return fail(Errc::invalid_argument, fmt::format("key index {} is outside the pool of {}", i, keys_.size()));
    return {};
  }

  // Stores the more conservative of the word in force and `w`. An ended state counts as
  // healthy, so a new cooling replaces an expired exhausted state.
  void raise(std::size_t i, std::uint64_t w, WallTime now) noexcept {
    std::uint64_t cur = words_[i].load(std::memory_order_acquire);
    for (;;) {
      const std::uint64_t next = std::max(detail::in_force(cur, now), w);
      if (next == cur) return;
      if (words_[i].compare_exchange_weak(cur, next, std::memory_order_acq_rel, std::memory_order_acquire)) return;
    }
  }

  HealthRecords snapshot(WallTime now) const {
    HealthRecords out;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keyless(i)) continue;  // no key to remember: its health lives in this process only
      const KeyCandidate c = view(i, now);
      if (c.health != KeyHealth::healthy) out.emplace(HealthKey{keys_[i].fingerprint}, HealthRecord{c.health, c.until, keys_[i].provider});
    }
    std::lock_guard lk(file_->model_mutex);
    std::erase_if(file_->models, [now](const auto& kv) { return kv.second.expired(now); });
    out.insert(file_->models.begin(), file_->models.end());
    return out;
  }

  // Merges with the file on this thread (bounded by the lock wait), and takes in what the
  // file holds for the pool's keys. Failures are reported as warnings and returned. The
  // warnings are told once `io` is released: a callback may call `refresh`, which takes it.
  Result<void> write_and_tell(WallTime now, std::span<const std::string> forget) {
    std::vector<std::string> warnings;
    Result<void> r;
    {
      std::lock_guard lk(file_->io);
      r = write_locked(now, forget, warnings);
    }
    for (const auto& w : warnings) warn(w);
    return r;
  }

  Result<void> write_locked(WallTime now, std::span<const std::string> forget, std::vector<std::string>& warnings) {
    auto merged = file_->store->merge(snapshot(now), now, warnings, forget);
    if (!merged) {
      warnings.push_back(fmt::format(
          "key health was not saved ({}); it is kept in memory and saved with the next change", merged.error().message));
      return tl::unexpected(merged.error());
    }
    std::lock_guard mk(file_->model_mutex);
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keyless(i)) continue;
      const auto& fp = keys_[i].fingerprint;
      for (auto it = merged->lower_bound(HealthKey{fp}); it != merged->end() && it->first.fingerprint == fp; ++it) {
        if (it->first.model.empty()) raise(i, detail::encode(it->second.health, it->second.until), now);
        else keep_conservative(file_->models, it->first, it->second);
      }
    }
    return {};
  }

  // Hands a write to the writer thread. Never waits for the file.
  void schedule_write(WallTime now, std::string_view forget) {
    if (file_ && !file_->writer.request(now, forget))
      warn("key health was not saved (no thread could be started to write it); it is kept in memory and saved "
           "with the next change");
  }

  void stop_writer() noexcept {
    if (!file_) return;
    OpenFiles::instance().remove(file_.get());
    file_->writer.stop();
  }

  std::vector<Key> keys_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> words_;
  std::vector<std::size_t> by_provider_;
  std::function<void(std::string_view)> on_warning_;
  std::unique_ptr<std::mutex> sink_mutex_;
  std::function<void(std::string_view)> sink_;
  // Last: destroyed (its writer joined) while the keys and words it reads still exist.
  std::unique_ptr<Persisted> file_;
};

}  // namespace governed::keys
