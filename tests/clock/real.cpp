#include <governed/clock/steady.hpp>
#include <governed/clock/coarse.hpp>
#include <governed/clock/scaled.hpp>
#include <governed/clock/async_wait.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>

using namespace std::chrono_literals;
using governed::Instant;

// These clocks follow real time: the tests check direction and agreement, never durations
// that a loaded machine could stretch.

TEMPLATE_TEST_CASE("real clocks are monotonic and agree with steady_clock", "[clock]",
                   governed::clock::steady, governed::clock::coarse) {
  TestType c;
  Instant prev = c.now();
  for (int i = 0; i < 10000; ++i) {
    const Instant t = c.now();
    REQUIRE(t >= prev);
    prev = t;
  }
  // Same time line as CLOCK_MONOTONIC: within a few ticks of steady_clock.
  const auto steady = std::chrono::steady_clock::now().time_since_epoch();
  CHECK(std::chrono::abs(c.now().time_since_epoch() - steady) < 50ms);
  CHECK(std::chrono::abs(c.wall_now() - std::chrono::time_point_cast<governed::Duration>(
                                            std::chrono::system_clock::now())) < 50ms);
}

TEST_CASE("steady sleep_until a past instant returns at once", "[clock]") {
  governed::clock::steady c;
  const auto before = std::chrono::steady_clock::now();
  c.sleep_until(c.now() - 1s);
  CHECK(std::chrono::steady_clock::now() - before < 500ms);
}

TEST_CASE("steady async wait can be cancelled through the handler's slot", "[clock][asio]") {
  boost::asio::io_context io;
  governed::clock::steady c;
  boost::asio::cancellation_signal signal;
  boost::system::error_code got;
  c.async_wait_until(io.get_executor(), c.now() + 1h,
                     boost::asio::bind_cancellation_slot(signal.slot(),
                                                         [&](boost::system::error_code ec) { got = ec; }));
  io.poll();
  signal.emit(boost::asio::cancellation_type::terminal);
  io.run_for(5s);
  CHECK(got == boost::asio::error::operation_aborted);
}

TEST_CASE("scaled time runs factor times faster than real time", "[clock]") {
  governed::clock::scaled c{1000.0, Instant{}};
  const auto real0 = std::chrono::steady_clock::now();
  const Instant t0 = c.now();
  // Sleep one scaled second: one real millisecond.
  c.sleep_until(t0 + 1s);
  const auto real = std::chrono::steady_clock::now() - real0;
  CHECK(c.now() - t0 >= 1s);
  CHECK(real >= 1ms);
  CHECK(real < 1s);  // far below what an unscaled second would take
  CHECK(c.factor() == 1000.0);
}

TEST_CASE("scaled clock reads a nonsensical factor as 1", "[clock]") {
  CHECK(governed::clock::scaled{0.0}.factor() == 1.0);
  CHECK(governed::clock::scaled{-3.0}.factor() == 1.0);
  CHECK(governed::clock::scaled{std::numeric_limits<double>::quiet_NaN()}.factor() == 1.0);
}

TEST_CASE("a scaled clock built from another's origin reads what the other reads", "[clock]") {
  // What a replica of a time-scaled run does with the origin its parent passed it.
  const governed::clock::scaled parent{60.0, Instant{5s}};
  const governed::clock::scaled replica{parent.factor(), parent.real_origin(), Instant{5s}, parent.wall_start()};
  // Read in between two reads of the parent: the replica can not be outside them.
  const Instant before = parent.now();
  const Instant seen = replica.now();
  const Instant after = parent.now();
  CHECK(seen >= before);
  CHECK(seen <= after);
  CHECK(replica.wall_start() == parent.wall_start());
  // A clock that only shares the factor starts where it is made, on its own origin.
  const governed::clock::scaled stranger{60.0, Instant{5s}};
  CHECK(stranger.real_origin() > parent.real_origin());
}
