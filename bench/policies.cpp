// Backoff and key-selection decisions beside one clock read: the cost each adds to a call walk.
#include <governed/backoff.hpp>
#include <governed/keys.hpp>

#include <benchmark/benchmark.h>

#include "ratios.hpp"

#include <array>
#include <cstdint>

using namespace std::chrono_literals;
namespace bo = governed::backoff;
namespace keys = governed::keys;
using governed::Instant;
using governed::Random;

namespace {

// Retries 1 … 4 in turn, so the exponent is not a constant the compiler can fold.
template <class B>
void BM_Backoff_Next(benchmark::State& state) {
  const B policy{};
  Random rng{1};
  std::uint32_t k = 0;
  for (auto _ : state) {
    bo::RetryState s{.attempt = (k++ & 3u) + 1, .last_wait = 8s, .waited = 12s};
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(policy.next(s, rng));
  }
}
BENCHMARK_TEMPLATE(BM_Backoff_Next, bo::exponential)->Name("BM_Backoff_Exponential_Next")->Threads(1);
BENCHMARK_TEMPLATE(BM_Backoff_Next, bo::full_jitter)->Name("BM_Backoff_FullJitter_Next")->Threads(1);
BENCHMARK_TEMPLATE(BM_Backoff_Next, bo::decorrelated_jitter)->Name("BM_Backoff_DecorrelatedJitter_Next")->Threads(1);

// The whole retry decision a walk makes: attempts, curve, cap.
void BM_Backoff_NextStep(benchmark::State& state) {
  const bo::exponential policy{};
  Random rng{1};
  std::uint32_t k = 0;
  for (auto _ : state) {
    bo::RetryState s{.attempt = (k++ & 3u) + 1, .last_wait = 8s, .waited = 12s};
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(bo::next_step(policy, s, std::nullopt, rng));
  }
}
BENCHMARK(BM_Backoff_NextStep)->Threads(1);

// Eight keys over four accounts, one of them cooling, as a pool hands them over.
const std::array<keys::KeyView, 8> eight = [] {
  std::array<keys::KeyView, 8> k{};
  const char* accounts[] = {"org-a", "org-b", "org-c", "org-d"};
  for (std::size_t i = 0; i < k.size(); ++i) {
    k[i].index = i;
    k[i].account = accounts[i % 4];
    k[i].weight = static_cast<std::uint32_t>(i + 1);
    k[i].headroom = 0.1 * static_cast<double>(i % 7);
  }
  k[3].health = keys::KeyHealth::cooling;
  k[3].until = Instant{} + 1h;
  return k;
}();

template <class P>
P& shared_policy() {
  static P p;
  return p;
}

template <class P>
void BM_Keys_Pick8(benchmark::State& state) {
  P& policy = shared_policy<P>();  // one object for every thread, as in a process
  Random rng{static_cast<std::uint64_t>(state.thread_index()) + 1};
  const Instant now = Instant{} + 1s;
  for (auto _ : state) benchmark::DoNotOptimize(policy.pick(eight, now, rng));
}
BENCHMARK_TEMPLATE(BM_Keys_Pick8, keys::round_robin)->Name("BM_Keys_RoundRobin_Pick8")->Threads(1)->Threads(2);
BENCHMARK_TEMPLATE(BM_Keys_Pick8, keys::least_loaded)->Name("BM_Keys_LeastLoaded_Pick8")->Threads(1);
BENCHMARK_TEMPLATE(BM_Keys_Pick8, keys::sticky)->Name("BM_Keys_Sticky_Pick8")->Threads(1)->Threads(2);
BENCHMARK_TEMPLATE(BM_Keys_Pick8, keys::weighted)->Name("BM_Keys_Weighted_Pick8")->Threads(1);
BENCHMARK_TEMPLATE(BM_Keys_Pick8, keys::random)->Name("BM_Keys_Random_Pick8")->Threads(1);

}  // namespace

GOVERNED_RATIO("backoff::exponential next / clock read", ({"BM_Backoff_Exponential_Next/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("backoff::full_jitter next / clock read", ({"BM_Backoff_FullJitter_Next/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("backoff::decorrelated_jitter next / clock read", ({"BM_Backoff_DecorrelatedJitter_Next/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
// A retry decision and a key pick each cost less than the clock read the walk makes anyway.
GOVERNED_RATIO("backoff next_step (exponential) / clock read, goal <= 1", ({"BM_Backoff_NextStep/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 1);
GOVERNED_RATIO("keys::round_robin pick of 8 / clock read, goal <= 1", ({"BM_Keys_RoundRobin_Pick8/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 1);
GOVERNED_RATIO("keys::round_robin pick of 8, 2 threads / clock read", ({"BM_Keys_RoundRobin_Pick8/threads:2"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("keys::least_loaded pick of 8 / clock read", ({"BM_Keys_LeastLoaded_Pick8/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("keys::sticky pick of 8 / clock read", ({"BM_Keys_Sticky_Pick8/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("keys::weighted pick of 8 / clock read", ({"BM_Keys_Weighted_Pick8/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("keys::random pick of 8 / clock read", ({"BM_Keys_Random_Pick8/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
