#pragma once
/// @file
/// `clock::scaled`: real time sped up by a factor, so an hour of provider limits can be shown
/// in a minute.

#include <governed/family.hpp>
#include <governed/time.hpp>

#include <chrono>
#include <algorithm>
#include <cmath>
#include <thread>

namespace governed::clock {

/// Monotonic and wall time both run `factor` times faster than real time from the moment of
/// construction: with factor 60, `now()` advances one minute per real second, and
/// `sleep_until(now() + 60s)` sleeps one real second. A factor below 1 slows time down.
/// Factors that are not finite and positive are read as 1.
class scaled {
 public:
  using family = governed::family::clock;
  /// Its time runs `factor` times the world's (see `real_time_v`).
  static constexpr bool is_real_time = false;

  explicit scaled(double factor, Instant start = Instant{},
                  WallTime wall_start = std::chrono::time_point_cast<Duration>(
                      std::chrono::system_clock::now()))
      : factor_(std::isfinite(factor) && factor > 0 ? factor : 1.0),
        real_origin_(std::chrono::steady_clock::now()),
        start_(start),
        wall_start_(wall_start) {}

  /// A clock that reads the same as another one, in this or another process of the same host:
  /// `real_origin` and `wall_start` are the other clock's (`real_origin()`, `wall_start()`,
  /// passed over as nanosecond counts). `steady_clock` is CLOCK_MONOTONIC, one clock for every
  /// process of a host, so replicas of a time-scaled run agree on every instant — what limits
  /// shared in Redis need when the caller's instants are their time.
  scaled(double factor, std::chrono::steady_clock::time_point real_origin, Instant start, WallTime wall_start)
      : factor_(std::isfinite(factor) && factor > 0 ? factor : 1.0),
        real_origin_(real_origin),
        start_(start),
        wall_start_(wall_start) {}

  double factor() const noexcept { return factor_; }
  /// The real instant at which this clock read `start`.
  std::chrono::steady_clock::time_point real_origin() const noexcept { return real_origin_; }
  /// The wall time this clock read at `real_origin()`.
  WallTime wall_start() const noexcept { return wall_start_; }

  Instant now() const noexcept { return start_ + elapsed(); }

  WallTime wall_now() const noexcept { return wall_start_ + elapsed(); }

  void sleep_until(Instant t) const { std::this_thread::sleep_until(to_real(t)); }

  /// Completes with `void(boost::system::error_code)` at `t`; cancellable through the
  /// handler's cancellation slot (`operation_aborted`). Defined in clock/async_wait.hpp, which
  /// a caller that waits asynchronously includes: this header stays free of Asio.
  template <class Executor, class Token>
  auto async_wait_until(const Executor& ex, Instant t, Token&& token) const;
  /// As above, with the executor's default completion token.
  template <class Executor>
  auto async_wait_until(const Executor& ex, Instant t) const;

 private:
  Duration elapsed() const noexcept {
    const auto real = std::chrono::steady_clock::now() - real_origin_;
    return Duration{static_cast<std::int64_t>(static_cast<double>(real.count()) * factor_)};
  }

  // The real steady instant at which scaled time reaches `t` (never before the origin).
  std::chrono::steady_clock::time_point to_real(Instant t) const noexcept {
    const double ahead = static_cast<double>((t - start_).count()) / factor_;
    if (!(ahead > 0)) return real_origin_;
    constexpr double cap = 1e17;  // ~3 years of real time: far enough to mean "never"
    return real_origin_ + std::chrono::nanoseconds{static_cast<std::int64_t>(std::min(ahead, cap))};
  }

  double factor_;
  std::chrono::steady_clock::time_point real_origin_;
  Instant start_;
  WallTime wall_start_;
};

}  // namespace governed::clock
