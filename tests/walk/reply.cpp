// walk::ReplyStep driven directly over a State on a manual clock, as an attempt to gpt-4o
// comes back: a 429 with the provider's stated wait retries the same target after that wait;
// a daily allowance spent marks the account and says to move to another key at once; a
// refused key is never used again; a success reconciles the usage, adopts the provider's
// limit readings and records the call; a stream that broke off after showing text ends the
// call and is charged for what it showed.
#include <governed/governed.hpp>
#include <governed/walk/reply.hpp>

#include <governed/dialect/error.hpp>
#include <governed/transport/reply_reader.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

namespace {

using ReplyClock = clock::manual;
using ReplyState = State<limiter::gcra, ReplyClock>;

/// OpenAI's per-minute 429, as it is sent.
const std::string reply_rpm_429_body =
    R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-a on requests per min (RPM): )"
    R"(Limit 500, Used 500, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}})";

/// One attempt to OpenAI's gpt-4o, sent with the key of account org-a: the key chosen, the
/// limit set's admission and the breaker's pass held, as the walk holds them when it sends.
struct ReplyWorld {
  ReplyClock clock{Instant{std::chrono::hours{1}}, ReplyClock::default_wall_start, 1};
  std::shared_ptr<ReplyState> state = made_state(clock);
  keys::round_robin policy;
  backoff::exponential curve;
  Random rng{7};
  Request request;
  fallback::Candidate openai{};
  walk::CallFacts call;
  walk::KeySeat key;
  ReplyState::Set* set = nullptr;
  walk::AdmissionSeat<ReplyState::Set> admission;
  walk::BreakerSeat breaker;
  walk::Outcome outcome{state->observers(), state->secrets(), request.task};
  std::string why;
  walk::ReplyStep step;

  ReplyWorld() {
    openai = {state->table().provider("openai"), state->table().model("openai", "gpt-4o")};
    request.provider = "openai";
    request.model = "gpt-4o";
    request.messages = {{"user", "Hello"}};
    call.started = t();
    call.started_wall = w();
    call.origin_model = openai.model;
    call.estimate = providers::TokenEstimate{12, 1024};
    send_attempt();
  }

  /// The State the call runs over (made before the parts that hold on to it).
  static std::shared_ptr<ReplyState> made_state(ReplyClock& clock) {
    StateConfig config;
    config.keys.keys.push_back({"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-a"});
    config.keys.keys.push_back({"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-b"});
    config.keys.persist = false;  // health in memory: nothing outlives the test
    config.seed = 7;
    return ReplyState::create(std::move(config), clock).value();
  }

  Instant t() const { return clock.now(); }
  WallTime w() const { return clock.wall_now(); }

  void send_attempt() {
    const auto picked = key.choose(*state, policy, openai, t(), w(), rng, outcome.held_back(), why);
    REQUIRE(picked);
    key.use(*picked, outcome.counts().attempts, state->keys(), "openai");
    set = state->limit_set(*openai.provider, *openai.model, *picked).value();
    admission.begin(t());
    const auto a = admission.step(*set, t(), w(), walk::limit_cost(12, 1024),
                                  walk::patience(t(), std::nullopt, 60s, std::nullopt), walk::LineRules{0, 4, 50ms});
    REQUIRE(a.next == walk::Admit::send);
    REQUIRE_FALSE(breaker.enter(state->breakers(), state->table().index_of(*openai.provider), t()));
  }

  std::string_view account() const { return state->keys().account(key.key()); }

  walk::AfterReply carry_out(transport::Reply reply) {
    return step.carry_out(reply, walk::ReplyScene<ReplyState>{*state, request, openai, call, key, set, admission,
                                                              breaker, outcome, why},
                          policy, curve, rng);
  }

  const Event& last_event() const {
    REQUIRE_FALSE(outcome.events().empty());
    return outcome.events().back();
  }
};

transport::Reply reply_with(int status, std::string body,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
  transport::Reply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  transport::read_reply(r, providers::Dialect::openai);  // as a transport reads it, in the openai home
  return r;
}

}  // namespace

TEST_CASE("walk::ReplyStep: a 429 with retry-after on the first attempt retries the same target after the stated wait",
          "[walk][reply]") {
  ReplyWorld world;
  const Instant sent = world.t();
  CHECK(world.carry_out(reply_with(429, reply_rpm_429_body, {{"retry-after", "7"}})) == walk::AfterReply::wait);
  CHECK(world.admission.wake_at() == sent + 7s);
  CHECK(world.outcome.counts().attempts == 1);
  CHECK(world.outcome.counts().retries == 1);
  CHECK(world.outcome.counts().rate_limited == 1);
  CHECK(world.outcome.counts().backed_off == 7s);
  CHECK(world.last_event().kind == EventKind::retried);
  CHECK(world.last_event().wait == std::optional<Duration>(7s));
  // Nothing was cooled: the same target is tried again.
  CHECK_FALSE(world.state->cooldowns().cooling_until(CooldownKey{"openai", "gpt-4o", "org-a"}, sent));
}

TEST_CASE("walk::ReplyStep: an error the transport already read is classified from its fields, not its body",
          "[walk][reply]") {
  ReplyWorld world;
  transport::Reply r = reply_with(429, "not the body the transport read");
  r.error = governed::dialect::decode_error(
      R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-a on requests per day. )"
      R"(Limit: 200 / day. Please try again in 7m12s.","type":"requests","param":null,"code":"rate_limit_exceeded"}})");
  CHECK(world.carry_out(r) == walk::AfterReply::other_key);
  CHECK(world.last_event().kind == EventKind::key_exhausted);
}

TEST_CASE("walk::ReplyStep: a daily allowance spent marks the account and says to move to another key at once",
          "[walk][reply]") {
  ReplyWorld world;
  const std::string spent(world.account());
  const auto body =
      R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-a on requests per day. )"
      R"(Limit: 200 / day. Please try again in 7m12s.","type":"requests","param":null,"code":"rate_limit_exceeded"}})";
  CHECK(world.carry_out(reply_with(429, body)) == walk::AfterReply::other_key);
  CHECK(world.last_event().kind == EventKind::key_exhausted);
  CHECK(world.last_event().key_fingerprint == world.state->keys().fingerprint(world.key.key()));
  CHECK(world.outcome.held_back().any());
  // This call's next key, and another call's, are of the other account.
  const auto next = world.key.choose(*world.state, world.policy, world.openai, world.t(), world.w(), world.rng,
                                     world.outcome.held_back(), world.why);
  REQUIRE(next);
  CHECK(world.state->keys().account(*next) != spent);
  walk::KeySeat other;
  const auto theirs = other.choose(*world.state, world.policy, world.openai, world.t(), world.w(), world.rng,
                                   world.outcome.held_back(), world.why);
  REQUIRE(theirs);
  CHECK(world.state->keys().account(*theirs) != spent);
}

TEST_CASE("walk::ReplyStep: a refused key is never used again and the call moves to another key at once",
          "[walk][reply]") {
  ReplyWorld world;
  const std::size_t refused = world.key.key();
  const auto body = R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error",)"
                    R"("param":null,"code":"invalid_api_key"}})";
  CHECK(world.carry_out(reply_with(401, body)) == walk::AfterReply::other_key);
  CHECK(world.last_event().kind == EventKind::key_invalid);
  REQUIRE(world.step.last_verdict());
  CHECK(world.step.last_verdict()->kind == providers::Kind::auth);
  CHECK(world.step.refused_keyless() == nullptr);  // the key was a real one
  for (int i = 0; i < 3; ++i) {
    walk::KeySeat other;
    const auto k = other.choose(*world.state, world.policy, world.openai, world.t(), world.w(), world.rng,
                                world.outcome.held_back(), world.why);
    REQUIRE(k);
    CHECK(*k != refused);
  }
}

TEST_CASE("walk::ReplyStep: a success reconciles the usage, adopts the provider's limit readings and records the call",
          "[walk][reply]") {
  ReplyWorld world;
  const auto body = R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,)"
                    R"("message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],)"
                    R"("usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})";
  world.clock.advance(2s);
  // The provider says no request is left in its window for 50 s.
  CHECK(world.carry_out(reply_with(200, body, {{"x-ratelimit-remaining-requests", "0"},
                                               {"x-ratelimit-reset-requests", "50s"}})) ==
        walk::AfterReply::answered);
  CHECK(world.outcome.done());
  CHECK(world.outcome.recorded());
  CHECK_FALSE(world.breaker.holding());  // the pass was reported
  auto result = world.outcome.take_result();
  REQUIRE(result);
  CHECK(result->content == "Hi there");
  CHECK(result->usage.input_tokens == 12);
  CHECK(result->usage.output_tokens == 3);
  CHECK(result->provider == "openai");
  CHECK(result->model == "gpt-4o");
  CHECK(result->attempts == 1);
  CHECK(result->latency == 2s);
  CHECK(result->key_fingerprint == world.state->keys().fingerprint(world.key.key()));
  // The next call on the account waits for the provider's window, not for the set's own pace.
  const auto next = world.set->admit(walk::limit_cost(12, 3), world.t(), world.w());
  REQUIRE(next);
  CHECK_FALSE(next->admitted);
  CHECK(next->retry_after >= 45s);
}

TEST_CASE("walk::ReplyStep: a stream that broke off after showing text ends the call, charged for what it showed",
          "[walk][reply]") {
  ReplyWorld world;
  transport::Reply r = reply_with(500, "");
  r.streamed = transport::Streamed{"Once upon a time", std::nullopt, 2};
  CHECK(world.carry_out(r) == walk::AfterReply::fail);
  const Error e = world.step.take_error();
  CHECK(e.code == Errc::io_error);
  CHECK(e.message == providers::broke_off_message("openai", "gpt-4o"));
  const CallEnd end = world.outcome.failure("openai", "gpt-4o", e.code, e.message);
  CHECK(end.usage.input_tokens == 12);
  CHECK(end.usage.output_tokens > 0);
  CHECK(end.cost > 0);
}
