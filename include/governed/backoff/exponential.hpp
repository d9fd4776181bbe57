#pragma once
/// @file
/// `backoff::exponential`: waits that double (by default) after each failure, clamped.

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

/// wait_k = clamp(base · factor^k, min, max) for retry k = 1 … attempts − 1.
///
/// The defaults — base 2 s, factor 2, min 4 s, max 60 s, 5 attempts — wait exactly 4, 8, 16
/// and 32 s: 60 s in all, which is the default total-wait cap, and a per-minute window has
/// rolled over by the last retry. The OpenAI SDKs start lower (0.5 s · 2^n, capped at 8 s,
/// minus up to 25 % jitter) because they retry every error class; here a per-minute 429 is the
/// common case, and a retry within 4 s of it mostly meets the same full window.
///
/// Deterministic: the one to use when a single process calls a provider (no herd to spread);
/// with many clients retrying together, `full_jitter` or `decorrelated_jitter` spread them.
///
/// ```cpp
/// backoff::exponential slow{.base = std::chrono::seconds{5}, .max = std::chrono::minutes{2}};
/// ```
struct exponential {
  using family = governed::family::backoff;

  Duration base = std::chrono::seconds{2};
  double factor = 2.0;
  Duration min = std::chrono::seconds{4};
  Duration max = std::chrono::seconds{60};
  /// Attempts in all, the first call included: 5 means 4 retries.
  std::uint32_t attempts = 5;

  constexpr std::uint32_t max_attempts() const noexcept { return detail::at_least_one(attempts); }

  /// The wait after attempt `s.attempt` failed, or nothing when the attempts are spent. The
  /// `Random` is unused: the curve is exact.
  std::optional<Duration> next(const RetryState& s, Random& /*unused*/) const noexcept {
    if (s.attempt >= max_attempts()) return std::nullopt;
    return detail::exponential_wait(base, factor, s.attempt == 0 ? 1 : s.attempt, {min, max});
  }

  Result<void> validate() const {
    if (auto r = detail::check_span("exponential", "base", base); !r) return r;
    if (auto r = detail::check_factor("exponential", factor); !r) return r;
    return detail::check_bounds("exponential", min, max, attempts);
  }
};

}  // namespace governed::backoff
