// walk::BreakerSeat driven directly: one pass held per attempt, one report for it, and an open
// breaker answered with the instant its trial may go.
#include <governed/walk/breaker_seat.hpp>

#include <catch2/catch.hpp>

using namespace governed;
using namespace std::chrono_literals;
using providers::Kind;

namespace {

const Instant seat_t0 = Instant{} + 1000s;

ProviderBreakers seat_breakers() {
  BreakerConfig c;
  c.failures = 2;
  return ProviderBreakers::make(2, c).value();
}

}  // namespace

TEST_CASE("walk::BreakerSeat: a closed breaker lends a pass; a success gives it back", "[walk][breaker]") {
  auto b = seat_breakers();
  walk::BreakerSeat seat;
  CHECK_FALSE(seat.holding());
  CHECK_FALSE(seat.enter(b, 0, seat_t0));
  CHECK(seat.holding());
  CHECK_FALSE(seat.report(b, Kind::success, seat_t0));
  CHECK_FALSE(seat.holding());
}

TEST_CASE("walk::BreakerSeat: a provider outside the table has no breaker", "[walk][breaker]") {
  auto b = seat_breakers();
  walk::BreakerSeat seat;
  CHECK_FALSE(seat.enter(b, std::nullopt, seat_t0));
  CHECK_FALSE(seat.holding());
  CHECK_FALSE(walk::BreakerSeat::open_until(b, std::nullopt, seat_t0));
}

TEST_CASE("walk::BreakerSeat: failures open the breaker; then no pass, and the trial's instant", "[walk][breaker]") {
  auto b = seat_breakers();
  walk::BreakerSeat seat;
  std::optional<BreakerTransition> change;
  for (int i = 0; i < 2; ++i) {
    REQUIRE_FALSE(seat.enter(b, 1, seat_t0));
    change = seat.report(b, Kind::server_error, seat_t0);
  }
  REQUIRE(change);
  CHECK(change->kind == EventKind::breaker_opened);
  const auto open = walk::BreakerSeat::open_until(b, 1, seat_t0);
  REQUIRE(open);
  CHECK(*open == change->until);
  CHECK(seat.enter(b, 1, seat_t0) == open);
  CHECK_FALSE(seat.holding());
  // The other provider's breaker is closed.
  CHECK_FALSE(walk::BreakerSeat::open_until(b, 0, seat_t0));
}

TEST_CASE("walk::BreakerSeat: a verdict that says nothing of the provider gives the pass back", "[walk][breaker]") {
  auto b = seat_breakers();
  walk::BreakerSeat seat;
  for (int i = 0; i < 3; ++i) {
    REQUIRE_FALSE(seat.enter(b, 0, seat_t0));
    CHECK_FALSE(seat.report(b, Kind::rate_limit_requests, seat_t0));
  }
  REQUIRE_FALSE(seat.enter(b, 0, seat_t0));
  seat.give_back(b);
  CHECK_FALSE(seat.holding());
  CHECK_FALSE(walk::BreakerSeat::open_until(b, 0, seat_t0));
}
