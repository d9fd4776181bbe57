#pragma once
/// @file
/// `keys::KeyView`: what a key selection policy sees of one candidate key — never the secret.

#include <governed/keys/health.hpp>
#include <governed/time.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace governed::keys {

/// One candidate key, as the pool lays it out for a pick. The policy answers with `index`, so
/// the pool may hand over any subset of its keys, in any order: the order is the preference
/// where a policy needs a tie broken (sticky starts at the first, least_loaded prefers none).
struct KeyView {
  /// The pool's index of the key; what `pick` returns.
  std::size_t index = 0;
  /// The account (organisation/project) the key belongs to. Providers limit accounts, so two
  /// keys of one account share one quota.
  std::string_view account{};
  KeyHealth health = KeyHealth::healthy;
  /// For `cooling` and `exhausted`: the instant the key is usable again. By default never: a
  /// state handed over without an end (a pool view already resolved at `now`) holds for the
  /// whole pick rather than lapsing by accident.
  Instant until = instant_max;
  /// For `weighted`: the key's share of calls relative to the others (0: only when no
  /// weighted key is usable).
  std::uint32_t weight = 1;
  /// For `least_loaded`: the fraction of the key's limit set still available, in [0, 1] —
  /// e.g. the smallest available/burst over its dimensions.
  double headroom = 1.0;
};

/// The account to steer away from: after a daily or billing exhaustion the walk passes the
/// exhausted key's account, and its sibling keys — which share the spent quota — are skipped.
using AvoidAccount = std::optional<std::string_view>;

/// Whether a policy may pick `k` at `now`: healthy, or cooling/exhausted whose `until` has
/// passed (a state expires on its own: `until` ≤ now is usable), never invalid, and never a key
/// of the avoided account.
constexpr bool usable(const KeyView& k, Instant now, AvoidAccount avoid = std::nullopt) noexcept {
  if (avoid && k.account == *avoid) return false;
  switch (k.health) {
    case KeyHealth::healthy: return true;
    case KeyHealth::cooling:
    case KeyHealth::exhausted: return k.until <= now;
    case KeyHealth::invalid: return false;
  }
  return false;
}

namespace detail {

/// Headroom as a comparable number: NaN reads as 0 (a broken figure is no reason to prefer a
/// key), and values outside [0, 1] are clamped.
constexpr double clean_headroom(double h) noexcept {
  if (!(h > 0.0)) return 0.0;  // NaN and negatives
  return h > 1.0 ? 1.0 : h;
}

}  // namespace detail

}  // namespace governed::keys
