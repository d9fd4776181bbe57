#include <governed/dialect/stream.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace governed;
using nlohmann::json;
namespace gp = governed::providers;

TEST_CASE("stream: OpenAI chunks, the include_usage chunk and [DONE]", "[dialect][stream]") {
  dialect::StreamReader r{gp::Dialect::openai};
  std::vector<std::string> pieces;
  const std::string s =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14,"
      "\"prompt_tokens_details\":{\"cached_tokens\":4}}}\n\n"
      "data: [DONE]\n\n";
  CHECK(r.feed(s, [&](std::string_view p) { pieces.emplace_back(p); }));
  CHECK(pieces == std::vector<std::string>{"Hel", "lo"});
  CHECK(r.complete());
  CHECK(r.streamed().content == "Hello");
  CHECK(r.streamed().chunks == 2);
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->input_tokens == 12);
  CHECK(r.streamed().usage->cached_input_tokens == 4);
  CHECK(r.streamed().usage->output_tokens == 2);
}

TEST_CASE("stream: Groq's usage under x_groq, and a stream cut before [DONE] is incomplete", "[dialect][stream]") {
  dialect::StreamReader r{gp::Dialect::groq};
  CHECK(r.feed("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}],"
               "\"x_groq\":{\"id\":\"req_1\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}}\n\n",
               [](std::string_view) {}));
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->total() == 6);
  CHECK_FALSE(r.complete());
  CHECK(r.feed("data: [DONE]\n\n", [](std::string_view) {}));
  CHECK(r.complete());
}

TEST_CASE("stream: Anthropic input usage from message_start, output from message_delta", "[dialect][stream]") {
  dialect::StreamReader r{gp::Dialect::anthropic};
  std::string text;
  const std::string s =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":"
      "{\"input_tokens\":20,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: ping\ndata: {\"type\": \"ping\"}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"Bonjour\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\" !\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":9}}\n\n";
  CHECK(r.feed(s, [&](std::string_view p) { text += p; }));
  CHECK(text == "Bonjour !");
  CHECK_FALSE(r.complete());
  CHECK(r.feed("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", [](std::string_view) {}));
  CHECK(r.complete());
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->input_tokens == 120);
  CHECK(r.streamed().usage->cached_input_tokens == 100);
  CHECK(r.streamed().usage->output_tokens == 9);
}

TEST_CASE("stream: Anthropic's error event stops the stream and keeps the error for the classifier",
          "[dialect][stream]") {
  dialect::StreamReader r{gp::Dialect::anthropic};
  CHECK_FALSE(r.feed("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                     "\"message\":\"Overloaded\"}}\n\n",
                     [](std::string_view) {}));
  CHECK(r.problem() == dialect::StreamReader::Problem::error_event);
  CHECK(json::parse(r.error_body())["error"]["type"] == "overloaded_error");
  CHECK_FALSE(r.complete());
}

TEST_CASE("stream: Gemini parts, thoughts left out, the last usageMetadata", "[dialect][stream]") {
  dialect::StreamReader r{gp::Dialect::gemini};
  std::vector<std::string> pieces;
  const std::string s =
      "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"thinking\",\"thought\":true},"
      "{\"text\":\"Ciao\"}]}}],\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":1}}\r\n\r\n"
      "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\" a tutti\"}]},"
      "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":4,"
      "\"thoughtsTokenCount\":3,\"totalTokenCount\":15}}\r\n\r\n";
  CHECK(r.feed(s, [&](std::string_view p) { pieces.emplace_back(p); }));
  CHECK(pieces == std::vector<std::string>{"Ciao", " a tutti"});
  CHECK(r.complete());
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->input_tokens == 8);
  CHECK(r.streamed().usage->output_tokens == 7);
  CHECK(r.streamed().usage->reasoning_tokens == 3);
}

TEST_CASE("stream: an event that is not JSON is a malformed stream", "[dialect][stream]") {
  dialect::StreamReader r{gp::Dialect::openai};
  CHECK_FALSE(r.feed("data: <html>oops</html>\n\n", [](std::string_view) {}));
  CHECK(r.problem() == dialect::StreamReader::Problem::malformed);
  CHECK_FALSE(r.feed("data: [DONE]\n\n", [](std::string_view) {}));
}
