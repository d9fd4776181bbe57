#pragma once
/// @file
/// `keys::sticky`: the same key until it fails.

#include <governed/family.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>

#include <atomic>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>

namespace governed::keys {

/// Keeps using one key while it stays usable, so a provider's prompt cache and per-key
/// dashboards see one key; moves on when the key fails (`failed`), stops being usable (cooling,
/// exhausted, invalid), or belongs to the avoided account. It moves to the next usable key
/// after the old one in the candidates' order (wrapping), so a recovered first key does not
/// pull every process back onto it.
///
/// The current key is one atomic. Threads that find it unusable at the same moment all
/// propose a successor; one compare-and-swap wins and the others follow it, so the process
/// settles on one key.
class sticky {
 public:
  using family = governed::family::keys;

  sticky() = default;
  sticky(const sticky& o) noexcept : current_(o.current_.load(std::memory_order_relaxed)) {}
  sticky& operator=(const sticky& o) noexcept {
    current_.store(o.current_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }

  std::optional<std::size_t> pick(std::span<const KeyView> keys, Instant now, Random& /*unused*/,
                                  AvoidAccount avoid = std::nullopt) noexcept {
    // Relaxed throughout: the value is an index into the caller's own snapshot and guards no
    // other memory.
    std::size_t cur = current_.load(std::memory_order_relaxed);
    const std::size_t at = position_of(keys, cur & ~failed_bit);
    if ((cur & failed_bit) == 0 && at < keys.size() && usable(keys[at], now, avoid)) return cur;
    // The next usable key after the current one's position (from the start if it is gone).
    const std::size_t start = at < keys.size() ? at + 1 : 0;
    std::optional<std::size_t> next;
    for (std::size_t i = 0; i < keys.size() && !next; ++i) {
      const KeyView& k = keys[(start + i) % keys.size()];
      if (usable(k, now, avoid)) next = k.index;
    }
    if (!next) return std::nullopt;
    if (current_.compare_exchange_strong(cur, *next, std::memory_order_relaxed)) return next;
    // Another thread moved first: follow it if its choice is usable here.
    const std::size_t theirs = position_of(keys, cur & ~failed_bit);
    if ((cur & failed_bit) == 0 && theirs < keys.size() && usable(keys[theirs], now, avoid)) return cur;
    return next;
  }

  /// A call on `index` failed: the next pick moves on, even if the pool still shows it healthy
  /// (a 5xx on that key, say).
  void failed(std::size_t index) noexcept {
    std::size_t expected = index;
    // Marked rather than cleared, so the next pick still knows where to continue from.
    current_.compare_exchange_strong(expected, index | failed_bit, std::memory_order_relaxed);
  }

  /// The key stuck to, if any.
  std::optional<std::size_t> current() const noexcept {
    const std::size_t c = current_.load(std::memory_order_relaxed);
    return (c & failed_bit) != 0 ? std::nullopt : std::optional<std::size_t>{c};
  }

 private:
  /// Set on the current key once it failed: where to move on from, no longer to stick to.
  /// Pool indices are small; the top bit is never one of theirs.
  static constexpr std::size_t failed_bit = ~(std::numeric_limits<std::size_t>::max() >> 1);
  /// No key yet: flagged, and its index matches no candidate, so the first pick starts at 0.
  static constexpr std::size_t no_key = std::numeric_limits<std::size_t>::max();

  static std::size_t position_of(std::span<const KeyView> keys, std::size_t index) noexcept {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i].index == index) return i;
    return keys.size();
  }

  std::atomic<std::size_t> current_{no_key};
};

}  // namespace governed::keys
