#pragma once
/// @file
/// `keys::least_loaded`: the usable key with the most headroom.

#include <governed/family.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>

#include <cstddef>
#include <optional>
#include <span>

namespace governed::keys {

/// The key whose limit set has the most left (`KeyView::headroom`, e.g. 0.8 when 80 % of the
/// tightest dimension's burst is available). Keys of different accounts fill evenly, so no
/// account hits its limit while another idles. Equal headroom — every key fresh, all at 1.0 —
/// is broken at random (reservoir sampling, one pass), so a fleet of fresh processes does not
/// pile onto the first key.
struct least_loaded {
  using family = governed::family::keys;
  /// It reads `KeyView::headroom`, so the walk fills it (see `LoadAware`).
  static constexpr bool load_aware = true;

  std::optional<std::size_t> pick(std::span<const KeyView> keys, Instant now, Random& rng,
                                  AvoidAccount avoid = std::nullopt) const noexcept {
    std::optional<std::size_t> best;
    double best_headroom = -1.0;
    std::uint64_t ties = 0;
    for (const auto& k : keys) {
      if (!usable(k, now, avoid)) continue;
      const double h = detail::clean_headroom(k.headroom);
      if (h > best_headroom) {
        best = k.index;
        best_headroom = h;
        ties = 1;
      } else if (h == best_headroom && rng.below(++ties) == 0) {
        best = k.index;  // each of the t tied keys ends up chosen with probability 1/t
      }
    }
    return best;
  }

  void failed(std::size_t /*index*/) noexcept {}
};

}  // namespace governed::keys
