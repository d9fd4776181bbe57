#pragma once
/// @file
/// `backoff::RetryState`: where a call walk stands when an attempt on one target has failed.

#include <governed/saturating.hpp>
#include <governed/time.hpp>

#include <cstdint>

namespace governed::backoff {

/// What every backoff policy decides from. A walk starts with `RetryState{}` (attempt 1 is
/// the first call), asks the policy after each failure, and moves on with `after(wait)`.
///
/// The defaults of `exponential` read: attempt 1 failed → wait 4 s; attempt 2 → 8 s;
/// 3 → 16 s; 4 → 32 s; attempt 5 failed → no wait, the attempts are spent.
struct RetryState {
  /// The attempt that just failed, from 1. Retry k is the wait after attempt k.
  std::uint32_t attempt = 1;
  /// The wait slept before the failed attempt (0 before the first retry). Decorrelated
  /// jitter grows from it; it is what was really slept, a provider's hint included.
  Duration last_wait{0};
  /// Everything slept so far on this target, for the total-wait cap.
  Duration waited{0};

  /// The state after sleeping `wait` and failing once more. Saturates: it never wraps.
  [[nodiscard]] constexpr RetryState after(Duration wait) const noexcept {
    const Duration slept = wait < Duration{0} ? Duration{0} : wait;
    return RetryState{attempt == UINT32_MAX ? attempt : attempt + 1, slept,
                      Duration{governed::detail::sat_add(waited.count(), slept.count())}};
  }

  friend constexpr bool operator==(const RetryState&, const RetryState&) = default;
};

}  // namespace governed::backoff
