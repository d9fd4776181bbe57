// A governed call end to end on a warm State: plan, key, admission, the attempt, classifying
// the reply, reconciling usage and cost, statistics — through a transport that answers at once,
// so what is measured is the governor itself. Beside one clock read and the bare gcra admit.
#include <governed/governed.hpp>

#include <benchmark/benchmark.h>

#include "../tests/dialect/tool_replies.hpp"
#include "ratios.hpp"
#include "warm_state.hpp"

#include <memory>
#include <string>

namespace {

using namespace governed;

// A provider that answers every attempt at once: success for every model but `refused`,
// which answers OpenAI's 403 for a model the key may not use (the walk moves to the next).
struct InstantTransport {
  std::string refused;
  transport::Reply send(const transport::Attempt& a) {
    transport::Reply r;
    if (a.model == refused) {
      r.status = 403;
      r.body = forbidden;
      return r;
    }
    r.status = 200;
    r.body = ok;
    return r;
  }
  static inline const std::string ok =
      R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,)"
      R"("message":{"role":"assistant","content":"Hello."},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}})";
  static inline const std::string forbidden =
      R"({"error":{"message":"You are not allowed to use this model.","type":"invalid_request_error",)"
      R"("param":null,"code":"model_not_found"}})";
};

using G = Governed<InstantTransport>;
using governed_bench::hello;
using governed_bench::warm_state;

void BM_Governed_Send_Success(benchmark::State& st) {
  auto state = warm_state();
  G g(state, std::make_shared<InstantTransport>());
  const Request req = hello("gpt-4o-mini");
  for (auto _ : st) {
    auto r = g.send(req);
    if (!r) {
      st.SkipWithError(r.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Governed_Send_Success)->Threads(1);

void BM_Governed_Send_FallbackHop(benchmark::State& st) {
  auto state = warm_state();
  G g(state, std::make_shared<InstantTransport>(InstantTransport{"gpt-4o"}));
  const Request req = hello("gpt-4o");
  for (auto _ : st) {
    auto r = g.send(req);
    if (!r) {
      st.SkipWithError(r.error().message.c_str());
      break;
    }
    if (r->model != "gpt-4o-mini") {
      st.SkipWithError(("the hop landed on " + r->model).c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Governed_Send_FallbackHop)->Threads(1);

// What any client does with the same reply: parse it into a document.
void BM_Baseline_ParseReplyDocument(benchmark::State& st) {
  for (auto _ : st) {
    auto j = nlohmann::json::parse(InstantTransport::ok);
    benchmark::DoNotOptimize(j);
  }
}
BENCHMARK(BM_Baseline_ParseReplyDocument)->Threads(1);

// The part of the success path that reads the reply's text and usage (one SAX pass).
void BM_Governed_ReadReply(benchmark::State& st) {
  for (auto _ : st) {
    auto c = dialect::decode_completion(providers::Dialect::openai, InstantTransport::ok);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_Governed_ReadReply)->Threads(1);

// Replies that called tools, as the tests read them: OpenAI's three parallel calls (~2 KB,
// arguments as strings, each checked to be an object) and Anthropic's tool_use reply (the
// input built and written as JSON text, beside thinking blocks).
void BM_Baseline_ParseToolCallDocument(benchmark::State& st) {
  for (auto _ : st) {
    auto openai = nlohmann::json::parse(tool_replies::openai_three_calls);
    auto anthropic = nlohmann::json::parse(tool_replies::anthropic_tool_use);
    benchmark::DoNotOptimize(openai);
    benchmark::DoNotOptimize(anthropic);
  }
}
BENCHMARK(BM_Baseline_ParseToolCallDocument)->Threads(1);

// The same two replies read whole in one pass: every call, reasoning block, finish and usage.
void BM_Governed_ReadToolCallReply(benchmark::State& st) {
  for (auto _ : st) {
    auto openai = dialect::decode_completion(providers::Dialect::openai, tool_replies::openai_three_calls);
    auto anthropic = dialect::decode_completion(providers::Dialect::anthropic, tool_replies::anthropic_tool_use);
    benchmark::DoNotOptimize(openai);
    benchmark::DoNotOptimize(anthropic);
  }
}
BENCHMARK(BM_Governed_ReadToolCallReply)->Threads(1);

// The transport's own part: the reply it hands over (a status and a copied body).
void BM_Governed_InstantTransport(benchmark::State& st) {
  InstantTransport t;
  const Request req = hello("gpt-4o-mini");
  const transport::Attempt a{req, "openai", "gpt-4o-mini", "https://api.openai.com/v1", "sk-bench"};
  for (auto _ : st) {
    auto r = t.send(a);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Governed_InstantTransport)->Threads(1);

}  // namespace

// The governor's own work on a call: the whole send() less what reading the reply and the
// no-op transport cost (both are there with or without a governor).
GOVERNED_RATIO("governed send() less reply reading and transport / clock read, goal <= 30",
               ({"BM_Governed_Send_Success/threads:1", "-BM_Governed_ReadReply/threads:1",
                 "-BM_Governed_InstantTransport/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 30);
GOVERNED_RATIO("governed send(), success path / clock read", ({"BM_Governed_Send_Success/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("governed send(), success path / parsing its reply into a document",
               ({"BM_Governed_Send_Success/threads:1"}), ({"BM_Baseline_ParseReplyDocument/threads:1"}), 0);
GOVERNED_RATIO("reading a reply's text and usage in one pass / parsing it into a document",
               ({"BM_Governed_ReadReply/threads:1"}), ({"BM_Baseline_ParseReplyDocument/threads:1"}), 1);
GOVERNED_RATIO("reading tool-call replies whole in one pass / parsing them into documents",
               ({"BM_Governed_ReadToolCallReply/threads:1"}), ({"BM_Baseline_ParseToolCallDocument/threads:1"}), 1);
GOVERNED_RATIO("governed send(), one fallback hop / clock read", ({"BM_Governed_Send_FallbackHop/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("governed send(), success path / gcra admit", ({"BM_Governed_Send_Success/threads:1"}),
               ({"BM_Gcra_TryAcquire_Admit/threads:1"}), 0);
