#pragma once
/// @file
/// `Cooldowns`: targets every call site skips until a time the provider stated.

#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace governed {

/// What is cooling: a model at a provider, optionally only for one account (a daily limit on
/// one account does not cool the model for the others). An empty account means every account.
struct CooldownKey {
  std::string_view provider;
  std::string_view model;
  std::string_view account{};
};

/// One cooling target, as reported by `Cooldowns::active`.
struct Cooldown {
  std::string provider;
  std::string model;
  std::string account;
  Instant until{};
  std::string reason;  ///< the friendly text of the verdict that cooled it
};

/// Targets that every call site skips until their time has come — a model the walk gave up
/// on after the provider asked for 22 minutes is skipped by every other call for those 22
/// minutes, with no request sent to it. Entries expire on their own: a lookup compares with
/// `now`, and `cool` drops expired entries as it goes, so the table stays as small as what is
/// cooling.
///
/// Reads (every call, every candidate) take a shared lock; cooling (rare) takes it exclusively.
/// Most of the time nothing is cooling at all, so a read first looks at the number of entries
/// (one load) and takes no lock when there are none.
class Cooldowns {
 public:
  /// Cools `key` until `until`; an existing entry keeps the later of the two times.
  void cool(const CooldownKey& key, Instant until, std::string reason, Instant now) {
    std::unique_lock lk(m_);
    std::erase_if(entries_, [&](const Cooldown& c) { return c.until <= now; });
    for (auto& c : entries_) {
      if (c.provider == key.provider && c.model == key.model && c.account == key.account) {
        if (until > c.until) {
          c.until = until;
          c.reason = std::move(reason);
        }
        return counted();
      }
    }
    entries_.push_back(Cooldown{std::string(key.provider), std::string(key.model),
                                std::string(key.account), until, std::move(reason)});
    counted();
  }

  /// Until when `key` is cooling at `now`: its own entry, or its model's entry for every
  /// account. Empty when it may be tried.
  std::optional<Instant> cooling_until(const CooldownKey& key, Instant now) const {
    // A read that sees no entry is ordered before the `cool` that adds one, as if it had
    // taken the lock first: the same answer the lock would give.
    if (size_.load(std::memory_order_acquire) == 0) return std::nullopt;
    std::shared_lock lk(m_);
    std::optional<Instant> until;
    for (const auto& c : entries_) {
      if (c.until <= now || c.provider != key.provider || c.model != key.model) continue;
      if (!c.account.empty() && c.account != key.account) continue;
      if (!until || c.until > *until) until = c.until;
    }
    return until;
  }

  bool cooling(const CooldownKey& key, Instant now) const { return cooling_until(key, now).has_value(); }

  /// Ends a cooldown early (the user knows better, or a success proved it over).
  void clear(const CooldownKey& key) {
    std::unique_lock lk(m_);
    std::erase_if(entries_, [&](const Cooldown& c) {
      return c.provider == key.provider && c.model == key.model && c.account == key.account;
    });
    counted();
  }

  /// The entries still cooling at `now`, soonest to end first.
  std::vector<Cooldown> active(Instant now) const {
    std::shared_lock lk(m_);
    std::vector<Cooldown> out;
    for (const auto& c : entries_)
      if (c.until > now) out.push_back(c);
    std::sort(out.begin(), out.end(), [](const Cooldown& a, const Cooldown& b) { return a.until < b.until; });
    return out;
  }

  /// The soonest instant any entry ends after `now` (what "try again in …" reports when
  /// everything is cooling).
  std::optional<Instant> next_expiry(Instant now) const {
    std::shared_lock lk(m_);
    std::optional<Instant> soonest;
    for (const auto& c : entries_)
      if (c.until > now && (!soonest || c.until < *soonest)) soonest = c.until;
    return soonest;
  }

 private:
  /// Under the exclusive lock: publishes how many entries there are.
  void counted() noexcept { size_.store(entries_.size(), std::memory_order_release); }

  mutable std::shared_mutex m_;
  std::vector<Cooldown> entries_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace governed
