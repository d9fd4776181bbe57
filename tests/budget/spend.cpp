#include <governed/budget/spend.hpp>

#include <catch2/catch.hpp>

#include <governed/clock/manual.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::AtLimit;
using governed::Errc;
using governed::Period;
using governed::SpendBudget;
using governed::SpendBudgetConfig;
using governed::WallTime;

namespace {

// 2025-01-01T00:00:00Z, and times of that day.
constexpr WallTime jan1{std::chrono::seconds{1735689600}};

SpendBudget make(SpendBudgetConfig c) {
  auto b = SpendBudget::make(std::move(c));
  REQUIRE(b);
  return std::move(*b);
}

SpendBudgetConfig daily(double usd, AtLimit at = AtLimit::refuse) {
  SpendBudgetConfig c;
  c.daily_usd = usd;
  c.at_limit = at;
  return c;
}

}  // namespace

TEST_CASE("a call holds its worst case: estimated prompt plus every completion token", "[budget][spend]") {
  auto b = make(daily(10));
  governed::providers::Price gpt4o;
  gpt4o.input = 2.50;
  gpt4o.output = 10.00;
  governed::providers::TokenEstimate e{1000, 500};  // $0.0025 + $0.005
  auto r = b.reserve(gpt4o, e, jan1);
  REQUIRE(r);
  CHECK(r->amount() == Approx(0.0075));
  CHECK(b.reserved(Period::day, jan1) == Approx(0.0075));
  r->settle(0.004, jan1 + 1s);
  CHECK(b.reserved(Period::day, jan1) == 0);
  CHECK(b.spent(Period::day, jan1) == Approx(0.004));
  CHECK(b.spent(Period::month, jan1) == Approx(0.004));
}

TEST_CASE("concurrent reservations never overspend", "[budget][spend][concurrency]") {
  auto b = make(daily(1.00));
  std::atomic<int> granted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto r = b.reserve(0.03, jan1 + 1h);
        if (!r) {
          refused.fetch_add(1);
          continue;
        }
        granted.fetch_add(1);
        r->settle(0.03, jan1 + 1h);  // the worst case, every time
      }
    });
  }
  for (auto& th : threads) th.join();
  // $1.00 / $0.03: 33 calls fit, whatever the interleaving.
  CHECK(granted.load() == 33);
  CHECK(refused.load() == 8 * 50 - 33);
  CHECK(b.spent(Period::day, jan1 + 1h) == Approx(0.99));
  CHECK(b.spent(Period::day, jan1 + 1h) <= 1.00);
  CHECK(b.reserved(Period::day, jan1 + 1h) == 0);
}

TEST_CASE("held calls count against the limit before they settle", "[budget][spend]") {
  auto b = make(daily(1.00));
  auto a = b.reserve(0.60, jan1);
  REQUIRE(a);
  auto second = b.reserve(0.60, jan1);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::budget_exhausted);
  // An unsettled hold is given back when it goes away: the call never went out.
  a = governed::SpendReservation{};
  CHECK(b.reserved(Period::day, jan1) == 0);
  CHECK(b.reserve(0.60, jan1));
}

TEST_CASE("the 80 % alert fires once per period", "[budget][spend]") {
  auto b = make(daily(10.00));
  std::vector<governed::BudgetAlert> alerts;
  for (int i = 1; i <= 10; ++i) {
    auto r = b.reserve(1.00, jan1 + std::chrono::minutes{i});
    REQUIRE(r);
    auto a = r->settle(1.00, jan1 + std::chrono::minutes{i});
    if (i == 8) {
      REQUIRE(a.size() == 1);
      CHECK(a[0].period == Period::day);
      CHECK(a[0].threshold == 0.8);
      CHECK(a[0].spent_usd == Approx(8.0));
      CHECK(a[0].message == "80 % of the daily budget ($10.00) is spent: $8.00.");
    } else {
      CHECK(a.empty());
    }
    alerts.insert(alerts.end(), a.begin(), a.end());
  }
  CHECK(alerts.size() == 1);
  // The next day starts afresh, alert included.
  const WallTime jan2 = jan1 + 24h;
  for (int i = 0; i < 8; ++i) {
    auto r = b.reserve(1.00, jan2);
    REQUIRE(r);
    auto a = r->settle(1.00, jan2);
    CHECK(a.size() == (i == 7 ? 1u : 0u));
  }
}

TEST_CASE("several thresholds crossed by one charge are each reported", "[budget][spend]") {
  SpendBudgetConfig c = daily(10.00);
  c.monthly_usd = 20.00;
  c.alert_at = {0.8, 0.5, 0.5};  // unordered and repeated: sorted, duplicates dropped
  auto b = make(c);
  CHECK(b.record(9.00, jan1).size() == 2);  // daily 50 % and 80 %; $9 is 45 % of the month
  auto alerts = b.record(1.00, jan1 + 24h);  // a new day: $1 of $10, but $10 of the month
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].period == Period::month);
  CHECK(alerts[0].threshold == 0.5);
  CHECK(alerts[0].message == "50 % of the monthly budget ($20.00) is spent: $10.00.");
  // Both daily thresholds crossed by one charge, and the month's 80 % ($19 of $20): each
  // reported, days first, lowest threshold first.
  alerts = b.record(9.00, jan1 + 24h);
  REQUIRE(alerts.size() == 3);
  CHECK(alerts[0].period == Period::day);
  CHECK(alerts[0].threshold == 0.5);
  CHECK(alerts[1].period == Period::day);
  CHECK(alerts[1].threshold == 0.8);
  CHECK(alerts[2].period == Period::month);
  CHECK(alerts[2].threshold == 0.8);
}

TEST_CASE("at the limit: refuse, or tell the caller to downgrade", "[budget][spend]") {
  SECTION("refuse") {
    auto b = make(daily(1.00));
    b.record(0.95, jan1 + 18h);
    auto r = b.reserve(0.10, jan1 + 18h);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::budget_exhausted);
    CHECK(r.error().message ==
          "The daily budget ($1.00) can not cover this call: $0.95 spent, $0.00 held by calls in "
          "flight, up to $0.10 needed. It resets in 6 hours.");
    REQUIRE(r.error().retry_after);
    CHECK(*r.error().retry_after == 6h);
    CHECK_FALSE(b.downgrades());
  }
  SECTION("downgrade: the cheapest model whose worst case fits what is left") {
    auto b = make(daily(1.00, AtLimit::downgrade));
    b.record(0.95, jan1);
    CHECK(b.downgrades());
    CHECK(b.at_limit() == AtLimit::downgrade);
    // gpt-4o's worst case does not fit; gpt-4o-mini's does.
    CHECK_FALSE(b.reserve(0.10, jan1));
    CHECK(b.remaining(jan1) == Approx(0.05));
    auto cheap = b.reserve(0.04, jan1);
    REQUIRE(cheap);
    CHECK(b.remaining(jan1) == Approx(0.01));
  }
}

TEST_CASE("a new day on the manual clock's wall time starts a fresh daily budget", "[budget][spend]") {
  governed::clock::manual clock{governed::Instant{}, jan1 + 12h};
  SpendBudgetConfig c = daily(1.00);
  c.monthly_usd = 100.00;
  auto b = make(c);
  REQUIRE(b.reserve(1.00, clock.wall_now()));  // held, never settled: dropped at once
  b.record(1.00, clock.wall_now());
  CHECK_FALSE(b.reserve(0.01, clock.wall_now()));
  clock.set_wall(jan1 + 24h - 1s);  // 23:59:59
  auto late = b.reserve(0.01, clock.wall_now());
  REQUIRE_FALSE(late);
  CHECK(*late.error().retry_after == 1s);
  CHECK(b.period_end(Period::day, clock.wall_now()) == jan1 + 24h);

  clock.advance(1s);  // 2025-01-02T00:00:00Z
  auto fresh = b.reserve(0.50, clock.wall_now());
  REQUIRE(fresh);
  CHECK(b.spent(Period::day, clock.wall_now()) == 0);
  CHECK(b.spent(Period::month, clock.wall_now()) == Approx(1.00));  // the month goes on
  fresh->settle(0.50, clock.wall_now());
  CHECK(b.spent(Period::month, clock.wall_now()) == Approx(1.50));
}

TEST_CASE("a hold taken before midnight and settled after it charges the new day", "[budget][spend]") {
  auto b = make(daily(1.00));
  auto r = b.reserve(0.80, jan1 + 24h - 1s);
  REQUIRE(r);
  r->settle(0.30, jan1 + 24h + 1s);
  CHECK(b.spent(Period::day, jan1 + 24h + 1s) == Approx(0.30));
  CHECK(b.reserved(Period::day, jan1 + 24h + 1s) == 0);
  CHECK(b.spent(Period::day, jan1 + 1h) == 0);  // the old day is gone, not rewritten
}

TEST_CASE("a monthly budget turns on the first of the month", "[budget][spend]") {
  SpendBudgetConfig c;
  c.monthly_usd = 50.00;
  auto b = make(c);
  const WallTime jan31 = jan1 + 30 * 24h + 20h;
  b.record(50.00, jan31);
  auto r = b.reserve(0.01, jan31);
  REQUIRE_FALSE(r);
  CHECK(*r.error().retry_after == 4h);
  CHECK_THAT(r.error().message, Catch::Contains("monthly budget ($50.00)"));
  CHECK(b.reserve(0.01, jan1 + 31 * 24h));  // 2025-02-01T00:00:00Z
}

TEST_CASE("days in a configured time zone start at its midnight", "[budget][spend]") {
  SpendBudgetConfig c = daily(1.00);
  c.time_zone = "America/New_York";  // UTC-5 in January
  auto b = make(c);
  b.record(1.00, jan1 + 24h + 4h);  // 2025-01-01 23:00 in New York
  CHECK_FALSE(b.reserve(0.01, jan1 + 24h + 4h + 59min));
  CHECK(b.period_end(Period::day, jan1 + 24h + 4h) == jan1 + 24h + 5h);
  CHECK(b.reserve(0.01, jan1 + 24h + 5h));  // local midnight
}

TEST_CASE("bad configuration and bad amounts are refused with a clear error", "[budget][spend]") {
  SpendBudgetConfig c;
  c.daily_usd = -1;
  auto r = SpendBudget::make(c);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK_THAT(r.error().message, Catch::Contains("daily_usd"));

  c = daily(1);
  c.alert_at = {1.5};
  CHECK_FALSE(SpendBudget::make(c));
  c = daily(1);
  c.time_zone = "Mars/Olympus_Mons";
  auto tz = SpendBudget::make(c);
  REQUIRE_FALSE(tz);
  CHECK_THAT(tz.error().message, Catch::Contains("Mars/Olympus_Mons"));

  auto b = make(daily(1));
  CHECK(b.reserve(std::numeric_limits<double>::quiet_NaN(), jan1).error().code == Errc::invalid_argument);
  CHECK(b.reserve(-0.01, jan1).error().code == Errc::invalid_argument);
  CHECK(b.reserve(std::numeric_limits<double>::infinity(), jan1).error().code == Errc::invalid_argument);
  CHECK(b.reserve(1e300, jan1).error().code == Errc::budget_exhausted);
}

TEST_CASE("with no limit configured everything fits and spend is still counted", "[budget][spend]") {
  auto b = make(SpendBudgetConfig{});
  CHECK(b.remaining(jan1) == std::numeric_limits<double>::infinity());
  auto r = b.reserve(1e6, jan1);
  REQUIRE(r);
  CHECK(r->settle(2.0, jan1).empty());
  CHECK(b.spent(Period::day, jan1) == Approx(2.0));
}
