// Scenarios 6 and 12: a daily 429 moves to another account's key at once and is remembered
// across a restart until the provider's reset; two keys of one account share one limit, so
// the walk rotates to another account, never to the sibling.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// A fresh directory for one test's health file, removed afterwards.
struct TempDir {
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / fmt::format("governed-keywalk-{:x}{:x}", rd(), rd());
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

const std::vector<SimKey> two_accounts{{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
                                       {"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-openai-b"}};

std::vector<std::size_t> keys_used(const std::vector<sim::LogEntry>& log) {
  std::vector<std::size_t> out;
  for (const auto& e : log) out.push_back(e.key_index.value_or(999));
  return out;
}

}  // namespace

TEST_CASE("a daily 429 moves to another account's key at once, and a restart still skips the spent key",
          "[governed][scenario]") {
  TempDir dir;
  StateConfig config;
  config.keys.state_file = dir.path / "key-health.json";
  World w(two_accounts, config);
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  constexpr Duration reset = 5h;
  w.sim("openai").exhaust("org-openai-a", "gpt-4o", sim::Measure::requests, t0 + reset);

  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o");
  CHECK(w.clock.now() == t0);  // no sleep
  CHECK(count(r->events, EventKind::key_exhausted) == 1);
  CHECK(count(r->events, EventKind::key_rotated) == 1);
  CHECK(keys_used(w.sim("openai").log()) == std::vector<std::size_t>{0, 1});
  CHECK(w.sim("openai").log()[0].status == 429);
  w.sim("openai").clear_log();

  // A restart: a new State and Governed over the same health file.
  StateConfig again;
  again.keys.state_file = config.keys.state_file;
  again.keys.persist = true;
  again.seed = 7;
  for (const auto& k : two_accounts) again.keys.keys.push_back({k.provider, k.key, k.account});
  auto state2 = TestState::create(std::move(again), w.clock).value();
  Governed<Sim, Clock> g2(state2, w.transport);
  for (int i = 0; i < 4; ++i) {
    auto r2 = g2.send(ask("openai", "gpt-4o"));
    REQUIRE(r2);
    CHECK(r2->model == "gpt-4o");
  }
  CHECK(keys_used(w.sim("openai").log()) == std::vector<std::size_t>{1, 1, 1, 1});
  CHECK(w.clock.now() == t0);
  w.sim("openai").clear_log();

  // After the provider's reset the key serves again.
  w.clock.advance(reset + 1s);
  for (int i = 0; i < 4; ++i) REQUIRE(g2.send(ask("openai", "gpt-4o")));
  const auto used = keys_used(w.sim("openai").log());
  CHECK(std::count(used.begin(), used.end(), 0u) >= 1);
  CHECK(count(w.sim("openai").log(), sim::Outcome::rate_limited) == 0);
}

TEST_CASE("a Groq daily token limit on one model leaves the account's other models alone, across a restart",
          "[governed][scenario]") {
  TempDir dir;
  StateConfig config;
  config.keys.state_file = dir.path / "key-health.json";
  World w(World::default_keys(), config);
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  w.sim("groq").exhaust("groq-org-a", "llama-3.3-70b-versatile", sim::Measure::tokens, t0 + 22min + 46848ms);
  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(r);
  CHECK(r->model == "llama-3.1-70b-versatile");

  // The same key still serves another model of the account at once.
  auto other = g.send(ask("groq", "llama-3.1-8b-instant"));
  REQUIRE(other);
  CHECK(other->model == "llama-3.1-8b-instant");

  StateConfig again;
  again.keys.state_file = config.keys.state_file;
  again.seed = 7;
  for (const auto& k : World::default_keys()) again.keys.keys.push_back({k.provider, k.key, k.account});
  auto state2 = TestState::create(std::move(again), w.clock).value();
  Governed<Sim, Clock> g2(state2, w.transport);
  w.sim("groq").clear_log();
  auto after = g2.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(after);
  CHECK(after->model == "llama-3.1-70b-versatile");
  const auto log = w.sim("groq").log();
  REQUIRE(log.size() == 1);  // nothing sent to the spent model after the restart
  CHECK(log[0].model == "llama-3.1-70b-versatile");
  auto direct = g2.send(ask("groq", "llama-3.1-8b-instant"));
  REQUIRE(direct);
  CHECK(direct->model == "llama-3.1-8b-instant");

  w.clock.advance(23min);
  auto back = g2.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(back);
  CHECK(back->model == "llama-3.3-70b-versatile");
}

TEST_CASE("two keys of one account share one limit", "[governed][scenario]") {
  StateConfig config;
  // 20 RPM less 15 %: a burst of 3, then 17 a minute.
  config.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 20};
  World w({{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
           {"openai", "sk-test-openai-key-a2a2a2a2a2a2a2a2a2a2", "org-openai-a"}},
          config);
  auto g = w.governed<fallback::none>();
  const Instant t0 = w.clock.now();
  Request quick = ask("openai", "gpt-4o");
  quick.max_wait = 0s;
  for (int i = 0; i < 3; ++i) REQUIRE(g.send(quick));
  // Round robin offers the other key, but its account's limit is spent: no request leaves.
  auto fourth = g.send(quick);
  REQUIRE_FALSE(fourth);
  CHECK(fourth.error().code == Errc::all_rate_limited);
  CHECK(keys_used(w.sim("openai").log()) == std::vector<std::size_t>{0, 1, 0});
  CHECK(w.clock.now() == t0);

  // Waiting is allowed: the third call is admitted when the shared limit has room.
  auto waited = g.send(ask("openai", "gpt-4o"));
  REQUIRE(waited);
  CHECK(w.clock.now() > t0);
  CHECK(w.clock.now() - t0 <= 60s / 17 + 1s);
  CHECK(count(w.sim("openai").log(), sim::Outcome::rate_limited) == 0);
}

TEST_CASE("a daily 429 on one key moves to another account's key, not to its sibling", "[governed][scenario]") {
  World w({{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
           {"openai", "sk-test-openai-key-a2a2a2a2a2a2a2a2a2a2", "org-openai-a"},
           {"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-openai-b"}});
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  w.sim("openai").exhaust("org-openai-a", "gpt-4o", sim::Measure::requests, t0 + 3h);
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o");
  CHECK(w.clock.now() == t0);
  CHECK(keys_used(w.sim("openai").log()) == std::vector<std::size_t>{0, 2});
  // Later calls keep away from both keys of the spent account.
  for (int i = 0; i < 4; ++i) REQUIRE(g.send(ask("openai", "gpt-4o")));
  const auto used = keys_used(w.sim("openai").log());
  CHECK(std::count(used.begin(), used.end(), 1u) == 0);
  CHECK(std::count(used.begin(), used.end(), 0u) == 1);
}
