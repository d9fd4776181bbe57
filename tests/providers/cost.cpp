#include <governed/providers/cost.hpp>

#include <catch2/catch.hpp>

#include <date/date.h>

#include <chrono>
#include <cstdint>

namespace {

governed::WallTime utc(int y, unsigned m, unsigned d, int hour = 0) {
  return governed::WallTime{date::sys_days{date::year{y} / m / d}.time_since_epoch() + std::chrono::hours{hour}};
}

}  // namespace

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
