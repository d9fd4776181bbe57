// A governed call streamed end to end on a warm State, beside the same call sent
// (BM_Governed_Send_Success in governed.cpp): what streaming adds or saves — a sink called per
// piece and the pieces' count checked, against reading a JSON body — through a transport that
// answers at once, so what is measured is the governor itself.
#include <governed/governed.hpp>

#include <benchmark/benchmark.h>

#include "ratios.hpp"

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

// The same warm State as the send benchmarks: one key, limits far above what is sent.
std::shared_ptr<State<>> warm_state() {
  StateConfig c;
  c.keys.keys = {{"openai", "sk-bench-key-000000000000000000000", "org-bench"}};
  c.keys.persist = false;
  c.providers["openai"] = ProviderSettings{.rpm = std::uint64_t{1} << 40, .tpm = std::uint64_t{1} << 50, .rpd = 0, .tpd = 0};
  c.seed = 1;
  return State<>::create(std::move(c)).value();
}

void BM_Governed_Stream_Success(benchmark::State& st) {
  auto state = warm_state();
  Governed<InstantStreamer> g(state, std::make_shared<InstantStreamer>());
  Request req;
  req.provider = "openai";
  req.model = "gpt-4o-mini";
  req.messages = {{"user", "Say hello."}};
  req.max_tokens = 16;
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
