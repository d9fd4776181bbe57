// What counting a call's spend per UTC day and month adds to the statistics of a call: the
// same call recorded with a cost (its day and month are added to, under one lock) and without
// (they are not touched).
#include <governed/observe/stats.hpp>

#include <benchmark/benchmark.h>

#include "ratios.hpp"

#include <chrono>

using namespace std::chrono_literals;

namespace {

governed::CallRecord ledger_call(double cost) {
  governed::CallRecord r;
  r.provider = "openai";
  r.model = "gpt-4o-mini";
  r.usage.input_tokens = 812;
  r.usage.output_tokens = 95;
  r.cost_usd = cost;
  r.latency = 1250ms;
  r.at = governed::WallTime{std::chrono::seconds{1735732800}};  // one day throughout the run
  return r;
}

// Model and provider series held, as the State holds them: a call that cost something.
void BM_Stats_RecordHeld_Costed(benchmark::State& state) {
  static governed::Statistics stats;
  auto& m = stats.model("openai", "gpt-4o-mini");
  auto& p = stats.provider("openai");
  const auto r = ledger_call(0.000179);
  for (auto _ : state) stats.record(r, m, p);
}
BENCHMARK(BM_Stats_RecordHeld_Costed)->Threads(1)->Threads(2);

// The same call at no cost (a cache hit): the day and month are not touched.
void BM_Stats_RecordHeld_Free(benchmark::State& state) {
  static governed::Statistics stats;
  auto& m = stats.model("openai", "gpt-4o-mini");
  auto& p = stats.provider("openai");
  const auto r = ledger_call(0);
  for (auto _ : state) stats.record(r, m, p);
}
BENCHMARK(BM_Stats_RecordHeld_Free)->Threads(1)->Threads(2);

}  // namespace

GOVERNED_RATIO("statistics of a costed call, series held / clock read",
               ({"BM_Stats_RecordHeld_Costed/threads:1"}), ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("spend per day and month (costed - free call) / clock read",
               ({"BM_Stats_RecordHeld_Costed/threads:1", "-BM_Stats_RecordHeld_Free/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("  the same, 2 threads on one Statistics",
               ({"BM_Stats_RecordHeld_Costed/threads:2", "-BM_Stats_RecordHeld_Free/threads:2"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
