#pragma once
/// @file
/// `keys::weighted`: usable keys in proportion to their configured weights.

#include <governed/family.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace governed::keys {

/// Key k with probability weight_k / Σ weight over the usable keys: weights 3 and 1 send 75 %
/// and 25 % of calls (a paid key beside a free-tier one, say). Skipped keys drop out of the sum,
/// so the remaining keys keep their proportions. Weight 0 marks a standby key: used only while
/// no key of positive weight is usable, then uniformly among the standbys. Random rather than
/// a smooth weighted round robin, because that needs a counter per key and the pool hands
/// over a different subset on every pick.
struct weighted {
  using family = governed::family::keys;

  std::optional<std::size_t> pick(std::span<const KeyView> keys, Instant now, Random& rng,
                                  AvoidAccount avoid = std::nullopt) const noexcept {
    std::uint64_t total = 0;  // at most 2^32 keys of weight < 2^32: no overflow
    std::uint64_t standby = 0;
    for (const auto& k : keys) {
      if (!usable(k, now, avoid)) continue;
      total += k.weight;
      standby += k.weight == 0 ? 1 : 0;
    }
    if (total == 0 && standby == 0) return std::nullopt;
    const bool uniform = total == 0;
    std::uint64_t draw = rng.below(uniform ? standby : total);
    for (const auto& k : keys) {
      if (!usable(k, now, avoid)) continue;
      const std::uint64_t share = uniform ? 1 : k.weight;
      if (draw < share) return k.index;
      draw -= share;
    }
    return std::nullopt;
  }

  void failed(std::size_t /*index*/) noexcept {}
};

}  // namespace governed::keys
