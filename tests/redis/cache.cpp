// The response cache in Redis: an answer one "process" stored serves the same cacheable
// request in another, for what is left of its TTL; a collision or a lost Redis is a miss.
#include <governed/redis/cache.hpp>

#include <governed/cached_response.hpp>
#include <governed/redis/backend.hpp>
#include <governed/state.hpp>

#include "../governed/world.hpp"
#include "server.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace std::chrono_literals;
using governed::CacheKey;
using governed::Instant;
using governed::Response;
using governed::ResponseCache;

namespace {

governed::redis::BackendOptions cache_options(const std::string& name_space) {
  return governed_test::quick_backend_options(name_space);
}

/// One "process" with its own cache on the shared store.
struct CacheProcess {
  CacheProcess(const governed_test::RedisServer& server, const governed::redis::BackendOptions& o)
      : backend(governed::redis::backend(server.url(), o).value()), cache({}, backend->cache()) {}

  std::shared_ptr<governed::redis::Backend> backend;
  ResponseCache<Response> cache;
};

CacheKey cache_question(std::string_view text) {
  return CacheKey::of("openai", "gpt-4o-mini", nlohmann::json::array({{{"role", "user"}, {"content", text}}}),
                      {{"temperature", 0}})
      .value();
}

Response cache_answer(std::string content) {
  Response r;
  r.content = std::move(content);
  r.provider = "openai";
  r.model = "gpt-4o-mini";
  r.usage.input_tokens = 12;
  r.usage.output_tokens = 3;
  r.key_fingerprint = "sk-…abcd";
  return r;
}

}  // namespace

TEST_CASE("an answer cached by one process serves the same request in another", "[redis][cache]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("cache");
  CacheProcess a(server, cache_options(ns)), b(server, cache_options(ns));
  REQUIRE(b.cache.shared());
  const Instant t0{1h};
  const auto key = cache_question("What is 2 + 2?");
  CHECK_FALSE(b.cache.find(key, t0));
  REQUIRE(a.cache.insert(key, cache_answer("4"), 1, t0));
  REQUIRE(a.backend->redis().flush());

  auto hit = b.cache.find(key, t0);
  REQUIRE(hit);
  CHECK(hit->content == "4");
  CHECK(hit->model == "gpt-4o-mini");
  CHECK(hit->usage.input_tokens == 12);
  CHECK(hit->usage.output_tokens == 3);
  CHECK(hit->key_fingerprint.empty());
  CHECK(b.cache.stats().shared_hits == 1);
  // Kept locally now: the next lookup does not ask Redis.
  CHECK(b.cache.find(key, t0 + 1s));
  CHECK(b.cache.stats().shared_hits == 1);
  // Another request is another entry.
  CHECK_FALSE(b.cache.find(cache_question("What is 3 + 3?"), t0));

  // Stored with the cache's TTL, under a digest of the request in a hash tag of its own.
  auto redis = governed::redis::Client::make(server.url()).value();
  auto keys = redis->call({"KEYS", fmt::format("governed:{}:cache:*", ns)});
  REQUIRE(keys);
  REQUIRE(keys->elements.size() == 1);
  CHECK_THAT(keys->elements[0].text, Catch::StartsWith(fmt::format("governed:{}:cache:{{{}|cache|", ns, ns)));
  CHECK_THAT(keys->elements[0].text, !Catch::Contains("2 + 2"));
  auto ttl = redis->call({"PTTL", keys->elements[0].text});
  REQUIRE(ttl);
  CHECK(ttl->integer > 25'000);
  CHECK(ttl->integer <= 30'000);
}

TEST_CASE("a request whose messages hold newlines is shared like any other", "[redis][cache]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("cache-lines");
  CacheProcess a(server, cache_options(ns)), b(server, cache_options(ns));
  const Instant t0{1h};
  const auto key = cache_question("Line one.\nLine two.\n");
  REQUIRE(a.cache.insert(key, cache_answer("Two lines."), 10, t0));
  REQUIRE(a.backend->redis().flush());
  auto hit = b.cache.find(key, t0);
  REQUIRE(hit);
  CHECK(hit->content == "Two lines.");
  CHECK_FALSE(b.cache.find(cache_question("Line one.\n"), t0));
}

TEST_CASE("a shared cache entry of another request (a digest collision) or a damaged one is a miss",
          "[redis][cache]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("cache-collide");
  CacheProcess a(server, cache_options(ns));
  auto store = std::dynamic_pointer_cast<governed::redis::RedisCache>(a.backend->cache());
  REQUIRE(store);
  const auto key = cache_question("Which answer?");
  const auto other = cache_question("Another question");
  auto redis = governed::redis::Client::make(server.url()).value();
  const std::string other_answer = other.canonical() + "\n" + governed::CacheCodec<Response>::encode(cache_answer("no"));
  REQUIRE(redis->call({"SET", store->key(key), other_answer, "PX", "30000"}));
  CHECK_FALSE(a.cache.find(key, Instant{1h}));
  REQUIRE(redis->call({"SET", store->key(key), key.canonical() + "\n{\"content\": 5}", "PX", "30000"}));
  CHECK_FALSE(a.cache.find(key, Instant{1h}));
  CHECK(a.cache.stats().shared_hits == 0);
}

TEST_CASE("with Redis gone, a shared cache misses and keeps its answers locally, without an error",
          "[redis][cache]") {
  GOVERNED_REDIS_SERVER(server);
  CacheProcess a(server, cache_options(governed_test::fresh_namespace("cache-gone")));
  server.kill();
  const auto key = cache_question("Still there?");
  CHECK_FALSE(a.cache.find(key, Instant{1h}));
  REQUIRE(a.cache.insert(key, cache_answer("yes"), 3, Instant{1h}));
  auto hit = a.cache.find(key, Instant{1h} + 1s);
  REQUIRE(hit);
  CHECK(hit->content == "yes");
}

TEST_CASE("a cacheable call sent by one State is answered from the shared cache in another, without a call",
          "[redis][cache][governed]") {
  GOVERNED_REDIS_SERVER(server);
  const std::string ns = governed_test::fresh_namespace("cache-states");
  const auto config = [&] {
    governed::StateConfig c;
    c.shared = governed::redis::backend(server.url(), cache_options(ns)).value();
    return c;
  };
  governed::test::World a(governed::test::World::default_keys(), config());
  governed::test::World b(governed::test::World::default_keys(), config());
  auto ga = a.governed<governed::fallback::none>();
  auto gb = b.governed<governed::fallback::none>();
  auto r = governed::test::ask("openai", "gpt-4o-mini");
  r.cacheable = true;
  auto first = ga.send(r);
  REQUIRE(first);
  CHECK_FALSE(first->from_cache);
  REQUIRE(static_cast<governed::redis::Backend&>(*a.state->config().shared).redis().flush());
  auto second = gb.send(r);
  REQUIRE(second);
  CHECK(second->from_cache);
  CHECK(second->content == first->content);
  CHECK(b.sim("openai").log().empty());
  CHECK(a.sim("openai").log().size() == 1);
}
