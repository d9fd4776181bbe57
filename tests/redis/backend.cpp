// The Redis backend of a State: options that can not work are refused before anything
// connects, and the names it gives keys hold no character that would break a key or its
// Redis Cluster hash tag. No redis-server is needed: a backend connects on first use.
#include <governed/redis/backend.hpp>

#include <governed/redis/cluster.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using governed::Errc;
using governed::redis::BackendOptions;

TEST_CASE("backend options that can not work are refused before anything connects, saying which",
          "[redis][backend][config]") {
  struct Case {
    const char* what;
    std::function<void(BackendOptions&)> spoil;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no replicas", [](BackendOptions& o) { o.replicas = 0; }, "replicas must be at least 1"},
      {"no namespace", [](BackendOptions& o) { o.name_space.clear(); }, "the Redis namespace must not be empty"},
      {"a hold that never expires", [](BackendOptions& o) { o.hold_ttl = 0s; }, "a spend hold's expiry must be positive"},
      {"a task that never expires", [](BackendOptions& o) { o.task_ttl = -1s; }, "a task's expiry must be positive"},
      {"a budget kept for less than nothing", [](BackendOptions& o) { o.budget_keep = -1s; },
       "how long a budget period is kept must not be negative"},
      {"findings read at a negative pace", [](BackendOptions& o) { o.health_refresh = -1ms; },
       "how often findings about keys and models are read must not be negative"},
      {"findings that never expire", [](BackendOptions& o) { o.finding_ttl = 0s; },
       "how long a finding about a key or a model is kept must be positive"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    BackendOptions options;
    c.spoil(options);
    auto single = governed::redis::backend("redis://127.0.0.1:1", options);
    REQUIRE_FALSE(single);
    CHECK(single.error().code == Errc::invalid_argument);
    CHECK(single.error().message == c.message);
    auto cluster = governed::redis::cluster_backend({"redis://127.0.0.1:1"}, options);
    REQUIRE_FALSE(cluster);
    CHECK(cluster.error().code == Errc::invalid_argument);
    CHECK(cluster.error().message == c.message);
  }
  CHECK(governed::redis::backend("redis://127.0.0.1:1", BackendOptions{}));
}

TEST_CASE("a limit set's key prefix keeps braces, spaces and control bytes out of its hash tag",
          "[redis][backend][secrets]") {
  BackendOptions options;
  options.name_space = "team {a} b";
  auto backend = governed::redis::backend("redis://127.0.0.1:1", options);
  REQUIRE(backend);
  const std::string prefix = (*backend)->prefix({"open}ai", "org-secret-account", "gpt\t4o"});
  // One pair of braces: the whole tag, so every key of the set lands in one cluster slot.
  CHECK(prefix.starts_with("governed:team__a__b:{open_ai|"));
  CHECK(prefix.ends_with("|gpt_4o}"));
  CHECK(prefix.find("org-secret-account") == std::string::npos);
  // The account as 12 hex digits of its SHA-1; no account at all as "-".
  const std::string account = prefix.substr(prefix.find('|') + 1, 12);
  CHECK(account.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK((*backend)->prefix({"openai", "", "gpt-4o"}) == "governed:team__a__b:{openai|-|gpt-4o}");
}
