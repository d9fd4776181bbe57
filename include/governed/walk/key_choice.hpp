#pragma once
/// @file
/// The walk's key choice, its rules apart from the State: a key whose model is cooling for its
/// account reads as cooling (`apply_cooldown`), a load-aware policy sees each key's headroom
/// (`headroom`), and when no key can be picked, which come back and when (`for_each_return`).

#include <governed/dimension.hpp>
#include <governed/keys/health.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>

namespace governed::walk {

/// `v`'s model cools for `v`'s account until `until` (none: it does not): a healthy key, or
/// one out for less long, reads as cooling until then.
constexpr void apply_cooldown(keys::KeyView& v, std::optional<Instant> until) noexcept {
  if (!until) return;
  if (v.health == keys::KeyHealth::healthy || v.until < *until) {
    v.health = keys::KeyHealth::cooling;
    v.until = *until;
  }
}

/// The fraction of `set`'s rate dimensions still available at `t`: the least of them, in [0, 1].
template <class Set>
double headroom(const Set& set, Instant t) {
  double h = 1.0;
  for (std::size_t i = 0; i < rate_dimensions; ++i) h = std::min(h, set.fill(static_cast<Dimension>(i), t));
  return h;
}

/// Of `views`, none of which could be picked at `t`: hands `back_in(wait)` the wait of every
/// key that comes back by itself (cooling or exhausted until a known instant; an invalid key
/// never does), and says whether any does.
template <class BackIn>
bool for_each_return(std::span<const keys::KeyView> views, Instant t, BackIn&& back_in) {
  bool any = false;
  for (const auto& v : views)
    if (v.health != keys::KeyHealth::invalid && v.until != instant_max && v.until > t) {
      back_in(v.until - t);
      any = true;
    }
  return any;
}

}  // namespace governed::walk
