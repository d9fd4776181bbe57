#pragma once
/// @file
/// What a clock policy provides. Every limiter, backoff and cooldown reads time through one.

#include <governed/family.hpp>
#include <governed/time.hpp>

#include <concepts>
#include <type_traits>

namespace governed::clock {

/// A clock policy: monotonic `now()` in integer nanoseconds (the limiters' time line),
/// `wall_now()` in UTC (provider resets, persisted times, `date` headers), a blocking
/// `sleep_until` and an Asio `async_wait_until(executor, instant, token)` completing with
/// `void(boost::system::error_code)`.
///
/// `now()` is noexcept and cheap: it is read on every admission.
template <class C>
concept Clock = std::same_as<typename C::family, family::clock> &&
                requires(C& c, const C& cc, Instant t) {
                  { cc.now() } noexcept -> std::same_as<Instant>;
                  { cc.wall_now() } noexcept -> std::same_as<WallTime>;
                  c.sleep_until(t);
                };

}  // namespace governed::clock
