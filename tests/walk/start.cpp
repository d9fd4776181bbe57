// walk::begin_call driven directly over a State on a manual clock: what happens before a
// call's first candidate — its trace joined or begun, a request it can not walk refused, the
// task's call budget taken, an identical call's answer taken from the cache, the candidates
// planned from the model asked for.
#include <governed/governed.hpp>
#include <governed/walk/start.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

namespace {

using StartClock = clock::manual;
using StartState = State<limiter::gcra, StartClock>;
using StartCursor = walk::CandidateCursor<fallback::models_then_providers>;

/// A State with one OpenAI key, and a call to gpt-4o about to begin.
struct StartWorld {
  StartClock clock{Instant{std::chrono::hours{1}}, StartClock::default_wall_start, 1};
  std::shared_ptr<StartState> state;
  fallback::models_then_providers order{};
  Random rng{11};
  Request request;
  walk::CallFacts call;
  /// Made when the call begins, for the request's task as the test set it.
  std::optional<walk::Outcome> outcome;
  walk::KeySeat key;
  StartCursor candidates;
  std::array<char, traceparent_size> traceparent{};

  explicit StartWorld(StateConfig config = {}) {
    config.keys.keys.push_back({"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-a"});
    config.keys.persist = false;  // health in memory: nothing outlives the test
    config.seed = 11;
    state = StartState::create(std::move(config), clock).value();
    request.provider = "openai";
    request.model = "gpt-4o";
    request.messages = {{"user", "Hello"}};
  }

  Result<walk::Begun> begin() {
    outcome.emplace(state->observers(), state->secrets(), request.task);
    return walk::begin_call(
        walk::StartScene<StartState>{*state, request, call, *outcome, key, rng, traceparent.data()}, order,
        candidates);
  }

  std::string header() const { return std::string(traceparent.data(), traceparent.size()); }
};

}  // namespace

TEST_CASE("walk::begin_call: a call joins its caller's trace, with a span of its own", "[walk][start]") {
  StartWorld world;
  world.request.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  REQUIRE(world.begin() == walk::Begun::planned);
  const std::string header = world.header();
  CHECK(header.substr(0, 36) == "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  CHECK(header.substr(36, 16) != "00f067aa0ba902b7");
  CHECK(header.substr(52) == "-01");
  CHECK(world.call.started == world.clock.now());
  CHECK(world.call.started_wall == world.clock.wall_now());
}

TEST_CASE("walk::begin_call: a call with no trace of its caller's starts one", "[walk][start]") {
  StartWorld world;
  REQUIRE(world.begin() == walk::Begun::planned);
  REQUIRE(parse_traceparent(world.header()));
  CHECK(parse_traceparent(world.header())->trace_id == world.call.trace.trace_id);
}

TEST_CASE("walk::begin_call: a malformed traceparent, a negative total wait and an unknown model are refused",
          "[walk][start]") {
  SECTION("a malformed traceparent") {
    StartWorld world;
    world.request.traceparent = "00-not-a-trace";
    const auto begun = world.begin();
    REQUIRE_FALSE(begun);
    CHECK(begun.error().code == Errc::invalid_argument);
  }
  SECTION("a negative total wait") {
    StartWorld world;
    world.request.max_total_wait = -1s;
    const auto begun = world.begin();
    REQUIRE_FALSE(begun);
    CHECK(begun.error().code == Errc::invalid_argument);
    CHECK(begun.error().message == "Request::max_total_wait must not be negative");
  }
  SECTION("an unknown model") {
    StartWorld world;
    world.request.model = "gpt-nonexistent";
    const auto begun = world.begin();
    REQUIRE_FALSE(begun);
    CHECK_FALSE(begun.error().message.empty());
  }
}

TEST_CASE("walk::begin_call: a task out of calls is refused, and says so by the names the call asked for",
          "[walk][start]") {
  StateConfig config;
  config.tasks.calls_by_kind["scraper"] = 0;
  StartWorld world(std::move(config));
  world.request.task = "scraper";
  world.request.task_id = "scrape-1";
  const auto begun = world.begin();
  REQUIRE_FALSE(begun);
  REQUIRE(world.outcome->events().size() == 1);
  const Event& said = world.outcome->events().front();
  CHECK(said.kind == EventKind::budget_exhausted);
  CHECK(said.provider == "openai");
  CHECK(said.model == "gpt-4o");
  CHECK(said.message == begun.error().message);
}

TEST_CASE("walk::begin_call: an identical call answered a moment ago is answered from the cache, with no attempt",
          "[walk][start]") {
  StartWorld world;
  world.request.cacheable = true;
  const auto key = cache_key_of("openai", "gpt-4o", world.request);
  REQUIRE(key);
  Response kept;
  kept.content = "Hi there";
  kept.provider = "openai";
  kept.model = "gpt-4o";
  kept.attempts = 2;
  world.state->cache().insert(*key, kept, kept.content.size() + 256, world.clock.now());
  world.clock.advance(1s);
  REQUIRE(world.begin() == walk::Begun::answered);
  CHECK(world.outcome->done());
  CHECK(world.outcome->recorded());
  const auto result = world.outcome->take_result();
  REQUIRE(result);
  CHECK(result->content == "Hi there");
  CHECK(result->from_cache);
  CHECK(result->attempts == 0);
  CHECK(result->trace_id == world.call.trace.trace_id);
  REQUIRE(result->events.size() == 1);
  CHECK(result->events.front().kind == EventKind::cache_hit);
}

TEST_CASE("walk::begin_call: a cacheable call the cache can not answer keeps its key and plans from the model asked for",
          "[walk][start]") {
  StartWorld world;
  world.request.cacheable = true;
  REQUIRE(world.begin() == walk::Begun::planned);
  CHECK(world.call.cache_key);
  CHECK(world.call.origin_model == world.state->table().model("openai", "gpt-4o"));
  CHECK(world.call.estimate.prompt > 0);
  CHECK(world.call.estimate.completion == world.request.max_tokens);
  REQUIRE(world.candidates.more(world.order, world.state->table()));
  CHECK(world.candidates.current().model->name == "gpt-4o");
  CHECK_FALSE(world.outcome->done());
}

TEST_CASE("walk::begin_call: a call no model can hold is refused before any candidate", "[walk][start]") {
  StartWorld world;
  world.request.max_tokens = 100'000'000;
  const auto begun = world.begin();
  REQUIRE_FALSE(begun);
  CHECK(begun.error().code == Errc::invalid_argument);
  CHECK_FALSE(world.candidates.on_candidate());
}
