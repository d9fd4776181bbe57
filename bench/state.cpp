// The per-call work of the state parts — budget holds, a cache hit, a histogram record, the
// statistics of a call, an event with nobody listening — beside one clock read.
#include <governed/budget.hpp>
#include <governed/cache.hpp>
#include <governed/observe.hpp>

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "ratios.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A wall time inside one day, so the budget never turns its period during a run: what is
// measured is the hold and the settlement, not a day rollover.
constexpr governed::WallTime noon{std::chrono::seconds{1735732800}};

governed::SpendBudget& spend_budget() {
  static governed::SpendBudget b = [] {
    governed::SpendBudgetConfig c;
    c.daily_usd = 1e9;  // never reached: every hold fits
    c.monthly_usd = 1e9;
    return std::move(*governed::SpendBudget::make(c));
  }();
  return b;
}

// A USD hold at the worst case, then its settlement: two lock round trips.
void BM_Budget_ReserveSettle(benchmark::State& state) {
  auto& b = spend_budget();
  for (auto _ : state) {
    auto r = b.reserve(0.0075, noon);
    if (!r) {
      state.SkipWithError("the spend budget refused a hold");
      break;
    }
    benchmark::DoNotOptimize(r->settle(0.004, noon));
  }
}
BENCHMARK(BM_Budget_ReserveSettle)->Threads(1)->Threads(2);

// A task's call counted and its token hold settled.
void BM_TaskBudget_BeginSettle(benchmark::State& state) {
  governed::TaskBudgetConfig c;
  c.calls_by_kind.clear();  // "scraper" would stop at its 50 calls
  c.default_calls = std::numeric_limits<std::int64_t>::max();
  c.default_tokens = std::numeric_limits<std::int64_t>::max() / 2;
  governed::TaskBudgets budgets(c);
  for (auto _ : state) {
    auto t = budgets.begin_call("agent-run-0017", "scraper", 1200);
    if (!t) {
      state.SkipWithError("the task budget refused a call");
      break;
    }
    t->settle(1100);
  }
}
BENCHMARK(BM_TaskBudget_BeginSettle)->Threads(1);

const nlohmann::json& messages() {
  static const nlohmann::json m = nlohmann::json::parse(R"([
    {"role": "system", "content": "You extract job postings from HTML and answer in JSON."},
    {"role": "user", "content": "Title: Senior C++ engineer. Location: Berlin. Salary: 90k."}])");
  return m;
}

// A hit in a cache of 1 000 entries, the key already built.
void BM_Cache_LookupHit(benchmark::State& state) {
  static governed::ResponseCache<std::string> cache;  // 1 024 entries
  static const bool filled = [] {
    for (int i = 0; i < 1000; ++i) {
      auto k = governed::CacheKey::of("openai", "gpt-4o-mini", messages(), {{"temperature", 0}, {"seed", i}});
      cache.insert(*k, std::string(400, 'x'), 400, governed::Instant{});
    }
    return true;
  }();
  benchmark::DoNotOptimize(filled);
  const auto key = *governed::CacheKey::of("openai", "gpt-4o-mini", messages(), {{"temperature", 0}, {"seed", 500}});
  for (auto _ : state) benchmark::DoNotOptimize(cache.find(key, governed::Instant{} + 1s));
}
BENCHMARK(BM_Cache_LookupHit)->Threads(1);

// Building the canonical key of a two-message request (allocates: the key's text).
void BM_Cache_BuildKey(benchmark::State& state) {
  const nlohmann::json params = {{"temperature", 0}, {"max_tokens", 256}};
  for (auto _ : state) benchmark::DoNotOptimize(governed::CacheKey::of("openai", "gpt-4o-mini", messages(), params));
}
BENCHMARK(BM_Cache_BuildKey)->Threads(1);

// One latency sample: three relaxed increments. Shared by the threads, as one model's
// histogram is.
governed::LatencyHistogram shared_histogram;

void BM_Histogram_Record(benchmark::State& state) {
  std::int64_t v = 1'000'000;
  for (auto _ : state) {
    shared_histogram.record(governed::Duration{v});
    v = v * 1103515245 % 4'000'000'000 + 1;  // spread over buckets, cheaply
  }
}
BENCHMARK(BM_Histogram_Record)->Threads(1)->Threads(2);

// A finished call counted for its model, provider and task.
void BM_Stats_Record(benchmark::State& state) {
  static governed::Statistics stats;
  governed::CallRecord r;
  r.provider = "openai";
  r.model = "gpt-4o-mini";
  r.task = "scraper";
  r.usage.input_tokens = 812;
  r.usage.output_tokens = 95;
  r.cost_usd = 0.000179;
  r.latency = 1250ms;
  for (auto _ : state) stats.record(r);
}
BENCHMARK(BM_Stats_Record)->Threads(1);

// An event on a call path with no observer installed: what every call pays for the hook.
void BM_Event_NoObserver(benchmark::State& state) {
  governed::Observers observers;
  for (auto _ : state) {
    observers.emit_lazy([] {
      return governed::Event::make(governed::EventKind::admitted, "openai", "gpt-4o-mini", "", "admitted");
    });
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Event_NoObserver)->Threads(1);

}  // namespace

GOVERNED_RATIO("budget reserve+settle / clock read, goal <= 4", ({"BM_Budget_ReserveSettle/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 4.0);
GOVERNED_RATIO("task budget begin+settle / clock read, goal <= 4", ({"BM_TaskBudget_BeginSettle/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 4.0);
GOVERNED_RATIO("cache lookup hit / clock read, goal <= 4", ({"BM_Cache_LookupHit/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 4.0);
GOVERNED_RATIO("cache key build (2 messages) / clock read", ({"BM_Cache_BuildKey/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("histogram record / clock read, goal <= 1.5", ({"BM_Histogram_Record/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 1.5);
GOVERNED_RATIO("statistics of a call (3 series) / clock read, goal <= 8", ({"BM_Stats_Record/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 8.0);
GOVERNED_RATIO("event with no observer / clock read, goal <= 0.1", ({"BM_Event_NoObserver/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0.1);
