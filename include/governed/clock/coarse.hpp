#pragma once
/// @file
/// `clock::coarse`: CLOCK_MONOTONIC_COARSE, for callers who trade resolution for speed.

#include <governed/clock/detail/steady_point.hpp>
#include <governed/family.hpp>
#include <governed/time.hpp>

#include <chrono>
#include <thread>
#include <time.h>

namespace governed::clock {

/// The kernel's tick-resolution monotonic clock: a read costs a few nanoseconds instead of
/// about 20, but it advances only once a tick (1–4 ms), so many admissions share one instant.
/// Limiters stay exact in cells; only the time they see is rounded down to the tick. It runs on
/// the same time line as CLOCK_MONOTONIC, so waits use the steady timer directly.
class coarse {
 public:
  using family = governed::family::clock;
  /// Its instants are the host's CLOCK_MONOTONIC, a tick at a time (see `real_time_v`).
  static constexpr bool is_real_time = true;

  Instant now() const noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return Instant{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
  }

  WallTime wall_now() const noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return WallTime{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
  }

  void sleep_until(Instant t) const { std::this_thread::sleep_until(detail::steady_point(t)); }

  /// Completes with `void(boost::system::error_code)` at `t`; cancellable through the
  /// handler's cancellation slot (`operation_aborted`). Defined in clock/async_wait.hpp, which
  /// a caller that waits asynchronously includes: this header stays free of Asio.
  template <class Executor, class Token>
  auto async_wait_until(const Executor& ex, Instant t, Token&& token) const;
  /// As above, with the executor's default completion token.
  template <class Executor>
  auto async_wait_until(const Executor& ex, Instant t) const;
};

}  // namespace governed::clock
