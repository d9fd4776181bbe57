// A failing model, and a spent account. An overloaded model (529, 503), a server error (500)
// and an unreachable provider are retried on the same target along the backoff curve; when
// the attempts are spent the model is cooled for every call site and account for the failure
// cooldown (5 minutes) and the call falls back. A billing failure (OpenAI's 429
// insufficient_quota, OpenRouter's 402) puts the account out until it is topped up: another
// account's key is used at once, or the call falls back, and the spent account is never tried
// again. Each test pins the exact walk on the simulated providers.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/use_future.hpp>

#include <deque>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// A State whose providers' circuit breakers never open. With the breaker's defaults, the
/// third network or 5xx failure within a minute would open Anthropic's (or OpenAI's) breaker
/// and the call would leave the provider there; the tests that pin the backoff curve's five
/// attempts and the model's 5-minute cooldown turn it off, so that path stays pinned
/// (breaker_walk.cpp pins the walk with the breaker on).
StateConfig without_breaker() {
  StateConfig c;
  c.breaker.enabled = false;
  return c;
}

/// What a curve of 4, 8, 16 and 32 s leaves of five attempts on one model from 0 s.
std::vector<Visit> five_attempts(const std::string& model) {
  return {{model, 0s}, {model, 4s}, {model, 12s}, {model, 28s}, {model, 60s}};
}

const std::vector<EventKind> curve_spent_then_next_model{EventKind::retried, EventKind::retried,
                                                         EventKind::retried, EventKind::retried,
                                                         EventKind::cooled,  EventKind::switched_model};

/// The retry messages of the curve 4, 8, 16, 32 s, after `said`.
std::vector<std::string> retried_along_curve(const std::string& said) {
  std::vector<std::string> out;
  for (const char* wait : {"4 seconds", "8 seconds", "16 seconds", "32 seconds"})
    out.push_back(fmt::format("{} Retrying in {}.", said, wait));
  return out;
}

/// `model` of `provider` is skipped by a new call site, whatever its account, until `until`
/// and used again from `until` on; `fallback` serves meanwhile.
template <class CallSite>
void check_failure_cooldown(World& w, CallSite& other, const std::string& provider, const std::string& model,
                            Instant until, const std::string& fallback) {
  // Cooled for everyone: an overloaded model is not one account's limit.
  const auto cooled = w.state->cooldowns().cooling_until(CooldownKey{provider, model, "some-other-account"}, until - 1ns);
  REQUIRE(cooled);
  CHECK(*cooled == until);
  const std::size_t before = w.sim(provider).log().size();
  w.clock.set(until - 1ns);
  auto during = other.send(ask(provider, model));
  REQUIRE(during);
  CHECK(during->model == fallback);
  CHECK(during->attempts == 1);
  CHECK(during->events.empty());
  w.clock.set(until);
  auto after = other.send(ask(provider, model));
  REQUIRE(after);
  CHECK(after->model == model);
  CHECK(after->attempts == 1);
  const auto log = w.sim(provider).log();
  REQUIRE(log.size() == before + 2);
  CHECK(log[before].model == fallback);
  CHECK(log[before + 1].model == model);
  CHECK(log[before + 1].at == until);
}

/// The simulated providers behind a network that fails when told: the next attempts for a
/// model end with `failure` before any reply (the simulator never sees them).
class FlakyNetwork {
 public:
  FlakyNetwork(std::shared_ptr<Sim> providers, const Clock& clock) : providers_(std::move(providers)), clock_(&clock) {}

  void fail_next(std::string model, providers::NetworkFailure failure, int times) {
    for (int i = 0; i < times; ++i) pending_.push_back({model, failure});
  }

  transport::Reply send(const transport::Attempt& a) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->first != a.model) continue;
      transport::Reply r;
      r.failure = it->second;
      pending_.erase(it);
      lost_.push_back({std::string(a.model), clock_->now() - Instant{}});
      return r;
    }
    return providers_->send(a);
  }

  /// The attempts that failed on the way, as (model, instant − t0).
  std::vector<Visit> lost(Instant t0) const {
    std::vector<Visit> out;
    for (const auto& v : lost_) out.push_back({v.model, (Instant{} + v.at) - t0});
    return out;
  }

 private:
  std::shared_ptr<Sim> providers_;
  const Clock* clock_;
  std::deque<std::pair<std::string, providers::NetworkFailure>> pending_;
  std::vector<Visit> lost_;
};

}  // namespace

TEST_CASE("Anthropic's 529 overloaded_error on five attempts: the curve, then the model cooled 5 minutes for "
          "everyone, then the next model",
          "[governed][failure]") {
  World w(World::default_keys(), without_breaker());
  auto g = w.governed();
  for (int i = 0; i < 5; ++i)
    w.sim("anthropic").push_reply("claude-3-5-sonnet-20241022", recorded_reply("anthropic-529-overloaded"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", "claude-3-5-sonnet-20241022"));
  REQUIRE(r);
  CHECK(r->provider == "anthropic");
  CHECK(r->model == "claude-3-5-haiku-20241022");
  CHECK(r->attempts == 6);
  CHECK(w.clock.now() - t0 == 60s);
  auto expected = five_attempts("claude-3-5-sonnet-20241022");
  expected.push_back({"claude-3-5-haiku-20241022", 60s});
  CHECK(visits(w.sim("anthropic").log(), t0) == expected);
  CHECK(kinds(r->events) == curve_spent_then_next_model);
  CHECK(messages(r->events, EventKind::retried) ==
        retried_along_curve("ANTHROPIC (claude-3-5-sonnet-20241022) is overloaded. Retrying after a pause, then "
                            "trying alternatives\u2026"));
  REQUIRE(r->events[4].wait);
  CHECK(*r->events[4].wait == 5min);
  CHECK(r->events[5].message == "Switching to ANTHROPIC claude-3-5-haiku-20241022\u2026");
  for (const char* p : {"groq", "openai"}) CHECK(w.sim(p).log().empty());

  auto other = w.governed();
  check_failure_cooldown(w, other, "anthropic", "claude-3-5-sonnet-20241022", t0 + 60s + 5min,
                         "claude-3-5-haiku-20241022");
}

TEST_CASE("Anthropic's 500 api_error on five attempts: the curve, then the model cooled 5 minutes, then the next "
          "model",
          "[governed][failure]") {
  World w(World::default_keys(), without_breaker());
  auto g = w.governed();
  for (int i = 0; i < 5; ++i)
    w.sim("anthropic").push_reply("claude-3-5-sonnet-20241022", recorded_reply("anthropic-500-api-error"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", "claude-3-5-sonnet-20241022"));
  REQUIRE(r);
  CHECK(r->model == "claude-3-5-haiku-20241022");
  CHECK(r->attempts == 6);
  CHECK(w.clock.now() - t0 == 60s);
  auto expected = five_attempts("claude-3-5-sonnet-20241022");
  expected.push_back({"claude-3-5-haiku-20241022", 60s});
  CHECK(visits(w.sim("anthropic").log(), t0) == expected);
  CHECK(kinds(r->events) == curve_spent_then_next_model);
  CHECK(messages(r->events, EventKind::retried) ==
        retried_along_curve("ANTHROPIC (claude-3-5-sonnet-20241022) had a server error (Internal server error). "
                            "Retrying after a pause\u2026"));
  REQUIRE(r->events[4].wait);
  CHECK(*r->events[4].wait == 5min);

  auto other = w.governed();
  check_failure_cooldown(w, other, "anthropic", "claude-3-5-sonnet-20241022", t0 + 60s + 5min,
                         "claude-3-5-haiku-20241022");
}

TEST_CASE("OpenAI's 503 while gpt-4o is overloaded: the curve, then gpt-4o cooled 5 minutes, then gpt-4o-mini",
          "[governed][failure]") {
  World w(World::default_keys(), without_breaker());
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  w.sim("openai").overload("gpt-4o", t0 + 61s);  // over by the time the cooldown ends

  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 6);
  CHECK(w.clock.now() - t0 == 60s);
  auto expected = five_attempts("gpt-4o");
  expected.push_back({"gpt-4o-mini", 60s});
  CHECK(visits(w.sim("openai").log(), t0) == expected);
  const auto log = w.sim("openai").log();
  for (std::size_t i = 0; i < 5; ++i) CHECK(log[i].status == 503);
  CHECK(kinds(r->events) == curve_spent_then_next_model);
  CHECK(messages(r->events, EventKind::retried) ==
        retried_along_curve("OPENAI (gpt-4o) is overloaded. Retrying after a pause, then trying alternatives\u2026"));
  REQUIRE(r->events[4].wait);
  CHECK(*r->events[4].wait == 5min);

  auto other = w.governed();
  check_failure_cooldown(w, other, "openai", "gpt-4o", t0 + 60s + 5min, "gpt-4o-mini");
}

TEST_CASE("a connection refused on five attempts: the curve, then gpt-4o cooled 5 minutes, then gpt-4o-mini",
          "[governed][failure]") {
  World w(World::default_keys(), without_breaker());
  auto network = std::make_shared<FlakyNetwork>(w.transport, w.clock);
  Governed<FlakyNetwork, Clock> g(w.state, network);
  network->fail_next("gpt-4o", providers::NetworkFailure::connect_refused, 5);

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 6);
  CHECK(w.clock.now() - t0 == 60s);
  CHECK(network->lost(t0) == five_attempts("gpt-4o"));
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o-mini", 60s}});
  CHECK(kinds(r->events) == curve_spent_then_next_model);
  CHECK(messages(r->events, EventKind::retried) == retried_along_curve("Could not reach OPENAI."));
  REQUIRE(r->events[4].wait);
  CHECK(*r->events[4].wait == 5min);

  // The network is back; gpt-4o is still skipped by every call site until the cooldown ends.
  Governed<FlakyNetwork, Clock> other(w.state, network);
  check_failure_cooldown(w, other, "openai", "gpt-4o", t0 + 60s + 5min, "gpt-4o-mini");
}

TEST_CASE("a connection reset after a call that is not idempotent was sent ends the call with io_error at once",
          "[governed][failure]") {
  // The provider may have processed it: neither a retry nor another model may bill it twice.
  World w;
  auto network = std::make_shared<FlakyNetwork>(w.transport, w.clock);
  Governed<FlakyNetwork, Clock> g(w.state, network);
  network->fail_next("gpt-4o", providers::NetworkFailure::connection_reset, 1);

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message == "Could not reach OPENAI.");
  CHECK_FALSE(r.error().retry_after);
  CHECK(w.clock.now() == t0);
  CHECK(network->lost(t0) == std::vector<Visit>{{"gpt-4o", 0s}});
  for (const char* p : {"groq", "openai", "anthropic"}) CHECK(w.sim(p).log().empty());
  CHECK_FALSE(w.state->cooldowns().cooling_until(CooldownKey{"openai", "gpt-4o", "org-openai-a"}, t0));
}

TEST_CASE("OpenAI's 429 insufficient_quota puts the account out: the other account's key serves at once, and the "
          "spent one is never tried again",
          "[governed][billing]") {
  World w({{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
           {"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-openai-b"}});
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", recorded_reply("openai-insufficient-quota-code-null"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::key_exhausted, EventKind::key_rotated});
  CHECK(r->events[0].message ==
        "A OPENAI account's credit is spent; its keys are out until it is topped up.");
  CHECK_FALSE(r->events[0].wait);  // no date: out until someone pays
  CHECK(r->events[1].message == "Using another OPENAI key.");
  auto log = w.sim("openai").log();
  CHECK(visits(log, t0) == std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o", 0s}});
  REQUIRE(log.size() == 2);
  CHECK(log[0].key_index == 0u);
  CHECK(log[0].status == 429);
  CHECK(log[1].key_index == 1u);
  CHECK(w.state->keys().health(0, w.clock.wall_now()) == keys::KeyHealth::exhausted);

  // Other models, other call sites, two days later: the spent account is never sent anything.
  auto other = w.governed();
  REQUIRE(other.send(ask("openai", "gpt-4o")));
  REQUIRE(g.send(ask("openai", "gpt-4o-mini")));
  w.clock.advance(48h);
  auto later = other.send(ask("openai", "gpt-4o"));
  REQUIRE(later);
  CHECK(later->model == "gpt-4o");
  CHECK(later->events.empty());
  log = w.sim("openai").log();
  REQUIRE(log.size() == 5);
  for (std::size_t i = 1; i < log.size(); ++i) CHECK(log[i].key_index == 1u);
}

TEST_CASE("a billing failure on the only OpenAI account falls back to Anthropic at once, and the next call skips "
          "OpenAI without a request",
          "[governed][billing]") {
  World w;
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", recorded_reply("openai-insufficient-quota-code-null"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->provider == "anthropic");
  CHECK(r->model == "claude-3-5-sonnet-20241022");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::key_exhausted, EventKind::switched_provider});
  CHECK(r->events[1].message == "Switching to ANTHROPIC claude-3-5-sonnet-20241022\u2026");
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}});
  CHECK(visits(w.sim("anthropic").log(), t0) == std::vector<Visit>{{"claude-3-5-sonnet-20241022", 0s}});

  auto other = w.governed();
  auto next = other.send(ask("openai", "gpt-4o"));
  REQUIRE(next);
  CHECK(next->provider == "anthropic");
  CHECK(next->model == "claude-3-5-sonnet-20241022");
  CHECK(next->attempts == 1);
  CHECK(next->events.empty());
  CHECK(w.sim("openai").log().size() == 1);
}

TEST_CASE("async_send walks an overloaded model exactly as send does: the curve on the clock, the cooldown, the "
          "next model",
          "[governed][failure][async]") {
  // use_future completes on the system executor; the clock jumps when the one waiting call
  // is parked on it.
  World w(World::default_keys(), without_breaker());
  auto g = w.governed();
  for (int i = 0; i < 5; ++i)
    w.sim("anthropic").push_reply("claude-3-5-sonnet-20241022", recorded_reply("anthropic-529-overloaded"));

  const Instant t0 = w.clock.now();
  auto r = g.async_send(ask("anthropic", "claude-3-5-sonnet-20241022"), boost::asio::use_future).get();
  REQUIRE(r);
  CHECK(r->model == "claude-3-5-haiku-20241022");
  CHECK(r->attempts == 6);
  CHECK(w.clock.now() - t0 == 60s);
  auto expected = five_attempts("claude-3-5-sonnet-20241022");
  expected.push_back({"claude-3-5-haiku-20241022", 60s});
  CHECK(visits(w.sim("anthropic").log(), t0) == expected);
  CHECK(kinds(r->events) == curve_spent_then_next_model);
  const auto until = w.state->cooldowns().cooling_until(
      CooldownKey{"anthropic", "claude-3-5-sonnet-20241022", "anthropic-a"}, w.clock.now());
  REQUIRE(until);
  CHECK(*until - t0 == 60s + 5min);
}

TEST_CASE("Anthropic's credit balance sent as a 400 puts the account out: the other account's key serves at once",
          "[governed][billing]") {
  World w({{"anthropic", "sk-ant-test-key-aaaaaaaaaaaaaaaaaaaaaa", "anthropic-a"},
           {"anthropic", "sk-ant-test-key-bbbbbbbbbbbbbbbbbbbbbb", "anthropic-b"}});
  auto g = w.governed();
  w.sim("anthropic").push_reply("claude-3-5-sonnet-20241022", recorded_reply("anthropic-400-credit-balance"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", "claude-3-5-sonnet-20241022"));
  REQUIRE(r);
  CHECK(r->model == "claude-3-5-sonnet-20241022");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::key_exhausted, EventKind::key_rotated});
  CHECK(r->events[0].message == "A ANTHROPIC account's credit is spent; its keys are out until it is topped up.");
  REQUIRE(g.send(ask("anthropic", "claude-3-5-haiku-20241022")));
  const auto log = w.sim("anthropic").log();
  REQUIRE(log.size() == 3);
  CHECK(log[0].status == 400);
  CHECK(log[0].key_index == 0u);
  CHECK(log[1].key_index == 1u);
  CHECK(log[2].key_index == 1u);
}

// A key rotation is another key of the same provider: a move to another provider uses that
// provider's key and says so once, as a switch.
TEST_CASE("falling back to another provider after a billing failure says so once, with no key rotation",
          "[governed][billing]") {
  World w;
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", recorded_reply("openai-insufficient-quota-code-null"));
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->provider == "anthropic");
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::key_exhausted, EventKind::switched_provider});
}

TEST_CASE("OpenRouter's 402 puts the account out: the other account's key serves at once and the spent one is never "
          "tried again",
          "[governed][billing]") {
  StateConfig c;
  c.providers["openrouter"] = ProviderSettings{.rpm = 20};
  World w({{"openrouter", "sk-or-v1-test-key-aaaaaaaaaaaaaaaaaaaa", "openrouter-a"},
           {"openrouter", "sk-or-v1-test-key-bbbbbbbbbbbbbbbbbbbb", "openrouter-b"}},
          c);
  auto g = w.governed();
  w.sim("openrouter").push_reply("openai/gpt-4o-mini", recorded_reply("openrouter-402-afford-large"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openrouter", "openai/gpt-4o-mini"));
  REQUIRE(r);
  CHECK(r->provider == "openrouter");
  CHECK(r->model == "openai/gpt-4o-mini");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::key_exhausted, EventKind::key_rotated});
  auto log = w.sim("openrouter").log();
  REQUIRE(log.size() == 2);
  CHECK(log[0].status == 402);
  CHECK(log[0].key_index == 0u);
  CHECK(log[1].key_index == 1u);

  for (int i = 0; i < 3; ++i) REQUIRE(g.send(ask("openrouter", "openai/gpt-4o-mini")));
  log = w.sim("openrouter").log();
  REQUIRE(log.size() == 5);
  for (std::size_t i = 1; i < log.size(); ++i) CHECK(log[i].key_index == 1u);
}

// An overloaded model's 5-minute failure cooldown is neither a rate limit nor a wait the
// provider stated, and a rate limit's cooldown taken from the backoff curve is not the
// provider's wait either: the cooled event says what failed, and whose wait it is.
TEST_CASE("a cooled event says what failed and never claims a wait the provider did not state",
          "[governed][failure]") {
  World w;
  auto g = w.governed().with<backoff::none>();
  w.sim("anthropic").push_reply("claude-3-5-sonnet-20241022", recorded_reply("anthropic-529-overloaded"));
  auto overloaded = g.send(ask("anthropic", "claude-3-5-sonnet-20241022"));
  REQUIRE(overloaded);
  const auto said = messages(overloaded->events, EventKind::cooled);
  REQUIRE(said.size() == 1);
  CHECK(said[0].find("overloaded") != std::string::npos);
  CHECK(said[0].find("Rate limit") == std::string::npos);
  CHECK(said[0].find("The provider requests") == std::string::npos);
  CHECK(said[0] == "ANTHROPIC (claude-3-5-sonnet-20241022) is overloaded. It is skipped for 5 minutes. Automatically "
                   "trying alternative model/provider\u2026");

  w.sim("openai").push_reply("gpt-4o", recorded_reply("openai-retry-after-negative"));  // no usable wait
  auto limited = g.send(ask("openai", "gpt-4o"));
  REQUIRE(limited);
  const auto cooled = messages(limited->events, EventKind::cooled);
  REQUIRE(cooled.size() == 1);
  CHECK(cooled[0].find("The provider requests") == std::string::npos);
  CHECK(cooled[0] == "Rate limit reached for OPENAI (gpt-4o). It is skipped for 1 minute. Automatically trying "
                     "alternative model/provider\u2026");
}
