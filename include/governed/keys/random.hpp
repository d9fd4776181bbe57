#pragma once
/// @file
/// `keys::random`: a usable key chosen uniformly at random.

#include <governed/family.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace governed::keys {

/// Every usable key equally likely, with no shared state at all: processes that cannot share a
/// round-robin turn (several workers over one Redis state) still spread evenly. The draw is the
/// call walk's `Random`, so a seeded test sees the same keys every run.
struct random {
  using family = governed::family::keys;

  std::optional<std::size_t> pick(std::span<const KeyView> keys, Instant now, Random& rng,
                                  AvoidAccount avoid = std::nullopt) const noexcept {
    std::uint64_t count = 0;
    for (const auto& k : keys) count += usable(k, now, avoid) ? 1 : 0;
    if (count == 0) return std::nullopt;
    std::uint64_t target = rng.below(count);
    for (const auto& k : keys) {
      if (!usable(k, now, avoid)) continue;
      if (target == 0) return k.index;
      --target;
    }
    return std::nullopt;
  }

  void failed(std::size_t /*index*/) noexcept {}
};

}  // namespace governed::keys
