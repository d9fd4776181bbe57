// The walk's settle step driven directly: what an answer used, what a limit set counts for it,
// whether a reply teaches the calibration, and what a charge settles — on a recording limit
// set, without a State or a provider.
#include <governed/walk/settle.hpp>

#include <governed/dialect/reply.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace governed;

namespace {

const providers::Model& settle_model() { return *providers::builtin_table().model("openai", "gpt-4o"); }

/// A limit set that records what it is asked to reconcile.
struct RecordingSet {
  std::vector<Cost> reconciled;
  void reconcile(Admission&, const Cost& real, Instant) { reconciled.push_back(real); }
};

/// A whole OpenAI reply `body`, read into `r.completion` as a transport reads it (through the
/// openai home); none when it is not a readable reply.
void settle_read_reply(transport::Reply& r, std::string body) {
  r.body = std::move(body);
  r.completion.reset();
  if (auto c = dialect::decode_completion(providers::Dialect::openai, r.body)) r.completion = std::move(*c);
}

}  // namespace

TEST_CASE("walk::limit_cost: one request and the tokens, never negative", "[walk][settle]") {
  const Cost c = walk::limit_cost(120, 30);
  CHECK(c.requests == 1);
  CHECK(c.input_tokens == 120);
  CHECK(c.output_tokens == 30);
  const Cost z = walk::limit_cost(-5, -1);
  CHECK(z.input_tokens == 0);
  CHECK(z.output_tokens == 0);
}

TEST_CASE("walk::stream_usage: the stream's own usage, else the prompt's estimate and the text's tokens",
          "[walk][settle]") {
  transport::Streamed s;
  s.content = "Hello there, how are you today?";
  s.usage = providers::Usage{40, 0, 0, 9, 0};
  CHECK(walk::stream_usage(s, settle_model(), 100) == providers::Usage{40, 0, 0, 9, 0});
  s.usage.reset();
  const auto u = walk::stream_usage(s, settle_model(), 100);
  CHECK(u.input_tokens == 100);
  CHECK(u.output_tokens > 0);
}

TEST_CASE("walk::read_answer: a reply the transport already read is taken as read, its body not read again",
          "[walk][settle]") {
  transport::Reply r;
  r.status = 200;
  r.body = "not a reply the walk could read";
  r.completion = providers::Completion{"Read by the transport", providers::Usage{12, 0, 0, 2, 0}};
  Response answer;
  const auto used = walk::read_answer(r, settle_model(), providers::Dialect::openai, 50, false, answer);
  CHECK(answer.content == "Read by the transport");
  CHECK(used.usage == providers::Usage{12, 0, 0, 2, 0});
  CHECK(used.counted_by_provider);
}

TEST_CASE("walk::read_answer: a reply's text and usage, counted by the provider or estimated", "[walk][settle]") {
  transport::Reply r;
  r.status = 200;
  settle_read_reply(r, R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,)"
                       R"("message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],)"
                       R"("usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}})");
  Response answer;
  auto used = walk::read_answer(r, settle_model(), providers::Dialect::openai, 50, false, answer);
  CHECK(answer.content == "Hello");
  CHECK(used.usage.input_tokens == 12);
  CHECK(used.usage.output_tokens == 2);
  CHECK(used.counted_by_provider);

  // No usage in the body: the prompt's estimate, no output, and nothing to learn from.
  settle_read_reply(r, R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]})");
  used = walk::read_answer(r, settle_model(), providers::Dialect::openai, 50, false, answer);
  CHECK(answer.content == "Hi");
  CHECK(used.usage == providers::Usage{50, 0, 0, 0, 0});
  CHECK_FALSE(used.counted_by_provider);

  // A stream without usage: its text, estimated; the provider counted nothing.
  r.streamed = transport::Streamed{"Hello world", std::nullopt, 2};
  used = walk::read_answer(r, settle_model(), providers::Dialect::openai, 50, false, answer);
  CHECK(answer.content == "Hello world");
  CHECK(used.usage.input_tokens == 50);
  CHECK(used.usage.output_tokens > 0);
  CHECK_FALSE(used.counted_by_provider);

  r.streamed->usage = providers::Usage{20, 0, 0, 3, 0};
  used = walk::read_answer(r, settle_model(), providers::Dialect::openai, 50, false, answer);
  CHECK(used.usage == providers::Usage{20, 0, 0, 3, 0});
  CHECK(used.counted_by_provider);
}

TEST_CASE("walk::read_answer: the answer's finish, tool calls, later choices and the provider's request id reach "
          "the Response, moved; the body only when asked",
          "[walk][settle]") {
  transport::Reply r;
  r.status = 200;
  r.body = "the body as it came";
  r.request_id = providers::RequestId("req_from_header");
  providers::Completion c{"Checking.", providers::Usage{12, 0, 0, 9, 0}};
  c.finish = providers::FinishReason::tool_calls;
  c.provider_finish = "tool_calls";
  c.detail.make().tool_calls = {{"call_1", "get_weather", R"({"city":"Oslo"})"}};
  c.id = providers::RequestId("chatcmpl-1");
  c.more.push_back(providers::Choice{"Second.", providers::FinishReason::stop, "stop", {}});
  const auto* calls = c.detail->tool_calls.data();
  r.completion = std::move(c);

  Response answer;
  walk::read_answer(r, settle_model(), providers::Dialect::openai, 50, false, answer);
  CHECK(answer.content == "Checking.");
  CHECK(answer.finish == providers::FinishReason::tool_calls);
  CHECK(answer.provider_finish == "tool_calls");
  REQUIRE(answer.tool_calls().size() == 1);
  CHECK(answer.tool_calls().data() == calls);  // moved: the same storage
  CHECK(answer.tool_calls()[0].name == "get_weather");
  CHECK(answer.refusal().empty());
  REQUIRE(answer.choice_count() == 2);
  CHECK(answer.more_choices[0].content == "Second.");
  // The header's id wins over the reply's own.
  CHECK(answer.request_id.view() == "req_from_header");
  CHECK(answer.raw_body.empty());

  // Asked to keep the body: it is moved into the Response. Without a header id, the reply's own.
  transport::Reply again;
  again.status = 200;
  again.body = "the body as it came";
  providers::Completion plain{"Hi", std::nullopt};
  plain.id = providers::RequestId("chatcmpl-2");
  again.completion = std::move(plain);
  Response kept;
  walk::read_answer(again, settle_model(), providers::Dialect::openai, 50, true, kept);
  CHECK(kept.raw_body == "the body as it came");
  CHECK(kept.request_id.view() == "chatcmpl-2");
  CHECK_FALSE(kept.detail);
  CHECK(kept.tool_calls().empty());
}

TEST_CASE("walk::read_answer: a stream's tool calls, refusal and reasoning reach the Response; Gemini's STOP with "
          "calls is a tool_calls finish",
          "[walk][settle]") {
  transport::Reply r;
  r.status = 200;
  r.streamed = transport::Streamed{};
  r.streamed->tool_calls = {{"call_0", "get_time", "{}"}};
  r.streamed->reasoning = {{.text = "Time first.", .signature = "c2ln"}};
  r.streamed->finish = "STOP";
  Response answer;
  walk::read_answer(r, settle_model(), providers::Dialect::gemini, 50, true, answer);
  CHECK(answer.finish == providers::FinishReason::tool_calls);
  CHECK(answer.provider_finish == "STOP");
  REQUIRE(answer.tool_calls().size() == 1);
  CHECK(answer.tool_calls()[0].name == "get_time");
  REQUIRE(answer.reasoning().size() == 1);
  CHECK(answer.reasoning()[0].signature == "c2ln");
  CHECK(answer.raw_body.empty());  // a stream keeps no body

  transport::Reply text;
  text.status = 200;
  text.streamed = transport::Streamed{"Hello", std::nullopt, 1};
  text.streamed->finish = "length";
  Response plain;
  walk::read_answer(text, settle_model(), providers::Dialect::openai, 50, false, plain);
  CHECK(plain.finish == providers::FinishReason::length);
  CHECK_FALSE(plain.detail);  // a text answer allocates nothing for what it does not hold
}

TEST_CASE("as_message: the answer appended to the history is the assistant's turn the provider sent, with its origin",
          "[walk][settle]") {
  Response r;
  r.provider = "anthropic";
  r.content = "Let me look.";
  r.detail.make().tool_calls = {{"toolu_1", "get_weather", R"({"city":"Oslo"})"}};
  r.detail->reasoning = {{.text = "Weather first.", .signature = "sig"}};
  const Message m = r.as_message();
  CHECK(m.role == "assistant");
  CHECK(m.content == "Let me look.");
  CHECK(m.tool_calls == r.tool_calls());
  CHECK(m.reasoning == r.reasoning());
  CHECK(m.origin == "anthropic");
  Response text;
  text.content = "Hi";
  CHECK(text.as_message() == Message{.role = "assistant", .content = "Hi", .origin = ""});
}

TEST_CASE("walk::estimated_alike: only a model estimated the same way teaches the calibration", "[walk][settle]") {
  providers::Model a = settle_model();
  providers::Model b = a;
  CHECK(walk::estimated_alike(a, b));
  b.estimate.letters_per_token += 1.0;
  CHECK_FALSE(walk::estimated_alike(a, b));
}

TEST_CASE("walk::charge: the limit set counts the real usage; no hold, no alert", "[walk][settle]") {
  RecordingSet set;
  Admission admission;
  TaskTicket task;
  SpendReservation spend;
  int alerts = 0;
  walk::charge(set, admission, task, spend, providers::Usage{30, 0, 0, 7, 0}, 0.001, Instant{}, WallTime{},
               [&](const BudgetAlert&) { ++alerts; });
  REQUIRE(set.reconciled.size() == 1);
  CHECK(set.reconciled[0].requests == 1);
  CHECK(set.reconciled[0].input_tokens == 30);
  CHECK(set.reconciled[0].output_tokens == 7);
  CHECK(alerts == 0);
}
