#pragma once
/// @file
/// `backoff::decorrelated_jitter`: each wait drawn from the last one.

#include <governed/backoff/curve.hpp>
#include <governed/backoff/retry_state.hpp>
#include <governed/saturating.hpp>
#include <governed/family.hpp>
#include <governed/random.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace governed::backoff {

/// wait = min(max, uniform[min, 3 · previous]), starting from previous = min — AWS's
/// "Decorrelated Jitter". The upper end grows about threefold per retry while the draw keeps
/// clients apart, and unlike full jitter no wait is shorter than `min`. Polly's
/// `DecorrelatedJitterBackoffV2` refines the same idea to keep the median on a curve; the plain
/// AWS form is kept here because its bounds are exact and easy to state.
///
/// "Previous" is `RetryState::last_wait`, what was really slept: after a provider's hint of
/// 20 s the next draw is from [min, 60 s]. With the defaults (min 4 s, max 60 s) the first wait
/// is uniform in [4 s, 12 s].
struct decorrelated_jitter {
  using family = governed::family::backoff;

  Duration min = std::chrono::seconds{4};
  Duration max = std::chrono::seconds{60};
  std::uint32_t attempts = 5;

  constexpr std::uint32_t max_attempts() const noexcept { return detail::at_least_one(attempts); }

  std::optional<Duration> next(const RetryState& s, Random& rng) const noexcept {
    if (s.attempt >= max_attempts()) return std::nullopt;
    const detail::Bounds b{min, max};
    const Duration previous = std::max(s.last_wait, b.lo);
    const Duration top{governed::detail::sat_mul(3, previous.count())};
    return std::min(b.hi, rng.between(b.lo, std::max(top, b.lo)));
  }

  Result<void> validate() const { return detail::check_bounds("decorrelated_jitter", min, max, attempts); }
};

}  // namespace governed::backoff
