// Budgets in Redis: several "processes" (each its own backend and connections) charging one
// daily budget can not together spend past it; alerts are raised once across them; a dead
// process's holds expire; Redis going away follows the backend's fail-open or fail-closed.
#include <governed/redis/spend.hpp>

#include <governed/redis/backend.hpp>
#include <governed/redis/cluster.hpp>
#include <governed/state.hpp>

#include "../governed/world.hpp"
#include "server.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using governed::Errc;
using governed::Period;
using governed::SharedFailure;
using governed::SpendBudget;
using governed::SpendBudgetConfig;
using governed::WallTime;

namespace {

governed::redis::BackendOptions budget_options(const std::string& name_space, unsigned replicas = 1,
                                               SharedFailure failure = SharedFailure::fail_open) {
  return governed_test::quick_backend_options(name_space, replicas, failure);
}

/// One "process" charging the shared budget: its own backend (and connections).
struct Spender {
  Spender(const governed_test::RedisServer& server, const governed::redis::BackendOptions& options,
          SpendBudgetConfig config)
      : backend(governed::redis::backend(server.url(), options).value()),
        budget(SpendBudget::make(std::move(config), backend->spend()).value()) {}

  std::shared_ptr<governed::redis::Backend> backend;
  SpendBudget budget;
};

// Noon UTC on a fixed day: the day has 12 hours left, the month (December) 30 days.
const WallTime budget_noon = WallTime{std::chrono::sys_days{std::chrono::year{2026} / 12 / 2}.time_since_epoch()} + 12h;

SpendBudgetConfig one_dollar_a_day(std::vector<double> alerts = {0.8}) {
  SpendBudgetConfig c;
  c.daily_usd = 1.0;
  c.monthly_usd = 20.0;
  c.alert_at = std::move(alerts);
  return c;
}

}  // namespace

TEST_CASE("two processes on one Redis budget of $1 a day can not together spend past it", "[redis][budget]") {
  GOVERNED_REDIS_SERVER(server);
  const auto o = budget_options(governed_test::fresh_namespace("spend"));
  Spender a(server, o, one_dollar_a_day()), b(server, o, one_dollar_a_day());
  REQUIRE(a.budget.shared());
  auto ha = a.budget.reserve(0.40, budget_noon);
  REQUIRE(ha);
  CHECK(ha->shared());
  auto hb = b.budget.reserve(0.40, budget_noon);
  REQUIRE(hb);
  // $0.80 held between them: neither may hold $0.30 more, whichever asks.
  CHECK(b.budget.reserved(Period::day, budget_noon) == Approx(0.80));
  auto over = a.budget.reserve(0.30, budget_noon);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == Errc::budget_exhausted);
  CHECK(over.error().retry_after == std::optional<governed::Duration>(12h));
  CHECK_THAT(over.error().message, Catch::Contains("daily budget ($1.00)") && Catch::Contains("$0.80 held"));

  // Settled below the worst case: what is given back is free for the other process.
  (void)ha->settle(0.10, budget_noon);
  (void)hb->settle(0.20, budget_noon);
  CHECK(a.budget.spent(Period::day, budget_noon) == Approx(0.30));
  CHECK(b.budget.spent(Period::month, budget_noon) == Approx(0.30));
  CHECK(a.budget.reserved(Period::day, budget_noon) == 0);
  CHECK(b.budget.remaining(budget_noon) == Approx(0.70));
  auto last = b.budget.reserve(0.70, budget_noon);
  REQUIRE(last);
  CHECK_FALSE(a.budget.reserve(0.000001, budget_noon));
  // A call that never went out gives its hold back (sent without a wait; read with a flush).
  last = governed::SpendReservation{};
  REQUIRE(b.backend->redis().flush());
  CHECK(a.budget.reserve(0.70, budget_noon));
}

TEST_CASE("eight threads of two processes racing for the last dollar spend it once", "[redis][budget][concurrency]") {
  GOVERNED_REDIS_SERVER(server);
  const auto o = budget_options(governed_test::fresh_namespace("race"));
  Spender a(server, o, one_dollar_a_day()), b(server, o, one_dollar_a_day());
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      auto& budget = (t % 2 ? a : b).budget;
      auto h = budget.reserve(1.0, budget_noon);
      if (!h) {
        if (h.error().code == Errc::budget_exhausted) ++refused;
        return;
      }
      ++admitted;
      (void)h->settle(1.0, budget_noon);
    });
  for (auto& t : threads) t.join();
  CHECK(admitted == 1);
  CHECK(refused == 7);
  CHECK(a.budget.spent(Period::day, budget_noon) == Approx(1.0));
}

TEST_CASE("a threshold of a shared budget is reported once per period, by the process whose charge crosses it",
          "[redis][budget]") {
  GOVERNED_REDIS_SERVER(server);
  const auto o = budget_options(governed_test::fresh_namespace("alerts"));
  Spender a(server, o, one_dollar_a_day({0.5, 0.8})), b(server, o, one_dollar_a_day({0.5, 0.8}));
  auto alerts_a = a.budget.record(0.55, budget_noon);
  REQUIRE(alerts_a.size() == 1);
  CHECK(alerts_a[0].period == Period::day);
  CHECK(alerts_a[0].threshold == 0.5);
  CHECK(alerts_a[0].spent_usd == Approx(0.55));
  CHECK(alerts_a[0].message == "50 % of the daily budget ($1.00) is spent: $0.55.");
  // b's charge crosses 80 %: b reports it; a's later charges report nothing more today.
  auto h = b.budget.reserve(0.30, budget_noon);
  REQUIRE(h);
  auto alerts_b = h->settle(0.30, budget_noon);
  REQUIRE(alerts_b.size() == 1);
  CHECK(alerts_b[0].threshold == 0.8);
  CHECK(alerts_b[0].spent_usd == Approx(0.85));
  CHECK(a.budget.record(0.05, budget_noon).empty());
  CHECK(b.budget.record(0.05, budget_noon).empty());
  // The next day starts afresh, alerts included.
  auto tomorrow = a.budget.record(0.9, budget_noon + 24h);
  CHECK(tomorrow.size() == 2);
}

TEST_CASE("the hold of a process that died before settling expires, and its amount is free again",
          "[redis][budget]") {
  GOVERNED_REDIS_SERVER(server);
  auto o = budget_options(governed_test::fresh_namespace("crash"));
  o.hold_ttl = 10min;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // A process of its own that holds $0.90 and dies without settling or releasing it.
    Spender doomed(server, o, one_dollar_a_day());
    auto h = doomed.budget.reserve(0.90, budget_noon);
    ::_exit(h ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  Spender b(server, o, one_dollar_a_day());
  CHECK(b.budget.reserved(Period::day, budget_noon + 1min) == Approx(0.90));
  CHECK_FALSE(b.budget.reserve(0.20, budget_noon + 9min));
  // Past its expiry the next reservation drops it first.
  auto h = b.budget.reserve(0.20, budget_noon + 10min + 1ms);
  REQUIRE(h);
  CHECK(b.budget.reserved(Period::day, budget_noon + 11min) == Approx(0.20));
  CHECK(b.budget.reserved(Period::month, budget_noon + 11min) == Approx(0.20));
}

TEST_CASE("a shared budget's day turns at midnight, and its keys expire after the period", "[redis][budget]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("turn");
  const auto o = budget_options(ns);
  Spender a(server, o, one_dollar_a_day());
  (void)a.budget.record(0.95, budget_noon);
  const WallTime before_midnight = budget_noon + 12h - 1ms;
  CHECK_FALSE(a.budget.reserve(0.10, before_midnight));
  auto next_day = a.budget.reserve(0.10, before_midnight + 1ms);
  REQUIRE(next_day);
  (void)next_day->settle(0.10, before_midnight + 1ms);
  CHECK(a.budget.spent(Period::day, before_midnight + 1ms) == Approx(0.10));
  CHECK(a.budget.spent(Period::month, before_midnight + 1ms) == Approx(1.05));

  auto redis = governed::redis::Client::make(server.url()).value();
  const std::string day = fmt::format("governed:{}:budget:{{{}|spend}}:day:2026-12-02", ns, ns);
  const std::string month = fmt::format("governed:{}:budget:{{{}|spend}}:month:2026-12", ns, ns);
  auto spent = redis->call({"HGET", day, "spent"});
  REQUIRE(spent);
  CHECK(spent->text == "950000000");  // nano-dollars
  // The day's keys live until midnight (12 h from the charge, on the caller's clock) and an hour.
  auto ttl = redis->call({"PTTL", day});
  REQUIRE(ttl);
  CHECK(ttl->integer > (13h - 1min) / 1ms);
  CHECK(ttl->integer <= 13h / 1ms);
  auto month_ttl = redis->call({"PTTL", month});
  REQUIRE(month_ttl);
  CHECK(month_ttl->integer > (24h * 29) / 1ms);
  // Every key sits in one hash slot of a cluster: a script's keys share the braces.
  auto keys = redis->call({"KEYS", fmt::format("governed:{}:*", ns)});
  REQUIRE(keys);
  CHECK(keys->elements.size() >= 3);
  for (const auto& k : keys->elements) CHECK_THAT(k.text, Catch::Contains(fmt::format("{{{}|spend}}", ns)));
}

TEST_CASE("with Redis gone, a fail-open budget spends its share of what was left and a fail-closed one refuses",
          "[redis][budget]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("gone");
  Spender open(server, budget_options(ns, 2, SharedFailure::fail_open), one_dollar_a_day());
  Spender closed(server, budget_options(ns, 2, SharedFailure::fail_closed), one_dollar_a_day());
  auto h = open.budget.reserve(0.40, budget_noon);
  REQUIRE(h);
  (void)h->settle(0.40, budget_noon);
  server.kill();

  // $0.60 was left when Redis went away; each of the 2 replicas may spend half of it.
  auto first = open.budget.reserve(0.25, budget_noon);
  REQUIRE(first);
  CHECK_FALSE(first->shared());
  auto second = open.budget.reserve(0.10, budget_noon);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::budget_exhausted);
  (void)first->settle(0.05, budget_noon);
  CHECK(open.budget.reserve(0.20, budget_noon));

  auto refused = closed.budget.reserve(0.01, budget_noon);
  REQUIRE_FALSE(refused);
  CHECK((refused.error().code == Errc::io_error || refused.error().code == Errc::timed_out));
  CHECK_THAT(refused.error().message, Catch::Contains("shared spend budget can not be reached"));
  CHECK_THAT(refused.error().message, !Catch::Contains("secret"));
}

TEST_CASE("a spend budget on a Redis Cluster reserves, refuses and settles across two processes",
          "[redis][budget][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  auto o = budget_options(governed_test::fresh_namespace("cluster-spend"), 1, SharedFailure::fail_closed);
  o.client.connect.connect_timeout = 2s;
  o.client.connect.command_timeout = 2s;
  auto made = [&] {
    auto backend = governed::redis::cluster_backend(nodes.seed_urls(), o).value();
    auto budget = SpendBudget::make(one_dollar_a_day({0.5}), backend->spend()).value();
    return std::pair{backend, std::move(budget)};
  };
  auto [ba, a] = made();
  auto [bb, b] = made();
  auto h = a.reserve(0.60, budget_noon);
  REQUIRE(h);
  CHECK_FALSE(b.reserve(0.50, budget_noon));
  auto alerts = h->settle(0.55, budget_noon);
  REQUIRE(alerts.size() == 1);
  CHECK(b.spent(Period::day, budget_noon) == Approx(0.55));
  CHECK(b.reserve(0.45, budget_noon));
}

TEST_CASE("call sites of two States sharing Redis charge one spend budget", "[redis][budget][governed]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("states");
  const auto config = [&] {
    governed::StateConfig c;
    c.spend = SpendBudgetConfig{};
    c.spend->daily_usd = 5.0;
    c.shared = governed::redis::backend(server.url(), budget_options(ns)).value();
    return c;
  };
  governed::test::World a(governed::test::World::default_keys(), config());
  governed::test::World b(governed::test::World::default_keys(), config());
  auto ga = a.governed<governed::fallback::none>();
  auto gb = b.governed<governed::fallback::none>();
  double cost = 0;
  for (auto* g : {&ga, &gb, &ga}) {
    auto r = g->send(governed::test::ask("openai", "gpt-4o-mini"));
    REQUIRE(r);
    cost += r->cost.total_cost;
  }
  REQUIRE(cost > 0);
  REQUIRE(a.state->spend());
  CHECK(a.state->spend()->shared());
  const WallTime now = b.clock.wall_now();
  CHECK(b.state->spend()->spent(Period::day, now) == Approx(cost));
  CHECK(a.state->spend()->reserved(Period::day, now) == 0);
}

namespace {

/// One "process" counting tasks in the shared store.
struct TaskCounter {
  TaskCounter(const governed_test::RedisServer& server, const governed::redis::BackendOptions& options,
              governed::TaskBudgetConfig config)
      : backend(governed::redis::backend(server.url(), options).value()), tasks(std::move(config), backend->tasks()) {}

  std::shared_ptr<governed::redis::Backend> backend;
  governed::TaskBudgets tasks;
};

governed::TaskBudgetConfig agent_budget() {
  governed::TaskBudgetConfig c;
  c.calls_by_kind = {{"agent", 5}, {"scraper", 50}};
  c.tokens_by_kind = {{"agent", 1000}};
  return c;
}

}  // namespace

TEST_CASE("a task whose calls land on two processes stops at its call limit once, not once per process",
          "[redis][budget][task]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("task");
  const auto o = budget_options(ns);
  TaskCounter a(server, o, agent_budget()), b(server, o, agent_budget());
  REQUIRE(a.tasks.shared());
  int counted = 0;
  for (int i = 0; i < 4; ++i) {
    for (auto* p : {&a, &b}) {
      // The first call fixes the kind: b's "scraper" (50 calls) does not lift the agent's 5.
      auto t = p->tasks.begin_call("run-abcdefghijklmnopqrstuvwx", p == &a ? "agent" : "scraper");
      if (!t) {
        CHECK(t.error().code == Errc::budget_exhausted);
        CHECK_THAT(t.error().message, Catch::Contains("(agent) has used all 5 calls"));
        continue;
      }
      ++counted;
      t->settle(10);
    }
  }
  CHECK(counted == 5);
  REQUIRE(a.backend->redis().flush());
  REQUIRE(b.backend->redis().flush());
  auto u = a.tasks.usage("run-abcdefghijklmnopqrstuvwx");
  REQUIRE(u);
  CHECK(u->calls == 5);
  CHECK(u->call_limit == 5);
  CHECK(u->tokens == 50);
  CHECK(u->tokens_reserved == 0);
  // Another task is untouched.
  CHECK(b.tasks.begin_call("run-18", "agent"));

  // The task's key names it by digest only, and expires.
  auto redis = governed::redis::Client::make(server.url()).value();
  auto keys = redis->call({"KEYS", fmt::format("governed:{}:task:*", ns)});
  REQUIRE(keys);
  CHECK(keys->elements.size() == 2);
  for (const auto& k : keys->elements) {
    CHECK_THAT(k.text, !Catch::Contains("abcdefghijklmnopqrstuvwx") && !Catch::Contains("run-18"));
    auto ttl = redis->call({"PTTL", k.text});
    REQUIRE(ttl);
    CHECK(ttl->integer > 0);
  }

  // Ended by one process, the task is forgotten by both.
  a.tasks.end_task("run-abcdefghijklmnopqrstuvwx");
  REQUIRE(a.backend->redis().flush());
  CHECK_FALSE(b.tasks.usage("run-abcdefghijklmnopqrstuvwx"));
}

TEST_CASE("a shared task's tokens held by one process's call in flight are not spent by another's",
          "[redis][budget][task]") {
  GOVERNED_REDIS_SERVER(server);
  const auto o = budget_options(governed_test::fresh_namespace("task-tokens"));
  TaskCounter a(server, o, agent_budget()), b(server, o, agent_budget());
  auto ta = a.tasks.begin_call("run-7", "agent", 600);
  REQUIRE(ta);
  auto tb = b.tasks.begin_call("run-7", "agent", 500);
  REQUIRE_FALSE(tb);
  CHECK_THAT(tb.error().message, Catch::Contains("budget of 1000 tokens (0 used, 600 in flight, 500 more needed)"));
  ta->settle(200);  // sent without a wait: read with the flush
  REQUIRE(a.backend->redis().flush());
  auto again = b.tasks.begin_call("run-7", "agent", 500);
  REQUIRE(again);
  auto u = a.tasks.usage("run-7");
  REQUIRE(u);
  CHECK(u->tokens == 200);
  CHECK(u->tokens_reserved == 500);
  CHECK(u->token_limit == std::optional<std::int64_t>(1000));
}

TEST_CASE("with Redis gone, a fail-open task budget counts on from what it last saw and a fail-closed one refuses",
          "[redis][budget][task]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("task-gone");
  TaskCounter open(server, budget_options(ns, 1, SharedFailure::fail_open), agent_budget());
  TaskCounter closed(server, budget_options(ns, 1, SharedFailure::fail_closed), agent_budget());
  for (int i = 0; i < 3; ++i) REQUIRE(open.tasks.begin_call("run-9", "agent"));
  server.kill();
  // 3 of 5 calls made when Redis went away: 2 more here.
  CHECK(open.tasks.begin_call("run-9", "agent"));
  CHECK(open.tasks.begin_call("run-9", "agent"));
  auto sixth = open.tasks.begin_call("run-9", "agent");
  REQUIRE_FALSE(sixth);
  CHECK(sixth.error().code == Errc::budget_exhausted);
  auto refused = closed.tasks.begin_call("run-10", "agent");
  REQUIRE_FALSE(refused);
  CHECK((refused.error().code == Errc::io_error || refused.error().code == Errc::timed_out));
  CHECK_THAT(refused.error().message, Catch::Contains("shared task budgets can not be reached"));
}

TEST_CASE("call sites of two States sharing Redis count one task's calls together", "[redis][budget][task][governed]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("task-states");
  const auto config = [&] {
    governed::StateConfig c;
    c.tasks.calls_by_kind = {{"agent", 3}};
    c.shared = governed::redis::backend(server.url(), budget_options(ns)).value();
    return c;
  };
  governed::test::World a(governed::test::World::default_keys(), config());
  governed::test::World b(governed::test::World::default_keys(), config());
  auto ga = a.governed<governed::fallback::none>();
  auto gb = b.governed<governed::fallback::none>();
  auto r = governed::test::ask("openai", "gpt-4o-mini");
  r.task_id = "agent-run-1";
  r.task = "agent";
  CHECK(ga.send(r));
  CHECK(gb.send(r));
  CHECK(ga.send(r));
  auto fourth = gb.send(r);
  REQUIRE_FALSE(fourth);
  CHECK(fourth.error().code == Errc::budget_exhausted);
  CHECK(a.sim("openai").log().size() + b.sim("openai").log().size() == 3);
}
