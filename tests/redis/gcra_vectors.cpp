// GCRA's vectors (tests/data/gcra_vectors.hpp) through the Redis admission script on a real
// redis-server: the script answers what `limiter::gcra_step` answers (tests/limiter/
// gcra_vectors.cpp), except where a row says otherwise and why.
#include <governed/redis/limit_scripts.hpp>

#include "../data/gcra_vectors.hpp"
#include "server.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>

using governed::limiter::Answer;
namespace gcra_table = governed_test::gcra_vectors;

namespace {

/// 2⁵³: the first integer past which a Lua number (a double) skips integers.
constexpr std::int64_t lua_exact_below = std::int64_t{1} << 53;

/// Runs the admission script for `cells` at `at` (µs) on one dimension stored at `key`, of
/// emission interval `interval` µs and burst `burst`. Nothing is recorded spent or cooling,
/// and the key is kept a day past resting, so only GCRA decides.
governed::redis::RespReply run_gcra_script(governed::redis::Client& redis, const std::string& key, std::int64_t at,
                                       std::uint64_t cells, std::int64_t interval, std::uint64_t burst) {
  const std::string health = key + ":health";
  const std::array<std::string_view, 2> keys{key, health};
  const std::string now = std::to_string(at), n = std::to_string(cells), per = std::to_string(interval),
                    b = std::to_string(burst);
  const std::array<std::string_view, 6> args{now, "0", n, per, b, "86400000"};
  auto r = redis.eval(governed::redis::admit_script(), keys, args);
  REQUIRE(r);
  REQUIRE(r->type == governed::redis::RespReply::Type::array);
  for (const auto& e : r->elements) REQUIRE(e.type == governed::redis::RespReply::Type::integer);
  return *r;
}

/// Whether any number of `v` is one a Lua double can not hold exactly.
bool passes_lua_bound(const gcra_table::Vector& v) {
  const auto beyond = [](std::int64_t x) { return x >= lua_exact_below || x <= -lua_exact_below; };
  for (const auto& a : v.arrivals)
    if (beyond(a.at) || (a.tat != gcra_table::rested && beyond(a.tat)) || beyond(a.wait)) return true;
  return false;
}

}  // namespace

TEST_CASE("the Redis admission script decides every GCRA vector as limiter::gcra_step does",
          "[redis][limits][gcra][vectors]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = governed_test::quick_backend_options(governed_test::fresh_namespace("gcra-vectors"));
  auto redis = governed::redis::Client::make(server.url(), options.client);
  REQUIRE(redis);
  for (std::size_t i = 0; i < gcra_table::vectors.size(); ++i) {
    const gcra_table::Vector& v = gcra_table::vectors[i];
    INFO(v.name);
    if (!v.cpp_only.empty()) {
      // The table keeps the script to what it counts exactly: only these vectors pass 2^53.
      CHECK(passes_lua_bound(v));
      continue;
    }
    CHECK_FALSE(passes_lua_bound(v));
    const std::string key = fmt::format("governed:{}:gcra-vector-{}", options.name_space, i);
    for (std::size_t row = 0; row < v.arrivals.size(); ++row) {
      const gcra_table::Arrival& a = v.arrivals[row];
      INFO("row " << row + 1 << ": " << a.cells << " cells at " << a.at);
      if (a.redis.is == gcra_table::InRedis::Is::not_asked) {
        // What LimitSet::prepare_shared checks before it asks Redis.
        CHECK(a.cells > v.largest);
        continue;
      }
      const bool differs = a.redis.is == gcra_table::InRedis::Is::different;
      const Answer expected = differs ? a.redis.answer : a.answer;
      // Past another answer than the step's the two states part: such a row ends its vector.
      if (differs && a.redis.answer != a.answer) REQUIRE(row + 1 == v.arrivals.size());
      const auto r = run_gcra_script(**redis, key, a.at, a.cells, v.interval, v.burst);
      const auto& e = r.elements;
      CHECK(e[1].integer == a.at);
      if (expected == Answer::admitted) {
        REQUIRE(e.size() == 5);
        CHECK(e[0].integer == 1);
        // The stamp is the TAT left plus the time refunds returned: none here.
        CHECK(e[2].integer == a.tat);
        CHECK(e[4].integer == static_cast<std::int64_t>(a.remaining));
      } else {
        REQUIRE(expected == Answer::not_yet);
        REQUIRE(e.size() == 5);
        CHECK(e[0].integer == 0);
        CHECK(e[3].integer == (differs ? a.redis.wait : a.wait));
        CHECK(e[4].integer == static_cast<std::int64_t>(differs ? a.redis.remaining : a.remaining));
      }
    }
  }
}

TEST_CASE("the Redis admission script counts instants exactly below 2^53 µs and rounds them past it",
          "[redis][limits][gcra][vectors]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = governed_test::quick_backend_options(governed_test::fresh_namespace("gcra-bound"));
  auto redis = governed::redis::Client::make(server.url(), options.client);
  REQUIRE(redis);
  const std::string key = fmt::format("governed:{}:gcra-bound", options.name_space);
  // The last exact instant comes back as sent; the next odd one is read as its even neighbour
  // (2^53 + 1 is no double): why the table's Redis rows stay below 2^53.
  CHECK(run_gcra_script(**redis, key + ":below", lua_exact_below - 1, 1, 1, 1).elements[1].integer ==
        lua_exact_below - 1);
  CHECK(run_gcra_script(**redis, key + ":past", lua_exact_below + 1, 1, 1, 1).elements[1].integer == lua_exact_below);
}
