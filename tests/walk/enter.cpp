// walk::enter_candidate and walk::take_other_key driven directly over a State on a manual
// clock, whose keys are two OpenAI accounts', for a call to gpt-4o planned models first: the
// first candidate is entered with the policy's key and its limit set, saying nothing; a
// candidate whose provider's breaker is open, or that has no key, is passed over without a
// word, its wait counted; a move to another model is said and counted as a fallback; the
// fallback cap stops the walk with its cap; a spent plan answers nothing left; a spend budget
// at its limit ends the call, or with `downgrade` brings a cheaper candidate forward; another
// key after an account was spent is a rotation, and none left gives the candidate up.
#include <governed/governed.hpp>
#include <governed/walk/enter.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

namespace {

using EnterClock = clock::manual;
using EnterState = State<limiter::gcra, EnterClock>;
using EnterPlan = fallback::models_then_providers;

struct EnterWorld {
  EnterClock clock{Instant{std::chrono::hours{1}}, EnterClock::default_wall_start, 1};
  std::shared_ptr<EnterState> state;
  keys::round_robin policy;
  EnterPlan plan{};
  Random rng{13};
  Request request;
  walk::CallFacts call;
  walk::CandidateCursor<EnterPlan> candidates;
  walk::KeySeat key;
  walk::BreakerSeat breaker;
  walk::Outcome outcome{state->observers(), state->secrets(), request.task};
  std::string why;

  explicit EnterWorld(std::optional<std::uint32_t> max_fallbacks = std::nullopt,
                      std::optional<SpendBudgetConfig> spend = std::nullopt)
      : state(made_state(clock, std::move(spend))) {
    request.provider = "openai";
    request.model = "gpt-4o";
    request.messages = {{"user", "Hello"}};
    request.max_fallbacks = max_fallbacks;
    call.started = clock.now();
    call.started_wall = clock.wall_now();
    call.estimate = providers::TokenEstimate{12, 1024};
    auto origin = walk::find_origin(state->table(), {}, request);
    REQUIRE(origin);
    REQUIRE(candidates.plan(plan, state->table(), {}, *origin, walk::plan_input(*origin, call.estimate)));
  }

  /// The State the call runs over (made before the parts that hold on to it).
  static std::shared_ptr<EnterState> made_state(EnterClock& clock, std::optional<SpendBudgetConfig> spend) {
    StateConfig config;
    config.spend = std::move(spend);
    config.keys.keys.push_back({"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-a"});
    config.keys.keys.push_back({"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-b"});
    config.keys.persist = false;  // health in memory: nothing outlives the test
    config.breaker.failures = 1;
    config.seed = 13;
    return EnterState::create(std::move(config), clock).value();
  }

  walk::EntryScene<EnterState, EnterPlan> scene() {
    return {*state, request, plan, candidates, call, key, breaker, outcome, rng, why};
  }
  walk::Entry<EnterState::Set> enter() { return walk::enter_candidate(scene(), policy, clock.now()); }
  walk::Entry<EnterState::Set> other_key() { return walk::take_other_key(scene(), policy, clock.now()); }

  /// The call gives the candidate it entered up, as the walk does.
  void give_up() {
    breaker.give_back(state->breakers());
    candidates.leave();
  }

  std::string target() const { return candidates.current().provider->name + "/" + candidates.current().model->name; }
};

}  // namespace

TEST_CASE("walk::enter_candidate: the first candidate is entered with the policy's key and its limit set, silently",
          "[walk][enter]") {
  EnterWorld world;
  const auto e = world.enter();
  REQUIRE(e.next == walk::Enter::admit);
  CHECK(world.target() == "openai/gpt-4o");
  CHECK(e.set == world.state->limit_set(*world.candidates.current().provider, *world.candidates.current().model,
                                        world.key.key())
                     .value());
  CHECK(world.key.chosen());
  CHECK(world.breaker.holding());  // the attempt's pass
  CHECK(world.outcome.events().empty());
  CHECK(world.outcome.counts().fallbacks == 0);
}

TEST_CASE("walk::enter_candidate: a candidate whose provider's breaker is open is passed over, its wait counted",
          "[walk][enter]") {
  EnterWorld world;
  auto pass = world.state->breakers().enter(*world.state->table().index_of(*world.candidates.current().provider),
                                            world.clock.now());
  REQUIRE(pass);
  REQUIRE(world.state->breakers().failure(*pass, world.clock.now()));  // another call's failure opened it
  CHECK(world.enter().next == walk::Enter::skip);
  CHECK_FALSE(world.breaker.holding());
  CHECK(world.outcome.events().empty());  // nothing was tried: nothing is said
  CHECK(world.outcome.counts().fallbacks == 0);
  const Error held = world.outcome.held_back().error();
  CHECK(held.code == Errc::io_error);
  CHECK(held.retry_after == std::optional<Duration>(30s));
  CHECK(world.why == providers::breaker_skip_message("openai", 30s));
}

TEST_CASE("walk::enter_candidate: a move to another model is said and counted as a fallback", "[walk][enter]") {
  EnterWorld world;
  REQUIRE(world.enter().next == walk::Enter::admit);
  world.give_up();
  REQUIRE(world.enter().next == walk::Enter::admit);
  CHECK(world.candidates.current().provider->name == "openai");
  CHECK(world.target() != "openai/gpt-4o");
  CHECK(world.outcome.counts().fallbacks == 1);
  REQUIRE(world.outcome.events().size() == 1);
  CHECK(world.outcome.events().back().kind == EventKind::switched_model);
}

TEST_CASE("walk::enter_candidate: candidates without a key are passed over silently; a spent plan is nothing left",
          "[walk][enter]") {
  EnterWorld world;
  int skipped = 0;
  auto e = world.enter();
  for (int i = 0; i < 512 && e.next != walk::Enter::nothing_left; ++i) {
    if (e.next == walk::Enter::admit) world.give_up();
    else REQUIRE(e.next == walk::Enter::skip);
    if (e.next == walk::Enter::skip) ++skipped;
    e = world.enter();
  }
  CHECK(e.next == walk::Enter::nothing_left);
  CHECK(skipped > 0);  // the other providers': no key is configured for them
  // Only moves among OpenAI's models were said: no other provider was entered.
  for (const Event& said : world.outcome.events()) CHECK(said.kind == EventKind::switched_model);
}

TEST_CASE("walk::enter_candidate: the fallback cap stops the walk when it would move once more", "[walk][enter]") {
  EnterWorld world{0};
  REQUIRE(world.enter().next == walk::Enter::admit);
  world.give_up();
  auto e = world.enter();
  for (int i = 0; i < 64 && e.next == walk::Enter::skip; ++i) e = world.enter();
  REQUIRE(e.next == walk::Enter::cap_reached);
  CHECK(e.cap == 0);
  CHECK(world.outcome.events().empty());  // the move was never made, so never said
  CHECK(world.outcome.counts().fallbacks == 0);
}

TEST_CASE("walk::take_other_key: another account's key after one was spent is a rotation; none left gives up",
          "[walk][enter]") {
  EnterWorld world;
  REQUIRE(world.enter().next == walk::Enter::admit);
  const std::size_t first = world.key.key();
  CHECK(world.state->keys().account(first) == "org-a");
  world.outcome.counts().attempts = 1;  // an attempt went out with it
  const WallTime w = world.clock.wall_now();
  world.key.spent(*world.state, world.policy, world.candidates.current(), false, w + 1h, w);
  const auto e = world.other_key();
  REQUIRE(e.next == walk::Enter::admit);
  CHECK(world.state->keys().account(world.key.key()) == "org-b");
  REQUIRE_FALSE(world.outcome.events().empty());
  CHECK(world.outcome.events().back().kind == EventKind::key_rotated);
  CHECK(world.outcome.events().back().key_fingerprint == world.state->keys().fingerprint(world.key.key()));
  // Its account spent too: no key is left for the candidate.
  world.key.spent(*world.state, world.policy, world.candidates.current(), false, w + 1h, w);
  CHECK(world.other_key().next == walk::Enter::leave);
  CHECK(world.outcome.held_back().error().retry_after == std::optional<Duration>(1h));
}

namespace {

/// A daily spend budget of `daily` dollars, doing `at_limit` when a call's worst case does not fit.
SpendBudgetConfig enter_spend(double daily, AtLimit at_limit) {
  SpendBudgetConfig c;
  c.daily_usd = daily;
  c.at_limit = at_limit;
  return c;
}

/// gpt-4o's worst case for the call's estimate: what its spend hold asks.
double enter_worst_case(const EnterWorld& world) {
  return providers::estimated_cost(world.candidates.current().model->price, world.call.estimate).total_cost;
}

}  // namespace

TEST_CASE("walk::enter_candidate: a spend budget too small for the candidate's worst case ends the call",
          "[walk][enter]") {
  EnterWorld world{std::nullopt, enter_spend(1e-6, AtLimit::refuse)};
  const auto e = world.enter();
  REQUIRE(e.next == walk::Enter::fail);
  REQUIRE(e.error);
  CHECK(e.error->code == Errc::budget_exhausted);
  REQUIRE_FALSE(world.outcome.events().empty());
  CHECK(world.outcome.events().back().kind == EventKind::budget_exhausted);
}

TEST_CASE("walk::enter_candidate: at the spend limit with downgrade, the cheapest candidate that fits comes next",
          "[walk][enter]") {
  EnterWorld probe;
  const double gpt_4o = enter_worst_case(probe);
  // Half of gpt-4o's worst case: too little for it, enough for a cheaper model's.
  EnterWorld world{std::nullopt, enter_spend(gpt_4o / 2, AtLimit::downgrade)};
  REQUIRE(world.enter().next == walk::Enter::leave);
  REQUIRE_FALSE(world.outcome.events().empty());
  const Event said = world.outcome.events().back();
  CHECK(said.kind == EventKind::budget_alert);
  world.candidates.leave();  // as the walk leaves it
  REQUIRE(world.candidates.more(world.plan, world.state->table()));
  const auto& next = world.candidates.current();
  CHECK(said.message == providers::spend_downgrade_message(next.provider->name, next.model->name));
  CHECK(enter_worst_case(world) <= gpt_4o / 2);
}

TEST_CASE("a candidate that lacks what the call needs is skipped with a stated event, before any key or admission",
          "[walk][enter]") {
  EnterWorld world;
  // OpenAI's tool messages are text: no OpenAI model takes an image in a tool's result.
  world.call.needs.required = providers::Capabilities{providers::Capability::tool_result_images};
  const auto e = world.enter();
  CHECK(e.next == walk::Enter::skip_stated);
  CHECK(e.set == nullptr);
  CHECK_FALSE(world.key.chosen());     // no key was picked
  CHECK_FALSE(world.breaker.holding());  // no breaker pass was taken
  CHECK(world.call.stated_skips == 1);
  CHECK(world.outcome.counts().fallbacks == 0);  // nothing was tried: not a move
  REQUIRE(world.outcome.events().size() == 1);
  const auto& said = world.outcome.events().front();
  CHECK(said.kind == EventKind::skipped);
  CHECK(said.provider == "openai");
  CHECK(said.model == "gpt-4o");
  CHECK(said.message == "Skipping OPENAI gpt-4o: it cannot take tool_result_images.");
  // The cursor moved on at once: the next candidate is another model, not yet entered.
  REQUIRE(world.candidates.more(world.plan, world.state->table()));
  CHECK(world.target() != "openai/gpt-4o");
  CHECK(world.state->cooldowns().cooling_until(CooldownKey{"openai", "gpt-4o", "org-a"}, world.clock.now()) ==
        std::nullopt);
}

TEST_CASE("walk::enter_candidate: a call that needs nothing beyond text says nothing of capabilities",
          "[walk][enter]") {
  EnterWorld world;
  REQUIRE(world.call.needs.required.empty());
  CHECK(world.enter().next == walk::Enter::admit);
  CHECK(world.call.stated_skips == 0);
  CHECK(world.outcome.events().empty());
}
