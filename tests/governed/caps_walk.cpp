// The caps of one call: how long it sleeps backing off on a target before it falls back
// (StateConfig::max_total_wait, Request::max_total_wait), how long one admission may wait by
// default (the same setting), and how many times it may move to another target
// (StateConfig::max_fallbacks, Request::max_fallbacks). On the manual clock: every wait exact.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

StateConfig capped_waits(Duration max_total_wait) {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1"};
  c.max_total_wait = max_total_wait;
  return c;
}

/// OpenAI refuses gpt-4o to its key with a 403: the walk moves on to gpt-4o-mini.
void gpt4o_forbidden(sim::Config& c) {
  if (c.provider == "openai")
    for (auto& k : c.keys) k.forbidden_models = {"gpt-4o"};
}

StateConfig capped_fallbacks(std::optional<std::uint32_t> max_fallbacks) {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1"};
  c.max_fallbacks = max_fallbacks;
  return c;
}

}  // namespace

TEST_CASE("backing off stops at the State's max_total_wait and the call falls back", "[governed][caps]") {
  // The default curve sleeps 4, 8, 16, 32 s; with 10 s allowed, 4 s fits and 4 + 8 does not.
  World w(World::default_keys(), capped_waits(10s), 1);
  w.sim("openai").overload("gpt-4o", w.clock.now() + 1h);
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(count(r->events, EventKind::retried) == 1);
  CHECK(w.clock.now() - t0 == 4s);
}

TEST_CASE("a request's max_total_wait wins over the State's", "[governed][caps]") {
  // Four failing attempts on one provider: with its defaults the circuit breaker would open at
  // the third and end the backoff there (tests/governed/breaker_walk.cpp); here only the cap
  // is at work.
  StateConfig c = capped_waits(10s);
  c.breaker.enabled = false;
  World w(World::default_keys(), std::move(c), 1);
  w.sim("openai").overload("gpt-4o", w.clock.now() + 1h);
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  Request req = ask("openai", "gpt-4o");
  req.max_total_wait = 30s;  // 4 + 8 + 16 = 28 s fits, 28 + 32 does not
  auto r = g.send(req);
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(count(r->events, EventKind::retried) == 3);
  CHECK(w.clock.now() - t0 == 28s);
}

TEST_CASE("an admission waits no longer than max_total_wait when the request sets no max_wait", "[governed][caps]") {
  // 2 RPM with no headroom: one request a minute, so the second call would wait 60 s.
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 2, .tpm = 0, .headroom = 0.0};
  c.max_total_wait = 30s;
  World w(World::default_keys(), std::move(c), 1);
  auto g = w.governed<fallback::none>();
  REQUIRE(g.send(ask("openai", "gpt-4o")));
  const Instant t0 = w.clock.now();
  auto second = g.send(ask("openai", "gpt-4o"));
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::all_rate_limited);
  CHECK(w.clock.now() == t0);  // refused at once: the wait is longer than the call may wait

  Request patient = ask("openai", "gpt-4o");
  patient.max_total_wait = 60s;
  auto third = g.send(patient);
  REQUIRE(third);
  CHECK(w.clock.now() - t0 == 60s);
}

TEST_CASE("a call that reached the State's max_fallbacks ends with the last verdict, saying so", "[governed][caps]") {
  World w(World::default_keys(), capped_fallbacks(0), 1, gpt4o_forbidden);
  auto g = w.governed();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::rejected);
  CHECK_THAT(r.error().message, Catch::Contains("stopped after 0 fallbacks, the most it may make"));
  CHECK(w.sim("openai").log().size() == 1);  // gpt-4o-mini was never asked
}

TEST_CASE("a request's max_fallbacks wins over the State's", "[governed][caps]") {
  World w(World::default_keys(), capped_fallbacks(0), 1, gpt4o_forbidden);
  auto g = w.governed();
  Request req = ask("openai", "gpt-4o");
  req.max_fallbacks = 1;
  auto r = g.send(req);
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(count(r->events, EventKind::switched_model) == 1);
}

TEST_CASE("a capped call with every target cooling reports the soonest wait", "[governed][caps]") {
  // No backoff sleep at all: gpt-4o is cooled for the curve's first wait (4 s) at once, and the
  // cap of no fallback ends the call with that wait; the model was overloaded, so the call ends
  // as failing (io_error), not as rate limited.
  StateConfig c = capped_waits(0s);
  c.max_fallbacks = 0;
  World w(World::default_keys(), std::move(c), 1);
  w.sim("openai").overload("gpt-4o", w.clock.now() + 1h);
  auto r = w.governed().send(ask("openai", "gpt-4o"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  REQUIRE(r.error().retry_after);
  CHECK(*r.error().retry_after == 4s);
  CHECK_THAT(r.error().message, Catch::Contains("stopped after 0 fallbacks"));
}

TEST_CASE("negative wait caps are refused", "[governed][caps]") {
  clock::manual clock;
  StateConfig c;
  c.max_total_wait = -1s;
  auto st = TestState::create(std::move(c), clock);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::invalid_argument);
  CHECK_THAT(st.error().message, Catch::Contains("max_total_wait must not be negative"));

  World w;
  Request req = ask("openai", "gpt-4o");
  req.max_total_wait = -1s;
  auto r = w.governed().send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK(w.sim("openai").log().empty());
}
