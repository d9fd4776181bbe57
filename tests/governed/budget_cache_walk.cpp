// Scenarios 8, 9 and 10: task and spend budgets stop (or downgrade) a call before it leaves,
// the response cache answers a repeated idempotent call for its TTL, and a rebound call site
// counts against its parent's limits.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

TEST_CASE("a scraper task stops at call 50 with budget_exhausted; another task goes on", "[governed][scenario]") {
  World w;
  auto g = w.governed();
  Request r = ask("openai", "gpt-4o-mini");
  r.task = "scraper";
  r.task_id = "scrape-1";
  for (int i = 0; i < 50; ++i) REQUIRE(g.send(r));
  CHECK(w.sim("openai").log().size() == 50);

  auto over = g.send(r);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == Errc::budget_exhausted);
  CHECK(w.sim("openai").log().size() == 50);  // nothing sent

  Request other = r;
  other.task_id = "scrape-2";
  REQUIRE(g.send(other));
  CHECK(w.sim("openai").log().size() == 51);
}

namespace {

/// What one gpt-4o call costs, measured on a world of its own.
double one_call_cost() {
  World w;
  auto g = w.governed();
  return g.send(ask("openai", "gpt-4o")).value().cost.total_cost;
}

StateConfig with_spend(double daily, AtLimit at_limit) {
  StateConfig c;
  c.spend = SpendBudgetConfig{.daily_usd = daily, .at_limit = at_limit};
  return c;
}

}  // namespace

TEST_CASE("a USD daily budget raises the 80 % alert, then refuses", "[governed][scenario]") {
  const double cost = one_call_cost();
  REQUIRE(cost > 0);
  World w(World::default_keys(), with_spend(cost * 20, AtLimit::refuse));
  std::vector<Event> seen;
  w.state->observers().install([&](const Event& e) { seen.push_back(e); });
  auto g = w.governed();

  int ok = 0, alert_at = -1;
  Result<Response> last;
  for (int i = 0; i < 40; ++i) {
    last = g.send(ask("openai", "gpt-4o"));
    if (!last) break;
    ++ok;
    if (alert_at < 0 && count(last->events, EventKind::budget_alert) > 0) alert_at = ok;
  }
  REQUIRE_FALSE(last);
  CHECK(last.error().code == Errc::budget_exhausted);
  REQUIRE(alert_at > 0);
  // The alert comes once the spend crosses 80 % of the budget, and before the refusal.
  CHECK(alert_at * cost >= 0.8 * 20 * cost - 1e-12);
  CHECK((alert_at - 1) * cost < 0.8 * 20 * cost);
  CHECK(alert_at < ok + 1);
  CHECK(count(seen, EventKind::budget_alert) == 1);
  CHECK(count(seen, EventKind::budget_exhausted) >= 1);
  // Never overspent, and nothing sent for the refused call.
  CHECK(ok * cost <= 20 * cost + 1e-12);
  CHECK(w.sim("openai").log().size() == static_cast<std::size_t>(ok));
}

TEST_CASE("a USD daily budget at its limit downgrades to the cheapest model that fits", "[governed][scenario]") {
  const double cost = one_call_cost();
  // After five calls half a gpt-4o call is left: too little for its worst case, enough for a
  // cheaper model's.
  World w(World::default_keys(), with_spend(cost * 5.5, AtLimit::downgrade));
  auto g = w.governed();
  int on_origin = 0;
  Result<Response> r;
  for (int i = 0; i < 10; ++i) {
    r = g.send(ask("openai", "gpt-4o"));
    REQUIRE(r);
    if (r->model != "gpt-4o") break;
    ++on_origin;
  }
  REQUIRE(r);
  CHECK(on_origin >= 1);
  CHECK(on_origin <= 5);
  CHECK(r->model != "gpt-4o");
  CHECK(r->cost.total_cost < cost);
  bool said = false;
  for (const auto& e : r->events)
    if (e.kind == EventKind::budget_alert && e.message.find("cheapest model") != std::string::npos) said = true;
  CHECK(said);
}

TEST_CASE("a cacheable call repeated within 30 s sends nothing; after 30 s it sends", "[governed][scenario]") {
  World w;
  auto g = w.governed();
  Request r = ask("openai", "gpt-4o-mini");
  r.cacheable = true;
  auto first = g.send(r);
  REQUIRE(first);
  CHECK_FALSE(first->from_cache);
  CHECK(w.sim("openai").log().size() == 1);

  w.clock.advance(29s);
  auto second = g.send(r);
  REQUIRE(second);
  CHECK(second->from_cache);
  CHECK(second->content == first->content);
  CHECK(count(second->events, EventKind::cache_hit) == 1);
  CHECK(w.sim("openai").log().size() == 1);

  // Another question is no hit.
  Request other = r;
  other.messages[0].content = "Say goodbye in one word.";
  auto miss = g.send(other);
  REQUIRE(miss);
  CHECK_FALSE(miss->from_cache);
  CHECK(w.sim("openai").log().size() == 2);

  w.clock.advance(2s);
  auto third = g.send(r);
  REQUIRE(third);
  CHECK_FALSE(third->from_cache);
  CHECK(w.sim("openai").log().size() == 3);
}

TEST_CASE("with<backoff::none>() counts against the same limits as its parent", "[governed][scenario]") {
  StateConfig config;
  // 20 RPM less 15 %: a burst of 3, then 17 a minute.
  config.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 20};
  World w(World::default_keys(), config);
  auto g = w.governed<fallback::none>();
  auto fast = g.with<backoff::none>();
  static_assert(std::is_same_v<decltype(fast)::backoff_type, backoff::none>);
  Request quick = ask("openai", "gpt-4o");
  quick.max_wait = 0s;

  REQUIRE(g.send(quick));
  REQUIRE(fast.send(quick));
  REQUIRE(g.send(quick));
  auto refused = fast.send(quick);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::all_rate_limited);
  auto parent = g.send(quick);
  REQUIRE_FALSE(parent);
  CHECK(parent.error().code == Errc::all_rate_limited);
  CHECK(w.sim("openai").log().size() == 3);

  // A call site over another State would not have seen those calls: the limit is the State's.
  auto elsewhere = TestState::create(StateConfig{.providers = config.providers, .keys = {.keys = {{"openai",
      World::default_keys()[1].key, World::default_keys()[1].account}}, .persist = false}}, w.clock).value();
  Governed<Sim, Clock, fallback::none> separate(elsewhere, w.transport);
  CHECK(separate.send(quick));
}
