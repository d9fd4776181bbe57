#pragma once
/// @file
/// `backoff::equal_jitter`: half the exponential curve for certain, half at random.

#include <governed/backoff/curve.hpp>
#include <governed/backoff/retry_state.hpp>
#include <governed/family.hpp>
#include <governed/random.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace governed::backoff {

/// wait_k = e/2 + uniform[0, e/2] with e = clamp(base · factor^k, min, max) — AWS's "Equal
/// Jitter". Every wait is at least half the curve, so a retry never comes right after the
/// failure (as full jitter's can), yet clients still spread over the upper half. Expected wait
/// is 3/4 of the curve: 3, 6, 12, 24 s with the defaults, each within [e/2, e].
struct equal_jitter {
  using family = governed::family::backoff;

  Duration base = std::chrono::seconds{2};
  double factor = 2.0;
  Duration min = std::chrono::seconds{4};
  Duration max = std::chrono::seconds{60};
  std::uint32_t attempts = 5;

  constexpr std::uint32_t max_attempts() const noexcept { return detail::at_least_one(attempts); }

  std::optional<Duration> next(const RetryState& s, Random& rng) const noexcept {
    if (s.attempt >= max_attempts()) return std::nullopt;
    const Duration e = detail::exponential_wait(base, factor, s.attempt == 0 ? 1 : s.attempt, {min, max});
    const Duration half = e / 2;
    // e - half, not half again: for an odd count of nanoseconds the sum still reaches e.
    return half + rng.between(Duration{0}, e - half);
  }

  Result<void> validate() const {
    if (auto r = detail::check_span("equal_jitter", "base", base); !r) return r;
    if (auto r = detail::check_factor("equal_jitter", factor); !r) return r;
    return detail::check_bounds("equal_jitter", min, max, attempts);
  }
};

}  // namespace governed::backoff
