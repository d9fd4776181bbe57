// Governed call sites in two "processes" (two States) whose limits live in one Redis: the only
// change from a single-process setup is `StateConfig::shared`; call sites are untouched.
#include <governed/redis/backend.hpp>

#include "../governed/world.hpp"
#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using governed::Errc;
using governed::StateConfig;
using governed::test::ask;
using governed::test::World;

namespace {

StateConfig shared_config(const governed_test::RedisServer& server, const std::string& name_space) {
  StateConfig config;
  // 10 RPM with half in reserve: a burst of 5 for the account, whichever process asks.
  config.providers["openai"] = {.tier = "tier1", .rpm = 10, .headroom = 0.5};
  governed::redis::BackendOptions o;
  o.name_space = name_space;
  o.replicas = 2;
  config.shared = governed::redis::backend(server.url(), o).value();
  return config;
}

}  // namespace

TEST_CASE("two processes' call sites sharing Redis send the account's limit once between them",
          "[redis][governed]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("governed");
  World a(World::default_keys(), shared_config(server, ns));
  World b(World::default_keys(), shared_config(server, ns));
  auto ga = a.governed<governed::fallback::none>();
  auto gb = b.governed<governed::fallback::none>();
  auto r = ask("openai", "gpt-4o-mini");
  r.max_wait = 0s;  // refused at once rather than waiting: the count shows the shared limit
  int sent = 0, refused = 0;
  for (int i = 0; i < 8; ++i) {
    for (auto* g : {&ga, &gb}) {
      auto reply = g->send(r);
      if (reply) ++sent;
      else if (reply.error().code == Errc::all_rate_limited) ++refused;
    }
  }
  CHECK(sent == 5);
  CHECK(refused == 11);
  // Each simulated provider saw only what was admitted: no 429 came back to either process.
  CHECK(a.sim("openai").log().size() + b.sim("openai").log().size() == 5);
}

namespace {

std::vector<governed::test::SimKey> two_openai_accounts() {
  return {{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
          {"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-openai-b"}};
}

}  // namespace

TEST_CASE("an account found spent by one process is skipped by another at its next call, without a 429",
          "[redis][governed][keys]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("spent");
  auto config = [&] {
    StateConfig c;
    governed::redis::BackendOptions o;
    o.name_space = ns;
    c.shared = governed::redis::backend(server.url(), o).value();
    return c;
  };
  World a(two_openai_accounts(), config());
  World b(two_openai_accounts(), config());
  const governed::Instant t0 = a.clock.now();
  a.sim("openai").exhaust("org-openai-a", "gpt-4o", governed::sim::Measure::requests, t0 + 5h);
  auto ga = a.governed();
  auto first = ga.send(ask("openai", "gpt-4o"));
  REQUIRE(first);
  REQUIRE(a.sim("openai").log().size() == 2);  // the 429 on account a, then account b
  CHECK(a.sim("openai").log()[0].status == 429);
  REQUIRE(a.state->config().shared);
  REQUIRE(static_cast<governed::redis::Backend&>(*a.state->config().shared).redis().flush());

  // Process b's own provider would still serve account a: only the shared record keeps it off.
  auto gb = b.governed();
  std::size_t skipped = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = gb.send(ask("openai", "gpt-4o"));
    REQUIRE(r);
    skipped += governed::test::count(r->events, governed::EventKind::key_exhausted);
  }
  CHECK(skipped >= 1);
  for (const auto& e : b.sim("openai").log()) {
    CHECK(e.key_index == std::optional<std::size_t>{1});
    CHECK(e.status == 200);
  }
  CHECK(b.clock.now() == t0);  // no wait: the account was skipped, not waited for
}

namespace {

/// A call site of `w` whose transport and completions run on `io`.
auto call_site_on(World& w, boost::asio::io_context& io) {
  using G = governed::Governed<governed::test::Sim, governed::test::Clock, governed::fallback::none>;
  auto t = std::make_shared<governed::test::Sim>(w.clock, w.providers, io.get_executor());
  return G(w.state, t, {}, {}, io.get_executor());
}

/// Sends `rounds` × 2 asynchronous calls, alternating processes, all in flight at once, and
/// counts what was sent and what was refused for the rate limit.
std::pair<int, int> async_rounds(World& a, World& b, boost::asio::io_context& io, int rounds) {
  auto ga = call_site_on(a, io);
  auto gb = call_site_on(b, io);
  auto r = ask("openai", "gpt-4o-mini");
  r.max_wait = 0s;
  int sent = 0, refused = 0;
  for (int i = 0; i < rounds; ++i)
    for (auto* g : {&ga, &gb})
      g->async_send(r, [&](governed::Result<governed::Response> reply) {
        if (reply) ++sent;
        else if (reply.error().code == Errc::all_rate_limited) ++refused;
      });
  io.run();
  return {sent, refused};
}

}  // namespace

TEST_CASE("asynchronous call sites ask Redis on the caller's executor and share the limit the same way",
          "[redis][governed][async]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("async");
  World a(World::default_keys(), shared_config(server, ns));
  World b(World::default_keys(), shared_config(server, ns));
  boost::asio::io_context io;
  const auto [sent, refused] = async_rounds(a, b, io, 8);
  CHECK(sent == 5);
  CHECK(refused == 11);
  CHECK(a.sim("openai").log().size() + b.sim("openai").log().size() == 5);
  // The admissions went over the io_context's own pipelined connection, not the blocking pool.
  CHECK(boost::asio::has_service<governed::redis::detail::AsyncConnections>(io));
}

TEST_CASE("with Redis gone, asynchronous call sites fail open to the same 1/N share as blocking ones",
          "[redis][governed][async][faults]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("async-open");
  World a(World::default_keys(), shared_config(server, ns));
  World b(World::default_keys(), shared_config(server, ns));
  World c(World::default_keys(), shared_config(server, ns));
  World d(World::default_keys(), shared_config(server, ns));
  server.kill();
  boost::asio::io_context io;
  const auto [sent_async, refused_async] = async_rounds(a, b, io, 8);
  auto gc = c.governed<governed::fallback::none>();
  auto gd = d.governed<governed::fallback::none>();
  auto r = ask("openai", "gpt-4o-mini");
  r.max_wait = 0s;
  int sent_blocking = 0;
  for (int i = 0; i < 8; ++i)
    for (auto* g : {&gc, &gd})
      if (g->send(r)) ++sent_blocking;
  CHECK(sent_async == sent_blocking);
  CHECK(sent_async > 0);
  CHECK(sent_async < 5 * 2);  // each process alone would have had the whole burst of 5
  CHECK(sent_async + refused_async == 16);
}

TEST_CASE("with Redis gone, a call above one process's share of the limit is rate limited for now, not unservable",
          "[redis][governed][faults][oversized]") {
  GOVERNED_REDIS_SERVER(server);
  StateConfig config;
  // 15 000 TPM among 3 processes: 5 000 each while Redis is gone; every call counts 12 000.
  config.providers["openai"] = {.tier = "tier1", .tpm = 15000, .est_tokens_per_call = 12000};
  governed::redis::BackendOptions o;
  o.name_space = governed_test::fresh_namespace("open-oversized");
  o.replicas = 3;
  config.shared = governed::redis::backend(server.url(), o).value();
  World a(World::default_keys(), std::move(config));
  server.kill();
  auto g = a.governed<governed::fallback::none>();
  auto r = ask("openai", "gpt-4o-mini");
  r.max_wait = 0s;
  auto reply = g.send(r);
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == Errc::all_rate_limited);
  CHECK(reply.error().message.find("split") == std::string::npos);
  CHECK(a.sim("openai").log().empty());
}
