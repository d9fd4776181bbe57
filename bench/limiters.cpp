// Limiter admissions on the clock users run (clock::steady), beside the baselines.
#include <governed/governed.hpp>

#include <benchmark/benchmark.h>

#include "ratios.hpp"

#include <memory>
#include <string>

using namespace std::chrono_literals;
namespace lim = governed::limiter;
using governed::clock::steady;

namespace {

steady clock;

// Admit path: a billion cells a second with a burst of a billion never runs dry.
const lim::Limit wide_open{1'000'000'000, 1s, 1'000'000'000};
// Reject path: one cell a day, taken before the loop.
const lim::Limit one_a_day{1, 24h, 1};

template <class L>
struct Shared {
  lim::clocked<L, steady> admit{wide_open, clock};
  lim::clocked<L, steady> reject{one_a_day, clock};
  Shared() { reject.try_acquire(); }
};

template <class L>
Shared<L>& shared() {
  static Shared<L> s;
  return s;
}

template <class L>
void BM_TryAcquire_Admit(benchmark::State& state) {
  auto& l = shared<L>().admit;
  for (auto _ : state) benchmark::DoNotOptimize(l.try_acquire(1));
}

template <class L>
void BM_TryAcquire_Reject(benchmark::State& state) {
  auto& l = shared<L>().reject;
  for (auto _ : state) benchmark::DoNotOptimize(l.try_acquire(1));
}

#define GOVERNED_LIMITER_BENCH(Label, Type)                                                       \
  BENCHMARK_TEMPLATE(BM_TryAcquire_Admit, Type)                                                   \
      ->Name("BM_" #Label "_TryAcquire_Admit")->Threads(1)->Threads(2);                           \
  BENCHMARK_TEMPLATE(BM_TryAcquire_Reject, Type)                                                  \
      ->Name("BM_" #Label "_TryAcquire_Reject")->Threads(1)->Threads(2)

GOVERNED_LIMITER_BENCH(Gcra, lim::gcra);
GOVERNED_LIMITER_BENCH(TokenBucket, lim::token_bucket);
GOVERNED_LIMITER_BENCH(SlidingWindow, lim::sliding_window);
GOVERNED_LIMITER_BENCH(SlidingWindowApprox, lim::sliding_window_approx);
GOVERNED_LIMITER_BENCH(FixedWindow, lim::fixed_window);

governed::LimitSetConfig four_dimensions() {
  governed::LimitSetConfig c;
  c.requests_per_minute = 60'000'000'000;  // a billion a second: the admit path
  c.tokens_per_minute = 60'000'000'000'000;
  c.requests_per_day = 86'400'000'000'000;
  c.tokens_per_day = 86'400'000'000'000'000;
  c.largest_request_tokens = 1000;
  return c;
}

// One admission of 1 request and 100 tokens on requests and tokens per minute and per day.
void BM_LimitSet_Admit4(benchmark::State& state) {
  static auto set = *governed::make_limit_set(four_dimensions());
  for (auto _ : state) benchmark::DoNotOptimize(set->admit(governed::Cost{1, 100, 0}, clock.now()));
}
BENCHMARK(BM_LimitSet_Admit4)->Threads(1)->Threads(2);

// The keyed store with 100 entries: find (provider, account, group), then a 4-dimension admit.
void BM_LimitStore_LookupAdmit(benchmark::State& state) {
  static const auto store = [] {
    auto s = std::make_unique<governed::LimitStore<>>();
    for (int i = 0; i < 100; ++i) {
      const std::string group = "model-" + std::to_string(i);
      (void)s->find_or_create({"openai", "org-1", group}, four_dimensions());
    }
    return s;
  }();
  const governed::LimitKey key{"openai", "org-1", "model-42"};
  for (auto _ : state) {
    auto* set = store->find(key);
    benchmark::DoNotOptimize(set->admit(governed::Cost{1, 100, 0}, clock.now()));
  }
}
BENCHMARK(BM_LimitStore_LookupAdmit)->Threads(1);

}  // namespace

GOVERNED_RATIO("gcra try_acquire / (clock read + CAS), goal <= 1.5",
               ({"BM_Gcra_TryAcquire_Admit/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1", "BM_Baseline_AtomicCas/threads:1"}), 1.5);
GOVERNED_RATIO("gcra try_acquire / mutex token bucket, 2 threads, goal < 1",
               ({"BM_Gcra_TryAcquire_Admit/threads:2"}), ({"BM_Baseline_MutexTokenBucket/threads:2"}), 0.999);
GOVERNED_RATIO("gcra try_acquire / mutex token bucket, 1 thread",
               ({"BM_Gcra_TryAcquire_Admit/threads:1"}), ({"BM_Baseline_MutexTokenBucket/threads:1"}), 0);
GOVERNED_RATIO("gcra reject / clock read", ({"BM_Gcra_TryAcquire_Reject/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("4-dimension LimitSet admit / gcra admit, goal <= 4", ({"BM_LimitSet_Admit4/threads:1"}),
               ({"BM_Gcra_TryAcquire_Admit/threads:1"}), 4);
GOVERNED_RATIO("store lookup + 4-dimension admit / gcra admit", ({"BM_LimitStore_LookupAdmit/threads:1"}),
               ({"BM_Gcra_TryAcquire_Admit/threads:1"}), 0);
GOVERNED_RATIO("token_bucket try_acquire / mutex token bucket", ({"BM_TokenBucket_TryAcquire_Admit/threads:1"}),
               ({"BM_Baseline_MutexTokenBucket/threads:1"}), 0);
GOVERNED_RATIO("sliding_window try_acquire / mutex token bucket", ({"BM_SlidingWindow_TryAcquire_Admit/threads:1"}),
               ({"BM_Baseline_MutexTokenBucket/threads:1"}), 0);
GOVERNED_RATIO("fixed_window try_acquire / mutex token bucket", ({"BM_FixedWindow_TryAcquire_Admit/threads:1"}),
               ({"BM_Baseline_MutexTokenBucket/threads:1"}), 0);
