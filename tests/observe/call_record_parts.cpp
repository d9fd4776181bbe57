// observe/call_record.hpp: a call's record built from its counts, its end and its path.
#include <governed/observe/call_record.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;

TEST_CASE("call_record: how the call ended and what it counted", "[observe][call_record]") {
  CallCounts n;
  n.attempts = 3;
  n.rate_limited = 2;
  n.retries = 1;
  n.fallbacks = 1;
  const CallEnd end{"groq", "llama-3.3-70b-versatile", false, false, providers::Usage{10, 0, 0, 2, 0}, 0.5,
                    Errc::all_rate_limited, "every model is rate limited"};
  const WallTime at = WallTime{} + 1h;
  const CallRecord rec = call_record(end, n, "scraper", 4s, at, "fp-1");
  CHECK(rec.provider == "groq");
  CHECK(rec.model == "llama-3.3-70b-versatile");
  CHECK(rec.task == "scraper");
  CHECK(rec.usage == providers::Usage{10, 0, 0, 2, 0});
  CHECK(rec.cost_usd == 0.5);
  CHECK(rec.latency == 4s);
  CHECK_FALSE(rec.success);
  CHECK(rec.rate_limited == 2);
  CHECK(rec.retries == 1);
  CHECK(rec.fallbacks == 1);
  CHECK(rec.error == std::optional<Errc>(Errc::all_rate_limited));
  CHECK(rec.error_message == "every model is rate limited");
  CHECK(rec.at == at);
  CHECK(rec.key_fingerprint == "fp-1");
  CHECK(rec.attempts == 0);  // the call hook's part is added apart
}

TEST_CASE("CallPath: keys in order once each, and moves once the call went on", "[observe][call_record]") {
  CallPath path;
  path.used_key("a");
  path.used_key("a");
  path.used_key("b");
  path.left("groq", "llama", "Rate limit reached for GROQ (llama).");
  path.moved();
  path.left("openai", "gpt-4o", "not offered");  // the target left last, the call went nowhere after
  CallRecord rec;
  std::vector<FallbackHop> hops;
  path.fill(rec, hops);
  REQUIRE(rec.keys.size() == 2);
  CHECK(rec.keys[0] == "a");
  CHECK(rec.keys[1] == "b");
  REQUIRE(rec.hops.size() == 1);
  CHECK(rec.hops[0].provider == "groq");
  CHECK(rec.hops[0].reason == "Rate limit reached for GROQ (llama).");
}

TEST_CASE("add_hook_details: what was asked, the trace, the counts and the budgets", "[observe][call_record]") {
  CallRecord rec;
  CallCounts n;
  n.attempts = 2;
  n.waited = 3s;
  n.backed_off = 4s;
  TraceContext trace;
  trace.trace_id.bytes[0] = 7;
  trace.parent_id.bytes[0] = 9;
  BudgetState budget;
  budget.task_calls = 5;
  add_hook_details(rec, CallAsked{"openai", "gpt-4o", "chat", "task-1"}, trace, n, true, budget);
  CHECK(rec.request_provider == "openai");
  CHECK(rec.request_model == "gpt-4o");
  CHECK(rec.task_id == "task-1");
  CHECK(rec.trace_id == trace.trace_id);
  CHECK(rec.span_id == trace.parent_id);
  CHECK(rec.attempts == 2);
  CHECK(rec.waited == 3s);
  CHECK(rec.backed_off == 4s);
  CHECK(rec.cancelled);
  CHECK(rec.budget.task_calls == std::optional<std::int64_t>(5));
}
