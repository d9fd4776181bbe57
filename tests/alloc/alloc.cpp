// Hot paths do not allocate: admission on an existing limit set (and a store lookup) performs
// no heap allocation. The global operator new is replaced to count, so this is its own binary.
#define CATCH_CONFIG_MAIN
#include <governed/governed.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

// The replacement pairs new with malloc and delete with free; GCC cannot see that pairing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> allocations{0};
}

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc{};
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace std::chrono_literals;
using governed::Instant;

TEMPLATE_TEST_CASE("admission on an existing limit set allocates nothing", "[alloc]", governed::limiter::gcra,
                   governed::limiter::token_bucket, governed::limiter::sliding_window,
                   governed::limiter::sliding_window_approx, governed::limiter::fixed_window) {
  governed::LimitStore<TestType> store;
  governed::LimitSetConfig c;
  c.requests_per_minute = 500;
  c.tokens_per_minute = 300000;
  c.requests_per_day = 10000;
  c.tokens_per_day = 1000000;
  c.max_concurrency = 3;
  c.largest_request_tokens = 2000;
  const governed::LimitKey key{"openai", "org-1", "gpt-4o"};
  REQUIRE(store.find_or_create(key, c));
  governed::clock::manual clock;

  const long before = allocations.load();
  int admitted = 0;
  for (int i = 0; i < 10000; ++i) {
    auto* set = store.find(key);
    auto a = set->admit(governed::Cost{1, 500, 200}, clock.now());
    if (a && a->admitted) {
      ++admitted;
      set->reconcile(*a, governed::Cost{1, 400, 150}, clock.now());
    }
    clock.advance(10ms);
  }
  const long during = allocations.load() - before;
  CHECK(during == 0);
  CHECK(admitted > 100);
}
