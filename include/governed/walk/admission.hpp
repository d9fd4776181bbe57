#pragma once
/// @file
/// The walk's admission step, its arithmetic: how long a call may wait for a candidate's limit
/// set (`Patience`), what a limit set's answer asks of it (`admission_wait`), and when a call
/// behind the head of a wait line wakes (`wake_behind`). The walk keeps its place in the line
/// and asks the set; these decide from the answers. tests/walk/admission.cpp drives them.

#include <governed/limit_set.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

namespace governed::walk {

/// How long a call may wait for admission on one candidate: until `until` (when it began
/// trying the candidate, plus its patience), and never past its `deadline`.
struct Patience {
  Instant until{};
  std::optional<Instant> deadline{};

  /// Whether waking at `at` is longer than the call may wait. The patience is compared to the
  /// microsecond, rounded down: limits count closed windows, so a cell that has to wait for
  /// one to pass is admitted 1 ns after it ends — a 1 RPM limit admits its second request
  /// 60 s + 1 ns after the first — and that nanosecond must not turn the inclusive 60 s cap
  /// into a fallback. No provider states, and no sleep keeps, a wait finer than that.
  constexpr bool exceeded_by(Instant at) const noexcept {
    return at > until && at - until >= std::chrono::microseconds{1};
  }

  /// Whether waking at `at` is too late: past the deadline (exact: past it the call has
  /// failed), or longer than the call may wait.
  constexpr bool too_late(Instant at) const noexcept { return (deadline && at > *deadline) || exceeded_by(at); }
};

/// The patience of a call that began trying a candidate at `began`: its own `max_wait` (a
/// negative one reads as 0), else the total-wait cap `cap`.
constexpr Patience patience(Instant began, std::optional<Duration> max_wait, Duration cap,
                            std::optional<Instant> deadline) noexcept {
  const Duration p = max_wait ? std::max(*max_wait, Duration{0}) : cap;
  return Patience{began + p, deadline};
}

/// The backoff's total-wait cap on one target, which is also a call's default admission
/// patience: the request's own (`requested`), else the configured one.
constexpr Duration total_wait_cap(std::optional<Duration> requested, Duration configured) noexcept {
  return requested ? *requested : configured;
}

/// What a limit set's answer `a` asks of the call: nothing (admitted: empty), a wait before it
/// asks again — the limit's own for a rate, `poll` for a concurrency slot, which frees when
/// another call ends rather than at a known time — or `Duration::max()` when waiting can not
/// help here (another process found the account's allowance spent).
constexpr std::optional<Duration> admission_wait(const Admission& a, Duration poll) noexcept {
  if (a.exhausted_until) return Duration::max();
  if (a.admitted) return std::nullopt;
  return a.bound == Dimension::concurrency ? poll : a.retry_after;
}

/// When a call behind the head of a wait line wakes at `t`: when the head tries next, or a
/// little later when the head is due now, so a waiter does not spin while the head runs.
constexpr Instant wake_behind(std::optional<Instant> head_wake, Instant t) noexcept {
  return head_wake && *head_wake > t ? *head_wake : t + std::chrono::milliseconds{1};
}

}  // namespace governed::walk
