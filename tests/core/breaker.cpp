#include <governed/breaker.hpp>

#include <governed/clock/manual.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::BreakerConfig;
using governed::BreakerPass;
using governed::BreakerState;
using governed::EventKind;
using governed::Instant;
using governed::ProviderBreakers;

namespace {

constexpr std::size_t openai = 0;
constexpr std::size_t groq = 1;

ProviderBreakers breakers_of_two(BreakerConfig config = {}) {
  auto b = ProviderBreakers::make(2, config);
  REQUIRE(b);
  return std::move(*b);
}

BreakerPass pass_for(ProviderBreakers& b, std::size_t provider, Instant t) {
  auto p = b.enter(provider, t);
  REQUIRE(p);
  return *p;
}

// An attempt that goes and fails at t; what the breaker said about it.
std::optional<governed::BreakerTransition> failed_attempt(ProviderBreakers& b, std::size_t provider, Instant t) {
  const BreakerPass p = pass_for(b, provider, t);
  REQUIRE(p.allowed());
  return b.failure(p, t);
}

// Opens `provider`'s breaker with three failures at t0; returns the end of the cool-off.
Instant opened_at(ProviderBreakers& b, std::size_t provider, Instant t0) {
  CHECK_FALSE(failed_attempt(b, provider, t0));
  CHECK_FALSE(failed_attempt(b, provider, t0));
  auto opened = failed_attempt(b, provider, t0);
  REQUIRE(opened);
  return opened->until;
}

}  // namespace

TEST_CASE("three failures within 59 seconds open the provider's breaker for a 30-second cool-off",
          "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  CHECK_FALSE(failed_attempt(b, openai, clock.now()));  // 0 s, on gpt-4o
  clock.advance(20s);
  CHECK_FALSE(failed_attempt(b, openai, clock.now()));  // 20 s, on gpt-4o-mini: same provider
  clock.advance(39s);
  auto opened = failed_attempt(b, openai, clock.now());  // 59 s
  REQUIRE(opened);
  CHECK(opened->kind == EventKind::breaker_opened);
  CHECK(opened->provider == openai);
  CHECK(opened->wait == 30s);
  CHECK(opened->until == Instant{89s});
  CHECK(b.state(openai, clock.now()) == BreakerState::open);
  CHECK(b.state(groq, clock.now()) == BreakerState::closed);  // other providers go on
  CHECK(pass_for(b, groq, clock.now()).allowed());
}

TEST_CASE("three failures spread over 61 seconds do not open the breaker", "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  CHECK_FALSE(failed_attempt(b, openai, clock.now()));  // 0 s
  clock.advance(30s);
  CHECK_FALSE(failed_attempt(b, openai, clock.now()));  // 30 s
  clock.advance(31s);
  CHECK_FALSE(failed_attempt(b, openai, clock.now()));  // 61 s: the first one is out of the window
  CHECK(b.state(openai, clock.now()) == BreakerState::closed);
  // The window slides: 30 s, 61 s and 90 s lie within 60 s.
  clock.advance(29s);
  CHECK(failed_attempt(b, openai, clock.now()));
}

TEST_CASE("a window of exactly 60 seconds still opens the breaker", "[breaker]") {
  auto b = breakers_of_two();
  CHECK_FALSE(failed_attempt(b, openai, Instant{0s}));
  CHECK_FALSE(failed_attempt(b, openai, Instant{30s}));
  CHECK(failed_attempt(b, openai, Instant{60s}));  // newest − oldest = window
}

TEST_CASE("an open breaker makes every call skip the provider until the cool-off ends", "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  const Instant until = opened_at(b, openai, clock.now());
  REQUIRE(until == Instant{30s});
  clock.set(until - 1ns);
  for (int i = 0; i < 3; ++i) {
    const BreakerPass p = pass_for(b, openai, clock.now());
    CHECK_FALSE(p.allowed());
    CHECK(p.open_until() == until);
  }
  clock.set(until);
  CHECK(b.state(openai, clock.now()) == BreakerState::half_open);
  const BreakerPass trial = pass_for(b, openai, clock.now());
  CHECK(trial.allowed());
  CHECK(trial.trial());
}

TEST_CASE("after the cool-off exactly one trial goes; every other call skips the provider", "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  clock.set(opened_at(b, openai, clock.now()));
  const BreakerPass trial = pass_for(b, openai, clock.now());
  REQUIRE(trial.trial());
  clock.advance(10s);  // the trial is still running
  for (int i = 0; i < 5; ++i) {
    const BreakerPass p = pass_for(b, openai, clock.now());
    CHECK_FALSE(p.allowed());
    CHECK_FALSE(p.trial());
    CHECK(p.open_until() == Instant{60s});  // the trial's lease: one cool-off from its start
  }
}

TEST_CASE("the trial's success closes the breaker and calls go again", "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  clock.set(opened_at(b, openai, clock.now()));
  const BreakerPass trial = pass_for(b, openai, clock.now());
  clock.advance(2s);
  auto closed = b.success(trial, clock.now());
  REQUIRE(closed);
  CHECK(closed->kind == EventKind::breaker_closed);
  CHECK(closed->provider == openai);
  CHECK_FALSE(closed->wait);
  CHECK(closed->until == Instant{32s});
  CHECK(b.state(openai, clock.now()) == BreakerState::closed);
  const BreakerPass next = pass_for(b, openai, clock.now());
  CHECK(next.allowed());
  CHECK_FALSE(next.trial());
  // Closed afresh: the failures before the opening are gone, it takes three again.
  CHECK_FALSE(failed_attempt(b, openai, clock.now()));
  CHECK_FALSE(failed_attempt(b, openai, clock.now()));
  CHECK(failed_attempt(b, openai, clock.now()));
}

TEST_CASE("the trial's failure re-opens the breaker for a full cool-off from the failure", "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  clock.set(opened_at(b, openai, clock.now()));  // 30 s
  const BreakerPass trial = pass_for(b, openai, clock.now());
  clock.advance(6s);  // the trial fails at 36 s
  auto reopened = b.failure(trial, clock.now());
  REQUIRE(reopened);
  CHECK(reopened->kind == EventKind::breaker_opened);
  CHECK(reopened->wait == 30s);
  CHECK(reopened->until == Instant{66s});
  clock.set(Instant{66s} - 1ns);
  CHECK_FALSE(pass_for(b, openai, clock.now()).allowed());
  clock.set(Instant{66s});
  CHECK(pass_for(b, openai, clock.now()).trial());
  // The first trial's verdict was given: reporting it again decides nothing.
  CHECK_FALSE(b.success(trial, clock.now()));
  CHECK(b.state(openai, clock.now()) == BreakerState::half_open);
}

TEST_CASE("an abandoned trial is given back and the next call becomes the trial", "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  clock.set(opened_at(b, openai, clock.now()));
  const BreakerPass first = pass_for(b, openai, clock.now());
  REQUIRE(first.trial());
  CHECK_FALSE(pass_for(b, openai, clock.now()).allowed());
  b.abandon(first);  // cancelled before it was sent
  const BreakerPass second = pass_for(b, openai, clock.now());
  CHECK(second.trial());
  // The given-back trial's late report decides nothing; the new trial's does.
  CHECK_FALSE(b.success(first, clock.now()));
  CHECK(b.state(openai, clock.now()) == BreakerState::half_open);
  CHECK(b.success(second, clock.now()));
}

TEST_CASE("a trial never reported is taken as abandoned after one cool-off, never as failed",
          "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  clock.set(opened_at(b, openai, clock.now()));  // 30 s
  const BreakerPass lost = pass_for(b, openai, clock.now());
  REQUIRE(lost.trial());
  clock.set(Instant{60s} - 1ns);
  CHECK_FALSE(pass_for(b, openai, clock.now()).allowed());
  clock.set(Instant{60s});  // one cool-off after the trial began: its lease is over
  const BreakerPass replacement = pass_for(b, openai, clock.now());
  CHECK(replacement.trial());
  CHECK_FALSE(b.failure(lost, clock.now()));  // replaced: its verdict no longer counts
  CHECK(b.success(replacement, clock.now()));
}

TEST_CASE("a late verdict of a trial past its lease still counts when no other trial replaced it",
          "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  clock.set(opened_at(b, openai, clock.now()));
  const BreakerPass slow = pass_for(b, openai, clock.now());
  clock.advance(2min);  // a long completion; nobody else asked meanwhile
  CHECK(b.success(slow, clock.now()));
}

TEST_CASE("reports of attempts let through before the breaker opened decide nothing", "[breaker]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  const BreakerPass in_flight = pass_for(b, openai, clock.now());
  const BreakerPass also_in_flight = pass_for(b, openai, clock.now());
  const Instant until = opened_at(b, openai, clock.now());
  CHECK_FALSE(b.failure(in_flight, clock.now()));  // no second opening, no longer cool-off
  CHECK_FALSE(b.success(also_in_flight, clock.now()));  // a stale success does not close it
  CHECK(b.state(openai, clock.now()) == BreakerState::open);
  CHECK(pass_for(b, openai, clock.now()).open_until() == until);
}

TEST_CASE("a success clears the failures counted so far: only failures with no success between open it",
          "[breaker]") {
  auto b = breakers_of_two();
  CHECK_FALSE(failed_attempt(b, openai, Instant{0s}));
  CHECK_FALSE(failed_attempt(b, openai, Instant{1s}));
  CHECK_FALSE(b.success(pass_for(b, openai, Instant{2s}), Instant{2s}));
  CHECK_FALSE(failed_attempt(b, openai, Instant{3s}));  // a busy provider's scattered 502s
  CHECK_FALSE(failed_attempt(b, openai, Instant{4s}));
  CHECK(b.state(openai, Instant{4s}) == BreakerState::closed);
  CHECK(failed_attempt(b, openai, Instant{5s}));
}

TEST_CASE("a skipped pass reports nothing", "[breaker]") {
  auto b = breakers_of_two();
  opened_at(b, openai, Instant{});
  const BreakerPass skipped = pass_for(b, openai, Instant{1s});
  REQUIRE_FALSE(skipped.allowed());
  CHECK_FALSE(b.failure(skipped, Instant{1s}));
  CHECK_FALSE(b.success(skipped, Instant{1s}));
  b.abandon(skipped);
  CHECK(b.state(openai, Instant{1s}) == BreakerState::open);
}

TEST_CASE("only network errors, server errors and overload count against the breaker", "[breaker]") {
  using governed::providers::Kind;
  CHECK(governed::counts_against_breaker(Kind::network_error));
  CHECK(governed::counts_against_breaker(Kind::server_error));
  CHECK(governed::counts_against_breaker(Kind::overloaded));
  for (Kind k : {Kind::success, Kind::rate_limit_requests, Kind::rate_limit_tokens, Kind::quota_daily,
                 Kind::insufficient_quota_billing, Kind::auth, Kind::permission_denied, Kind::bad_request,
                 Kind::context_length_exceeded, Kind::content_filter})
    CHECK_FALSE(governed::counts_against_breaker(k));
}

TEST_CASE("a disabled breaker never opens", "[breaker]") {
  auto b = breakers_of_two({.enabled = false});
  for (int i = 0; i < 100; ++i) CHECK_FALSE(failed_attempt(b, openai, Instant{}));
  CHECK(b.state(openai, Instant{}) == BreakerState::closed);
  CHECK(pass_for(b, openai, Instant{}).allowed());
}

TEST_CASE("other settings: one failure in 5 seconds opens for 2 minutes", "[breaker]") {
  auto b = breakers_of_two({.failures = 1, .window = 5s, .cool_off = 2min});
  auto opened = failed_attempt(b, groq, Instant{10s});
  REQUIRE(opened);
  CHECK(opened->until == Instant{130s});
  CHECK(b.state(openai, Instant{10s}) == BreakerState::closed);
}

TEST_CASE("breaker settings that can never work are refused with the setting named", "[breaker]") {
  auto refused = [](BreakerConfig c) {
    auto b = ProviderBreakers::make(1, c);
    REQUIRE_FALSE(b);
    CHECK(b.error().code == governed::Errc::invalid_argument);
    return b.error().message;
  };
  CHECK(refused({.failures = 0}) == "breaker: failures must be between 1 and 1000, not 0");
  CHECK(refused({.failures = 5000}) == "breaker: failures must be between 1 and 1000, not 5000");
  CHECK(refused({.window = 0s}) == "breaker: window must be longer than 0 and at most 24 hours, not 0 ms");
  CHECK(refused({.cool_off = -1s}) ==
        "breaker: cool_off must be longer than 0 and at most 24 hours, not -1000 ms");
  CHECK(refused({.cool_off = 25h}).find("cool_off must be") != std::string::npos);
  CHECK(BreakerConfig{}.validate());
}

TEST_CASE("a provider index outside the table is an error, not an open door", "[breaker]") {
  auto b = breakers_of_two();
  auto p = b.enter(2, Instant{});
  REQUIRE_FALSE(p);
  CHECK(p.error().code == governed::Errc::invalid_argument);
  CHECK(p.error().message == "breaker: provider index 2 is outside the table of 2 providers");
}

TEST_CASE("a moved-from breaker table has no providers left to crash on", "[breaker]") {
  auto b = breakers_of_two();
  ProviderBreakers moved = std::move(b);
  CHECK(moved.providers() == 2);
  CHECK(b.providers() == 0);  // NOLINT(bugprone-use-after-move): what is left must be safe
  CHECK_FALSE(b.enter(openai, Instant{}));
}

TEST_CASE("many threads failing and entering at once: one opening, then exactly one trial",
          "[breaker][concurrency]") {
  governed::clock::manual clock;
  auto b = breakers_of_two();
  constexpr int threads = 8;
  std::atomic<int> openings{0}, trials{0}, closings{0};
  auto run = [&](auto body) {
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back(body);
    for (auto& t : pool) t.join();
  };

  // Every thread fails on openai; whatever the interleaving, the breaker opens once.
  run([&] {
    for (int i = 0; i < 200; ++i) {
      auto p = b.enter(openai, clock.now());
      if (!p || !p->allowed()) continue;
      if (auto change = b.failure(*p, clock.now())) openings += change->kind == EventKind::breaker_opened;
    }
  });
  CHECK(openings == 1);
  CHECK(b.state(openai, clock.now()) == BreakerState::open);

  // After the cool-off every thread asks; one trial in all, and its success closes it once.
  clock.advance(30s);
  run([&] {
    for (int i = 0; i < 200; ++i) {
      auto p = b.enter(openai, clock.now());
      if (!p || !p->trial()) continue;
      ++trials;
      if (auto change = b.success(*p, clock.now())) closings += change->kind == EventKind::breaker_closed;
    }
  });
  CHECK(trials == 1);
  CHECK(closings == 1);
  CHECK(b.state(openai, clock.now()) == BreakerState::closed);
}
