#include <governed/limit_store.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

using governed::Instant;
using governed::LimitKey;
using governed::LimitSetConfig;
using governed::LimitStore;

namespace {
LimitSetConfig rpm(std::uint64_t n, double headroom = 0.0) {
  LimitSetConfig c;
  c.requests_per_minute = n;
  c.headroom = headroom;
  return c;
}
}  // namespace

TEST_CASE("the store creates a set once per (provider, account, group)", "[limit_store]") {
  LimitStore<> store;
  CHECK(store.find({"openai", "org-a", "gpt-4o"}) == nullptr);
  auto a = store.find_or_create({"openai", "org-a", "gpt-4o"}, rpm(60));
  REQUIRE(a);
  auto again = store.find_or_create({"openai", "org-a", "gpt-4o"}, rpm(9999));
  REQUIRE(again);
  CHECK(*a == *again);
  CHECK((*again)->config().requests_per_minute == 60);  // the first configuration stays
  CHECK(store.find({"openai", "org-a", "gpt-4o"}) == *a);
  auto other_account = store.find_or_create({"openai", "org-b", "gpt-4o"}, rpm(60));
  auto other_group = store.find_or_create({"openai", "org-a", "gpt-4o-mini"}, rpm(60));
  CHECK(*other_account != *a);
  CHECK(*other_group != *a);
  CHECK(store.size() == 3);
}

TEST_CASE("the key's fields are kept apart", "[limit_store]") {
  LimitStore<> store{1};  // one bucket: every key collides, only the comparison separates them
  auto ab = store.find_or_create({"ab", "c", ""}, rpm(1));
  auto a_bc = store.find_or_create({"a", "bc", ""}, rpm(1));
  CHECK(*ab != *a_bc);
  CHECK(store.find({"ab", "c", ""}) == *ab);
  CHECK(store.find({"a", "bc", ""}) == *a_bc);
  CHECK(store.find({"abc", "", ""}) == nullptr);
}

TEST_CASE("two keys of one account share one limit", "[limit_store]") {
  // Providers limit accounts: a second key of the same organisation does not double the limit.
  LimitStore<> store;
  const LimitKey account{"groq", "org-1", "llama-3.3-70b-versatile"};
  // 4 RPM at 50 % headroom: a burst of 2.
  auto via_key_1 = *store.find_or_create(account, rpm(4, 0.5));
  auto via_key_2 = *store.find_or_create(account, rpm(4, 0.5));
  CHECK(via_key_1->admit(1, 0, Instant{})->admitted);
  CHECK(via_key_2->admit(1, 0, Instant{})->admitted);
  CHECK_FALSE(via_key_1->admit(1, 0, Instant{})->admitted);
}

TEST_CASE("a configuration that can not be planned is an error and creates nothing", "[limit_store]") {
  LimitStore<> store;
  LimitSetConfig bad = rpm(10);
  bad.headroom = -1;
  auto s = store.find_or_create({"x", "y", "z"}, bad);
  REQUIRE_FALSE(s);
  CHECK(store.size() == 0);
  CHECK(store.find({"x", "y", "z"}) == nullptr);
}

TEST_CASE("threads creating the same keys agree on one set each", "[limit_store][concurrency]") {
  LimitStore<> store{8};
  std::vector<std::thread> pool;
  std::vector<std::vector<governed::LimitSet<>*>> seen(8);
  std::atomic<int> errors{0};  // Catch2's assertions are not thread safe: count, check after
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) {
        const std::string group = "g" + std::to_string(k % 50);
        auto s = store.find_or_create({"p", "a", group}, rpm(1000));
        if (!s) {
          ++errors;
          return;
        }
        seen[static_cast<std::size_t>(i)].push_back(*s);
        (*s)->admit(1, 0, Instant{});
      }
    });
  }
  for (auto& t : pool) t.join();
  REQUIRE(errors.load() == 0);
  CHECK(store.size() == 50);
  for (int k = 0; k < 50; ++k) {
    std::set<governed::LimitSet<>*> distinct;
    for (const auto& v : seen)
      for (std::size_t j = static_cast<std::size_t>(k); j < v.size(); j += 50) distinct.insert(v[j]);
    CHECK(distinct.size() == 1);
  }
  std::size_t visited = 0;
  store.for_each([&](const LimitKey&, const governed::LimitSet<>&) { ++visited; });
  CHECK(visited == 50);
}
