// What the provider breaker and the alerts add to every call on its success path, beside one
// clock read (which the call has made already).
#include <governed/breaker.hpp>
#include <governed/observe/alerts.hpp>

#include <benchmark/benchmark.h>

#include "ratios.hpp"

#include <chrono>
#include <cstdlib>

using namespace std::chrono_literals;
using governed::Instant;

namespace {

// One table's breakers, shared by every thread as a State shares them.
governed::ProviderBreakers& shared_breakers() {
  static governed::ProviderBreakers b = [] {
    auto made = governed::ProviderBreakers::make(7);
    if (!made) std::abort();
    return std::move(*made);
  }();
  return b;
}

// Alerts with a day of history at $1000 an hour, so the benchmark's small costs stay far
// below the spike level, as a call's would.
governed::Alerts& shared_alerts() {
  static governed::Alerts a = [] {
    auto made = governed::Alerts::make({}, Instant{});
    if (!made) std::abort();
    for (int h = 0; h < 24; ++h) (void)made->spent(1000.0, Instant{std::chrono::hours{h}});
    return std::move(*made);
  }();
  return a;
}

// A closed breaker asked before an attempt, and the success reported after it.
void BM_Breaker_EnterClosed(benchmark::State& state) {
  auto& b = shared_breakers();
  const std::size_t provider = static_cast<std::size_t>(state.thread_index()) % b.providers();
  const Instant t = Instant{1h};
  for (auto _ : state) {
    auto pass = b.enter(provider, t);
    benchmark::DoNotOptimize(pass);
  }
}
BENCHMARK(BM_Breaker_EnterClosed)->Threads(1)->Threads(2);

void BM_Breaker_EnterAndSuccess(benchmark::State& state) {
  auto& b = shared_breakers();
  const std::size_t provider = static_cast<std::size_t>(state.thread_index()) % b.providers();
  const Instant t = Instant{1h};
  for (auto _ : state) {
    auto pass = b.enter(provider, t);
    benchmark::DoNotOptimize(b.success(*pass, t));
  }
}
BENCHMARK(BM_Breaker_EnterAndSuccess)->Threads(1);

// A successful call's end and its cost; time moves 10 µs a call, so buckets turn over as they
// would at 100 000 calls a second.
void BM_Alerts_CallEndedAndSpent(benchmark::State& state) {
  auto& a = shared_alerts();
  Instant t = Instant{25h};
  for (auto _ : state) {
    benchmark::DoNotOptimize(a.call_ended(false, t));
    benchmark::DoNotOptimize(a.spent(0.000002, t));
    t += 10us;
  }
}
BENCHMARK(BM_Alerts_CallEndedAndSpent)->Threads(1)->Threads(2);

}  // namespace

// The breaker's closed path is one relaxed load: well under the clock read the call makes.
GOVERNED_RATIO("breaker enter, closed / clock read, goal <= 0.5", ({"BM_Breaker_EnterClosed/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0.5);
GOVERNED_RATIO("breaker enter + success, closed / clock read", ({"BM_Breaker_EnterAndSuccess/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
// Two compare-and-swaps and two loads: about one clock read.
GOVERNED_RATIO("alerts call_ended + spent (success) / clock read, goal <= 1.5",
               ({"BM_Alerts_CallEndedAndSpent/threads:1"}), ({"BM_Baseline_ClockNow/threads:1"}), 1.5);
GOVERNED_RATIO("alerts call_ended + spent, 2 threads / clock read",
               ({"BM_Alerts_CallEndedAndSpent/threads:2"}), ({"BM_Baseline_ClockNow/threads:1"}), 0);
