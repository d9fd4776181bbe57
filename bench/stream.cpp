// A governed call streamed end to end on a warm State, beside the same call sent
// (BM_Governed_Send_Success in governed.cpp): what streaming adds or saves — a sink called per
// piece and the pieces' count checked, against reading a JSON body — through a transport that
// answers at once, so what is measured is the governor itself.
#include <governed/governed.hpp>

#include <benchmark/benchmark.h>

#include "ratios.hpp"
#include "warm_state.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace governed;

// Answers every attempt at once: "Hello." in three pieces, the usage in the final event.
struct InstantStreamer {
  transport::Reply send(const transport::Attempt&) {
    transport::Reply r;
    r.status = 200;
    return r;
  }
  transport::Reply stream(const transport::Attempt&, const transport::ChunkSink& sink) {
    transport::Reply r;
    r.status = 200;
    auto& s = r.streamed.emplace();
    for (std::string_view piece : {"Hel", "lo", "."}) {
      sink(piece);
      s.content += piece;
      ++s.chunks;
    }
    s.usage = providers::Usage{.input_tokens = 12, .output_tokens = 2};
    return r;
  }
};

void BM_Governed_Stream_Success(benchmark::State& st) {
  auto state = governed_bench::warm_state();
  Governed<InstantStreamer> g(state, std::make_shared<InstantStreamer>());
  const Request req = governed_bench::hello("gpt-4o-mini");
  std::size_t bytes = 0;
  const transport::ChunkSink sink = [&bytes](std::string_view piece) { bytes += piece.size(); };
  for (auto _ : st) {
    auto r = g.stream(req, sink);
    if (!r) {
      st.SkipWithError(r.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  benchmark::DoNotOptimize(bytes);
}
BENCHMARK(BM_Governed_Stream_Success)->Threads(1);

}  // namespace

GOVERNED_RATIO("governed stream(), success path / send(), success path", ({"BM_Governed_Stream_Success/threads:1"}),
               ({"BM_Governed_Send_Success/threads:1"}), 0);
