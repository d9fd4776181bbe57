#include <governed/providers/cost.hpp>

#include <catch2/catch.hpp>

#include <governed/clock/manual.hpp>
#include <governed/observe/export.hpp>
#include <governed/observe/stats.hpp>

#include <date/date.h>

#include <string>

using namespace std::chrono_literals;

namespace {

governed::WallTime utc(int y, unsigned m, unsigned d, int hour = 0) {
  return governed::WallTime{date::sys_days{date::year{y} / m / d}.time_since_epoch() + std::chrono::hours{hour}};
}

// A call that cost `usd`, started at `at`.
governed::CallRecord spend_of(double usd, governed::WallTime at) {
  governed::CallRecord r;
  r.provider = "openai";
  r.model = "gpt-4o";
  r.cost_usd = usd;
  r.at = at;
  return r;
}

}  // namespace

TEST_CASE("the day's and the month's spend start again at UTC midnight", "[stats][ledger]") {
  governed::clock::manual clock(governed::Instant{}, utc(2025, 1, 31, 23));
  governed::Statistics stats;
  stats.record(spend_of(1.25, clock.wall_now()));
  clock.advance(59min + 59s);  // 23:59:59 on 31 January
  stats.record(spend_of(0.75, clock.wall_now()));
  CHECK(stats.cost_today(clock.wall_now()) == Approx(2.0));
  CHECK(stats.cost_this_month(clock.wall_now()) == Approx(2.0));

  clock.advance(1s);  // midnight: 1 February, a new day and a new month
  CHECK(stats.cost_today(clock.wall_now()) == 0);
  CHECK(stats.cost_this_month(clock.wall_now()) == 0);
  stats.record(spend_of(0.5, clock.wall_now()));
  CHECK(stats.cost_today(clock.wall_now()) == Approx(0.5));
  CHECK(stats.cost_this_month(clock.wall_now()) == Approx(0.5));

  clock.advance(24h);  // 2 February: the month goes on, the day starts again
  stats.record(spend_of(0.25, clock.wall_now()));
  CHECK(stats.cost_today(clock.wall_now()) == Approx(0.25));
  CHECK(stats.cost_this_month(clock.wall_now()) == Approx(0.75));
  // Earlier periods are still there to read.
  CHECK(stats.cost_today(utc(2025, 1, 31, 12)) == Approx(2.0));
  CHECK(stats.cost_this_month(utc(2025, 1, 1)) == Approx(2.0));
}

TEST_CASE("a call is counted in the day it started, however late it is recorded", "[stats][ledger]") {
  governed::Statistics stats;
  // Started at 23:59 and recorded after midnight: yesterday's spend.
  stats.record(spend_of(3.0, utc(2025, 3, 9, 23) + 59min));
  CHECK(stats.cost_today(utc(2025, 3, 9, 12)) == Approx(3.0));
  CHECK(stats.cost_today(utc(2025, 3, 10, 0)) == 0);
}

TEST_CASE("calls that cost nothing leave the day's spend alone", "[stats][ledger]") {
  governed::Statistics stats;
  const auto noon = utc(2025, 6, 1, 12);
  auto hit = spend_of(0, noon);
  hit.cache_hit = true;
  stats.record(hit);
  stats.record(spend_of(std::numeric_limits<double>::quiet_NaN(), noon));
  stats.record(spend_of(-1.0, noon));
  CHECK(stats.cost_today(noon) == 0);
  CHECK(stats.model("openai", "gpt-4o").requests == 3);
}

TEST_CASE("spend totals keep 64 days and 25 months and forget what is older", "[ledger]") {
  governed::providers::PeriodTotals<std::int64_t> totals;
  const auto first = utc(2025, 1, 1, 12);
  totals.add(7, first);
  CHECK(totals.day(first) == 7);
  // Every day after it, for 63 days: the first day is still retained.
  for (int d = 1; d < 64; ++d) totals.add(1, first + std::chrono::hours{24 * d});
  CHECK(totals.day(first) == 7);
  // The 65th day takes the first day's slot: the first is gone, the new one starts at its own.
  totals.add(2, first + std::chrono::hours{24 * 64});
  CHECK(totals.day(first) == 0);
  CHECK(totals.day(first + std::chrono::hours{24 * 64}) == 2);
  // An amount dated before what the day slots hold is too old for its day; its month, still
  // retained, counts it.
  CHECK(totals.month(utc(2025, 1, 20)) == 7 + 30);  // the 1st and the 2nd to the 31st
  totals.add(100, first);
  CHECK(totals.day(first) == 0);
  CHECK(totals.day(first + std::chrono::hours{24 * 64}) == 2);
  CHECK(totals.month(utc(2025, 1, 20)) == 137);
  // Months: January 2025 is kept through 25 months, then February 2027 takes its slot.
  totals.add(5, utc(2027, 1, 15));
  CHECK(totals.month(utc(2025, 1, 20)) == 137);
  totals.add(5, utc(2027, 2, 15));
  CHECK(totals.month(utc(2025, 1, 20)) == 0);
  CHECK(totals.month(utc(2027, 2, 1)) == 5);
}

TEST_CASE("days before 1970 are periods like any other", "[ledger]") {
  governed::providers::PeriodTotals<std::int64_t> totals;
  totals.add(4, utc(1969, 12, 31, 23));
  totals.add(6, utc(1970, 1, 1, 1));
  CHECK(totals.day(utc(1969, 12, 31)) == 4);
  CHECK(totals.day(utc(1970, 1, 1)) == 6);
  CHECK(totals.month(utc(1969, 12, 1)) == 4);
}

TEST_CASE("the cost ledger's day and month roll over at UTC midnight", "[ledger]") {
  governed::providers::CostLedger ledger;
  const governed::providers::Cost c{0.5, 1.5, 2.0};
  ledger.record("openai", "gpt-4o", "", c, utc(2025, 12, 31, 23));
  ledger.record("openai", "gpt-4o", "", c, utc(2026, 1, 1, 0));
  CHECK(ledger.day(utc(2025, 12, 31)).total_cost == Approx(2.0));
  CHECK(ledger.day(utc(2025, 12, 31)).output_cost == Approx(1.5));
  CHECK(ledger.day(utc(2026, 1, 1, 8)).total_cost == Approx(2.0));
  CHECK(ledger.month(utc(2025, 12, 1)).total_cost == Approx(2.0));
  CHECK(ledger.month(utc(2026, 1, 31)).total_cost == Approx(2.0));
  CHECK(ledger.total().total_cost == Approx(4.0));
}

TEST_CASE("the exports show the spend of the day and the month they are read in", "[stats][ledger][export]") {
  governed::Statistics stats;
  stats.record(spend_of(1.5, utc(2025, 1, 31, 22)));
  stats.record(spend_of(0.25, utc(2025, 2, 1, 9)));
  const auto now = utc(2025, 2, 1, 10);

  const std::string text = governed::to_prometheus(stats, now);
  CHECK_THAT(text, Catch::Contains("# TYPE governed_cost_usd_day gauge\n"));
  CHECK_THAT(text, Catch::Contains("\ngoverned_cost_usd_day{date=\"2025-02-01\"} 0.25\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE governed_cost_usd_month gauge\n"));
  CHECK_THAT(text, Catch::Contains("\ngoverned_cost_usd_month{month=\"2025-02\"} 0.25\n"));
  // Read on the last day of January, the same statistics say January's.
  const std::string january = governed::to_prometheus(stats, utc(2025, 1, 31, 23));
  CHECK_THAT(january, Catch::Contains("\ngoverned_cost_usd_day{date=\"2025-01-31\"} 1.5\n"));
  CHECK_THAT(january, Catch::Contains("\ngoverned_cost_usd_month{month=\"2025-01\"} 1.5\n"));

  const auto j = governed::to_json(stats, now);
  CHECK(j["spend"]["day"]["date"] == "2025-02-01");
  CHECK(j["spend"]["day"]["usd"].get<double>() == Approx(0.25));
  CHECK(j["spend"]["month"]["month"] == "2025-02");
  CHECK(j["spend"]["month"]["usd"].get<double>() == Approx(0.25));
  // A new day with no call yet: zero, under the new date.
  const auto next = governed::to_json(stats, utc(2025, 2, 2, 0));
  CHECK(next["spend"]["day"]["date"] == "2025-02-02");
  CHECK(next["spend"]["day"]["usd"] == 0.0);
}
