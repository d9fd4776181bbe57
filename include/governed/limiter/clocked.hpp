#pragma once
/// @file
/// `limiter::clocked<L, Clock>`: a limiter bound to a clock, for callers who want
/// `try_acquire(n)` without passing the time.

#include <governed/clock/concept.hpp>
#include <governed/limiter/concept.hpp>

#include <cstdint>

namespace governed::limiter {

/// Reads the clock once per call and forwards. Holds a reference to the clock: the clock
/// outlives the limiter (a `State` owns both).
///
/// ```cpp
/// governed::clock::steady clk;
/// governed::limiter::clocked<governed::limiter::gcra, governed::clock::steady> rpm{
///     {60, std::chrono::minutes{1}, 1}, clk};
/// if (auto d = rpm.try_acquire(); !d) wait(d.retry_after);
/// ```
template <RateLimiter L, clock::Clock Clock>
class clocked {
 public:
  clocked(const Limit& limit, Clock& clock) : limiter_(limit), clock_(clock) {}

  Decision try_acquire(std::uint64_t n = 1) { return limiter_.try_acquire(n, clock_.now()); }
  Decision peek(std::uint64_t n = 1) const { return limiter_.peek(n, clock_.now()); }
  Result<Reservation> reserve(std::uint64_t n = 1) { return limiter_.reserve(n, clock_.now()); }
  void cancel(const Reservation& r) { limiter_.cancel(r, clock_.now()); }
  void refund(std::uint64_t n, Instant stamp) { limiter_.refund(n, stamp, clock_.now()); }
  void consume(std::uint64_t n) { limiter_.consume(n, clock_.now()); }
  void sync(std::uint64_t remaining, Duration reset_after) {
    limiter_.sync(remaining, reset_after, clock_.now());
  }
  std::uint64_t available() const { return limiter_.available(clock_.now()); }
  const Limit& limit() const noexcept { return limiter_.limit(); }

  L& get() noexcept { return limiter_; }
  Clock& clock() noexcept { return clock_; }

 private:
  L limiter_;
  Clock& clock_;
};

}  // namespace governed::limiter
