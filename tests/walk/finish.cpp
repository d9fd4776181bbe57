// The walk's end driven directly: what a call answers when nothing is left to try, by what
// stopped it (a shared store's refusal first, then the candidates held back with the
// shortest wait, then why a candidate could not serve); the fallback cap's sentence; and a
// call ended with an error, over a State on a manual clock: every place it held given back,
// its failure said without the secrets, the call recorded once.
#include <governed/governed.hpp>
#include <governed/walk/finish.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

namespace {

const std::string finish_secret = "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa";

Error finish_nothing_left(const walk::HeldBack& held, const std::optional<Error>& store_refused = std::nullopt,
                          const std::string& unservable = {}) {
  return walk::nothing_left(store_refused, held, nullptr, std::nullopt, "openai", unservable, {});
}

using FinishClock = clock::manual;
using FinishState = State<limiter::gcra, FinishClock>;

}  // namespace

TEST_CASE("walk::nothing_left: candidates held back answer all_rate_limited with the shortest wait",
          "[walk][finish]") {
  walk::HeldBack held;
  held.remember(30s);
  held.remember(5s);
  const Error e = finish_nothing_left(held, std::nullopt, "a reason nobody reads: the waits say more");
  CHECK(e.code == Errc::all_rate_limited);
  CHECK(e.retry_after == std::optional<Duration>(5s));
  CHECK(e.message == providers::all_rate_limited_message(5s));
}

TEST_CASE("walk::nothing_left: a shared store that refused the call is what it ends with", "[walk][finish]") {
  walk::HeldBack held;
  held.remember(5s);
  const Error refused{Errc::io_error, "the shared rate limits can not be reached", std::nullopt};
  const Error e = finish_nothing_left(held, refused);
  CHECK(e.code == Errc::io_error);
  CHECK(e.message == refused.message);
}

TEST_CASE("walk::nothing_left: without waits, why a candidate could not serve; with nothing, all rate limited",
          "[walk][finish]") {
  const walk::HeldBack none;
  const Error unservable = finish_nothing_left(none, std::nullopt, "No API key is configured for OPENAI.");
  CHECK(unservable.code == Errc::invalid_argument);
  CHECK(unservable.message == "No API key is configured for OPENAI.");
  const Error nothing = finish_nothing_left(none);
  CHECK(nothing.code == Errc::all_rate_limited);
  CHECK_FALSE(nothing.retry_after);
  CHECK(nothing.message == providers::all_rate_limited_message(std::nullopt));
}

TEST_CASE("walk::fallback_cap_reached: the call ends as nothing left, and says its cap stopped it", "[walk][finish]") {
  walk::HeldBack held;
  held.remember(12s);
  const Error e = walk::fallback_cap_reached(finish_nothing_left(held), 2);
  CHECK(e.code == Errc::all_rate_limited);
  CHECK(e.retry_after == std::optional<Duration>(12s));
  CHECK(e.message == providers::all_rate_limited_message(12s) + providers::fallback_cap_sentence(2));
  CHECK(e.message.find("after 2 fallbacks") != std::string::npos);
}

TEST_CASE("walk::end_call: an ended call gives back what it held, says its failure without secrets, is recorded once",
          "[walk][finish]") {
  FinishClock clock{Instant{std::chrono::hours{1}}, FinishClock::default_wall_start, 1};
  StateConfig config;
  config.keys.keys.push_back({"openai", finish_secret, "org-a"});
  config.keys.persist = false;  // health in memory: nothing outlives the test
  auto state = FinishState::create(std::move(config), clock).value();
  int recorded = 0;
  state->call_hook().install([&](const CallRecord& r) {
    ++recorded;
    CHECK_FALSE(r.success);
  });
  Request request;
  request.provider = "openai";
  request.model = "gpt-4o";
  const fallback::Candidate openai{state->table().provider("openai"), state->table().model("openai", "gpt-4o")};
  walk::CallFacts call;
  call.started = clock.now();
  call.started_wall = clock.wall_now();
  walk::KeySeat key;
  walk::AdmissionSeat<FinishState::Set> admission;
  walk::BreakerSeat breaker;
  REQUIRE_FALSE(breaker.enter(state->breakers(), state->table().index_of(*openai.provider), clock.now()));
  walk::Outcome outcome{state->observers(), state->secrets(), request.task};
  Result<Response> out;
  outcome.deliver_into(out);

  walk::end_call(
      walk::EndScene<FinishState>{*state, request, &openai, call, key, admission, breaker, outcome},
      Error{Errc::rejected, "The provider refused " + finish_secret + ".", std::nullopt});
  CHECK_FALSE(breaker.holding());  // the attempt never went out: its pass is given back
  CHECK(outcome.done());
  CHECK(recorded == 1);
  REQUIRE_FALSE(out);
  CHECK(out.error().code == Errc::rejected);
  CHECK(out.error().message.find(finish_secret) == std::string::npos);
  REQUIRE_FALSE(outcome.events().empty());
  CHECK(outcome.events().back().kind == EventKind::failed);
  CHECK(outcome.events().back().model == "gpt-4o");
  CHECK(outcome.events().back().message.find(finish_secret) == std::string::npos);
}
