// Statistics totalled in Redis: each "process" (its own backend and connections) adds its
// calls, and any of them reads the fleet's totals per model, provider and task kind.
#include <governed/redis/stats.hpp>

#include <governed/redis/backend.hpp>
#include <governed/redis/cluster.hpp>
#include <governed/state.hpp>

#include "../governed/world.hpp"
#include "server.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using governed::CallRecord;
using governed::Scope;
using governed::Statistics;

namespace {

governed::redis::BackendOptions stats_options(const std::string& name_space) {
  return governed_test::quick_backend_options(name_space);
}

/// One "process" counting into the shared totals.
struct StatsProcess {
  StatsProcess(const governed_test::RedisServer& server, const governed::redis::BackendOptions& o,
               std::vector<std::string> secrets = {})
      : backend(governed::redis::backend(server.url(), o).value()), stats(std::move(secrets), backend->stats()) {}

  std::shared_ptr<governed::redis::Backend> backend;
  Statistics stats;
};

CallRecord stats_call(std::string_view provider, std::string_view model, std::string_view task = {}) {
  CallRecord r;
  r.provider = provider;
  r.model = model;
  r.task = task;
  r.usage.input_tokens = 100;
  r.usage.output_tokens = 20;
  r.cost_usd = 0.0015;
  r.latency = 300ms;
  return r;
}

}  // namespace

TEST_CASE("two processes' calls add up to one set of totals per model, provider and task kind",
          "[redis][stats]") {
  GOVERNED_REDIS_SERVER(server);
  const auto o = stats_options(governed_test::fresh_namespace("stats"));
  StatsProcess a(server, o), b(server, o);
  REQUIRE(a.stats.shared());
  a.stats.record(stats_call("openai", "gpt-4o-mini", "scraper"));
  auto limited = stats_call("openai", "gpt-4o-mini");
  limited.rate_limited = 2;
  limited.retries = 2;
  b.stats.record(limited, b.stats.model("openai", "gpt-4o-mini"), b.stats.provider("openai"));
  auto failed = stats_call("anthropic", "claude-3-5-haiku", "scraper");
  failed.success = false;
  failed.usage = {};
  failed.cost_usd = 0;
  b.stats.record(failed);

  // b's updates were sent without a wait; reading flushes only a's own, so flush b's here.
  REQUIRE(b.backend->redis().flush());
  auto models = a.stats.shared_totals(Scope::model);
  REQUIRE(models);
  REQUIRE(models->size() == 2);
  const auto& haiku = (*models)[0];
  const auto& mini = (*models)[1];
  CHECK(haiku.labels.provider == "anthropic");
  CHECK(haiku.totals.requests == 1);
  CHECK(haiku.totals.failures == 1);
  CHECK(haiku.totals.input_tokens == 0);
  CHECK(mini.labels.model == "gpt-4o-mini");
  CHECK(mini.totals.requests == 2);
  CHECK(mini.totals.rate_limited == 2);
  CHECK(mini.totals.retries == 2);
  CHECK(mini.totals.input_tokens == 200);
  CHECK(mini.totals.output_tokens == 40);
  CHECK(mini.totals.cost_nano_usd == 3'000'000);
  CHECK(mini.totals.cost_usd() == Approx(0.003));

  auto providers = b.stats.shared_totals(Scope::provider);
  REQUIRE(providers);
  REQUIRE(providers->size() == 2);
  CHECK((*providers)[1].labels.provider == "openai");
  CHECK((*providers)[1].totals.requests == 2);
  auto tasks = b.stats.shared_totals(Scope::task);
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 1);
  CHECK(tasks->front().labels.task == "scraper");
  CHECK(tasks->front().totals.requests == 2);
  CHECK(tasks->front().totals.failures == 1);

  // The local series count only their own process's calls.
  CHECK(a.stats.model("openai", "gpt-4o-mini").requests.load() == 1);
}

TEST_CASE("shared statistics carry redacted labels only, and a lost Redis loses none of the local counts",
          "[redis][stats]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("stats-secret");
  StatsProcess a(server, stats_options(ns), {"azure-key-0123456789abcdef"});
  // A deployment name that holds the key: it must reach neither the keys nor the fields.
  a.stats.record(stats_call("azure", "gpt4o-azure-key-0123456789abcdef", "team azure-key-0123456789abcdef"));
  auto redis = governed::redis::Client::make(server.url()).value();
  REQUIRE(a.backend->redis().flush());
  auto keys = redis->call({"KEYS", fmt::format("governed:{}:*", ns)});
  REQUIRE(keys);
  CHECK(keys->elements.size() == 3);
  for (const auto& k : keys->elements) {
    CHECK_THAT(k.text, Catch::Contains(fmt::format("{{{}|stats}}", ns)));
    auto fields = redis->call({"HGETALL", k.text});
    REQUIRE(fields);
    REQUIRE_FALSE(fields->elements.empty());
    for (const auto& f : fields->elements) CHECK_THAT(f.text, !Catch::Contains("0123456789abcdef"));
  }

  server.kill();
  a.stats.record(stats_call("azure", "gpt-4o"));
  CHECK(a.stats.provider("azure").requests.load() == 2);
  CHECK_FALSE(a.stats.shared_totals(Scope::provider));
}

TEST_CASE("call sites of two States sharing Redis read the calls of both in the shared statistics",
          "[redis][stats][governed]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("stats-states");
  const auto config = [&] {
    governed::StateConfig c;
    c.shared = governed::redis::backend(server.url(), stats_options(ns)).value();
    return c;
  };
  governed::test::World a(governed::test::World::default_keys(), config());
  governed::test::World b(governed::test::World::default_keys(), config());
  auto ga = a.governed<governed::fallback::none>();
  auto gb = b.governed<governed::fallback::none>();
  double cost = 0;
  for (auto* g : {&ga, &gb, &gb}) {
    auto r = g->send(governed::test::ask("openai", "gpt-4o-mini"));
    REQUIRE(r);
    cost += r->cost.total_cost;
  }
  REQUIRE(static_cast<governed::redis::Backend&>(*b.state->config().shared).redis().flush());
  auto totals = a.state->stats().shared_totals(Scope::model);
  REQUIRE(totals);
  REQUIRE(totals->size() == 1);
  CHECK(totals->front().labels.model == "gpt-4o-mini");
  CHECK(totals->front().totals.requests == 3);
  CHECK(totals->front().totals.cost_usd() == Approx(cost).margin(1e-9));
}

TEST_CASE("shared statistics on a Redis Cluster: one call's three series are one script on one slot",
          "[redis][stats][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  auto o = stats_options(governed_test::fresh_namespace("stats-cluster"));
  o.client.connect.connect_timeout = 2s;
  o.client.connect.command_timeout = 2s;
  auto made = [&] { return governed::redis::cluster_backend(nodes.seed_urls(), o).value(); };
  auto ba = made(), bb = made();
  Statistics a({}, ba->stats()), b({}, bb->stats());
  a.record(stats_call("openai", "gpt-4o-mini", "worker"));
  b.record(stats_call("openai", "gpt-4o-mini", "worker"));
  REQUIRE(bb->redis().flush());
  for (auto scope : {Scope::model, Scope::provider, Scope::task}) {
    auto totals = a.shared_totals(scope);
    REQUIRE(totals);
    REQUIRE(totals->size() == 1);
    CHECK(totals->front().totals.requests == 2);
    CHECK(totals->front().totals.cost_nano_usd == 3'000'000);
  }
}
