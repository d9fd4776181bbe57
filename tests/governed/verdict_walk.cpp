// Scenarios 5 and 7: what each verdict does to the walk — a per-minute 429 backs off on the
// same key (the curve, or the provider's stated wait), a refused key is never used again, a
// forbidden model hands over at once, and a plain bad request comes back at once.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// OpenAI's per-minute 429 with no wait in it: no retry-after, no "try again in".
sim::ProviderReply rpm_429_without_hint() {
  return sim::ProviderReply{429, {},
                    R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-openai-a on requests )"
                    R"(per min (RPM): Limit 500, Used 500, Requested 1.","type":"requests","param":null,)"
                    R"("code":"rate_limit_exceeded"}})",
                    {}};
}

sim::ProviderReply plain_400() {
  return sim::ProviderReply{400, {},
                    R"({"error":{"message":"Invalid value for 'temperature': must be between 0 and 2.",)"
                    R"("type":"invalid_request_error","param":"temperature","code":"invalid_value"}})",
                    {}};
}

std::vector<Duration> retry_waits(const std::vector<Event>& events) {
  std::vector<Duration> out;
  for (const auto& e : events)
    if (e.kind == EventKind::retried && e.wait) out.push_back(*e.wait);
  return out;
}

}  // namespace

TEST_CASE("a per-minute 429 with no hint backs off 4, 8, 16, 32 s on the same key, then succeeds",
          "[governed][scenario]") {
  World w;
  auto g = w.governed();
  for (int i = 0; i < 4; ++i) w.sim("openai").push_reply("gpt-4o", rpm_429_without_hint());

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 5);
  CHECK(w.clock.now() - t0 == 4s + 8s + 16s + 32s);
  CHECK(retry_waits(r->events) == std::vector<Duration>{4s, 8s, 16s, 32s});
  CHECK(count(r->events, EventKind::switched_model) == 0);

  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 5);
  const std::vector<Duration> at{0s, 4s, 12s, 28s, 60s};
  for (std::size_t i = 0; i < log.size(); ++i) {
    CHECK(log[i].model == "gpt-4o");
    CHECK(log[i].at - t0 == at[i]);
  }
  CHECK(log.back().outcome == sim::Outcome::success);
  // The raw provider text never reaches the user's events unredacted.
  for (const auto& e : r->events) CHECK(e.message.find("org-openai-a") == std::string::npos);
}

TEST_CASE("a per-minute 429 that states its wait is retried after exactly that wait", "[governed][scenario]") {
  World w;
  auto g = w.governed();
  sim::ProviderReply hinted = rpm_429_without_hint();
  hinted.headers.emplace_back("retry-after", "7");
  w.sim("openai").push_reply("gpt-4o", hinted);

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() - t0 == 7s);
  CHECK(retry_waits(r->events) == std::vector<Duration>{7s});
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 2);
  CHECK(log[1].at - t0 == 7s);
}

TEST_CASE("a 401 marks the key invalid: the next key serves at once and the refused key is never used again",
          "[governed][scenario]") {
  World w({{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
           {"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-openai-b"}});
  auto g = w.governed();
  REQUIRE(w.sim("openai").set_key_status(0, sim::KeyStatus::invalid));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o");
  CHECK(w.clock.now() == t0);
  CHECK(count(r->events, EventKind::key_invalid) == 1);
  CHECK(w.state->keys().health(0, w.clock.wall_now()) == keys::KeyHealth::invalid);

  for (int i = 0; i < 6; ++i) REQUIRE(g.send(ask("openai", "gpt-4o")));
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 8);
  CHECK(log[0].key_index == 0u);
  CHECK(log[0].status == 401);
  for (std::size_t i = 1; i < log.size(); ++i) CHECK(log[i].key_index == 1u);
}

TEST_CASE("an auth failure sent as 400 (Gemini's API_KEY_INVALID) marks the key invalid too", "[governed][scenario]") {
  World w({{"gemini", "AIzaTestGeminiKeyaaaaaaaaaaaaaaaaaaaaaa", "project-a"},
           {"gemini", "AIzaTestGeminiKeybbbbbbbbbbbbbbbbbbbbbb", "project-b"}});
  auto g = w.governed();
  REQUIRE(w.sim("gemini").set_key_status(0, sim::KeyStatus::invalid));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("gemini", "gemini-2.5-flash"));
  REQUIRE(r);
  CHECK(w.clock.now() == t0);
  CHECK(count(r->events, EventKind::key_invalid) == 1);
  REQUIRE(g.send(ask("gemini", "gemini-2.5-flash")));
  REQUIRE(g.send(ask("gemini", "gemini-2.5-flash")));
  const auto log = w.sim("gemini").log();
  REQUIRE(log.size() == 4);
  CHECK(log[0].status == 400);
  CHECK(log[0].key_index == 0u);
  for (std::size_t i = 1; i < log.size(); ++i) CHECK(log[i].key_index == 1u);
}

TEST_CASE("a 403 on a model moves to the next model at once", "[governed][scenario]") {
  World w(World::default_keys(), {}, 1, [](sim::Config& c) {
    if (c.provider == "openai") c.keys[0].forbidden_models = {"gpt-4o"};
  });
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model != "gpt-4o");
  CHECK(w.clock.now() == t0);
  CHECK(count(r->events, EventKind::switched_model) + count(r->events, EventKind::switched_provider) == 1);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() >= 1);
  CHECK(log[0].model == "gpt-4o");
  CHECK(log[0].status == 403);
  // The key stays good: it serves the other model.
  CHECK(w.state->keys().health(0, w.clock.wall_now()) == keys::KeyHealth::healthy);
}

TEST_CASE("a plain 400 is returned at once, with no retry and no fallback", "[governed][scenario]") {
  World w;
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", plain_400());
  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::rejected);
  CHECK(w.clock.now() == t0);
  CHECK(w.sim("openai").log().size() == 1);
  for (const char* p : {"groq", "anthropic"}) CHECK(w.sim(p).log().empty());
  CHECK(w.state->keys().health(0, w.clock.wall_now()) == keys::KeyHealth::healthy);
}
