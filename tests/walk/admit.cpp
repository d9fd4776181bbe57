// walk::admit driven directly over a State on a manual clock, for an attempt to OpenAI's gpt-4o
// with the key of account org-a, its limit set answering what the test chose: an admitted
// attempt is sent; a wait the call may take is waited, and said once admitted; a candidate
// whose provider's breaker is open is given up without asking its limits, its wait counted
// as one of failures; an account another process found spent is left for another key at
// once, without waiting; limits that hold the call longer than it may wait give the
// candidate up, saying for how long.
#include <governed/governed.hpp>
#include <governed/walk/admit.hpp>

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

namespace {

using AdmitClock = clock::manual;
using AdmitState = State<limiter::gcra, AdmitClock>;

/// A limit set that answers what the test queued, in order (admitted once the queue is empty).
struct AdmitScriptedSet {
  detail::WaitLine waiters;
  std::deque<Admission> answers;
  int asked = 0;

  detail::WaitLine& line() noexcept { return waiters; }
  bool shared() const noexcept { return false; }
  Result<Admission> admit(const Cost&, Instant, WallTime) {
    ++asked;
    Admission a;
    a.admitted = true;
    if (answers.empty()) return a;
    a = std::move(answers.front());
    answers.pop_front();
    return a;
  }
};

Admission admit_wait_for(Duration d) {
  Admission a;
  a.bound = Dimension::requests_per_minute;
  a.retry_after = d;
  return a;
}

/// The walk's parts around one attempt to gpt-4o, with org-a's key chosen, as the walk holds
/// them when it enters the admission step.
struct AdmitWorld {
  AdmitClock clock{Instant{std::chrono::hours{1}}, AdmitClock::default_wall_start, 1};
  std::shared_ptr<AdmitState> state = made_state(clock);
  keys::round_robin policy;
  Random rng{11};
  Request request;
  fallback::Candidate openai{};
  walk::CallFacts call;
  walk::KeySeat key;
  AdmitScriptedSet set;
  walk::AdmissionSeat<AdmitScriptedSet> admission;
  walk::BreakerSeat breaker;
  walk::Outcome outcome{state->observers(), state->secrets(), request.task};
  std::string why;

  AdmitWorld() {
    openai = {state->table().provider("openai"), state->table().model("openai", "gpt-4o")};
    request.provider = "openai";
    request.model = "gpt-4o";
    request.messages = {{"user", "Hello"}};
    call.started = t();
    call.started_wall = w();
    call.estimate = providers::TokenEstimate{12, 1024};
    const auto picked = choose();
    REQUIRE(picked);
    key.use(*picked, 0, state->keys(), "openai");
    admission.begin(t());
  }

  /// The State the call runs over (made before the parts that hold on to it).
  static std::shared_ptr<AdmitState> made_state(AdmitClock& clock) {
    StateConfig config;
    config.keys.keys.push_back({"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-a"});
    config.keys.keys.push_back({"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-b"});
    config.keys.persist = false;  // health in memory: nothing outlives the test
    config.breaker.failures = 1;
    config.seed = 11;
    return AdmitState::create(std::move(config), clock).value();
  }

  Instant t() const { return clock.now(); }
  WallTime w() const { return clock.wall_now(); }

  std::optional<std::size_t> choose() {
    return key.choose(*state, policy, openai, t(), w(), rng, outcome.held_back(), why);
  }

  walk::AdmitAnswer admit() {
    return walk::admit(walk::AdmitScene<AdmitState, AdmitScriptedSet>{*state, request, openai, call, key, set,
                                                                      admission, breaker, outcome, why},
                       policy, t());
  }

  /// One network failure on OpenAI, reported by another call: its breaker opens.
  void open_breaker() {
    auto pass = state->breakers().enter(*state->table().index_of(*openai.provider), t());
    REQUIRE(pass);
    REQUIRE(state->breakers().failure(*pass, t()));
  }

  std::string_view account() const { return state->keys().account(key.key()); }
};

}  // namespace

TEST_CASE("walk::admit: an admitted attempt is sent at once, with its breaker pass held", "[walk][admit]") {
  AdmitWorld world;
  CHECK(world.admit().next == walk::AfterAdmit::send);
  CHECK(world.set.asked == 1);
  CHECK(world.breaker.holding());
  CHECK(world.admission.admission().admitted);
  CHECK(world.outcome.counts().waited == Duration{0});
  CHECK(world.outcome.events().empty());  // nothing waited: nothing to say
}

TEST_CASE("walk::admit: a wait the call may take is waited, then counted and said once admitted",
          "[walk][admit]") {
  AdmitWorld world;
  world.set.answers.push_back(admit_wait_for(2s));  // asked before joining the line
  world.set.answers.push_back(admit_wait_for(2s));  // asked again as its head
  const Instant asked = world.t();
  REQUIRE(world.admit().next == walk::AfterAdmit::wait);
  CHECK(world.admission.wake_at() == asked + 2s);
  world.clock.advance(2s);
  CHECK(world.admit().next == walk::AfterAdmit::send);
  CHECK(world.outcome.counts().waited == 2s);
  REQUIRE(world.outcome.events().size() == 1);
  CHECK(world.outcome.events().back().kind == EventKind::waited);
  CHECK(world.outcome.events().back().wait == std::optional<Duration>(2s));
}

TEST_CASE("walk::admit: a candidate whose provider's breaker is open is given up, its wait counted as failing",
          "[walk][admit]") {
  AdmitWorld world;
  world.open_breaker();
  const auto a = world.admit();
  CHECK(a.next == walk::AfterAdmit::next_candidate);
  CHECK(world.set.asked == 0);  // its limits are not asked: nothing is taken from them
  CHECK_FALSE(world.breaker.holding());
  REQUIRE(world.outcome.held_back().any());
  const Error e = world.outcome.held_back().error();
  CHECK(e.code == Errc::io_error);  // failing, not rate limited
  CHECK(e.retry_after == std::optional<Duration>(30s));  // the breaker's cool-off
  CHECK(world.why == providers::breaker_skip_message("openai", 30s));
}

TEST_CASE("walk::admit: an account another process found spent is left for another key at once, without waiting",
          "[walk][admit]") {
  AdmitWorld world;
  REQUIRE(world.account() == "org-a");
  Admission spent;
  spent.exhausted_until = world.w() + 1h;
  world.set.answers.push_back(std::move(spent));
  CHECK(world.admit().next == walk::AfterAdmit::other_key);
  CHECK(world.set.asked == 1);
  CHECK(world.outcome.counts().waited == Duration{0});
  CHECK(world.set.waiters.empty());
  REQUIRE_FALSE(world.outcome.events().empty());
  const Event& said = world.outcome.events().back();
  CHECK(said.kind == EventKind::key_exhausted);
  CHECK(said.wait == std::optional<Duration>(1h));
  CHECK(said.key_fingerprint == world.state->keys().fingerprint(world.key.key()));
  // What "nothing left" reports: the account comes back in an hour.
  CHECK(world.outcome.held_back().error().retry_after == std::optional<Duration>(1h));
  // The next key chosen is another account's.
  const auto next = world.choose();
  REQUIRE(next);
  CHECK(world.state->keys().account(*next) == "org-b");
}

TEST_CASE("walk::admit: limits that hold the call longer than it may wait give the candidate up, saying how long",
          "[walk][admit]") {
  AdmitWorld world;
  world.state->call_hook().install([](const CallRecord&) {});
  world.set.answers.push_back(admit_wait_for(90s));  // the call may wait 60 s
  const auto a = world.admit();
  CHECK(a.next == walk::AfterAdmit::next_candidate);
  CHECK(a.left_because == providers::limit_holds_message("openai", "gpt-4o", 90s, false));  // for the call hook
  CHECK(world.set.waiters.empty());
  const Error e = world.outcome.held_back().error();
  CHECK(e.code == Errc::all_rate_limited);
  CHECK(e.retry_after == std::optional<Duration>(90s));
}

TEST_CASE("walk::admit: a candidate left while no call hook listens builds no reason for it", "[walk][admit]") {
  AdmitWorld world;
  world.set.answers.push_back(admit_wait_for(90s));
  const auto a = world.admit();
  CHECK(a.next == walk::AfterAdmit::next_candidate);
  CHECK(a.left_because.empty());
}
