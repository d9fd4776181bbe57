#include <governed/budget/task.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

using governed::Errc;
using governed::TaskBudgetConfig;
using governed::TaskBudgets;

TEST_CASE("a scraper task stops at exactly call 50 while another task continues", "[budget][task]") {
  TaskBudgets budgets;
  for (int i = 1; i <= 50; ++i) {
    auto t = budgets.begin_call("run-1", "scraper");
    REQUIRE(t);
  }
  auto refused = budgets.begin_call("run-1", "scraper");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::budget_exhausted);
  CHECK(refused.error().message == "Task run-1 (scraper) has used all 50 calls of its budget; it is stopped.");
  // A refused call is not counted, and stays refused.
  CHECK(budgets.usage("run-1")->calls == 50);
  CHECK_FALSE(budgets.begin_call("run-1", "scraper"));

  // Another instance of the same kind, and a task of another kind, are untouched.
  CHECK(budgets.begin_call("run-2", "scraper"));
  CHECK(budgets.usage("run-2")->calls == 1);
  CHECK(budgets.begin_call("letter-1", "cover_letter_writer"));
}

TEST_CASE("each kind gets the original application's limit, anything else the default", "[budget][task]") {
  TaskBudgets budgets;
  CHECK(budgets.call_limit("scraper") == 50);
  CHECK(budgets.call_limit("cover_letter_writer") == 30);
  CHECK(budgets.call_limit("job_hunter") == 25);
  CHECK(budgets.call_limit("worker") == 20);
  CHECK(budgets.call_limit("summariser") == 20);
  CHECK(budgets.call_limit("") == 20);

  auto count_until_refused = [&](std::string_view id, std::string_view kind) {
    int n = 0;
    while (budgets.begin_call(id, kind) && n < 1000) ++n;
    return n;
  };
  CHECK(count_until_refused("a", "job_hunter") == 25);
  CHECK(count_until_refused("b", "worker") == 20);
  CHECK(count_until_refused("c", "something_new") == 20);
}

TEST_CASE("limits come from a configurable map", "[budget][task]") {
  TaskBudgetConfig c;
  c.calls_by_kind = {{"planner", 3}};
  c.default_calls = 1;
  TaskBudgets budgets(c);
  CHECK(budgets.begin_call("p", "planner"));
  CHECK(budgets.begin_call("p", "planner"));
  CHECK(budgets.begin_call("p", "planner"));
  CHECK_FALSE(budgets.begin_call("p", "planner"));
  CHECK(budgets.begin_call("s", "scraper"));  // no longer in the map: the default, 1
  CHECK_FALSE(budgets.begin_call("s", "scraper"));
}

TEST_CASE("a task's kind is fixed by its first call", "[budget][task]") {
  TaskBudgets budgets;
  for (int i = 0; i < 20; ++i) REQUIRE(budgets.begin_call("t", "worker"));
  // Naming another kind later does not buy the task more calls.
  CHECK_FALSE(budgets.begin_call("t", "scraper"));
}

TEST_CASE("token budgets reserve the estimate and settle the real usage", "[budget][task]") {
  TaskBudgetConfig c;
  c.tokens_by_kind = {{"scraper", 10'000}};
  TaskBudgets budgets(c);
  CHECK_FALSE(budgets.token_limit("worker"));

  auto a = budgets.begin_call("r", "scraper", 6000);
  REQUIRE(a);
  CHECK(budgets.usage("r")->tokens_reserved == 6000);
  // Two calls in flight can not together pass the budget.
  auto b = budgets.begin_call("r", "scraper", 6000);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == Errc::budget_exhausted);
  CHECK_THAT(b.error().message, Catch::Contains("10000 tokens"));
  CHECK(budgets.usage("r")->calls == 1);

  a->settle(2500);
  CHECK(budgets.usage("r")->tokens == 2500);
  CHECK(budgets.usage("r")->tokens_reserved == 0);
  {
    auto c2 = budgets.begin_call("r", "scraper", 7000);
    REQUIRE(c2);
    // Destroyed unsettled: the call never went out, its hold is given back.
  }
  CHECK(budgets.usage("r")->tokens_reserved == 0);
  CHECK(budgets.usage("r")->tokens == 2500);
  auto last = budgets.begin_call("r", "scraper", 7500);
  REQUIRE(last);
  CHECK_FALSE(budgets.begin_call("r", "scraper", 1));
  last->settle(7500);
  CHECK(budgets.usage("r")->tokens == 10'000);
  CHECK_FALSE(budgets.begin_call("r", "scraper", 1));
}

TEST_CASE("moving a ticket moves its hold; settling twice counts once", "[budget][task]") {
  TaskBudgetConfig c;
  c.default_tokens = 100;
  TaskBudgets budgets(c);
  auto t = budgets.begin_call("x", "", 40);
  REQUIRE(t);
  governed::TaskTicket moved = std::move(*t);
  CHECK_FALSE(t->active());
  CHECK(moved.active());
  moved.settle(30);
  moved.settle(30);
  CHECK(budgets.usage("x")->tokens == 30);
}

TEST_CASE("bad input is refused; no task id means no budget; finished tasks are forgotten", "[budget][task]") {
  TaskBudgets budgets;
  auto neg = budgets.begin_call("t", "scraper", -1);
  REQUIRE_FALSE(neg);
  CHECK(neg.error().code == Errc::invalid_argument);
  for (int i = 0; i < 100; ++i) REQUIRE(budgets.begin_call("", "scraper"));
  CHECK(budgets.tasks() == 0);
  REQUIRE(budgets.begin_call("t", "scraper"));
  budgets.end_task("t");
  CHECK_FALSE(budgets.usage("t"));
}

TEST_CASE("a secret used as a task id never reaches the message", "[budget][task]") {
  TaskBudgetConfig c;
  c.default_calls = 0;
  TaskBudgets budgets(c);
  auto r = budgets.begin_call("sk-proj-abcdefghijklmnop1234", "summariser");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, !Catch::Contains("abcdefghijklmnop1234"));
  CHECK_THAT(r.error().message, Catch::Contains("sk-***"));
}

TEST_CASE("threads racing on one task get exactly its call budget", "[budget][task][concurrency]") {
  TaskBudgets budgets;
  std::atomic<int> granted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        (budgets.begin_call("shared", "scraper") ? granted : refused).fetch_add(1);
        // A private task per thread: never affected by the shared one running out.
        if (i < 20) (void)budgets.begin_call("own-" + std::to_string(t), "worker");
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(granted.load() == 50);
  CHECK(refused.load() == 8 * 40 - 50);
  for (int t = 0; t < 8; ++t) CHECK(budgets.usage("own-" + std::to_string(t))->calls == 20);
}

TEST_CASE("a budget past max_task_budget or below 0 is refused by validate, naming the kind", "[budget][task]") {
  TaskBudgetConfig ok;
  ok.calls_by_kind["crawler"] = governed::max_task_budget;
  ok.default_tokens = 0;
  CHECK(ok.validate());
  TaskBudgetConfig big;
  big.tokens_by_kind["crawler"] = governed::max_task_budget + 1;
  REQUIRE_FALSE(big.validate());
  CHECK(big.validate().error().message == "the token budget of task kind crawler must be in [0, 1000000000000000]");
  TaskBudgetConfig negative;
  negative.default_calls = -1;  // what 2^64 - 1 read as a signed count would become
  REQUIRE_FALSE(negative.validate());
  CHECK(negative.validate().error().code == Errc::invalid_argument);
}

TEST_CASE("a huge estimate or usage is refused, never wrapped into room", "[budget][task]") {
  TaskBudgetConfig c;
  c.default_tokens = governed::max_task_budget;
  TaskBudgets budgets(c);
  auto first = budgets.begin_call("t", "worker", 1000);
  REQUIRE(first);
  // 1000 reserved + INT64_MAX would wrap negative and fit; saturated, it does not.
  auto huge = budgets.begin_call("t", "worker", std::numeric_limits<std::int64_t>::max());
  REQUIRE_FALSE(huge);
  CHECK(huge.error().code == Errc::budget_exhausted);
  first->settle(std::numeric_limits<std::int64_t>::max());
  first->settle(std::numeric_limits<std::int64_t>::max());  // settled once
  auto second = budgets.begin_call("t2", "worker", 0);
  REQUIRE(second);
  second->settle(std::numeric_limits<std::int64_t>::max());
  // Usage past the budget stays past it: a sum that saturates never wraps back into room.
  CHECK(budgets.usage("t")->tokens == std::numeric_limits<std::int64_t>::max());
  CHECK_FALSE(budgets.begin_call("t", "worker", 0));
  CHECK_FALSE(budgets.begin_call("t2", "worker", 1));
}
