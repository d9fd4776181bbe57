// What a State's statistics spent in a day and a month (UTC), and how the exports show it.
#include <governed/observe/stats.hpp>

#include <catch2/catch.hpp>

#include <governed/clock/manual.hpp>
#include <governed/observe/export.hpp>

#include <date/date.h>

#include <limits>
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
