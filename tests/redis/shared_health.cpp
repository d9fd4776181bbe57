// What one process finds about keys and models reaches the others through Redis: a key the
// provider rejected is never sent again by another process, and a model one process gave up
// on is skipped by the others until its cooldown ends. Each "process" is a State with its own
// simulated providers on a manual clock; `SharedHealthLink::sync` stands in for the background
// refresh, so each step is deterministic (one test leaves it to the thread, waiting for its
// event with a bound). And with fail-closed, a stopped Redis refuses calls
// at once, and once it is back the processes count against one limit again.
#include <governed/redis/health.hpp>

#include <governed/redis/backend.hpp>
#include <governed/redis/client.hpp>

#include "../governed/world.hpp"
#include "server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::Errc;
using governed::EventKind;
using governed::StateConfig;
using governed::test::ask;
using governed::test::World;

namespace {

constexpr std::string_view health_rejected_key = "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa";

/// Two OpenAI keys of two accounts; the first is the one a provider rejects.
std::vector<governed::test::SimKey> health_two_keys() {
  return {{"openai", std::string(health_rejected_key), "org-health-a"},
          {"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-health-b"}};
}

StateConfig health_config(const governed_test::RedisServer& server, const std::string& name_space,
                          governed::SharedFailure failure = governed::SharedFailure::fail_open) {
  StateConfig c;
  c.providers["openai"] = {.tier = "tier1"};
  auto o = governed_test::quick_backend_options(name_space, 2, failure);
  c.shared = governed::redis::backend(server.url(), o).value();
  return c;
}

/// The events `w`'s State tells its observer, collected from any thread.
struct HealthEvents {
  explicit HealthEvents(World& w) : world(w) {
    w.state->observers().install([this](const governed::Event& e) {
      std::lock_guard lk(m);
      seen.push_back(e);
      arrived.notify_all();
    });
  }
  ~HealthEvents() { world.state->observers().install({}); }
  /// Whether an event of `kind` is told within `bound` (waited for, not slept).
  bool told_within(EventKind kind, std::chrono::milliseconds bound) {
    std::unique_lock lk(m);
    return arrived.wait_for(lk, bound, [&] {
      for (const auto& e : seen)
        if (e.kind == kind) return true;
      return false;
    });
  }
  std::vector<governed::Event> of(EventKind kind) {
    std::lock_guard lk(m);
    std::vector<governed::Event> out;
    for (const auto& e : seen)
      if (e.kind == kind) out.push_back(e);
    return out;
  }
  World& world;
  std::mutex m;
  std::condition_variable arrived;
  std::vector<governed::Event> seen;
};

/// Everything the namespace's findings hold in Redis, field and value, as one text.
std::string health_record_text(const governed_test::RedisServer& server, World& w) {
  auto& backend = static_cast<governed::redis::Backend&>(*w.state->config().shared);
  auto health = std::static_pointer_cast<governed::redis::RedisHealth>(backend.health());
  auto client = governed::redis::Client::make(server.url()).value();
  auto all = client->call({"HGETALL", health->keys()[0]});
  REQUIRE(all);
  std::string text;
  for (const auto& e : all->elements) text += e.text + "\n";
  return text;
}

}  // namespace

TEST_CASE("a key one process found rejected is never sent by another, which uses the next key at once",
          "[redis][health][keys]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("health-key");
  World a(health_two_keys(), health_config(server, ns));
  World b(health_two_keys(), health_config(server, ns));
  HealthEvents told(b);
  // The provider rejects the first key in both processes: only a's call finds it out.
  REQUIRE(a.sim("openai").set_key_status(0, governed::sim::KeyStatus::invalid));
  REQUIRE(b.sim("openai").set_key_status(0, governed::sim::KeyStatus::invalid));

  auto ga = a.governed();
  REQUIRE(ga.send(ask("openai", "gpt-4o-mini")));
  REQUIRE(a.sim("openai").log().size() == 2);
  CHECK(a.sim("openai").log()[0].status == 401);
  CHECK(a.sim("openai").log()[1].key_index == std::optional<std::size_t>{1});

  REQUIRE(a.state->shared_health().sync());  // a's finding is in Redis
  REQUIRE(b.state->shared_health().sync());  // and b has read it
  CHECK(b.state->keys().health(0, b.clock.wall_now()) == governed::keys::KeyHealth::invalid);

  const governed::Instant t0 = b.clock.now();
  auto gb = b.governed();
  for (int i = 0; i < 4; ++i) REQUIRE(gb.send(ask("openai", "gpt-4o-mini")));
  REQUIRE(b.sim("openai").log().size() == 4);
  for (const auto& e : b.sim("openai").log()) {
    CHECK(e.key_index == std::optional<std::size_t>{1});
    CHECK(e.status == 200);
  }
  CHECK(b.clock.now() == t0);  // at once: no 401 to meet, no wait

  const auto learnt = told.of(EventKind::key_invalid);
  REQUIRE(learnt.size() == 1);
  CHECK(learnt[0].message.find("Another process") != std::string::npos);
  CHECK(learnt[0].key_fingerprint == b.state->keys().fingerprint(0));

  // Redis holds the key's fingerprint, never the key or its account.
  const std::string record = health_record_text(server, a);
  CHECK(record.find(std::string(a.state->keys().fingerprint(0))) != std::string::npos);
  CHECK(record.find(health_rejected_key) == std::string::npos);
  CHECK(record.find("org-health-a") == std::string::npos);
}

TEST_CASE("a model one process gave up on after its backoff is skipped by another until the cooldown ends",
          "[redis][health][cooldowns]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("health-model");
  const std::string sonnet = "claude-3-5-sonnet-20241022";
  auto config = [&] {
    auto c = health_config(server, ns);
    c.failure_cooldown = 10min;
    return c;
  };
  World a(World::default_keys(), config());
  World b(World::default_keys(), config());
  HealthEvents told(b);
  // Only a's provider is overloaded: b would be served, so only the shared finding keeps it off.
  a.sim("anthropic").overload(sonnet, a.clock.now() + 24h);

  auto ga = a.governed<governed::fallback::none>();
  auto failed = ga.send(ask("anthropic", sonnet));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == Errc::io_error);  // overloaded: failing, not rate limited
  REQUIRE(a.sim("anthropic").log().size() >= 2);  // the backoff's retries, each a 529
  for (const auto& e : a.sim("anthropic").log()) CHECK(e.status == 529);
  const auto cooled = a.state->cooldowns().active(a.clock.now());
  REQUIRE(cooled.size() == 1);
  const governed::Instant ends = cooled[0].until;

  // The processes' clocks read the same time, as real ones do.
  b.clock.advance(a.clock.now() - b.clock.now());
  REQUIRE(a.state->shared_health().sync());
  REQUIRE(b.state->shared_health().sync());

  auto gb = b.governed<governed::fallback::none>();
  auto skipped = gb.send(ask("anthropic", sonnet));
  REQUIRE_FALSE(skipped);
  CHECK(skipped.error().code == Errc::all_rate_limited);
  REQUIRE(skipped.error().retry_after);
  CHECK(*skipped.error().retry_after <= ends - b.clock.now());
  CHECK(*skipped.error().retry_after > ends - b.clock.now() - 1s);
  CHECK(b.sim("anthropic").log().empty());
  const auto learnt = told.of(EventKind::cooled);
  REQUIRE(learnt.size() == 1);
  CHECK(learnt[0].message.find("Another process") != std::string::npos);

  // A call that falls back goes to the next model at once, without trying the cooled one.
  auto moved = b.governed().send(ask("anthropic", sonnet));
  REQUIRE(moved);
  CHECK(moved->model != sonnet);

  b.clock.advance(ends - b.clock.now() - 1s);
  CHECK_FALSE(gb.send(ask("anthropic", sonnet)));  // a second before the end: still skipped
  for (const auto& e : b.sim("anthropic").log()) CHECK(e.model != sonnet);
  b.clock.advance(1s + 1ms);
  auto back = gb.send(ask("anthropic", sonnet));
  REQUIRE(back);
  CHECK(back->model == sonnet);
}

TEST_CASE("without anyone asking, the background refresh carries a rejected key to the other process",
          "[redis][health][keys][concurrency]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("health-refresh");
  World a(health_two_keys(), health_config(server, ns));
  World b(health_two_keys(), health_config(server, ns));
  HealthEvents told(b);
  REQUIRE(a.sim("openai").set_key_status(0, governed::sim::KeyStatus::invalid));
  REQUIRE(a.governed().send(ask("openai", "gpt-4o-mini")));
  // a's thread writes at once and b's reads every second (health_refresh): well within 5 s.
  CHECK(told.told_within(EventKind::key_invalid, 5000ms));
  CHECK(b.state->keys().health(0, b.clock.wall_now()) == governed::keys::KeyHealth::invalid);
}

TEST_CASE("a finding told while Redis is out of reach waits and goes out when it answers again",
          "[redis][health][faults]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("health-later");
  World a(health_two_keys(), health_config(server, ns));
  World b(health_two_keys(), health_config(server, ns));
  server.kill();
  REQUIRE(a.sim("openai").set_key_status(0, governed::sim::KeyStatus::invalid));
  REQUIRE(a.governed().send(ask("openai", "gpt-4o-mini")));  // fail-open: served by the local share
  CHECK_FALSE(a.state->shared_health().sync());
  REQUIRE(server.restart());
  bool sent = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!sent && std::chrono::steady_clock::now() < deadline) {
    sent = a.state->shared_health().sync().has_value();
    if (!sent) std::this_thread::sleep_for(5ms);  // the reconnect backoff is 20–40 ms of real time
  }
  REQUIRE(sent);
  REQUIRE(b.state->shared_health().sync());
  CHECK(b.state->keys().health(0, b.clock.wall_now()) == governed::keys::KeyHealth::invalid);
}

TEST_CASE("findings expire in Redis: a cooldown at its end, a rejected key after finding_ttl",
          "[redis][health][expiry]") {
  GOVERNED_REDIS_SERVER(server);
  auto o = governed_test::quick_backend_options(governed_test::fresh_namespace("health-ttl"));
  o.health_refresh = 0s;  // only sync: nothing in the background
  o.finding_ttl = 2h;
  auto backend = governed::redis::backend(server.url(), o).value();
  auto health = std::static_pointer_cast<governed::redis::RedisHealth>(backend->health());
  std::vector<governed::SharedFinding> read;
  health->listen([&](std::span<const governed::SharedFinding> f) { read.assign(f.begin(), f.end()); });
  const governed::WallTime w0{std::chrono::hours{24 * 20000}};
  health->key_invalid("openai", "sk-…0123456789ab", w0);
  health->model_cooling("anthropic", "claude-3-5-haiku-20241022", w0 + 10min, "overloaded", w0);
  health->model_cooling("anthropic", "claude-3-5-sonnet-20241022", w0 + 48h, "overloaded for long", w0);
  REQUIRE(health->sync());
  REQUIRE(read.size() == 3);
  // The latest to end first; nothing lives past finding_ttl.
  CHECK(read[0].until == w0 + 2h);
  CHECK(read[1].until == w0 + 2h);
  CHECK(read[2].kind == governed::SharedFinding::Kind::model_cooling);
  CHECK(read[2].model == "claude-3-5-haiku-20241022");
  CHECK(read[2].until == w0 + 10min);
  CHECK(read[2].reason == "overloaded");
  auto client = governed::redis::Client::make(server.url()).value();
  auto ttl = client->call({"PTTL", health->keys()[0]});
  REQUIRE(ttl);
  CHECK(ttl->integer > 0);
  CHECK(ttl->integer <= std::chrono::duration_cast<std::chrono::milliseconds>(2h + 1s).count());
  // A later finding drops what has ended by its teller's clock.
  health->model_cooling("groq", "llama-3.1-8b-instant", w0 + 3h, "failing", w0 + 1h);
  REQUIRE(health->sync());
  REQUIRE(read.size() == 3);
  CHECK(read[0].provider == "groq");
  for (const auto& f : read) CHECK(f.model != "claude-3-5-haiku-20241022");
  auto len = client->call({"HLEN", health->keys()[0]});
  REQUIRE(len);
  CHECK(len->integer == 3);
}

TEST_CASE("fail-closed: with Redis stopped calls are refused at once, and once it is back both processes count "
          "against one limit again",
          "[redis][health][faults][governed]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("health-closed");
  auto config = [&] {
    auto c = health_config(server, ns, governed::SharedFailure::fail_closed);
    // 10 RPM with half in reserve: a burst of 5 for the account, whichever process asks.
    c.providers["openai"] = {.tier = "tier1", .rpm = 10, .headroom = 0.5};
    return c;
  };
  World a(World::default_keys(), config());
  World b(World::default_keys(), config());
  auto ga = a.governed<governed::fallback::none>();
  auto gb = b.governed<governed::fallback::none>();
  auto r = ask("openai", "gpt-4o-mini");
  r.max_wait = 0s;
  REQUIRE(ga.send(r));

  server.kill();
  for (auto* g : {&ga, &gb, &ga, &gb}) {
    const auto started = std::chrono::steady_clock::now();
    auto refused = g->send(r);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(refused);
    CHECK((refused.error().code == Errc::io_error || refused.error().code == Errc::timed_out));
    CHECK(refused.error().message.find("shared rate limits can not be reached") != std::string::npos);
    CHECK(took < 2s);  // at most a connect timeout (300 ms): never a hang
  }
  CHECK(a.sim("openai").log().size() == 1);
  CHECK(b.sim("openai").log().empty());

  REQUIRE(server.restart());  // empty: the shared limit starts rested
  // Each process is admitted again once its client's reconnect backoff has passed.
  int sent = 0;
  for (auto* g : {&ga, &gb}) {
    bool admitted = false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!admitted && std::chrono::steady_clock::now() < deadline) {
      admitted = g->send(r).has_value();
      if (!admitted) std::this_thread::sleep_for(5ms);  // the reconnect backoff is 20–40 ms of real time
    }
    REQUIRE(admitted);
    ++sent;
  }
  // What each admitted counts for the other: the burst of 5 is shared, 2 of it already taken.
  int refused = 0;
  for (int i = 0; i < 4; ++i)
    for (auto* g : {&ga, &gb}) {
      auto reply = g->send(r);
      if (reply) ++sent;
      else if (reply.error().code == Errc::all_rate_limited) ++refused;
    }
  CHECK(sent == 5);
  CHECK(refused == 5);
  CHECK(a.sim("openai").log().size() + b.sim("openai").log().size() == 1 + 5);
}
