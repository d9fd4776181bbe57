// Tool calls, refusals, reasoning and finish reasons in each dialect's stream
// (dialect/<home>/stream.hpp), put together by dialect/tool_call_assembler.hpp.
#include <governed/dialect/stream.hpp>
#include <governed/dialect/tool_call_assembler.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace governed;
using nlohmann::json;
namespace gp = governed::providers;

namespace {

// Two calls, as OpenAI streams them: the id and name on each call's first fragment, the
// arguments in pieces under the call's index.
const std::string openai_tool_stream =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
    "\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_abc\",\"type\":\"function\","
    "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
    "\"{\\\"ci\"}}]},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
    "\"ty\\\":\\\"Oslo\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_def\",\"type\":"
    "\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: [DONE]\n\n";

// The same two calls as Anthropic streams them, after a signed thinking block.
const std::string anthropic_tool_stream =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
    "\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
    "\"thinking\",\"thinking\":\"\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"thinking_delta\",\"thinking\":\"The user wants \"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"thinking_delta\",\"thinking\":\"the weather.\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"signature_delta\",\"signature\":\"EqQBCgIYAhIM\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
    "\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
    "\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Os\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
    "\"input_json_delta\",\"partial_json\":\"lo\\\"}\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":"
    "\"tool_use\",\"id\":\"toolu_02\",\"name\":\"get_time\",\"input\":{}}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":40}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

// The same two calls as Gemini streams them: whole functionCall parts, the first signed.
const std::string gemini_tool_stream =
    "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Looking up the weather.\","
    "\"thought\":true}]}}]}\n\n"
    "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":"
    "\"get_weather\",\"args\":{\"city\":\"Oslo\"}},\"thoughtSignature\":\"c2lnbmF0dXJl\"},{\"functionCall\":"
    "{\"name\":\"get_time\",\"args\":{}}}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":"
    "10,\"candidatesTokenCount\":20,\"totalTokenCount\":30}}\n\n";

transport::Streamed read_whole(gp::Dialect d, std::string_view bytes, std::size_t split) {
  dialect::StreamReader r{d};
  const auto ignore = [](std::string_view) {};
  REQUIRE(r.feed(bytes.substr(0, split), ignore));
  REQUIRE(r.feed(bytes.substr(split), ignore));
  REQUIRE(r.complete());
  return r.take();
}

void check_weather_and_time(const std::vector<ToolCall>& calls) {
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].name == "get_weather");
  CHECK(json::parse(calls[0].arguments) == json{{"city", "Oslo"}});
  CHECK(calls[0].arguments_object);
  CHECK(calls[1].name == "get_time");
  CHECK(json::parse(calls[1].arguments) == json::object());
  CHECK(calls[1].arguments_object);
}

}  // namespace

TEST_CASE("OpenAI's indexed argument fragments, Anthropic's input_json_delta and Gemini's functionCall parts "
          "assemble to the same tool calls, split at every byte",
          "[dialect][stream][tools]") {
  for (std::size_t split = 0; split <= openai_tool_stream.size(); ++split) {
    const auto s = read_whole(gp::Dialect::openai, openai_tool_stream, split);
    check_weather_and_time(s.tool_calls);
    CHECK(s.tool_calls[0].id == "call_abc");
    CHECK(s.tool_calls[1].id == "call_def");
    CHECK(s.finish == "tool_calls");
    CHECK(s.content.empty());
    CHECK(s.chunks == 0);  // nothing was handed to a text sink: the call may still be retried
  }
  for (std::size_t split = 0; split <= anthropic_tool_stream.size(); ++split) {
    const auto s = read_whole(gp::Dialect::anthropic, anthropic_tool_stream, split);
    check_weather_and_time(s.tool_calls);
    CHECK(s.tool_calls[0].id == "toolu_01");
    CHECK(s.finish == "tool_use");
    REQUIRE(s.reasoning.size() == 1);
    CHECK(s.reasoning[0].text == "The user wants the weather.");
    CHECK(s.reasoning[0].signature == "EqQBCgIYAhIM");
    REQUIRE(s.usage);
    CHECK(s.usage->output_tokens == 40);
  }
  for (std::size_t split = 0; split <= gemini_tool_stream.size(); ++split) {
    const auto s = read_whole(gp::Dialect::gemini, gemini_tool_stream, split);
    check_weather_and_time(s.tool_calls);
    // Gemini gave no ids: each call is named by its place, and the signature stays on its call.
    CHECK(s.tool_calls[0].id == "call_0");
    CHECK(s.tool_calls[1].id == "call_1");
    CHECK(s.tool_calls[0].signature == "c2lnbmF0dXJl");
    CHECK(s.tool_calls[1].signature.empty());
    CHECK(s.finish == "STOP");
    REQUIRE(s.reasoning.size() == 1);
    CHECK(s.reasoning[0].text == "Looking up the weather.");
    CHECK(s.content.empty());
  }
}

TEST_CASE("a stream broken off inside a tool call reads as incomplete, its call's arguments not an object",
          "[dialect][stream][tools]") {
  const auto cut = openai_tool_stream.substr(0, openai_tool_stream.find("data: {\"choices\":[{\"index\":0,\"delta\":"
                                                                         "{\"tool_calls\":[{\"index\":0,\"function\":"
                                                                         "{\"arguments\":\"ty"));
  dialect::StreamReader r{gp::Dialect::openai};
  REQUIRE(r.feed(cut, [](std::string_view) {}));
  CHECK_FALSE(r.complete());
  const auto s = r.take();
  REQUIRE(s.tool_calls.size() == 1);
  CHECK(s.tool_calls[0].arguments == "{\"ci");
  CHECK_FALSE(s.tool_calls[0].arguments_object);
}

TEST_CASE("a refusal streamed in pieces reads whole, beside no text", "[dialect][stream][tools]") {
  const std::string s =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"refusal\":\"\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"I can't help \"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"with that.\"},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n";
  dialect::StreamReader r{gp::Dialect::openai};
  std::vector<std::string> pieces;
  REQUIRE(r.feed(s, [&](std::string_view p) { pieces.emplace_back(p); }));
  CHECK(r.complete());
  const auto got = r.take();
  CHECK(pieces.empty());
  CHECK(got.refusal == "I can't help with that.");
  CHECK(got.finish == "stop");
}

TEST_CASE("the assembler bounds what a hostile stream can make it hold", "[dialect][stream][tools]") {
  dialect::ToolCallAssembler bounded{JsonLimits{64, 8}};
  bounded.add(0, dialect::ToolCallDelta{.index = 0, .id = "call_1", .name = "f", .arguments = "{\"a\":"});
  bounded.add(0, dialect::ToolCallDelta{.index = 0, .arguments = std::string(100, '1')});
  CHECK(bounded.overflowed());
  auto calls = bounded.take(0);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].arguments == "{\"a\":");  // what came before the limit, and nothing after
  CHECK_FALSE(calls[0].arguments_object);

  dialect::ToolCallAssembler many;
  for (std::size_t i = 0; i < dialect::ToolCallAssembler::max_calls + 10; ++i)
    many.add(0, dialect::ToolCallDelta{.name = "f", .arguments = "{}", .whole = true});
  CHECK(many.overflowed());
  CHECK(many.take(0).size() == dialect::ToolCallAssembler::max_calls);

  // Arguments nested past the depth limit are not an object the encoders may trust.
  dialect::ToolCallAssembler deep{JsonLimits{1 << 20, 8}};
  deep.add(0, dialect::ToolCallDelta{.id = "c", .name = "f",
                                     .arguments = "{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}"});
  auto deep_calls = deep.take(0);
  REQUIRE(deep_calls.size() == 1);
  CHECK_FALSE(deep_calls[0].arguments_object);
}

TEST_CASE("calls of two choices stay apart, each in the order it began", "[dialect][stream][tools]") {
  dialect::ToolCallAssembler a;
  a.add(1, dialect::ToolCallDelta{.index = 0, .id = "b0", .name = "g", .arguments = "{"});
  a.add(0, dialect::ToolCallDelta{.index = 0, .id = "a0", .name = "f", .arguments = "{}"});
  a.add(1, dialect::ToolCallDelta{.index = 0, .arguments = "}"});
  const auto first = a.take(0);
  const auto second = a.take(1);
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  CHECK(first[0].id == "a0");
  CHECK(second[0].id == "b0");
  CHECK(second[0].arguments == "{}");
  CHECK(a.empty());
}

TEST_CASE("a stream written with tool calls in each dialect reads back as the same calls and finish, the text "
          "before them intact",
          "[dialect][stream][tools]") {
  const std::vector<ToolCall> calls = {{"call_1", "get_weather", R"({"city":"Oslo","days":[1,2]})"},
                                       {"call_2", "get_time", "{}"}};
  for (const auto d : {gp::Dialect::openai, gp::Dialect::mistral, gp::Dialect::anthropic, gp::Dialect::gemini}) {
    for (const bool with_text : {false, true}) {
      CAPTURE(static_cast<int>(d), with_text);
      dialect::StreamFrame f;
      f.dialect = d;
      f.id = "id-1";
      f.model = "m";
      f.include_usage = true;
      f.finish = gp::FinishReason::tool_calls;
      f.usage = gp::Usage{.input_tokens = 20, .output_tokens = 9};
      f.tool_calls = calls;
      std::vector<std::string> pieces;
      if (with_text) pieces = {"Let me ", "check."};
      const auto framed = dialect::encode_stream(pieces, f);
      dialect::StreamReader r{d};
      std::string text;
      for (const auto& e : framed.events) REQUIRE(r.feed(e, [&](std::string_view p) { text += p; }));
      CHECK(r.complete());
      CHECK(text == (with_text ? "Let me check." : ""));
      const auto s = r.take();
      REQUIRE(s.tool_calls.size() == 2);
      for (std::size_t i = 0; i < 2; ++i) {
        CHECK(s.tool_calls[i].name == calls[i].name);
        CHECK(json::parse(s.tool_calls[i].arguments) == json::parse(calls[i].arguments));
        // Gemini's parts carry no ids: the reader names them by place.
        CHECK(s.tool_calls[i].id == (d == gp::Dialect::gemini ? "call_" + std::to_string(i) : calls[i].id));
      }
      CHECK(gp::finish_of(d, s.finish) == (d == gp::Dialect::gemini ? gp::FinishReason::stop : gp::FinishReason::tool_calls));
    }
  }
}
