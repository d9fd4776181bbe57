#pragma once
/// @file
/// `backoff::full_jitter`: a uniform wait between nothing and the exponential curve.

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

/// wait_k = uniform[0, clamp(base · factor^k, min, max)] — "Full Jitter" from AWS's
/// "Exponential Backoff and Jitter" (Brooker, 2015), the same as tenacity's
/// `wait_random_exponential`. In AWS's simulation of contending clients it did the least total
/// work of the schemes compared, because it spreads retries over the whole interval. The price
/// is that a single retry may come almost at once (the floor `min` bounds the curve, not the
/// draw), so it suits many clients sharing a limit; one process alone is better served by
/// `exponential`.
///
/// With the defaults the k-th wait is uniform in [0, 4 s], [0, 8 s], [0, 16 s], [0, 32 s]:
/// 30 s expected over four retries, at most 60 s.
struct full_jitter {
  using family = governed::family::backoff;

  Duration base = std::chrono::seconds{2};
  double factor = 2.0;
  Duration min = std::chrono::seconds{4};
  Duration max = std::chrono::seconds{60};
  std::uint32_t attempts = 5;

  constexpr std::uint32_t max_attempts() const noexcept { return detail::at_least_one(attempts); }

  std::optional<Duration> next(const RetryState& s, Random& rng) const noexcept {
    if (s.attempt >= max_attempts()) return std::nullopt;
    const Duration top = detail::exponential_wait(base, factor, s.attempt == 0 ? 1 : s.attempt, {min, max});
    return rng.between(Duration{0}, top);
  }

  Result<void> validate() const {
    if (auto r = detail::check_span("full_jitter", "base", base); !r) return r;
    if (auto r = detail::check_factor("full_jitter", factor); !r) return r;
    return detail::check_bounds("full_jitter", min, max, attempts);
  }
};

}  // namespace governed::backoff
