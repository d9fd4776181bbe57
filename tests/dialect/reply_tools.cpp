// A successful reply read whole by each home's decode_completion (dialect/reply.hpp): every
// choice with its tool calls, refusal, reasoning and finish reason — and written back by
// encode_completion so that reading it gives what was written.
#include <governed/dialect/reply.hpp>

#include <governed/dialect/answer_json.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/finish.hpp>

#include "tool_replies.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace governed;
namespace gp = governed::providers;
namespace gd = governed::dialect;
using gp::Dialect;
using gp::FinishReason;

namespace {

gp::Completion read_tools_reply(Dialect d, const std::string& body) {
  auto c = gd::decode_completion(d, body);
  REQUIRE(c);
  return std::move(*c);
}

}  // namespace

TEST_CASE("OpenAI: every tool call of a reply is read with its id, name and arguments as they came",
          "[dialect][reply][tools]") {
  const auto c = read_tools_reply(Dialect::openai, tool_replies::openai_three_calls);
  CHECK(c.content.empty());  // "content": null
  CHECK(c.finish == FinishReason::tool_calls);
  CHECK(c.provider_finish == "tool_calls");
  CHECK(c.id.view() == "chatcmpl-BVtQwHr8F0pOLn2wBZR4KEnuaU4vq");
  REQUIRE(c.detail);
  REQUIRE(c.detail->tool_calls.size() == 3);
  const ToolCall& first = c.detail->tool_calls[0];
  CHECK(first.id == "call_12345xyz");
  CHECK(first.name == "get_weather");
  CHECK(first.arguments == R"({"location":"Paris, France","unit":"celsius"})");
  CHECK(first.arguments_object);
  CHECK(c.detail->tool_calls[1].arguments == R"({"location":"Bogotá, Colombia","unit":"celsius"})");
  CHECK(c.detail->tool_calls[2].name == "send_email");
  CHECK(c.detail->refusal.empty());
  CHECK(c.detail->reasoning.empty());
  CHECK(c.more.empty());
  REQUIRE(c.usage);
  CHECK(c.usage->cached_input_tokens == 384);
}

TEST_CASE("an arguments string that is not JSON is kept as it came, marked not an object", "[dialect][reply][tools]") {
  const auto c = read_tools_reply(Dialect::openai, tool_replies::openai_refusal_and_bad_arguments);
  REQUIRE(c.more.size() == 1);
  const gp::Choice& second = c.more[0];
  REQUIRE(second.detail);
  REQUIRE(second.detail->tool_calls.size() == 1);
  CHECK(second.detail->tool_calls[0].arguments == R"({"city": "Paris")");
  CHECK_FALSE(second.detail->tool_calls[0].arguments_object);
  // JSON, but not one object, is not an object either; spaces around one are.
  for (const auto& [arguments, object] : std::vector<std::pair<std::string, bool>>{
           {"[1,2]", false}, {"\"{}\"", false}, {"{} {}", false}, {"", false}, {" {\"a\":1}\n", true}}) {
    const std::string body = R"({"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"f","arguments":)" +
                             nlohmann::json(arguments).dump() + "}}]}}]}";
    const auto read = read_tools_reply(Dialect::openai, body);
    CAPTURE(arguments);
    REQUIRE(read.detail);
    CHECK(read.detail->tool_calls[0].arguments == arguments);
    CHECK(read.detail->tool_calls[0].arguments_object == object);
  }
  // Arguments nested past the depth limit are kept, and are not an object one may parse.
  const std::string deep = std::string(70, '[') + std::string(70, ']');
  const std::string body = R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":)" +
                           nlohmann::json("{\"a\":" + deep + "}").dump() + "}}]}}]}";
  const auto read = read_tools_reply(Dialect::openai, body);
  REQUIRE(read.detail);
  CHECK_FALSE(read.detail->tool_calls[0].arguments_object);
}

TEST_CASE("OpenAI: a refusal and a second choice are read, each with its own finish", "[dialect][reply][tools]") {
  const auto c = read_tools_reply(Dialect::openai, tool_replies::openai_refusal_and_bad_arguments);
  REQUIRE(c.detail);
  CHECK(c.detail->refusal == "I'm sorry, I cannot help with that request.");
  CHECK(c.detail->tool_calls.empty());
  CHECK(c.finish == FinishReason::stop);
  REQUIRE(c.more.size() == 1);
  CHECK(c.more[0].content == "Calling it.");
  CHECK(c.more[0].finish == FinishReason::tool_calls);
}

TEST_CASE("DeepSeek's reasoning_content is one reasoning block", "[dialect][reply][tools]") {
  const auto c = read_tools_reply(Dialect::openai, tool_replies::deepseek_reasoning);
  CHECK(c.content == "9.11 < 9.8");
  CHECK(c.finish == FinishReason::length);
  REQUIRE(c.detail);
  REQUIRE(c.detail->reasoning.size() == 1);
  CHECK(c.detail->reasoning[0].text == "Compare the tenths: 1 < 8.");
  CHECK(c.detail->reasoning[0].signature.empty());
}

TEST_CASE("Anthropic: tool_use, thinking and redacted thinking blocks are read in order beside the text",
          "[dialect][reply][tools]") {
  const auto c = read_tools_reply(Dialect::anthropic, tool_replies::anthropic_tool_use);
  CHECK(c.content == "I'll check the current weather in San Francisco for you.");
  CHECK(c.finish == FinishReason::tool_calls);
  CHECK(c.provider_finish == "tool_use");
  CHECK(c.id.view() == "msg_01Aq9w938a90dw8q");
  REQUIRE(c.detail);
  REQUIRE(c.detail->tool_calls.size() == 1);
  const ToolCall& call = c.detail->tool_calls[0];
  CHECK(call.id == "toolu_01A09q90qw90lq917835lq9");
  CHECK(call.name == "get_weather");
  // Written as the document reader writes `input.dump()`: members sorted, numbers as nlohmann writes them.
  CHECK(call.arguments == R"({"days":[1,2.5,true,null,{"a":[],"b":1}],"location":"San Francisco, CA","unit":"celsius"})");
  CHECK(call.arguments_object);
  REQUIRE(c.detail->reasoning.size() == 2);
  CHECK(c.detail->reasoning[0].text == "The user wants the weather; call get_weather.");
  CHECK(c.detail->reasoning[0].signature.rfind("WaUjzkyp", 0) == 0);
  CHECK(c.detail->reasoning[1].redacted.rfind("EmwKAhgB", 0) == 0);
  CHECK(c.detail->reasoning[1].text.empty());
}

TEST_CASE("a Gemini call without an id is named by its place", "[dialect][reply][tools]") {
  const auto c = read_tools_reply(Dialect::gemini, tool_replies::gemini_function_calls);
  CHECK(c.id.view() == "Il0taoSYJ5Cez7");
  REQUIRE(c.detail);
  REQUIRE(c.detail->tool_calls.size() == 2);
  CHECK(c.detail->tool_calls[0].id == "call_0");
  CHECK(c.detail->tool_calls[0].name == "power_disco_ball");
  CHECK(c.detail->tool_calls[0].arguments == R"({"power":true})");
  CHECK(c.detail->tool_calls[0].signature == "CiwB0e2Kb0Q1");
  CHECK(c.detail->tool_calls[1].id == "call_1");
  CHECK(c.detail->tool_calls[1].arguments == R"({"brightness":0.5})");
  CHECK(c.detail->tool_calls[1].signature.empty());
  // A thought part is reasoning, with its signature, not text.
  CHECK(c.content.empty());
  REQUIRE(c.detail->reasoning.size() == 1);
  CHECK(c.detail->reasoning[0].text == "The user asks for both lights.");
  CHECK(c.detail->reasoning[0].signature == "CiQB0e2Kb7Nw");
  // STOP after calls is a turn that called tools; the provider's word is kept as it came.
  CHECK(c.finish == FinishReason::tool_calls);
  CHECK(c.provider_finish == "STOP");
  // The second candidate's call keeps the id it was given.
  REQUIRE(c.more.size() == 1);
  REQUIRE(c.more[0].detail);
  CHECK(c.more[0].detail->tool_calls[0].id == "fc-77");
  CHECK(c.more[0].content == "Starting.");
  CHECK(c.more[0].finish == FinishReason::length);
}

TEST_CASE("a text reply's choice holds no detail", "[dialect][reply][tools]") {
  for (const auto& [d, body] : std::vector<std::pair<Dialect, std::string>>{
           {Dialect::openai, R"({"choices":[{"message":{"content":"hi","refusal":null},"finish_reason":"stop"}]})"},
           {Dialect::anthropic, R"({"content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn"})"},
           {Dialect::gemini, R"({"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}]})"}}) {
    const auto c = read_tools_reply(d, body);
    CHECK(c.content == "hi");
    CHECK(c.finish == FinishReason::stop);
    CHECK_FALSE(c.detail);
  }
}

TEST_CASE("each provider finish reason maps to its normalised one", "[dialect][reply][tools]") {
  struct Row {
    Dialect dialect;
    const char* word;
    FinishReason want;
  };
  const Row rows[] = {
      {Dialect::openai, "stop", FinishReason::stop},
      {Dialect::openai, "length", FinishReason::length},
      {Dialect::openai, "tool_calls", FinishReason::tool_calls},
      {Dialect::openai, "function_call", FinishReason::tool_calls},
      {Dialect::openai, "content_filter", FinishReason::content_filter},
      {Dialect::openai, "insufficient_system_resource", FinishReason::other},  // DeepSeek's own
      {Dialect::groq, "stop", FinishReason::stop},
      {Dialect::mistral, "model_length", FinishReason::other},
      {Dialect::anthropic, "end_turn", FinishReason::stop},
      {Dialect::anthropic, "stop_sequence", FinishReason::stop},
      {Dialect::anthropic, "max_tokens", FinishReason::length},
      {Dialect::anthropic, "model_context_window_exceeded", FinishReason::length},
      {Dialect::anthropic, "tool_use", FinishReason::tool_calls},
      {Dialect::anthropic, "refusal", FinishReason::content_filter},
      {Dialect::anthropic, "pause_turn", FinishReason::other},
      {Dialect::gemini, "STOP", FinishReason::stop},
      {Dialect::gemini, "MAX_TOKENS", FinishReason::length},
      {Dialect::gemini, "SAFETY", FinishReason::content_filter},
      {Dialect::gemini, "RECITATION", FinishReason::content_filter},
      {Dialect::gemini, "BLOCKLIST", FinishReason::content_filter},
      {Dialect::gemini, "PROHIBITED_CONTENT", FinishReason::content_filter},
      {Dialect::gemini, "SPII", FinishReason::content_filter},
      {Dialect::gemini, "MALFORMED_FUNCTION_CALL", FinishReason::other},
      {Dialect::gemini, "FINISH_REASON_UNSPECIFIED", FinishReason::unknown},
  };
  for (const Row& r : rows) {
    const std::string w = nlohmann::json(r.word).dump();
    const std::string body = r.dialect == Dialect::anthropic ? R"({"content":[],"stop_reason":)" + w + "}"
                             : r.dialect == Dialect::gemini
                                 ? R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":)" + w + "}]}"
                                 : R"({"choices":[{"message":{"content":"x"},"finish_reason":)" + w + "}]}";
    CAPTURE(r.word);
    const auto c = read_tools_reply(r.dialect, body);
    CHECK(c.finish == r.want);
    CHECK(c.provider_finish == r.word);
  }
  // None given: unknown, with no word.
  const auto none = read_tools_reply(Dialect::openai, R"({"choices":[{"message":{"content":"x"},"finish_reason":null}]})");
  CHECK(none.finish == FinishReason::unknown);
  CHECK(none.provider_finish.empty());
}

namespace {

ToolCall tools_call(std::string id, std::string name, std::string arguments, bool object = true,
                    std::string signature = {}) {
  ToolCall c{std::move(id), std::move(name), std::move(arguments)};
  c.arguments_object = object;
  c.signature = std::move(signature);
  return c;
}

gp::Choice tools_choice(std::string content, FinishReason finish, std::string word, gp::ChoiceDetail detail) {
  gp::Choice c{std::move(content), finish, std::move(word)};
  if (!detail.empty()) c.detail.make() = std::move(detail);
  return c;
}

/// `choices` as a completion: the first as its own members, the rest in `more`.
gp::Completion tools_completion(std::vector<gp::Choice> choices, std::string_view id) {
  gp::Completion c;
  c.content = std::move(choices[0].content);
  c.finish = choices[0].finish;
  c.provider_finish = std::move(choices[0].provider_finish);
  c.detail = std::move(choices[0].detail);
  c.more.assign(std::make_move_iterator(choices.begin() + 1), std::make_move_iterator(choices.end()));
  c.id = gp::RequestId(id);
  c.usage = gp::Usage{30, 0, 0, 12, 0};
  return c;
}

}  // namespace

TEST_CASE("a completion with tool calls, a refusal and reasoning reads back as written, in every choice",
          "[dialect][reply][tools]") {
  const gd::ReplyMeta meta{"reply-7", "model-x", 1767268800, 1, gd::Finish::stop};
  SECTION("OpenAI: calls with string arguments (one not JSON), a refusal, reasoning_content, two choices") {
    const auto written = tools_completion(
        {tools_choice("", FinishReason::tool_calls, "tool_calls",
                      {{tools_call("call_1", "get_weather", R"({"location":"Paris"})"),
                        tools_call("call_2", "lookup", "{\"city\": \"Par", false)},
                       "",
                       {ReasoningBlock{"Two lookups."}}}),
         tools_choice("", FinishReason::stop, "stop", {{}, "I can't help with that.", {}}),
         tools_choice("plain", FinishReason::length, "length", {})},
        "reply-7");
    const std::string body = gd::encode_completion(Dialect::openai, written, meta);
    const auto j = nlohmann::json::parse(body);
    CHECK(j["choices"][0]["message"]["content"].is_null());  // no text beside the calls
    CHECK(j["choices"][0]["finish_reason"] == "tool_calls");
    CHECK(j["choices"][2]["message"]["content"] == "plain");
    auto read = gd::decode_completion(Dialect::openai, body);
    REQUIRE(read);
    CHECK(*read == written);
  }
  SECTION("Anthropic: thinking, redacted thinking, text and two tool_use blocks") {
    const auto written = tools_completion(
        {tools_choice("Checking both.", FinishReason::tool_calls, "tool_use",
                      {{tools_call("toolu_1", "get_weather", R"({"location":"Paris","unit":"celsius"})"),
                        tools_call("toolu_2", "get_time", "{}")},
                       "",
                       {ReasoningBlock{"Weather, then time.", "sig-1"}, ReasoningBlock{"", "", "opaque"}}})},
        "msg_7");
    const std::string body = gd::encode_completion(Dialect::anthropic, written, {"msg_7", "claude", 0, 1, gd::Finish::stop});
    CHECK(nlohmann::json::parse(body)["stop_reason"] == "tool_use");
    auto read = gd::decode_completion(Dialect::anthropic, body);
    REQUIRE(read);
    read->usage = written.usage;  // written net of the cache, read back whole: the usage tests hold it
    CHECK(*read == written);
  }
  SECTION("Gemini: a signed thought and signed calls in two candidates") {
    const auto written = tools_completion(
        {tools_choice("", FinishReason::tool_calls, "STOP",
                      {{tools_call("call_0", "power_disco_ball", R"({"power":true})", true, "sig-call")}, "",
                       {ReasoningBlock{"Lights first.", "sig-thought"}}}),
         tools_choice("Done.", FinishReason::length, "MAX_TOKENS",
                      {{tools_call("fc-2", "dim_lights", R"({"brightness":0.5})")}, "", {}})},
        "resp-7");
    const std::string body = gd::encode_completion(Dialect::gemini, written, {"resp-7", "gemini", 0, 1, gd::Finish::stop});
    CHECK(nlohmann::json::parse(body)["candidates"][0]["finishReason"] == "STOP");
    auto read = gd::decode_completion(Dialect::gemini, body);
    REQUIRE(read);
    read->usage = written.usage;
    CHECK(*read == written);
  }
}

TEST_CASE("a text reply is written as before: no tool fields, the finish in each home's word", "[dialect][reply][tools]") {
  gp::Completion said{"Hi there", gp::Usage{10, 0, 0, 3, 0}};
  const gd::ReplyMeta meta{"id-1", "m", 0, 2, gd::Finish::length};
  const auto openai = nlohmann::json::parse(gd::encode_completion(Dialect::openai, said, meta));
  REQUIRE(openai["choices"].size() == 2);
  CHECK(openai["choices"][1]["message"] == nlohmann::json{{"role", "assistant"}, {"content", "Hi there"}});
  CHECK(openai["choices"][1]["finish_reason"] == "length");
  const auto anthropic = nlohmann::json::parse(gd::encode_completion(Dialect::anthropic, said, meta));
  CHECK(anthropic["content"] == nlohmann::json::parse(R"([{"type":"text","text":"Hi there"}])"));
  CHECK(anthropic["stop_reason"] == "max_tokens");
  const auto gemini = nlohmann::json::parse(gd::encode_completion(Dialect::gemini, said, meta));
  REQUIRE(gemini["candidates"].size() == 2);
  CHECK(gemini["candidates"][0]["content"]["parts"] == nlohmann::json::parse(R"([{"text":"Hi there"}])"));
  CHECK(gemini["candidates"][0]["finishReason"] == "MAX_TOKENS");
}
