// A provider that keeps failing. Three network or 5xx failures on any of a provider's models
// within a minute, with no success between them, open its circuit breaker: the call that saw
// the third leaves the provider at once, and every call skips it — nothing reaches it — for
// the 30 s cool-off. Then one call tries it: its success closes the breaker, its failure opens
// it for another cool-off. Each test pins the walk on the simulated providers and the clock.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

const std::string sonnet = "claude-3-5-sonnet-20241022";

std::size_t anthropic_index(World& w) { return *w.state->table().index_of(*w.state->table().provider("anthropic")); }

BreakerState anthropic_breaker(World& w) { return w.state->breakers().state(anthropic_index(w), w.clock.now()); }

void push_overloaded(World& w, const std::string& model, int times) {
  for (int i = 0; i < times; ++i) w.sim("anthropic").push_reply(model, recorded_reply("anthropic-529-overloaded"));
}

/// A State with `breaker` as every provider's breaker settings.
StateConfig with_breaker(BreakerConfig breaker) {
  StateConfig c;
  c.breaker = breaker;
  return c;
}

/// Anthropic's breaker opened at `opened` by the call before: a call at `at` to Claude 3.5
/// Sonnet is answered by OpenAI with nothing sent to Anthropic.
template <class CallSite>
void skips_anthropic(World& w, CallSite& g, Instant at) {
  const std::size_t before = w.sim("anthropic").log().size();
  w.clock.set(at);
  auto r = g.send(ask("anthropic", sonnet));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 1);
  CHECK(w.sim("anthropic").log().size() == before);
}

}  // namespace

TEST_CASE("with the breaker's defaults, Anthropic's 529 on three attempts within a minute opens its breaker: the call "
          "leaves Anthropic at once, the model cooled only until the trial, and OpenAI answers",
          "[governed][breaker]") {
  World w;
  auto g = w.governed();
  push_overloaded(w, sonnet, 3);

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", sonnet));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 4);
  // Attempts at 0, 4 and 12 s; the third failure opens the breaker, and no 16 s backoff follows.
  CHECK(w.clock.now() - t0 == 12s);
  CHECK(visits(w.sim("anthropic").log(), t0) == std::vector<Visit>{{sonnet, 0s}, {sonnet, 4s}, {sonnet, 12s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::retried, EventKind::retried, EventKind::breaker_opened,
                                                   EventKind::failed, EventKind::switched_provider});
  const Event& opened = r->events[2];
  CHECK(opened.provider == "anthropic");
  CHECK(opened.message == "ANTHROPIC keeps failing; it is skipped for 30 seconds, then one call tries it again.");
  REQUIRE(opened.wait);
  CHECK(*opened.wait == 30s);
  CHECK(r->events[3].message ==
        "ANTHROPIC (claude-3-5-sonnet-20241022) did not answer, and ANTHROPIC keeps failing and is skipped until one "
        "call tries it again in 30 seconds. Trying alternatives\u2026");
  // The model is cooled only until the breaker's trial, not for the 5-minute failure cooldown.
  const auto cooled = w.state->cooldowns().cooling_until(CooldownKey{"anthropic", sonnet, "any-account"}, w.clock.now());
  REQUIRE(cooled);
  CHECK(*cooled == t0 + 42s);
  CHECK(anthropic_breaker(w) == BreakerState::open);

  SECTION("the next calls skip every Anthropic model, sending nothing to it, until the cool-off ends") {
    auto other = w.governed();
    skips_anthropic(w, other, t0 + 12s);
    auto haiku = other.send(ask("anthropic", "claude-3-5-haiku-20241022"));
    REQUIRE(haiku);
    CHECK(haiku->provider == "openai");
    CHECK(haiku->events.empty());  // nothing was tried on Anthropic: nothing switched
    skips_anthropic(w, other, t0 + 42s - 1ns);
    CHECK(visits(w.sim("anthropic").log(), t0).size() == 3);
  }

  SECTION("after the 30 s cool-off one trial call goes; its success closes the breaker and says so") {
    w.clock.set(t0 + 42s);
    auto trial = g.send(ask("anthropic", sonnet));
    REQUIRE(trial);
    CHECK(trial->provider == "anthropic");
    CHECK(trial->model == sonnet);
    CHECK(trial->attempts == 1);
    CHECK(kinds(trial->events) == std::vector<EventKind>{EventKind::breaker_closed});
    CHECK(trial->events[0].message == "ANTHROPIC answered again; it is back in use.");
    CHECK(anthropic_breaker(w) == BreakerState::closed);
    auto next = g.send(ask("anthropic", sonnet));
    REQUIRE(next);
    CHECK(next->provider == "anthropic");
    CHECK(next->events.empty());
    CHECK(visits(w.sim("anthropic").log(), t0).back() == Visit{sonnet, 42s});
  }

  SECTION("a trial that fails opens the breaker for another full cool-off, and the call leaves at once") {
    w.sim("anthropic").push_reply(sonnet, recorded_reply("anthropic-500-api-error"));
    w.clock.set(t0 + 42s);
    auto trial = g.send(ask("anthropic", sonnet));
    REQUIRE(trial);
    CHECK(trial->provider == "openai");
    CHECK(trial->attempts == 2);
    CHECK(w.clock.now() - t0 == 42s);
    CHECK(kinds(trial->events) ==
          std::vector<EventKind>{EventKind::breaker_opened, EventKind::failed, EventKind::switched_provider});
    auto other = w.governed();
    skips_anthropic(w, other, t0 + 72s - 1ns);
    w.clock.set(t0 + 72s);
    auto again = other.send(ask("anthropic", sonnet));
    REQUIRE(again);
    CHECK(again->provider == "anthropic");
    CHECK(kinds(again->events) == std::vector<EventKind>{EventKind::breaker_closed});
  }
}

TEST_CASE("failures on different models of one provider count together: the third opens the provider's breaker",
          "[governed][breaker]") {
  World w;
  auto g = w.governed();
  for (const char* m : {"claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022", "claude-3-haiku-20240307"})
    w.sim("anthropic").push_reply(m, recorded_reply("anthropic-500-api-error"));
  Request req = ask("anthropic", sonnet);
  req.max_total_wait = 0s;  // no backoff: each model fails once, then the walk moves on

  const Instant t0 = w.clock.now();
  auto r = g.send(req);
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(visits(w.sim("anthropic").log(), t0) == std::vector<Visit>{{"claude-3-5-sonnet-20241022", 0s},
                                                                   {"claude-3-5-haiku-20241022", 0s},
                                                                   {"claude-3-haiku-20240307", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::cooled, EventKind::switched_model, EventKind::cooled,
                                                   EventKind::switched_model, EventKind::breaker_opened,
                                                   EventKind::failed, EventKind::switched_provider});
  CHECK(anthropic_breaker(w) == BreakerState::open);
}

TEST_CASE("a success between failures clears them: two failures, a success, two failures leave the breaker closed",
          "[governed][breaker]") {
  World w;
  auto g = w.governed();
  push_overloaded(w, sonnet, 2);  // the third attempt succeeds
  auto first = g.send(ask("anthropic", sonnet));
  REQUIRE(first);
  CHECK(first->model == sonnet);
  CHECK(first->attempts == 3);
  push_overloaded(w, sonnet, 2);
  auto second = g.send(ask("anthropic", sonnet));
  REQUIRE(second);
  CHECK(second->model == sonnet);
  CHECK(count(second->events, EventKind::breaker_opened) == 0);
  CHECK(anthropic_breaker(w) == BreakerState::closed);
}

TEST_CASE("the breaker's settings are honoured: two failures open it, and it skips the provider for a 10 s cool-off",
          "[governed][breaker]") {
  World w(World::default_keys(), with_breaker({.failures = 2, .window = 60s, .cool_off = 10s}));
  auto g = w.governed();
  push_overloaded(w, sonnet, 2);
  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", sonnet));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(visits(w.sim("anthropic").log(), t0) == std::vector<Visit>{{sonnet, 0s}, {sonnet, 4s}});
  REQUIRE(count(r->events, EventKind::breaker_opened) == 1);
  CHECK(messages(r->events, EventKind::breaker_opened)[0] ==
        "ANTHROPIC keeps failing; it is skipped for 10 seconds, then one call tries it again.");
  skips_anthropic(w, g, t0 + 14s - 1ns);
  w.clock.set(t0 + 14s);
  auto trial = g.send(ask("anthropic", sonnet));
  REQUIRE(trial);
  CHECK(trial->provider == "anthropic");
  CHECK(kinds(trial->events) == std::vector<EventKind>{EventKind::breaker_closed});
}

TEST_CASE("failures further apart than the breaker's window never open it: the call backs off along the curve and "
          "cools the model as before",
          "[governed][breaker]") {
  // Attempts at 0, 4, 12, 28 and 60 s: no three lie within 10 s.
  World w(World::default_keys(), with_breaker({.failures = 3, .window = 10s, .cool_off = 30s}));
  auto g = w.governed();
  push_overloaded(w, sonnet, 5);
  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", sonnet));
  REQUIRE(r);
  CHECK(r->model == "claude-3-5-haiku-20241022");
  CHECK(w.clock.now() - t0 == 60s);
  CHECK(count(r->events, EventKind::breaker_opened) == 0);
  CHECK(count(r->events, EventKind::cooled) == 1);
  CHECK(anthropic_breaker(w) == BreakerState::closed);
}

TEST_CASE("a disabled breaker never opens, however often the provider fails", "[governed][breaker]") {
  World w(World::default_keys(), with_breaker({.enabled = false}));
  auto g = w.governed();
  push_overloaded(w, sonnet, 5);
  push_overloaded(w, "claude-3-5-haiku-20241022", 5);
  auto r = g.send(ask("anthropic", sonnet));
  REQUIRE(r);
  CHECK(count(r->events, EventKind::breaker_opened) == 0);
  CHECK(count(r->events, EventKind::cooled) == 2);  // both models spent their five attempts
  CHECK(anthropic_breaker(w) == BreakerState::closed);
}

TEST_CASE("a breaker that opens while a call sleeps in its backoff makes the call leave the provider when it wakes, "
          "sending nothing more to it",
          "[governed][breaker]") {
  World w;
  auto g = w.governed();
  push_overloaded(w, sonnet, 5);
  // Another call's failures open the breaker while this one waits for its first retry.
  bool opened = false;
  w.state->observers().install([&](const Event& e) {
    if (e.kind != EventKind::retried || std::exchange(opened, true)) return;
    auto& breakers = w.state->breakers();
    for (int i = 0; i < 3; ++i) (void)breakers.failure(*breakers.enter(anthropic_index(w), w.clock.now()), w.clock.now());
  });
  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", sonnet));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(visits(w.sim("anthropic").log(), t0) == std::vector<Visit>{{sonnet, 0s}});
  CHECK(w.clock.now() - t0 == 4s);
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::retried, EventKind::switched_provider});
}

TEST_CASE("a State refuses breaker settings out of range, saying which", "[governed][breaker]") {
  Clock clock;
  StateConfig c;
  c.keys.keys = {{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"}};
  c.breaker.failures = 0;
  auto s = TestState::create(c, clock);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::invalid_argument);
  CHECK(s.error().message == "breaker: failures must be between 1 and 1000, not 0");
  c.breaker = {};
  c.alerts.error_rate.above = 1.5;
  auto a = TestState::create(c, clock);
  REQUIRE_FALSE(a);
  CHECK(a.error().message == "alerts: error_rate.above must be a share in [0, 1) (0.2 is 20 %), not 1.5");
}

TEST_CASE("while one call holds the trial of a half-open breaker, other calls still skip the provider",
          "[governed][breaker]") {
  World w(World::default_keys(), with_breaker({.failures = 1, .window = 60s, .cool_off = 30s}));
  auto g = w.governed();
  push_overloaded(w, sonnet, 1);
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("anthropic", sonnet)));  // the one failure opens the breaker until 30 s
  // Another call in flight took the trial at 30 s and has not answered yet.
  w.clock.set(t0 + 30s);
  auto trial = w.state->breakers().enter(anthropic_index(w), w.clock.now());
  REQUIRE(trial);
  REQUIRE(trial->trial());
  skips_anthropic(w, g, t0 + 30s);
  // Its success closes the breaker: the next call goes to Anthropic again.
  REQUIRE(w.state->breakers().success(*trial, w.clock.now()));
  auto r = g.send(ask("anthropic", sonnet));
  REQUIRE(r);
  CHECK(r->provider == "anthropic");
}
