#pragma once
/// @file
/// `clock::steady`: std::chrono::steady_clock, the default clock and the one to benchmark on.

#include <governed/clock/detail/steady_point.hpp>
#include <governed/family.hpp>
#include <governed/time.hpp>

#include <chrono>
#include <thread>

namespace governed::clock {

/// Real monotonic time (CLOCK_MONOTONIC through std::chrono::steady_clock; about 20–25 ns a
/// read through the vDSO) and real UTC.
class steady {
 public:
  using family = governed::family::clock;
  /// Its instants are the host's CLOCK_MONOTONIC, as every other process's (see `real_time_v`).
  static constexpr bool is_real_time = true;

  Instant now() const noexcept { return Instant{std::chrono::steady_clock::now().time_since_epoch()}; }

  WallTime wall_now() const noexcept {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
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
