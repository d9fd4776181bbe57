#pragma once
/// @file
/// `limiter::stagger`: a minimum spacing between launches.

#include <governed/limiter/gcra.hpp>

namespace governed::limiter {

/// Launches at least `spacing` apart (a GCRA with burst 1 and T = spacing): a batch of agent
/// tasks that would all start at once, and all hit the provider's per-minute limit in the same
/// second, start 15 s apart instead. A spacing of zero admits everything.
class stagger {
 public:
  explicit stagger(Duration spacing) noexcept
      : spacing_(spacing), gcra_(Limit{1, spacing.count() > 0 ? spacing : Duration{1}, 1}) {}

  Decision try_acquire(Instant now) noexcept {
    if (spacing_.count() <= 0) return {Answer::admitted, Duration{0}, 1};
    return gcra_.try_acquire(1, now);
  }
  Decision peek(Instant now) const noexcept {
    if (spacing_.count() <= 0) return {Answer::admitted, Duration{0}, 1};
    return gcra_.peek(1, now);
  }
  Result<Reservation> reserve(Instant now) noexcept {
    if (spacing_.count() <= 0) return Reservation{now, 1, now};
    return gcra_.reserve(1, now);
  }
  void cancel(const Reservation& r, Instant now) noexcept {
    if (spacing_.count() > 0) gcra_.cancel(r, now);
  }

  Duration spacing() const noexcept { return spacing_; }
  bool enabled() const noexcept { return spacing_.count() > 0; }

 private:
  Duration spacing_;
  gcra gcra_;
};

}  // namespace governed::limiter
