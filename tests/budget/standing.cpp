// budget_standing: where the spend budget and a task's call budget stand, for a call's record.
#include <governed/budget/standing.hpp>

#include <catch2/catch.hpp>

using namespace governed;

namespace {

const WallTime standing_now = WallTime{} + std::chrono::hours{24 * 20000 + 10};

}  // namespace

TEST_CASE("budget_standing: no budgets, nothing stated", "[budget][standing]") {
  TaskBudgets tasks;
  const BudgetState b = budget_standing(nullptr, tasks, "", standing_now);
  CHECK_FALSE(b.day_limit_usd);
  CHECK_FALSE(b.month_limit_usd);
  CHECK_FALSE(b.spent_today_usd);
  CHECK_FALSE(b.task_calls);
}

TEST_CASE("budget_standing: the day's spend against its limit, and the task's calls", "[budget][standing]") {
  SpendBudgetConfig c;
  c.daily_usd = 10.0;
  auto spend = SpendBudget::make(c).value();
  TaskBudgets tasks;
  auto ticket = tasks.begin_call("run-1", "scraper", 100);
  REQUIRE(ticket);
  const BudgetState b = budget_standing(&spend, tasks, "run-1", standing_now);
  CHECK(b.day_limit_usd == std::optional<double>(10.0));
  CHECK(b.spent_today_usd == std::optional<double>(0.0));
  CHECK_FALSE(b.month_limit_usd);
  CHECK_FALSE(b.spent_this_month_usd);
  CHECK(b.task_calls == std::optional<std::int64_t>(1));
  CHECK(b.task_call_limit == std::optional<std::int64_t>(50));  // a scraper's default
}
