// Which clocks run in real time: said by each clock, so a user's clock is asked, not named.
// A State on a real-time clock lets a shared store keep the time by its own clock; on any
// other (a test's, a simulation's) it sends its instants as the time.
#include <governed/clock/concept.hpp>

#include <governed/clock.hpp>
#include <governed/state.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using namespace governed;

namespace {

/// A user's clock that says nothing about real time: taken as not real time.
struct silent_clock {
  using family = governed::family::clock;
  Instant now() const noexcept { return Instant{}; }
  WallTime wall_now() const noexcept { return WallTime{}; }
  void sleep_until(Instant) const {}
};

/// A user's clock over the host's monotonic time, which says so.
struct host_clock : silent_clock {
  static constexpr bool is_real_time = true;
};

}  // namespace

TEST_CASE("real time: steady and coarse run in real time, manual and scaled do not", "[clock][real_time]") {
  STATIC_REQUIRE(clock::real_time_v<clock::steady>);
  STATIC_REQUIRE(clock::real_time_v<clock::coarse>);
  STATIC_REQUIRE_FALSE(clock::real_time_v<clock::manual>);
  STATIC_REQUIRE_FALSE(clock::real_time_v<clock::scaled>);
}

TEST_CASE("real time: a user's clock is real time only when it says so", "[clock][real_time]") {
  STATIC_REQUIRE(clock::Clock<silent_clock>);
  STATIC_REQUIRE_FALSE(clock::real_time_v<silent_clock>);
  STATIC_REQUIRE(clock::real_time_v<host_clock>);
}

TEST_CASE("real time: a State's clock decides whether a shared store keeps its own time", "[clock][real_time]") {
  STATIC_REQUIRE(State<>::real_time);
  STATIC_REQUIRE(State<limiter::gcra, clock::coarse>::real_time);
  STATIC_REQUIRE_FALSE(State<limiter::gcra, clock::manual>::real_time);
  STATIC_REQUIRE(State<limiter::gcra, host_clock>::real_time);
  STATIC_REQUIRE_FALSE(State<limiter::gcra, silent_clock>::real_time);
}
