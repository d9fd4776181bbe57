// Scenarios 1–4: a daily limit cools one model for the stated time, the next call skips it,
// a cooled provider hands over to the next, and nothing left ends with the wait.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

constexpr Duration groq_tpd_wait = 22min + 46848ms;  // "Please try again in 22m46.848s"

void exhaust_groq(World& w, const std::string& model, Duration wait = groq_tpd_wait) {
  w.sim("groq").exhaust("groq-org-a", model, sim::Measure::tokens, w.clock.now() + wait);
}

}  // namespace

TEST_CASE("a Groq TPD 429 cools that model for the stated wait and the call succeeds on the next model",
          "[governed][scenario]") {
  World w;
  auto g = w.governed();
  exhaust_groq(w, "llama-3.3-70b-versatile");

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(r);
  CHECK(r->provider == "groq");
  CHECK(r->model == "llama-3.1-70b-versatile");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);  // no sleep: a daily limit is not waited out

  const auto log = w.sim("groq").log();
  REQUIRE(log.size() == 2);
  CHECK(log[0].model == "llama-3.3-70b-versatile");
  CHECK(log[0].status == 429);
  CHECK(log[1].model == "llama-3.1-70b-versatile");

  // Out for exactly the stated 1366.848 s, for this account.
  const auto until = w.state->cooldowns().cooling_until(
      CooldownKey{"groq", "llama-3.3-70b-versatile", "groq-org-a"}, w.clock.now());
  REQUIRE(until);
  CHECK(*until - t0 == groq_tpd_wait);

  REQUIRE(count(r->events, EventKind::switched_model) == 1);
  bool said = false;
  for (const auto& e : r->events) {
    if (e.kind == EventKind::switched_model) said = e.message == "Switching to GROQ llama-3.1-70b-versatile\u2026";
    CHECK(e.message.find("gsk_test") == std::string::npos);
    CHECK(e.message.find("groq-org-a") == std::string::npos);
  }
  CHECK(said);
  CHECK(count(r->events, EventKind::key_exhausted) == 1);
}

TEST_CASE("the next call within the cooldown goes straight to the fallback", "[governed][scenario]") {
  World w;
  auto g = w.governed();
  exhaust_groq(w, "llama-3.3-70b-versatile");
  REQUIRE(g.send(ask("groq", "llama-3.3-70b-versatile")));
  const std::size_t before = w.sim("groq").log().size();

  w.clock.advance(10min);
  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(r);
  CHECK(r->model == "llama-3.1-70b-versatile");
  CHECK(r->attempts == 1);
  const auto log = w.sim("groq").log();
  REQUIRE(log.size() == before + 1);
  CHECK(log.back().model == "llama-3.1-70b-versatile");

  // After the cooldown the model is tried again.
  w.clock.advance(13min);
  auto later = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(later);
  CHECK(later->model == "llama-3.3-70b-versatile");
}

TEST_CASE("with every Groq model cooling the call goes to OpenAI gpt-4o", "[governed][scenario]") {
  World w;
  auto g = w.governed();
  for (const char* m : {"llama-3.3-70b-versatile", "llama-3.1-70b-versatile", "llama-3.1-8b-instant",
                        "mixtral-8x7b-32768", "gemma2-9b-it"})
    exhaust_groq(w, m);
  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o");
  CHECK(count(r->events, EventKind::switched_provider) == 1);
  CHECK(w.sim("groq").log().size() == 5);
}

TEST_CASE("everything cooling: all_rate_limited with the shortest wait, and no sleep", "[governed][scenario]") {
  World w;
  auto g = w.governed();
  // Cool every model of every provider for 22m46.848s or more.
  for (const auto& m : w.state->table().models())
    w.state->cooldowns().cool(CooldownKey{m.provider, m.name, {}}, w.clock.now() + groq_tpd_wait + (m.provider == "groq" ? 0s : 5min),
                              "test", w.clock.now());
  const Instant t0 = w.clock.now();
  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::all_rate_limited);
  CHECK(r.error().message == "All alternative providers are rate limited. Please try again in 22 minutes.");
  REQUIRE(r.error().retry_after);
  CHECK(*r.error().retry_after == groq_tpd_wait);
  CHECK(w.clock.now() == t0);
  for (const char* p : {"groq", "openai", "anthropic"}) CHECK(w.sim(p).log().empty());
}

TEST_CASE("a limit of 1 request per minute with no headroom waits out its minute instead of falling back",
          "[governed][regression]") {
  // Windows are counted closed, so the second request may leave only 1 ns after the first
  // one's minute: a wait of 60 s + 1 ns, within the inclusive 60 s cap to the microsecond.
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 1, .tpm = 0, .headroom = 0.0};
  World w(World::default_keys(), c);
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("openai", "gpt-4o")));
  auto second = g.send(ask("openai", "gpt-4o"));
  REQUIRE(second);
  CHECK(second->provider == "openai");
  CHECK(second->model == "gpt-4o");
  CHECK(count(second->events, EventKind::waited) == 1);
  CHECK(w.clock.now() == t0 + 60s + 1ns);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 2);
  CHECK(count(log, sim::Outcome::success) == 2);

  // A wait really longer than the call's patience still moves on at once.
  Request impatient = ask("openai", "gpt-4o");
  impatient.max_wait = 59s;
  const Instant t1 = w.clock.now();
  auto third = g.send(impatient);
  REQUIRE(third);
  CHECK(third->model != "gpt-4o");
  CHECK(w.clock.now() == t1);
}
