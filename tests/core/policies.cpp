#include <governed/policies.hpp>

#include <catch2/catch.hpp>

#include <governed/clock.hpp>
#include <governed/fallback.hpp>
#include <governed/limiter.hpp>

#include <type_traits>

namespace {

struct test_backoff {
  using family = governed::family::backoff;
};
struct other_backoff {
  using family = governed::family::backoff;
};
struct test_keys {
  using family = governed::family::keys;
};

struct Defaults {
  using limiter = governed::limiter::gcra;
  using backoff = test_backoff;
  using keys = test_keys;
  using fallback = governed::fallback::models_then_providers;
  using clock = governed::clock::steady;
};

}  // namespace

TEST_CASE("a pack defaults every family it is not given", "[policies]") {
  using P = governed::PolicyPack<Defaults>;
  STATIC_REQUIRE(std::is_same_v<P::limiter, governed::limiter::gcra>);
  STATIC_REQUIRE(std::is_same_v<P::backoff, test_backoff>);
  STATIC_REQUIRE(std::is_same_v<P::fallback, governed::fallback::models_then_providers>);
  STATIC_REQUIRE(std::is_same_v<P::clock, governed::clock::steady>);
}

TEST_CASE("policies come in any order and any subset", "[policies]") {
  using A = governed::PolicyPack<Defaults, governed::clock::manual, other_backoff, governed::fallback::none>;
  using B = governed::PolicyPack<Defaults, governed::fallback::none, governed::clock::manual, other_backoff>;
  STATIC_REQUIRE(std::is_same_v<A::clock, governed::clock::manual>);
  STATIC_REQUIRE(std::is_same_v<A::backoff, other_backoff>);
  STATIC_REQUIRE(std::is_same_v<A::fallback, governed::fallback::none>);
  STATIC_REQUIRE(std::is_same_v<A::limiter, B::limiter>);
  STATIC_REQUIRE(std::is_same_v<A::clock, B::clock>);
  STATIC_REQUIRE(std::is_same_v<A::backoff, B::backoff>);
  STATIC_REQUIRE(std::is_same_v<A::keys, test_keys>);
}

TEST_CASE("rebinding replaces a family's policy and keeps the others", "[policies]") {
  using P = governed::PolicyPack<Defaults, governed::limiter::token_bucket, other_backoff>;
  using Rebound = governed::pack_from<Defaults, P::with<test_backoff, governed::fallback::none>>::type;
  STATIC_REQUIRE(std::is_same_v<Rebound::limiter, governed::limiter::token_bucket>);
  STATIC_REQUIRE(std::is_same_v<Rebound::backoff, test_backoff>);
  STATIC_REQUIRE(std::is_same_v<Rebound::fallback, governed::fallback::none>);
}
