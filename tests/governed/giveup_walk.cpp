// Giving up on a target: a per-minute 429 that outlasts the backoff policy's attempts, or
// whose waits would pass the 60 s total-wait cap, cools the model for the account — every
// call site skips it until the cooldown ends on the clock, then uses it again — and the call
// falls back. Each test pins the exact walk: every request the simulator saw and when, every
// event in order, where the call ended, and how long it took.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// OpenAI's per-minute 429 as it is sent: no retry-after, no "try again in", so the backoff
/// curve decides the waits.
sim::ProviderReply openai_rpm_429() {
  return sim::ProviderReply{429, {},
                    R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-openai-a on requests )"
                    R"(per min (RPM): Limit 500, Used 500, Requested 1.","type":"requests","param":null,)"
                    R"("code":"rate_limit_exceeded"}})",
                    {}};
}

/// The same 429 with the provider's stated wait in `retry-after` (seconds).
sim::ProviderReply openai_rpm_429_after(std::string seconds) {
  sim::ProviderReply r = openai_rpm_429();
  r.headers.emplace_back("retry-after", std::move(seconds));
  return r;
}

const CooldownKey gpt_4o_for_account{"openai", "gpt-4o", "org-openai-a"};
/// Another account's view of gpt-4o: a per-minute limit is the account's own.
const CooldownKey gpt_4o_for_other_account{"openai", "gpt-4o", "org-openai-z"};

/// The cooled event when the provider stated the wait.
std::string cooled_gpt_4o_as_asked(std::string_view wait) {
  return fmt::format("Rate limit reached for OPENAI (gpt-4o). The provider requests waiting {}. Automatically trying "
                     "alternative model/provider\u2026",
                     wait);
}

/// The cooled event when the backoff curve chose the wait: never worded as the provider's.
std::string cooled_gpt_4o_by_curve(std::string_view wait) {
  return fmt::format("Rate limit reached for OPENAI (gpt-4o). It is skipped for {}. Automatically trying "
                     "alternative model/provider\u2026",
                     wait);
}

std::string retrying_gpt_4o(std::string_view wait) {
  return fmt::format("Rate limit reached for OPENAI (gpt-4o) (requests per minute). Backing off, then trying "
                     "alternatives\u2026 Retrying in {}.",
                     wait);
}

/// The cooled model is skipped by a new call site until `until`, and used again from `until`
/// on: a call just before the end of the cooldown and one at its end, on the clock. With
/// `paced`, the fallback model answered less than 30 s before, and its own limit (gpt-4o-mini
/// on OpenAI's free tier, the world's default: 3 RPM less the headroom, one call in 30 s) holds
/// these calls a little: only where they went is pinned.
void check_cooled_until(World& w, Instant until, const std::string& fallback_model, bool paced = false) {
  auto other = w.governed();  // a second call site over the same State
  const std::size_t before = w.sim("openai").log().size();
  w.clock.set(until - 1ns);
  auto during = other.send(ask("openai", "gpt-4o"));
  REQUIRE(during);
  CHECK(during->model == fallback_model);
  CHECK(during->attempts == 1);
  if (!paced) CHECK(during->events.empty());  // a cooled model is skipped without a word
  CHECK(count(during->events, EventKind::switched_model) == 0);
  if (w.clock.now() < until) w.clock.set(until);
  auto after = other.send(ask("openai", "gpt-4o"));
  REQUIRE(after);
  CHECK(after->model == "gpt-4o");
  CHECK(after->attempts == 1);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == before + 2);
  CHECK(log[before].model == fallback_model);
  CHECK(log[before + 1].model == "gpt-4o");
  if (paced) CHECK(log[before + 1].at >= until);
  else CHECK(log[before + 1].at == until);
}

}  // namespace

TEST_CASE("a 429 on all five attempts of the default curve cools gpt-4o for 60 s for the account and falls back at "
          "60 s",
          "[governed][giveup]") {
  World w;
  auto g = w.governed();
  for (int i = 0; i < 5; ++i) w.sim("openai").push_reply("gpt-4o", openai_rpm_429());

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 6);
  CHECK(w.clock.now() - t0 == 60s);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s},
                                                                 {"gpt-4o", 4s},
                                                                 {"gpt-4o", 12s},
                                                                 {"gpt-4o", 28s},
                                                                 {"gpt-4o", 60s},
                                                                 {"gpt-4o-mini", 60s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::retried, EventKind::retried, EventKind::retried,
                                                   EventKind::retried, EventKind::cooled,
                                                   EventKind::switched_model});
  CHECK(messages(r->events, EventKind::retried) ==
        std::vector<std::string>{retrying_gpt_4o("4 seconds"), retrying_gpt_4o("8 seconds"),
                                 retrying_gpt_4o("16 seconds"), retrying_gpt_4o("32 seconds")});
  // No wait was stated: the cooldown is the last wait of the curve, at least a minute.
  REQUIRE(r->events[4].wait);
  CHECK(*r->events[4].wait == 60s);
  CHECK(r->events[4].message == cooled_gpt_4o_by_curve("1 minute"));
  CHECK(r->events[5].message == "Switching to OPENAI gpt-4o-mini\u2026");
  for (const char* p : {"groq", "anthropic"}) CHECK(w.sim(p).log().empty());

  const auto until = w.state->cooldowns().cooling_until(gpt_4o_for_account, w.clock.now());
  REQUIRE(until);
  CHECK(*until - t0 == 60s + 60s);
  CHECK_FALSE(w.state->cooldowns().cooling_until(gpt_4o_for_other_account, w.clock.now()));
  check_cooled_until(w, *until, "gpt-4o-mini");
}

TEST_CASE("a call site with a two-attempt curve gives up after one 4 s retry and cools gpt-4o for a minute",
          "[governed][giveup]") {
  World w;
  auto g = w.governed().with(backoff::exponential{.attempts = 2});
  for (int i = 0; i < 2; ++i) w.sim("openai").push_reply("gpt-4o", openai_rpm_429());

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 3);
  CHECK(w.clock.now() - t0 == 4s);
  CHECK(visits(w.sim("openai").log(), t0) ==
        std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o", 4s}, {"gpt-4o-mini", 4s}});
  CHECK(kinds(r->events) ==
        std::vector<EventKind>{EventKind::retried, EventKind::cooled, EventKind::switched_model});
  // The last wait was 4 s: a rate-limited target is cooled for at least a minute.
  REQUIRE(r->events[1].wait);
  CHECK(*r->events[1].wait == 60s);
  const auto until = w.state->cooldowns().cooling_until(gpt_4o_for_account, w.clock.now());
  REQUIRE(until);
  CHECK(*until - t0 == 4s + 60s);
  check_cooled_until(w, *until, "gpt-4o-mini");
}

TEST_CASE("a call site with backoff::none gives up on the first 429 and cools gpt-4o for a minute for every call site",
          "[governed][giveup]") {
  World w;
  auto g = w.governed().with<backoff::none>();
  w.sim("openai").push_reply("gpt-4o", openai_rpm_429());

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o-mini", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::cooled, EventKind::switched_model});
  CHECK(r->events[0].message == cooled_gpt_4o_by_curve("1 minute"));
  const auto until = w.state->cooldowns().cooling_until(gpt_4o_for_account, t0);
  REQUIRE(until);
  CHECK(*until - t0 == 60s);
  // The default call site, with its five attempts, shares the cooldown.
  check_cooled_until(w, *until, "gpt-4o-mini");
}

TEST_CASE("a constant 45 s backoff gives up when its second wait would pass the 60 s cap, cooling gpt-4o for 45 s",
          "[governed][giveup]") {
  World w;
  auto g = w.governed().with(backoff::constant{.wait = 45s, .attempts = 5});
  for (int i = 0; i < 2; ++i) w.sim("openai").push_reply("gpt-4o", openai_rpm_429());

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 3);
  CHECK(w.clock.now() - t0 == 45s);
  CHECK(visits(w.sim("openai").log(), t0) ==
        std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o", 45s}, {"gpt-4o-mini", 45s}});
  CHECK(kinds(r->events) ==
        std::vector<EventKind>{EventKind::retried, EventKind::cooled, EventKind::switched_model});
  // 45 s + 45 s is over the cap: the wait that did not fit is the cooldown.
  REQUIRE(r->events[1].wait);
  CHECK(*r->events[1].wait == 45s);
  CHECK(r->events[1].message == cooled_gpt_4o_by_curve("45 seconds"));
  const auto until = w.state->cooldowns().cooling_until(gpt_4o_for_account, w.clock.now());
  REQUIRE(until);
  CHECK(*until - t0 == 45s + 45s);
  check_cooled_until(w, *until, "gpt-4o-mini");
}

TEST_CASE("a stated wait of 90 s, over the 60 s cap, cools gpt-4o for exactly 90 s and falls back at once",
          "[governed][giveup]") {
  World w;
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", openai_rpm_429_after("90"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);  // no sleep: another model serves sooner than the wait
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o-mini", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::cooled, EventKind::switched_model});
  REQUIRE(r->events[0].wait);
  CHECK(*r->events[0].wait == 90s);
  CHECK(r->events[0].message == cooled_gpt_4o_as_asked("1 minute"));
  const auto until = w.state->cooldowns().cooling_until(gpt_4o_for_account, t0);
  REQUIRE(until);
  CHECK(*until - t0 == 90s);
  CHECK_FALSE(w.state->cooldowns().cooling_until(gpt_4o_for_other_account, t0));
  check_cooled_until(w, *until, "gpt-4o-mini");
}

TEST_CASE("stated waits of 26.604 s are slept twice; the third would pass the cap, so gpt-4o cools for 26.604 s",
          "[governed][giveup]") {
  World w;
  auto g = w.governed();
  for (int i = 0; i < 3; ++i) w.sim("openai").push_reply("gpt-4o", recorded_reply("openai-tpm-gpt4-26.604s"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 4);
  CHECK(w.clock.now() - t0 == 2 * 26604ms);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s},
                                                                 {"gpt-4o", 26604ms},
                                                                 {"gpt-4o", 53208ms},
                                                                 {"gpt-4o-mini", 53208ms}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::retried, EventKind::retried, EventKind::cooled,
                                                   EventKind::switched_model});
  for (std::size_t i = 0; i < 3; ++i) {
    REQUIRE(r->events[i].wait);
    CHECK(*r->events[i].wait == 26604ms);
  }
  CHECK(r->events[2].message == cooled_gpt_4o_as_asked("26 seconds"));
  const auto until = w.state->cooldowns().cooling_until(gpt_4o_for_account, w.clock.now());
  REQUIRE(until);
  CHECK(*until - t0 == 3 * 26604ms);
  check_cooled_until(w, *until, "gpt-4o-mini", /*paced=*/true);
}

// ---- failures, not rate limits: what the cooldown and the call's error say ----------------

namespace {

/// A network on which every attempt fails to connect: the simulator never sees one.
class NoRoute {
 public:
  transport::Reply send(const transport::Attempt&) {
    transport::Reply r;
    r.failure = providers::NetworkFailure::connect_refused;
    return r;
  }
};

}  // namespace

TEST_CASE("a model given up on after server errors ends a call with no fallback io_error, saying the providers are "
          "failing and when to retry",
          "[governed][giveup][failure]") {
  World w;
  auto g = w.governed<fallback::none, backoff::none>();
  w.sim("anthropic").push_reply("claude-3-5-sonnet-20241022", recorded_reply("anthropic-500-api-error"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", "claude-3-5-sonnet-20241022"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message ==
        "All alternative providers are failing (overloaded, server errors or unreachable). Please try again in 5 "
        "minutes.");
  REQUIRE(r.error().retry_after);
  CHECK(*r.error().retry_after == 5min);
  CHECK(w.clock.now() == t0);
  CHECK(w.sim("anthropic").log().size() == 1);
}

TEST_CASE("a provider that can not be reached is cooled as unreachable, and a call with no fallback ends io_error "
          "saying so",
          "[governed][giveup][failure]") {
  World w;
  std::vector<Event> seen;
  w.state->observers().install([&](const Event& e) { seen.push_back(e); });
  Governed<NoRoute, Clock, fallback::none, backoff::none> g(w.state, std::make_shared<NoRoute>());

  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message == "No alternative provider could be reached. Please try again in 5 minutes.");
  REQUIRE(r.error().retry_after);
  CHECK(*r.error().retry_after == 5min);
  CHECK(messages(seen, EventKind::cooled) ==
        std::vector<std::string>{"OPENAI (gpt-4o) could not be reached. It is skipped for 5 minutes. Automatically "
                                 "trying alternative model/provider\u2026"});
  w.state->observers().install({});
}

TEST_CASE("a call stopped by a rate-limited model and an overloaded one says both, and its code follows the "
          "soonest wait",
          "[governed][giveup][failure]") {
  World w;
  auto g = w.governed().with<backoff::none>();
  const Instant t0 = w.clock.now();
  w.sim("openai").push_reply("gpt-4o", openai_rpm_429());  // cooled 1 minute for the account
  w.sim("openai").overload("gpt-4o-mini", t0 + 1h);         // 503: cooled 5 minutes for everyone
  Request req = ask("openai", "gpt-4o");
  req.max_fallbacks = 1;

  auto r = g.send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::all_rate_limited);  // the rate limit ends first
  CHECK(r.error().message ==
        "All alternative providers are rate limited or failing. Please try again in 1 minute. The call stopped "
        "after 1 fallback, the most it may make.");
  REQUIRE(r.error().retry_after);
  CHECK(*r.error().retry_after == 60s);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o-mini", 0s}});
}

// ---- the call's deadline ----------------------------------------------------------------

namespace {

const std::string deadline_passed = "The call's deadline passed before a provider could answer it.";

/// OpenAI at 1 request per minute per model, with no headroom: a second call to a model
/// within the minute has to wait 60 s (+ 1 ns: windows are counted closed) for admission.
StateConfig openai_one_per_minute() {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 1, .tpm = 0, .headroom = 0.0};
  return c;
}

}  // namespace

TEST_CASE("a backoff wait that would end past the deadline gives up on the target for this call only and falls back "
          "at once, cooling nothing",
          "[governed][giveup][deadline]") {
  World w;
  auto g = w.governed();
  for (int i = 0; i < 2; ++i) w.sim("openai").push_reply("gpt-4o", openai_rpm_429());
  const Instant t0 = w.clock.now();
  Request r0 = ask("openai", "gpt-4o");
  r0.deadline = t0 + 10s;

  auto r = g.send(r0);
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 3);
  CHECK(w.clock.now() - t0 == 4s);
  CHECK(visits(w.sim("openai").log(), t0) ==
        std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o", 4s}, {"gpt-4o-mini", 4s}});
  CHECK(kinds(r->events) ==
        std::vector<EventKind>{EventKind::retried, EventKind::failed, EventKind::switched_model});
  CHECK(r->events[1].message ==
        "OPENAI (gpt-4o) is not retried: its next attempt, in 8 seconds, would come after the call's deadline. "
        "Trying alternatives\u2026");
  REQUIRE(r->events[1].wait);
  CHECK(*r->events[1].wait == 8s);
  // The deadline is this call's: another call site still uses gpt-4o at once.
  CHECK_FALSE(w.state->cooldowns().cooling_until(gpt_4o_for_account, w.clock.now()));
  auto other = w.governed().send(ask("openai", "gpt-4o"));
  REQUIRE(other);
  CHECK(other->model == "gpt-4o");
  CHECK(other->attempts == 1);
}

TEST_CASE("with no fallback, a backoff wait past the deadline ends the call timed_out at once with the wait",
          "[governed][giveup][deadline]") {
  World w;
  auto g = w.governed<fallback::none>();
  for (int i = 0; i < 2; ++i) w.sim("openai").push_reply("gpt-4o", openai_rpm_429());
  const Instant t0 = w.clock.now();
  Request r0 = ask("openai", "gpt-4o");
  r0.deadline = t0 + 10s;

  auto r = g.send(r0);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timed_out);
  CHECK(r.error().message ==
        "The call's deadline passes before any provider can take it; the earliest one could is in 8 seconds.");
  REQUIRE(r.error().retry_after);
  CHECK(*r.error().retry_after == 8s);
  CHECK(w.clock.now() - t0 == 4s);  // after the one retry that fitted
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o", 4s}});
  CHECK_FALSE(w.state->cooldowns().cooling_until(gpt_4o_for_account, w.clock.now()));
}

TEST_CASE("a backoff wait that ends at the deadline ends the call timed_out at the deadline, sending nothing more",
          "[governed][giveup][deadline]") {
  World w;
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", openai_rpm_429());
  const Instant t0 = w.clock.now();
  Request r0 = ask("openai", "gpt-4o");
  r0.deadline = t0 + 4s;

  auto r = g.send(r0);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timed_out);
  CHECK(r.error().message == deadline_passed);
  CHECK_FALSE(r.error().retry_after);
  CHECK(w.clock.now() - t0 == 4s);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}});
  for (const char* p : {"groq", "anthropic"}) CHECK(w.sim(p).log().empty());
  CHECK_FALSE(w.state->cooldowns().cooling_until(gpt_4o_for_account, w.clock.now()));
}

TEST_CASE("a call whose deadline has passed sends nothing and ends timed_out at once", "[governed][giveup][deadline]") {
  World w;
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  Request r0 = ask("openai", "gpt-4o");
  r0.deadline = t0;
  auto r = g.send(r0);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timed_out);
  CHECK(r.error().message == deadline_passed);
  CHECK(w.clock.now() == t0);
  for (const char* p : {"groq", "openai", "anthropic"}) CHECK(w.sim(p).log().empty());
}

TEST_CASE("an admission wait that would end past the deadline moves to the next model at once",
          "[governed][giveup][deadline]") {
  World w(World::default_keys(), openai_one_per_minute());
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("openai", "gpt-4o")));

  Request r1 = ask("openai", "gpt-4o");
  r1.deadline = t0 + 30s;
  auto r = g.send(r1);
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 1);
  CHECK(w.clock.now() == t0);
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::switched_model});
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o-mini", 0s}});
  // Waiting is not a failure of the model: nothing is cooled.
  CHECK_FALSE(w.state->cooldowns().cooling_until(gpt_4o_for_account, t0));
}

TEST_CASE("an admission wait that ends at the deadline ends the call timed_out at the deadline, sending nothing",
          "[governed][giveup][deadline]") {
  World w(World::default_keys(), openai_one_per_minute());
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("openai", "gpt-4o")));

  Request r1 = ask("openai", "gpt-4o");
  r1.deadline = t0 + 60s + 1ns;  // the instant the limit would admit it
  auto r = g.send(r1);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timed_out);
  CHECK(r.error().message == deadline_passed);
  CHECK(w.clock.now() - t0 == 60s + 1ns);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}});
}

TEST_CASE("with no fallback, an admission wait past the deadline ends the call timed_out at once, saying when a "
          "provider could take it",
          "[governed][giveup][deadline]") {
  World w(World::default_keys(), openai_one_per_minute());
  auto g = w.governed<fallback::none>();
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("openai", "gpt-4o")));

  Request r1 = ask("openai", "gpt-4o");
  r1.deadline = t0 + 30s;
  auto r = g.send(r1);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timed_out);
  CHECK(r.error().message ==
        "The call's deadline passes before any provider can take it; the earliest one could is in 1 minute.");
  REQUIRE(r.error().retry_after);
  CHECK(*r.error().retry_after == 60s + 1ns);
  CHECK(w.clock.now() == t0);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}});
}
