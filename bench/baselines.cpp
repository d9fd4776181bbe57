// The baselines every figure is quoted against, measured in the same run.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace {

// One steady_clock read: the floor of any limiter that reads real time.
void BM_Baseline_ClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_Baseline_ClockNow)->Threads(1);

// One uncontended compare-and-swap on a private atomic: the floor of a lock-free admission.
void BM_Baseline_AtomicCas(benchmark::State& state) {
  std::atomic<std::int64_t> v{0};
  std::int64_t expected = 0;
  for (auto _ : state) {
    bool ok = v.compare_exchange_strong(expected, expected + 1, std::memory_order_relaxed);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_Baseline_AtomicCas)->Threads(1);

// What most hand-written limiters are: a token bucket behind a mutex, reading the clock under
// the lock. Shared between threads, so the 2-thread figure shows the lock's contention.
struct MutexTokenBucket {
  std::mutex m;
  double tokens = 1e18;
  double rate_per_ns = 1.0;
  double capacity = 1e18;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();

  bool try_acquire(double n) {
    std::lock_guard lk(m);
    const auto now = std::chrono::steady_clock::now();
    tokens = std::min(capacity, tokens + static_cast<double>((now - last).count()) * rate_per_ns);
    last = now;
    if (tokens < n) return false;
    tokens -= n;
    return true;
  }
};

MutexTokenBucket shared_bucket;

void BM_Baseline_MutexTokenBucket(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(shared_bucket.try_acquire(1));
}
BENCHMARK(BM_Baseline_MutexTokenBucket)->Threads(1)->Threads(2);

}  // namespace
