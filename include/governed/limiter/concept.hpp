#pragma once
/// @file
/// The interface every rate limiter family shares.

#include <governed/family.hpp>
#include <governed/limiter/decision.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <concepts>
#include <cstdint>
#include <string_view>

namespace governed::limiter {

/// A rate limiter family: constructed from a `Limit`, it takes cells at an instant and says
/// when it would, gives cells back, adopts a provider's own count, and derives its `Limit` from
/// a published one so that no provider window is ever overrun.
///
/// Time is a parameter, never read inside: the same limiter runs on any clock, and `clocked`
/// binds one for callers who want `try_acquire(n)`.
template <class L>
concept RateLimiter =
    std::same_as<typename L::family, family::limiter> && std::constructible_from<L, const Limit&> &&
    requires(L& l, const L& cl, std::uint64_t n, Instant now, Duration d, const Reservation& r,
             const PublishedLimit& p, const Headroom& h) {
      { l.try_acquire(n, now) } -> std::same_as<Decision>;
      { cl.peek(n, now) } -> std::same_as<Decision>;
      { l.reserve(n, now) } -> std::same_as<Result<Reservation>>;
      l.cancel(r, now);
      l.refund(n, now, now);
      l.consume(n, now);
      l.sync(n, d, now);
      { cl.available(now) } -> std::same_as<std::uint64_t>;
      { cl.limit() } -> std::same_as<const Limit&>;
      { L::derive(p, h) } -> std::same_as<Result<Limit>>;
    };

/// The family's name for messages: `L::name` ("gcra", "token_bucket" …), or "a custom
/// limiter" for one that has none.
template <class L>
constexpr std::string_view name_of() noexcept {
  if constexpr (requires { std::string_view{L::name}; }) return L::name;
  else return "a custom limiter";
}

}  // namespace governed::limiter
