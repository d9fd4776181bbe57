#pragma once
/// @file
/// `budget_standing`: where the spend budget and a task's call budget stand, as a call's record
/// reports them to the call hook (`BudgetState`, observe/stats.hpp).

#include <governed/budget/spend.hpp>
#include <governed/budget/task.hpp>
#include <governed/observe/stats.hpp>
#include <governed/time.hpp>

#include <string_view>

namespace governed {

/// Where the budgets stand at `now`: the day's and the month's spend against their limits
/// (`spend`: none when no spend budget is set), and the calls of task instance `task_id`
/// against its limit (empty: a call of no task). A field is empty when no such budget is set.
inline BudgetState budget_standing(const SpendBudget* spend, const TaskBudgets& tasks, std::string_view task_id,
                                   WallTime now) {
  BudgetState b;
  if (spend) {
    if ((b.day_limit_usd = spend->limit(Period::day))) b.spent_today_usd = spend->spent(Period::day, now);
    if ((b.month_limit_usd = spend->limit(Period::month))) b.spent_this_month_usd = spend->spent(Period::month, now);
  }
  if (!task_id.empty()) {
    if (auto u = tasks.usage(task_id)) {
      b.task_calls = u->calls;
      b.task_call_limit = u->call_limit;
    }
  }
  return b;
}

}  // namespace governed
