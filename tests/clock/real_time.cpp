// Which clocks run in real time: said by each clock, so a user's clock is asked, not named.
// A State on a real-time clock lets a shared store keep the time by its own clock; on any
// other (a test's, a simulation's) it sends its instants as the time.
#include <governed/clock/concept.hpp>

#include <governed/clock.hpp>
#include <governed/keys/health_file.hpp>
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

/// A State's configuration with one key and no key-health file.
StateConfig wall_test_config() {
  StateConfig c;
  c.keys.keys = {{"openai", "sk-wall-test-key-00000000000000000000", "org-wall"}};
  c.keys.persist = false;
  return c;
}

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

TEST_CASE("real time: a State on the steady clock tells the wall time from one reading of its own clock",
          "[clock][real_time]") {
  auto state = State<>::create(wall_test_config()).value();
  // Read twice more than a second apart in instants: each answer is the wall clock's, within
  // what passes between the readings here.
  for (int i = 0; i < 3; ++i) {
    const WallTime before = state->clock().wall_now();
    const WallTime at = state->wall_at(state->clock().now());
    const WallTime after = state->clock().wall_now();
    CHECK(at >= before - std::chrono::milliseconds{5});
    CHECK(at <= after + std::chrono::milliseconds{5});
  }
  // An instant two seconds on (never read by the clock) is told two seconds on, by the offset
  // read for it.
  const Instant now = state->clock().now();
  const WallTime w0 = state->wall_at(now);
  const WallTime w2 = state->wall_at(now + std::chrono::seconds{2});
  CHECK(w2 - w0 >= std::chrono::milliseconds{1995});
  CHECK(w2 - w0 <= std::chrono::milliseconds{2005});
}

TEST_CASE("real time: a State on the manual clock asks the clock's own wall time, which a test may set",
          "[clock][real_time]") {
  clock::manual c;
  auto state = State<limiter::gcra, clock::manual>::create(wall_test_config(), c).value();
  const WallTime first = state->wall_at(c.now());
  CHECK(first == c.wall_now());
  // A wall time set apart from the monotonic time is what the State tells, at once.
  c.set_wall(first + std::chrono::hours{30});
  CHECK(state->wall_at(c.now()) == first + std::chrono::hours{30});
}
