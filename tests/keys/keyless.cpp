// A provider that takes no key (a local server) has one entry in the pool with no secret.

#include <governed/keys/pool.hpp>

#include <governed/keys/health_file.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace governed;
using namespace governed::keys;
namespace fs = std::filesystem;

namespace {

constexpr WallTime keyless_now{std::chrono::seconds{1735689600}};

const std::string keyless_openai_key = "sk-proj-K1e2y3l4e5s6s7T8e9s0t1K2e3y4a5b6c7d8e9f0";

PoolConfig keyless_memory_only(std::vector<KeyConfig> keys, std::vector<std::string> keyless) {
  PoolConfig c;
  c.keys = std::move(keys);
  c.keyless = std::move(keyless);
  c.persist = false;
  return c;
}

struct KeylessDir {
  fs::path path;
  KeylessDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("governed-keyless-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~KeylessDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("pool: an empty key list is accepted when every provider is keyless", "[keys][pool][keyless]") {
  auto pool = Pool::open(keyless_memory_only({}, {"openai_compatible"}), keyless_now);
  REQUIRE(pool);
  REQUIRE(pool->size() == 1);
  const auto entries = pool->indices("openai_compatible");
  REQUIRE(entries.size() == 1);
  const std::size_t i = entries.front();
  CHECK(pool->keyless(i));
  CHECK(pool->secret(i).empty());    // nothing to send: no auth header
  CHECK(pool->account(i).empty());   // limits per (provider, "", model group)
  CHECK(pool->fingerprint(i) == keyless_fingerprint);
  CHECK(pool->available("openai_compatible", keyless_now));
  // A provider that needs a key and has none is still refused by name.
  auto none = pool->available("openai", keyless_now);
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "no OPENAI key is configured");

  // With neither keys nor a keyless provider, the pool says how a keyless server is configured.
  auto empty = Pool::open(keyless_memory_only({}, {}), keyless_now);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == Errc::invalid_argument);
  CHECK(empty.error().message == "the key pool has no keys; a provider that takes no key is configured keyless");
}

TEST_CASE("pool: keys and keyless providers side by side keep their own entries", "[keys][pool][keyless]") {
  auto pool = Pool::open(keyless_memory_only({{"openai", keyless_openai_key, "org-a"}}, {"openai_compatible"}),
                         keyless_now);
  REQUIRE(pool);
  REQUIRE(pool->size() == 2);
  // The configured key keeps its configuration position.
  CHECK(pool->secret(0) == keyless_openai_key);
  CHECK_FALSE(pool->keyless(0));
  CHECK(pool->indices("openai").size() == 1);
  CHECK(pool->indices("openai_compatible").size() == 1);
  CHECK(pool->keyless(pool->indices("openai_compatible").front()));
}

TEST_CASE("pool: a keyless provider given a key too, or named twice, is refused", "[keys][pool][keyless]") {
  auto both = Pool::open(keyless_memory_only({{"openai_compatible", keyless_openai_key}}, {"openai_compatible"}),
                         keyless_now);
  REQUIRE_FALSE(both);
  CHECK(both.error().message ==
        "provider openai_compatible is configured keyless, yet key 0 of the pool is for it: remove the key, or the "
        "keyless setting");
  CHECK(both.error().message.find(keyless_openai_key) == std::string::npos);

  auto twice = Pool::open(keyless_memory_only({}, {"openai_compatible", "openai_compatible"}), keyless_now);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message == "provider openai_compatible is named keyless twice");

  auto unnamed = Pool::open(keyless_memory_only({}, {""}), keyless_now);
  REQUIRE_FALSE(unnamed);
  CHECK(unnamed.error().message == "keyless provider 0 has no name");
}

TEST_CASE("pool: a keyless entry's health stays in this process, out of the health file", "[keys][pool][keyless]") {
  KeylessDir d;
  const fs::path file = d.path / "key-health.json";
  PoolConfig c = keyless_memory_only({{"openai", keyless_openai_key, "org-a"}}, {"openai_compatible"});
  c.persist = true;
  c.state_file = file;
  {
    auto pool = Pool::open(c, keyless_now);
    REQUIRE(pool);
    const std::size_t entry = pool->indices("openai_compatible").front();
    REQUIRE(pool->mark_invalid(entry, keyless_now));
    REQUIRE(pool->mark_model_exhausted(entry, "local-model", keyless_now + std::chrono::hours{1}, keyless_now));
    REQUIRE(pool->mark_invalid(0, keyless_now));
    CHECK(pool->health(entry, keyless_now) == KeyHealth::invalid);
    REQUIRE(pool->flush(std::chrono::seconds{5}));
  }
  std::ifstream in(file, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK(text.find(fingerprint(keyless_openai_key)) != std::string::npos);
  CHECK(text.find(keyless_fingerprint) == std::string::npos);

  // The next process calls the server again: a server that now takes no key is used.
  auto next = Pool::open(c, keyless_now);
  REQUIRE(next);
  CHECK(next->health(next->indices("openai_compatible").front(), keyless_now) == KeyHealth::healthy);
  CHECK(next->model_exhaustions(keyless_now).empty());
  CHECK(next->health(0, keyless_now) == KeyHealth::invalid);
}
