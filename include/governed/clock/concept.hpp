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
/// `void(boost::system::error_code)` (the built-in clocks define theirs in
/// clock/async_wait.hpp, so that reading time needs no Asio).
///
/// `now()` is noexcept and cheap: it is read on every admission.
template <class C>
concept Clock = std::same_as<typename C::family, family::clock> &&
                requires(C& c, const C& cc, Instant t) {
                  { cc.now() } noexcept -> std::same_as<Instant>;
                  { cc.wall_now() } noexcept -> std::same_as<WallTime>;
                  c.sleep_until(t);
                };

/// Whether clock `C` runs in real time: its instants advance with the seconds of the world, as
/// every other process's and a shared store's do, so a shared store may take the time from
/// its own clock. A clock says so with `static constexpr bool is_real_time = true;`
/// (`steady`, `coarse`); one that says nothing is not (`manual` and `scaled` say false, and a
/// user's clock — a test or simulation clock — is taken as not real time unless it says so),
/// so its instants are sent to the store as the time.
template <class C>
inline constexpr bool real_time_v = false;

template <class C>
  requires requires {
    { C::is_real_time } -> std::convertible_to<bool>;
  }
inline constexpr bool real_time_v<C> = C::is_real_time;

}  // namespace governed::clock
