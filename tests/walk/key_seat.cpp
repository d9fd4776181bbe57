// walk::KeySeat driven directly over a State on a manual clock: it never hands out a refused
// key, avoids an account found spent, skips a key whose model cools for its account, says
// why when no key can be had, and calls a change of key a rotation only after an attempt went
// out with the one replaced.
#include <governed/governed.hpp>
#include <governed/walk/key_seat.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

namespace {

using SeatClock = clock::manual;
using SeatState = State<limiter::gcra, SeatClock>;

/// Two OpenAI keys of two accounts, and one Groq key.
struct KeyWorld {
  SeatClock clock{Instant{std::chrono::hours{1}}, SeatClock::default_wall_start, 1};
  std::shared_ptr<SeatState> state;
  keys::round_robin policy;
  Random rng{7};
  fallback::Candidate openai{}, groq{};

  KeyWorld() {
    StateConfig config;
    config.keys.keys.push_back({"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-a"});
    config.keys.keys.push_back({"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-b"});
    config.keys.keys.push_back({"groq", "gsk_test_groq_key_aaaaaaaaaaaaaaaaaaaa", "groq-a"});
    config.keys.persist = false;  // health in memory: nothing outlives the test
    config.seed = 7;
    state = SeatState::create(std::move(config), clock).value();
    const auto& table = state->table();
    openai = {table.provider("openai"), table.model("openai", "gpt-4o")};
    groq = {table.provider("groq"), table.models_of("groq").front()};
  }

  Instant t() const { return clock.now(); }
  WallTime w() const { return clock.wall_now(); }

  std::optional<std::size_t> choose(walk::KeySeat& seat, const fallback::Candidate& c, walk::HeldBack& held,
                                    std::string& why) {
    return seat.choose(*state, policy, c, t(), w(), rng, held, why);
  }
};

}  // namespace

TEST_CASE("walk::KeySeat: a key the provider refused is never handed out again", "[walk][keys]") {
  KeyWorld world;
  REQUIRE(world.openai.model);
  walk::KeySeat seat;
  walk::HeldBack held;
  std::string why;
  const auto first = world.choose(seat, world.openai, held, why);
  REQUIRE(first);
  seat.use(*first, 0, world.state->keys(), "openai");
  seat.invalidate(*world.state, world.policy, *world.openai.provider, world.w());
  for (int i = 0; i < 4; ++i) {
    const auto next = world.choose(seat, world.openai, held, why);
    REQUIRE(next);
    CHECK(*next != *first);
  }
  // With the other key refused too, none is left, and the call is told why.
  seat.use(*world.choose(seat, world.openai, held, why), 1, world.state->keys(), "openai");
  seat.invalidate(*world.state, world.policy, *world.openai.provider, world.w());
  CHECK_FALSE(world.choose(seat, world.openai, held, why));
  CHECK_FALSE(held.any());
  CHECK(why == providers::every_key_refused_message("openai"));
}

TEST_CASE("walk::KeySeat: an account found spent is avoided by the call, and by every call until its reset",
          "[walk][keys]") {
  KeyWorld world;
  walk::KeySeat seat;
  walk::HeldBack held;
  std::string why;
  const auto first = world.choose(seat, world.openai, held, why);
  REQUIRE(first);
  seat.use(*first, 0, world.state->keys(), "openai");
  const std::string spent_account(world.state->keys().account(*first));
  seat.spent(*world.state, world.policy, world.openai, false, world.w() + 1h, world.w());
  for (int i = 0; i < 3; ++i) {
    const auto next = world.choose(seat, world.openai, held, why);
    REQUIRE(next);
    CHECK(world.state->keys().account(*next) != spent_account);
  }
  // Another call's seat does not pick it either: the pool holds it spent.
  walk::KeySeat other;
  const auto theirs = world.choose(other, world.openai, held, why);
  REQUIRE(theirs);
  CHECK(world.state->keys().account(*theirs) != spent_account);
}

TEST_CASE("walk::KeySeat: a key whose model cools for its account is not chosen; the wait is remembered",
          "[walk][keys]") {
  KeyWorld world;
  walk::KeySeat seat;
  walk::HeldBack held;
  std::string why;
  world.state->cooldowns().cool(CooldownKey{"groq", world.groq.model->name, "groq-a"}, world.t() + 30s, "busy",
                                world.t());
  CHECK_FALSE(world.choose(seat, world.groq, held, why));
  REQUIRE(held.any());
  CHECK(held.error().retry_after == 30s);
}

TEST_CASE("walk::KeySeat: a provider with no key configured says so", "[walk][keys]") {
  KeyWorld world;
  const fallback::Candidate anthropic{world.state->table().provider("anthropic"),
                                      world.state->table().models_of("anthropic").front()};
  REQUIRE(anthropic.provider);
  REQUIRE(anthropic.model);
  walk::KeySeat seat;
  walk::HeldBack held;
  std::string why;
  CHECK_FALSE(world.choose(seat, anthropic, held, why));
  CHECK_FALSE(why.empty());
  CHECK_FALSE(seat.chosen());
}

TEST_CASE("walk::KeySeat: a change of key is a rotation only after an attempt went out with the one replaced",
          "[walk][keys]") {
  KeyWorld world;
  const auto& pool = world.state->keys();
  const auto openai = world.state->key_indices(*world.openai.provider);
  const auto groq = world.state->key_indices(*world.groq.provider);
  REQUIRE(openai.size() == 2);
  REQUIRE(groq.size() == 1);
  walk::KeySeat seat;
  CHECK_FALSE(seat.use(openai[0], 0, pool, "openai"));  // the first key
  CHECK(seat.chosen());
  CHECK_FALSE(seat.use(openai[1], 0, pool, "openai"));  // chosen, never sent with: not replaced
  CHECK(seat.use(openai[0], 1, pool, "openai"));        // an attempt went out with the other
  CHECK_FALSE(seat.use(openai[0], 2, pool, "openai"));  // the same key again
  CHECK_FALSE(seat.use(groq[0], 3, pool, "groq"));      // another provider's key: a move
  CHECK(seat.key() == groq[0]);
}
