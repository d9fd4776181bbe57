// Alerts raised from the call path: 429s piling up on one target, a high share of failed
// calls, a spend spike. Each is one event, to the installed observer and among the events of
// the call that tripped it, at the instant it tripped.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// Every alert the State's observer saw, in order.
struct AlertLog {
  explicit AlertLog(World& w) {
    w.state->observers().install([this](const Event& e) {
      if (e.kind == EventKind::alert_rate_limits || e.kind == EventKind::alert_error_rate ||
          e.kind == EventKind::alert_spend_spike)
        seen.push_back(e);
    });
  }
  std::vector<Event> seen;
};

/// A plain 400: the call ends at once, failed.
sim::ProviderReply refused_request() {
  return sim::ProviderReply{400,
                    {},
                    R"({"error":{"message":"Invalid value for 'temperature': must be at most 2.","type":)"
                    R"("invalid_request_error","param":"temperature","code":null}})",
                    {}};
}

}  // namespace

TEST_CASE("six 429s within a minute on one target raise one alert_rate_limits, at the sixth, to the observer and in "
          "the call's events",
          "[governed][alerts]") {
  World w;
  AlertLog alerts(w);
  auto g = w.governed().with(backoff::exponential{.attempts = 8});
  for (int i = 0; i < 7; ++i) w.sim("openai").push_reply("gpt-4o", recorded_reply("openai-tpm-gpt4o-644ms"));

  const Instant t0 = w.clock.now();
  const WallTime wall0 = w.clock.wall_now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 8);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 8);
  REQUIRE(alerts.seen.size() == 1);  // the seventh 429 is the same alert going on
  const Event& a = alerts.seen[0];
  CHECK(a.kind == EventKind::alert_rate_limits);
  CHECK(a.provider == "openai");
  CHECK(a.model == "gpt-4o");
  CHECK(a.message == "OPENAI (gpt-4o) answered 6 calls with 429 in the last minute (alert above 5).");
  CHECK(a.at == wall0 + (log[5].at - t0));
  // Among the call's events, after the fifth retry and before the sixth.
  const auto k = kinds(r->events);
  REQUIRE(count(r->events, EventKind::alert_rate_limits) == 1);
  const auto at = std::find(k.begin(), k.end(), EventKind::alert_rate_limits) - k.begin();
  CHECK(std::count(k.begin(), k.begin() + at, EventKind::retried) == 5);
}

TEST_CASE("more than 20 % of the calls of five minutes failing, after at least 20 calls, raises one alert_error_rate "
          "at the failure that crossed it",
          "[governed][alerts]") {
  World w;
  AlertLog alerts(w);
  auto g = w.governed();
  for (int i = 0; i < 16; ++i) REQUIRE(g.send(ask("openai", "gpt-4o")));
  // 4 of 20 is 20 %, not above it.
  for (int i = 0; i < 4; ++i) {
    w.sim("openai").push_reply("gpt-4o", refused_request());
    auto r = g.send(ask("openai", "gpt-4o"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::rejected);
  }
  CHECK(alerts.seen.empty());
  w.sim("openai").push_reply("gpt-4o", refused_request());
  REQUIRE_FALSE(g.send(ask("openai", "gpt-4o")));
  REQUIRE(alerts.seen.size() == 1);
  CHECK(alerts.seen[0].kind == EventKind::alert_error_rate);
  CHECK(alerts.seen[0].message == "5 of 21 calls (24 %) failed in the last 5 minutes (alert above 20 %).");
  CHECK(alerts.seen[0].at == w.clock.wall_now());
  // Once: more failures while the share stays high raise nothing more.
  w.sim("openai").push_reply("gpt-4o", refused_request());
  REQUIRE_FALSE(g.send(ask("openai", "gpt-4o")));
  CHECK(alerts.seen.size() == 1);
}

TEST_CASE("a cache hit reaches no provider and is not counted as a call by the error-rate alert", "[governed][alerts]") {
  StateConfig c;
  c.alerts.error_rate.min_calls = 2;
  c.alerts.error_rate.above = 0.5;
  World w(World::default_keys(), c);
  AlertLog alerts(w);
  auto g = w.governed();
  Request cached = ask("openai", "gpt-4o");
  cached.cacheable = true;
  REQUIRE(g.send(cached));
  // A failure of two calls is 50 %, not above it; counted with the cache hit it would be
  // one of three.
  w.sim("openai").push_reply("gpt-4o", refused_request());
  REQUIRE_FALSE(g.send(ask("openai", "gpt-4o")));
  CHECK(alerts.seen.empty());
  auto hit = g.send(cached);
  REQUIRE(hit);
  CHECK(hit->from_cache);
  w.sim("openai").push_reply("gpt-4o", refused_request());
  REQUIRE_FALSE(g.send(ask("openai", "gpt-4o")));
  REQUIRE(alerts.seen.size() == 1);
  CHECK(alerts.seen[0].message == "2 of 3 calls (67 %) failed in the last 5 minutes (alert above 50 %).");
}

TEST_CASE("after a day of cheap calls, an hour of dear ones raises one alert_spend_spike on the call that took the "
          "hour above 3 x the day's hourly mean",
          "[governed][alerts]") {
  StateConfig c;
  c.alerts.spend_spike.min_usd = 0;  // the simulated calls cost fractions of a cent
  World w(World::default_keys(), c);
  AlertLog alerts(w);
  auto g = w.governed();
  const Instant t0 = w.clock.now();  // a whole hour: the day watched starts here

  double day = 0;
  for (int h = 0; h < 24; ++h) {
    w.clock.set(t0 + std::chrono::hours{h} + 30min);
    auto r = g.send(ask("groq", "llama-3.1-8b-instant"));
    REQUIRE(r);
    REQUIRE(r->cost.total_cost > 0);
    day += r->cost.total_cost;
  }
  CHECK(alerts.seen.empty());
  const double level = 3 * day / 24;

  double hour = 0;
  int spiked_at = -1;
  for (int k = 0; k < 12; ++k) {
    w.clock.set(t0 + 24h + k * 5min);
    auto r = g.send(ask("openai", "gpt-4o", std::string(2000, 'x')));
    REQUIRE(r);
    hour += r->cost.total_cost;
    const bool crossed_now = spiked_at < 0 && hour > level;
    CHECK(count(r->events, EventKind::alert_spend_spike) == (crossed_now ? 1u : 0u));
    if (crossed_now) {
      spiked_at = k;
      REQUIRE(alerts.seen.size() == 1);
      CHECK(alerts.seen[0].kind == EventKind::alert_spend_spike);
      CHECK(alerts.seen[0].at == w.clock.wall_now());
    }
  }
  CHECK(spiked_at >= 0);
  CHECK(alerts.seen.size() == 1);
}
