// Scenarios 6 and 12: a daily 429 moves to another account's key at once and is remembered
// across a restart until the provider's reset; two keys of one account share one limit, so
// the walk rotates to another account, never to the sibling.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

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

TEST_CASE("a 401 while another process holds the key-health lock still moves to the next key at once, "
          "and the unsaved mark is a warning event",
          "[governed][scenario][concurrency]") {
  TempDir dir;
  const std::filesystem::path file = dir.path / "key-health.json";
  StateConfig config;
  config.keys.state_file = file;
  config.keys.lock_wait = std::chrono::milliseconds{100};
  // A key the simulated provider does not know (revoked): it answers 401.
  config.keys.keys.push_back({"openai", "sk-test-openai-key-revokedrevokedrevoked", "org-openai-r"});
  World w(two_accounts, config);

  std::mutex m;
  std::vector<Event> seen;
  w.state->observers().install([&](const Event& e) {
    std::lock_guard lk(m);
    seen.push_back(e);
  });
  // Another process holds the lock for the whole call, as one stopped mid-write would.
  const std::string lock_path = file.string() + ".lock";
  const int held = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX | LOCK_NB) == 0);

  auto g = w.governed();
  const auto start = std::chrono::steady_clock::now();
  auto r = g.send(ask("openai", "gpt-4o"));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r);
  CHECK(count(r->events, EventKind::key_invalid) == 1);
  CHECK(keys_used(w.sim("openai").log()).size() == 2);
  CHECK(w.sim("openai").log()[0].status == 401);
  CHECK(took < std::chrono::milliseconds{100});  // the call never waited for the lock
  CHECK(w.state->keys().health(0, w.clock.wall_now()) == keys::KeyHealth::invalid);

  // The pool's writer gave up on the file after its bound and said so.
  REQUIRE(w.state->keys().flush(std::chrono::seconds{5}));
  {
    std::lock_guard lk(m);
    const auto warning = std::find_if(seen.begin(), seen.end(), [](const Event& e) { return e.kind == EventKind::warning; });
    REQUIRE(warning != seen.end());
    CHECK_THAT(warning->message, Catch::Contains("not saved") && Catch::Contains("kept in memory"));
    CHECK_THAT(warning->message, !Catch::Contains("sk-test-openai-key"));
  }
  ::close(held);

  // Released: the next change writes the invalid key too.
  REQUIRE(w.state->keys().mark_cooling(1, w.clock.wall_now() + std::chrono::seconds{30}, w.clock.wall_now()));
  REQUIRE(w.state->keys().mark_invalid(0, w.clock.wall_now()));
  REQUIRE(w.state->keys().flush(std::chrono::seconds{5}));
  std::ifstream in(file);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK(text.find(std::string(w.state->keys().fingerprint(0))) != std::string::npos);
  w.state->observers().install({});
}

TEST_CASE("State::create does not wait for a held key-health lock beyond the bound, and starts from memory",
          "[governed][scenario]") {
  TempDir dir;
  const std::filesystem::path file = dir.path / "key-health.json";
  const std::string lock_path = file.string() + ".lock";
  const int held = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX | LOCK_NB) == 0);

  std::mutex m;
  std::vector<std::string> warnings;
  StateConfig config;
  config.keys.state_file = file;
  config.keys.lock_wait = std::chrono::milliseconds{100};
  config.keys.on_warning = [&](std::string_view w) {
    std::lock_guard lk(m);
    warnings.emplace_back(w);
  };
  const auto start = std::chrono::steady_clock::now();
  World w(two_accounts, config);  // State::create inside
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(held);
  CHECK(took < std::chrono::seconds{2});
  {
    std::lock_guard lk(m);
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("stayed locked"));
  }
  auto g = w.governed();
  REQUIRE(g.send(ask("openai", "gpt-4o")));
}
