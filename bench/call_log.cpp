// What a call pays for the call log: the writer's hook copying the record into its queue.
// The serialising and writing happen on the writer's thread and are not in the figure.
#include <governed/observe/call_log_writer.hpp>

#include <benchmark/benchmark.h>

#include "ratios.hpp"

#include <chrono>
#include <ostream>
#include <streambuf>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A sink that keeps nothing, so the writer's thread is never the bottleneck of the run.
class DiscardingBuffer : public std::streambuf {
 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
};

// A successful call as the walk reports it, with a trace and the key it used.
governed::CallRecord call_log_record() {
  static const std::vector<std::string_view> keys{"sk-…1a2b3c4d5e6f"};
  governed::CallRecord r;
  r.provider = "openai";
  r.model = "gpt-4o-mini";
  r.task = "scraper";
  r.request_provider = "openai";
  r.request_model = "gpt-4o-mini";
  r.usage.input_tokens = 812;
  r.usage.output_tokens = 95;
  r.cost_usd = 0.000179;
  r.latency = 1250ms;
  r.attempts = 1;
  r.at = governed::WallTime{std::chrono::seconds{1735732800}};
  r.key_fingerprint = keys[0];
  r.keys = keys;
  r.trace_id.bytes = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4c, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  r.span_id.bytes = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  return r;
}

// The hook as installed: copy into a slot of the ring, wake the writer if it sleeps. Every
// 512 calls the run pauses until the writer has caught up, so the queue (1 024) never fills
// and the figure is the enqueue, never the cheaper drop.
void BM_CallLog_Hook(benchmark::State& state) {
  DiscardingBuffer discard;
  std::ostream out(&discard);
  auto log = governed::CallLogWriter::to_stream(out);
  if (!log) {
    state.SkipWithError("the call log could not start");
    return;
  }
  const auto hook = (*log)->hook();
  const governed::CallRecord r = call_log_record();
  std::int64_t n = 0;
  for (auto _ : state) {
    hook(r);
    if (++n % 512 == 0) {
      state.PauseTiming();
      (*log)->flush(10s);
      state.ResumeTiming();
    }
  }
  (*log)->flush(10s);
  if ((*log)->dropped() != 0) state.SkipWithError("the call log dropped records: the figure would be of drops");
}
BENCHMARK(BM_CallLog_Hook)->Threads(1);

// The same record serialised to its line: what the writer's thread does per call, for
// comparison (the caller never pays it).
void BM_CallLog_Line(benchmark::State& state) {
  const governed::CallRecord r = call_log_record();
  for (auto _ : state) benchmark::DoNotOptimize(governed::call_json_line(r));
}
BENCHMARK(BM_CallLog_Line)->Threads(1);

}  // namespace

GOVERNED_RATIO("call log hook (copy + enqueue) / clock read, goal <= 8", ({"BM_CallLog_Hook/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 8.0);
GOVERNED_RATIO("call log line (serialise, writer's thread) / clock read", ({"BM_CallLog_Line/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
