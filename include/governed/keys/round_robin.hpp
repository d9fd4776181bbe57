#pragma once
/// @file
/// `keys::round_robin`: each usable key in turn.

#include <governed/family.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace governed::keys {

/// Pick n takes the (n mod u)-th of the u usable keys. The turn is one atomic counter, so
/// threads sharing the policy still share the turns out evenly: 4 threads × 10 000 picks over
/// 8 healthy keys give every key exactly 5 000. Counting among the usable keys (not the
/// positions) keeps that true while keys are skipped: with key 2 of 4 cooling, keys 1, 3 and 4
/// each get a third, where stepping over the skipped position would give key 3 half.
class round_robin {
 public:
  using family = governed::family::keys;

  round_robin() = default;
  /// Copies take the turn as it stands, so a policy can be held by value.
  round_robin(const round_robin& o) noexcept : turn_(o.turn_.load(std::memory_order_relaxed)) {}
  round_robin& operator=(const round_robin& o) noexcept {
    turn_.store(o.turn_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }

  std::optional<std::size_t> pick(std::span<const KeyView> keys, Instant now, Random& /*unused*/,
                                  AvoidAccount avoid = std::nullopt) noexcept {
    std::size_t count = 0;
    for (const auto& k : keys) count += usable(k, now, avoid) ? 1 : 0;
    if (count == 0) return std::nullopt;
    // Relaxed: the counter only hands out turns; it publishes no other memory.
    std::size_t target = static_cast<std::size_t>(turn_.fetch_add(1, std::memory_order_relaxed) % count);
    for (const auto& k : keys) {
      if (!usable(k, now, avoid)) continue;
      if (target == 0) return k.index;
      --target;
    }
    return std::nullopt;  // the keys are the caller's snapshot: it can not change under us
  }

  void failed(std::size_t /*index*/) noexcept {}

 private:
  std::atomic<std::uint64_t> turn_{0};
};

}  // namespace governed::keys
