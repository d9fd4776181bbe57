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

#include <governed/keys/fingerprint.hpp>
#include <governed/keys/health.hpp>
#include <governed/keys/health_store.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/providers/messages.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
  /// Keep exhausted and invalid keys out across restarts and across processes.
  bool persist = true;
  /// The health file; empty: `default_health_file()` ($XDG_CACHE_HOME/governed/key-health.json).
  std::optional<std::filesystem::path> state_file{};
  /// Told about a health file set aside, stray temporary files removed, or a write that
  /// failed. Called from whichever thread wrote; must be thread safe. Empty: ignored.
  std::function<void(std::string_view)> on_warning{};
};

/// What a key-selection policy sees of one key: never the key itself.
struct KeyCandidate {
  std::size_t index;             ///< the key's position in the pool (its configuration order)
  std::string_view account;      ///< its account; a key configured without one: its fingerprint
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

/// The key pool. Movable, not copyable; every member function is thread safe.
class Pool {
 public:
  /// Builds the pool and, when `persist` is on, loads the health file: keys exhausted or
  /// invalid in an earlier run (or in another process) stay out until their time.
  /// Errors: no keys, an empty key or provider, a zero weight, a key given twice
  /// (invalid_argument); a health file that can not be reached (io_error, naming the path).
  static Result<Pool> open(PoolConfig config, WallTime now) {
    if (config.keys.empty()) return fail(Errc::invalid_argument, "the key pool has no keys");
    Pool p;
    p.on_warning_ = std::move(config.on_warning);
    const std::size_t n = config.keys.size();
    p.keys_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
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
    p.words_ = std::make_unique<std::atomic<std::uint64_t>[]>(n);
    for (std::size_t i = 0; i < n; ++i) p.words_[i].store(0, std::memory_order_relaxed);
    // Keys grouped by provider, in configuration order: a provider's candidates are one span.
    p.by_provider_.resize(n);
    for (std::size_t i = 0; i < n; ++i) p.by_provider_[i] = i;
    std::stable_sort(p.by_provider_.begin(), p.by_provider_.end(),
                     [&](std::size_t a, std::size_t b) { return p.keys_[a].provider < p.keys_[b].provider; });
    if (config.persist) {
      auto file = config.state_file ? Result<std::filesystem::path>(*config.state_file) : default_health_file();
      if (!file) return tl::unexpected(file.error());
      p.store_.emplace(std::move(*file));
      if (auto r = p.refresh(now); !r) return tl::unexpected(r.error());
    }
    return p;
  }

  Pool(Pool&&) noexcept = default;
  Pool& operator=(Pool&&) noexcept = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  std::size_t size() const noexcept { return keys_.size(); }

  std::string_view provider(std::size_t i) const noexcept { return keys_[i].provider; }
  std::string_view account(std::size_t i) const noexcept { return keys_[i].account; }
  std::string_view fingerprint(std::size_t i) const noexcept { return keys_[i].fingerprint; }
  std::uint32_t weight(std::size_t i) const noexcept { return keys_[i].weight; }
  /// The key to send. Only a transport should ask; nothing else should hold it.
  std::string_view secret(std::size_t i) const noexcept { return keys_[i].key; }

  /// The health file, when the pool persists.
  std::optional<std::filesystem::path> state_file() const {
    return store_ ? std::optional(store_->file()) : std::nullopt;
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
  /// (`providers::next_daily_reset`), or `until_reset` for billing. Persisted. The in-memory
  /// mark always holds; an error means only that the file could not be written.
  Result<void> mark_exhausted(std::size_t i, WallTime until, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    const std::uint64_t w = detail::encode(KeyHealth::exhausted, until);
    for (std::size_t j = 0; j < keys_.size(); ++j)
      if (keys_[j].provider == keys_[i].provider && keys_[j].account == keys_[i].account) raise(j, w, now);
    return persist(now, {});
  }

  /// The provider refused key `i` itself (401, or an auth failure sent as 400): out for good.
  /// Persisted; an error means only that the file could not be written.
  Result<void> mark_invalid(std::size_t i, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    raise(i, detail::encode(KeyHealth::invalid, WallTime::max()), now);
    return persist(now, {});
  }

  /// A person says key `i` is good again (a billing top-up, a key re-enabled): healthy now, and
  /// removed from the health file. A process that still holds the old state in memory writes
  /// it back with its next write; restart it, or reset there too.
  Result<void> reset(std::size_t i, WallTime now) {
    if (auto r = check_index(i); !r) return r;
    words_[i].store(0, std::memory_order_release);
    const std::string fp = keys_[i].fingerprint;
    return persist(now, std::span<const std::string>(&fp, 1));
  }

  /// Merges this pool's states with the health file and takes in what other processes wrote.
  /// Nothing to do without persistence.
  Result<void> refresh(WallTime now) { return persist(now, {}); }

 private:
  struct Key {
    std::string provider, key, account, fingerprint;
    std::uint32_t weight;
  };

  Pool() : io_(std::make_unique<std::mutex>()) {}

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
      const KeyCandidate c = view(i, now);
      if (c.health != KeyHealth::healthy) out.emplace(keys_[i].fingerprint, HealthRecord{c.health, c.until, keys_[i].provider});
    }
    return out;
  }

  Result<void> persist(WallTime now, std::span<const std::string> forget) {
    if (!store_) return {};
    // One writer per pool at a time: the flock orders processes, this orders our threads, so
    // a burst of marks queues here instead of opening the lock file once each.
    std::lock_guard lk(*io_);
    std::vector<std::string> warnings;
    auto merged = store_->merge(snapshot(now), now, warnings, forget);
    for (const auto& w : warnings)
      if (on_warning_) on_warning_(w);
    if (!merged) {
      if (on_warning_) on_warning_(merged.error().message);
      return tl::unexpected(merged.error());
    }
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (auto it = merged->find(keys_[i].fingerprint); it != merged->end())
        raise(i, detail::encode(it->second.health, it->second.until), now);
    return {};
  }

  std::vector<Key> keys_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> words_;
  std::vector<std::size_t> by_provider_;
  std::optional<HealthStore> store_;
  std::function<void(std::string_view)> on_warning_;
  std::unique_ptr<std::mutex> io_;
};

}  // namespace governed::keys
