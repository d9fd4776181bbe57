#pragma once
/// @file
/// `limiter::none`: admits everything — the baseline of naive and retry-only clients.

#include <governed/family.hpp>
#include <governed/limiter/decision.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <cstdint>
#include <limits>
#include <string_view>

namespace governed::limiter {

/// Every request passes at once; the provider's 429s are the only limit. Useful to measure
/// what governing costs and to reproduce what ungoverned clients see.
class none {
 public:
  using family = governed::family::limiter;
  static constexpr std::string_view name = "none";
  static constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();

  explicit none(const Limit& limit = {}) noexcept : limit_(limit) {}

  static Result<Limit> derive(const PublishedLimit& p, const Headroom&) {
    return Limit{p.limit == 0 ? 1 : p.limit, p.window, unlimited};
  }

  Decision try_acquire(std::uint64_t, Instant now) const noexcept { return {Answer::admitted, Duration{0}, unlimited, now}; }
  Decision peek(std::uint64_t, Instant) const noexcept { return {Answer::admitted, Duration{0}, unlimited}; }
  Result<Reservation> reserve(std::uint64_t n, Instant now) const noexcept { return Reservation{now, n, now}; }
  void cancel(const Reservation&, Instant) const noexcept {}
  void refund(std::uint64_t, Instant, Instant) const noexcept {}
  void consume(std::uint64_t, Instant) const noexcept {}
  void sync(std::uint64_t, Duration, Instant) const noexcept {}
  std::uint64_t available(Instant) const noexcept { return unlimited; }
  const Limit& limit() const noexcept { return limit_; }

 private:
  Limit limit_;
};

}  // namespace governed::limiter
