// The interface every rate limiter family shares: reservations, refunds, provider sync,
// capacity errors, clocks that step backwards and extreme rates.
#include <governed/limiter.hpp>

#include <catch2/catch.hpp>

#include <governed/clock/manual.hpp>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Errc;
using governed::Instant;
using namespace governed::limiter;

#define EVERY_FAMILY gcra, token_bucket, sliding_window, sliding_window_approx, fixed_window

namespace {
// A limit of 10 cells a minute, all of it available at once (burst 10), for every family.
const Limit ten_a_minute{10, 1min, 10};
}  // namespace

TEMPLATE_TEST_CASE("a request larger than the burst is an error at once, never a wait",
                   "[limiter][capacity]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  const Decision d = l.try_acquire(11, Instant{});
  CHECK(d.answer == Answer::exceeds_capacity);
  CHECK(l.peek(11, Instant{}).answer == Answer::exceeds_capacity);
  auto r = l.reserve(11, Instant{});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::exceeds_capacity);
  // Nothing was taken by the refusals.
  CHECK(l.available(Instant{}) == 10);
  CHECK(l.try_acquire(10, Instant{}).admitted());
}

namespace {
// 6 a minute, a burst of 4, and single requests of up to 10 (the published limit): 5 to 10
// cells are oversized for the rate families, 7 to 10 for the window families (6 a window).
const Limit oversized_ten{6, 1min, 4, 10};
}  // namespace

TEMPLATE_TEST_CASE("a request above the burst but within the largest waits for room, never an error",
                   "[limiter][oversized]", EVERY_FAMILY) {
  TestType l{oversized_ten};
  // An empty window serves it at once.
  REQUIRE(l.try_acquire(10, Instant{5s}).admitted());
  // Another waits until the first has left every window it could share with it: retry_after
  // says exactly when.
  const Decision d = l.try_acquire(10, Instant{5s});
  REQUIRE(d.answer == Answer::not_yet);
  CHECK(d.retry_after >= 1min);
  const Instant when = Instant{5s} + d.retry_after;
  CHECK_FALSE(l.peek(10, when - 1ns).admitted());
  CHECK_FALSE(l.try_acquire(10, when - 1ns).admitted());
  CHECK(l.peek(10, when).admitted());
  CHECK(l.try_acquire(10, when).admitted());
  // Above the largest is the only error.
  CHECK(l.try_acquire(11, when + 1h).answer == Answer::exceeds_capacity);
}

TEMPLATE_TEST_CASE("an oversized reservation gets the slot where it fits, and cancelling it loses nothing",
                   "[limiter][oversized][reserve]", EVERY_FAMILY) {
  TestType l{oversized_ten};
  REQUIRE(l.try_acquire(3, Instant{}).admitted());
  auto first = l.reserve(10, Instant{});
  REQUIRE(first);
  CHECK(first->ready_at > Instant{});
  // The slot is where a try_acquire would have been admitted.
  {
    TestType probe{oversized_ten};
    REQUIRE(probe.try_acquire(3, Instant{}).admitted());
    const Decision d = probe.try_acquire(10, Instant{});
    REQUIRE(d.answer == Answer::not_yet);
    CHECK(first->ready_at == Instant{} + d.retry_after);
  }
  // Nothing jumps ahead of it.
  CHECK_FALSE(l.try_acquire(1, first->ready_at - 1ns).admitted());
  l.cancel(*first, Instant{});
  auto again = l.reserve(10, Instant{});
  REQUIRE(again);
  CHECK(again->ready_at <= first->ready_at);
}

TEMPLATE_TEST_CASE("a request within the burst after an oversized one waits its turn",
                   "[limiter][oversized]", EVERY_FAMILY) {
  TestType l{oversized_ten};
  REQUIRE(l.try_acquire(10, Instant{}).admitted());
  const Decision d = l.try_acquire(1, Instant{});
  REQUIRE(d.answer == Answer::not_yet);
  const Instant when = Instant{} + d.retry_after;
  CHECK_FALSE(l.try_acquire(1, when - 1ns).admitted());
  CHECK(l.try_acquire(1, when).admitted());
}

TEMPLATE_TEST_CASE("a provider's remaining count holds back an oversized request above it",
                   "[limiter][oversized][sync]", EVERY_FAMILY) {
  TestType l{oversized_ten};
  l.sync(7, 30s, Instant{100s});  // room for the burst, but 7 left
  CHECK(l.peek(7, Instant{100s}).admitted());
  const Decision d = l.peek(8, Instant{100s});
  CHECK(d.answer == Answer::not_yet);
  CHECK(d.retry_after > Duration{0});
  CHECK(d.retry_after <= 30s);
}

TEMPLATE_TEST_CASE("try_acquire takes cells and reports what remains", "[limiter]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  const Decision a = l.try_acquire(4, Instant{});
  CHECK(a.admitted());
  CHECK(a.remaining == 6);
  CHECK(l.available(Instant{}) == 6);
  CHECK(l.peek(6, Instant{}).admitted());
  CHECK(l.available(Instant{}) == 6);  // peek takes nothing
  CHECK(l.try_acquire(6, Instant{}).admitted());
  const Decision refused = l.try_acquire(1, Instant{});
  CHECK(refused.answer == Answer::not_yet);
  CHECK(refused.retry_after > Duration{0});
  CHECK(refused.retry_after <= 2min);  // the two-window estimate may need most of two windows
}

TEMPLATE_TEST_CASE("a refusal's retry_after is when the request passes", "[limiter]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  REQUIRE(l.try_acquire(10, Instant{5s}).admitted());
  const Decision d = l.try_acquire(3, Instant{5s});
  REQUIRE(d.answer == Answer::not_yet);
  const Instant when = Instant{5s} + d.retry_after;
  CHECK_FALSE(l.peek(3, when - 1ns).admitted());
  CHECK(l.try_acquire(3, when).admitted());
}

TEMPLATE_TEST_CASE("reserve queues behind earlier reservations and cancel gives the cells back",
                   "[limiter][reserve]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  REQUIRE(l.try_acquire(10, Instant{}).admitted());
  auto first = l.reserve(5, Instant{});
  REQUIRE(first);
  CHECK(first->ready_at > Instant{});
  CHECK(first->wait(Instant{}) == first->ready_at - Instant{});
  auto second = l.reserve(5, Instant{});
  REQUIRE(second);
  CHECK(second->ready_at >= first->ready_at);  // first come, first served
  // A newcomer can not jump the queue with try_acquire.
  CHECK_FALSE(l.try_acquire(1, first->ready_at - 1ns).admitted());
  // Both waits are abandoned: their cells come back, and a later request passes no later than
  // the first reservation would have.
  l.cancel(*second, Instant{});
  l.cancel(*first, Instant{});
  auto third = l.reserve(5, Instant{});
  REQUIRE(third);
  CHECK(third->ready_at <= first->ready_at);
}

TEMPLATE_TEST_CASE("a reservation that fits now is ready now", "[limiter][reserve]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  auto r = l.reserve(3, Instant{42s});
  REQUIRE(r);
  CHECK(r->ready_at == Instant{42s});
  CHECK(r->wait(Instant{42s}) == Duration{0});
  CHECK(l.available(Instant{42s}) == 7);
}

TEMPLATE_TEST_CASE("refund returns cells the estimate over-counted", "[limiter][refund]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  const Decision d = l.try_acquire(8, Instant{1s});
  REQUIRE(d.admitted());
  CHECK(l.available(Instant{1s}) == 2);
  l.refund(6, d.stamp, Instant{1s});  // the call used 2, not 8
  CHECK(l.available(Instant{1s}) == 8);
  // Refunds never create capacity beyond the burst.
  l.refund(100, d.stamp, Instant{1s});
  CHECK(l.available(Instant{1s}) <= 10);
}

TEMPLATE_TEST_CASE("a refund after the cells drained gives nothing the limit did not already",
                   "[limiter][refund]", gcra, token_bucket) {
  // Burst 10 at one cell a second. 10 cells at t = 0 (really 1), 10 more at t = 10 s when the
  // first ten have drained. Refunding the first nine at t = 10 s must not make room for nine
  // more: their slots are already in the past.
  TestType l{Limit{60, 1min, 10}};
  const Decision first = l.try_acquire(10, Instant{});
  REQUIRE(first.admitted());
  REQUIRE(l.try_acquire(10, Instant{10s}).admitted());
  l.refund(9, first.stamp, Instant{10s});
  CHECK(l.available(Instant{10s}) == 0);
  CHECK_FALSE(l.try_acquire(1, Instant{10s}).admitted());
}

TEMPLATE_TEST_CASE("consume takes cells beyond the limit as a debt later requests wait out",
                   "[limiter][consume]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  REQUIRE(l.try_acquire(5, Instant{}).admitted());
  l.consume(9, Instant{});  // the call used 14, not 5
  CHECK(l.available(Instant{}) == 0);
  const Decision d = l.try_acquire(1, Instant{});
  CHECK(d.answer == Answer::not_yet);
}

TEMPLATE_TEST_CASE("sync adopts a provider's count only when it is more conservative",
                   "[limiter][sync]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  l.sync(3, 30s, Instant{});  // the provider says 3 left
  CHECK(l.available(Instant{}) <= 3);
  CHECK(l.try_acquire(3, Instant{}).admitted());
  CHECK_FALSE(l.try_acquire(1, Instant{}).admitted());

  TestType generous{ten_a_minute};
  generous.sync(1000, 30s, Instant{});  // more than we would allow: ignored
  CHECK(generous.available(Instant{}) == 10);
}

TEMPLATE_TEST_CASE("sync with nothing remaining holds every request until the reset",
                   "[limiter][sync]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  l.sync(0, 20s, Instant{100s});
  const Decision d = l.try_acquire(1, Instant{100s});
  CHECK(d.answer == Answer::not_yet);
  CHECK(d.retry_after >= 20s);
  CHECK_FALSE(l.try_acquire(1, Instant{119s}).admitted());
  const Instant ok = Instant{100s} + d.retry_after;
  CHECK(l.try_acquire(1, ok).admitted());
}

TEMPLATE_TEST_CASE("a clock that steps backwards never admits more", "[limiter][clock]", EVERY_FAMILY) {
  TestType l{ten_a_minute};
  REQUIRE(l.try_acquire(10, Instant{1h}).admitted());
  // The clock jumps back a day: nothing was returned by it.
  CHECK_FALSE(l.try_acquire(1, Instant{1h - 24h}).admitted());
  CHECK_FALSE(l.try_acquire(1, Instant{1h - 1s}).admitted());
  CHECK(l.available(Instant{1h - 24h}) == 0);
  // And time going forward again restores service.
  CHECK(l.try_acquire(1, Instant{1h + 2min}).admitted());
}

TEMPLATE_TEST_CASE("extreme rates, huge costs and the ends of time stay defined", "[limiter][extreme]",
                   EVERY_FAMILY) {
  SECTION("a billion a second") {
    TestType l{Limit{1'000'000'000, 1s, 1'000'000'000}};
    CHECK(l.try_acquire(1'000'000'000, Instant{}).admitted());
    CHECK_FALSE(l.try_acquire(1'000'000'000, Instant{}).admitted());
    CHECK(l.try_acquire(1'000'000'000, Instant{2s + 1ns}).admitted());
  }
  SECTION("one a day") {
    TestType l{Limit{1, 24h, 1}};
    CHECK(l.try_acquire(1, Instant{}).admitted());
    const Decision d = l.try_acquire(1, Instant{1h});
    CHECK(d.answer == Answer::not_yet);
    CHECK(d.retry_after >= 23h - 1s);
    CHECK(d.retry_after <= 47h);
  }
  SECTION("costs near 2^64") {
    TestType l{Limit{1, 24h, 1}};
    CHECK(l.try_acquire(UINT64_MAX, Instant{}).answer == Answer::exceeds_capacity);
    l.consume(UINT64_MAX / 2, Instant{});
    CHECK_FALSE(l.try_acquire(1, Instant{}).admitted());
    l.refund(UINT64_MAX, Instant{}, Instant{});
  }
  SECTION("instants near the ends of the time line") {
    TestType l{ten_a_minute};
    const Instant late{Duration{INT64_MAX - 1'000'000'000}};
    const Instant early{Duration{INT64_MIN + 1'000'000'000}};
    CHECK(l.try_acquire(1, early).admitted());
    CHECK(l.try_acquire(1, late).admitted());
    l.try_acquire(9, late);
    const Decision d = l.try_acquire(5, late);
    CHECK(d.retry_after >= Duration{0});
  }
}

TEST_CASE("validate refuses limits no algorithm can run", "[limiter][limit]") {
  CHECK(validate(Limit{10, 1min, 5}));
  CHECK(validate(Limit{0, 1min, 1}).error().code == Errc::invalid_argument);
  CHECK(validate(Limit{10, 0s, 1}).error().code == Errc::invalid_argument);
  CHECK(validate(Limit{10, -1s, 1}).error().code == Errc::invalid_argument);
  CHECK(validate(Limit{10, 1min, 0}).error().code == Errc::invalid_argument);
  CHECK_FALSE(validate(Limit{1, 24h * 365, UINT64_MAX}));
}

TEST_CASE("clocked binds a limiter to a clock", "[limiter][clocked]") {
  governed::clock::manual clk{Instant{}, governed::clock::manual::default_wall_start, 0};
  clocked<gcra, governed::clock::manual> rpm{Limit{60, 1min, 1}, clk};
  CHECK(rpm.try_acquire().admitted());
  CHECK(rpm.try_acquire().retry_after == 1s);
  clk.advance(1s);
  CHECK(rpm.try_acquire().admitted());
  auto r = rpm.reserve();
  REQUIRE(r);
  CHECK(r->ready_at == Instant{2s});
  rpm.cancel(*r);
  CHECK(rpm.available() == 0);
  clk.advance(1s);
  CHECK(rpm.available() == 1);
}
