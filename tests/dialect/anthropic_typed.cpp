// The Anthropic home writing the typed request (dialect/anthropic/request.hpp, messages.hpp,
// tools.hpp): a text-only call byte for byte as it always was, and every typed member in the
// form Anthropic's Messages API names it, compared as parsed JSON.
#include <governed/dialect/request.hpp>

#include "chat.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace governed;
using nlohmann::json;

namespace {

/// The body the Anthropic home writes for `req`, as the bytes it sends, or the error's message.
std::pair<std::string, std::string> typed_anthropic_encoded(const Request& req, bool stream = false,
                                                      std::string_view provider = "anthropic") {
  const auto r = dialect::encode_request({req, provider, "claude-sonnet-4-5", "https://api.anthropic.com/v1", "sk-ant"},
                                         providers::Dialect::anthropic, {}, stream);
  if (!r) return {"", r.error().message};
  return {r->body, ""};
}

/// The body the Anthropic home writes for `req`, parsed; the test fails when it refuses.
json typed_anthropic_body(const Request& req, std::string_view provider = "anthropic") {
  const auto [body, error] = typed_anthropic_encoded(req, false, provider);
  INFO(error);
  REQUIRE(error.empty());
  return json::parse(body);
}

/// Why the Anthropic home refuses `req` (empty when it does not).
std::string typed_anthropic_refusal(const Request& req) { return typed_anthropic_encoded(req).second; }

Request typed_anthropic_call(std::vector<Message> messages) {
  Request r;
  r.messages = std::move(messages);
  return r;
}

}  // namespace

TEST_CASE("an Anthropic text-only request is written byte for byte as before", "[dialect][anthropic]") {
  Request req = governed_test::chat();
  CHECK(typed_anthropic_encoded(req).first ==
        R"({"max_tokens":77,"messages":[{"content":"Hello","role":"user"},{"content":"Hi.","role":"assistant"},)"
        R"({"content":"Again","role":"user"}],"model":"claude-sonnet-4-5","system":"Be brief.\n\nUse French."})");

  req.messages.push_back({"tool", "42"});
  req.messages.push_back({"user", "And?"});
  req.temperature = 0.5;
  req.parameters = json{{"top_k", 5}};
  CHECK(typed_anthropic_encoded(req, /*stream=*/true).first ==
        R"({"max_tokens":77,"messages":[{"content":"Hello","role":"user"},{"content":"Hi.","role":"assistant"},)"
        R"({"content":"Again","role":"user"},{"content":"42","role":"user"},{"content":"And?","role":"user"}],)"
        R"("model":"claude-sonnet-4-5","stream":true,"system":"Be brief.\n\nUse French.","temperature":0.5,"top_k":5})");

  Request bare;
  bare.messages = {{"user", ""}};
  CHECK(typed_anthropic_encoded(bare).first ==
        R"({"max_tokens":1024,"messages":[{"content":"","role":"user"}],"model":"claude-sonnet-4-5"})");
}

TEST_CASE("parts are written as Anthropic names them: text, images and documents by bytes and by URL, cache marks",
          "[dialect][anthropic]") {
  Message m{.role = "user", .content = "Compare them."};
  m.parts = {ContentPart::image_bytes("png", "image/png"), ContentPart::image_url("https://example.com/a.jpg"),
             ContentPart::document_bytes("%PDF", "application/pdf", "Report"),
             ContentPart::document_url("https://example.com/b.pdf"), ContentPart::document_text("Plain words.", "Notes"),
             ContentPart::of_text("Which is newer?")};
  m.parts[1].cache = CacheMark{};
  m.cache = CacheMark{CacheMark::Ttl::one_hour};
  const json b = typed_anthropic_body(typed_anthropic_call({m}));
  CHECK(b["messages"] == json::parse(R"([{"role": "user", "content": [
    {"type": "text", "text": "Compare them."},
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "cG5n"}},
    {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}, "cache_control": {"type": "ephemeral"}},
    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERg=="}, "title": "Report"},
    {"type": "document", "source": {"type": "url", "url": "https://example.com/b.pdf"}},
    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Plain words."}, "title": "Notes"},
    {"type": "text", "text": "Which is newer?", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}])"));
}

TEST_CASE("a system message with a cache mark makes Anthropic's system prompt text blocks", "[dialect][anthropic]") {
  Message rules{"system", "Long rules."};
  rules.cache = CacheMark{};
  const json b = typed_anthropic_body(typed_anthropic_call({rules, {"system", "Be brief."}, {"user", "Hi"}}));
  CHECK(b["system"] == json::parse(R"([{"type": "text", "text": "Long rules.", "cache_control": {"type": "ephemeral"}},
                                       {"type": "text", "text": "Be brief."}])"));
  CHECK(b["messages"] == json::parse(R"([{"role": "user", "content": "Hi"}])"));
}

TEST_CASE("tool calls and the tool results after them are written as Anthropic names them, in one user turn",
          "[dialect][anthropic]") {
  Message asked{.role = "assistant", .content = "Let me look."};
  asked.tool_calls = {{"call_1", "weather", R"({"city": "Paris"})"}, {"call.2/x", "time", ""}};
  Message first{.role = "tool", .content = R"({"temperature": 21})", .tool_call_id = "call_1"};
  Message second{.role = "tool", .tool_call_id = "call.2/x", .is_error = true};
  second.parts = {ContentPart::of_text("clock unavailable")};
  const json b = typed_anthropic_body(typed_anthropic_call({{"user", "Weather and time?"}, asked, first, second, {"user", "Thanks"}}));
  const std::string portable = governed::dialect::detail::portable_tool_id("call.2/x");
  CHECK(portable != "call.2/x");
  json expected = json::parse(R"([
    {"role": "user", "content": "Weather and time?"},
    {"role": "assistant", "content": [
      {"type": "text", "text": "Let me look."},
      {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}},
      {"type": "tool_use", "id": "", "name": "time", "input": {}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "call_1", "content": "{\"temperature\": 21}"},
      {"type": "tool_result", "tool_use_id": "", "content": [{"type": "text", "text": "clock unavailable"}], "is_error": true},
      {"type": "text", "text": "Thanks"}]}])");
  expected[1]["content"][2]["id"] = portable;
  expected[2]["content"][1]["tool_use_id"] = portable;
  CHECK(b["messages"] == expected);

  // The user's words before a result still follow it: Anthropic wants the results first.
  const json before = typed_anthropic_body(typed_anthropic_call({{"user", "Weather?"}, asked, {"user", "Quick!"}, first}));
  CHECK(before["messages"][2] == json::parse(R"({"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": "call_1", "content": "{\"temperature\": 21}"},
    {"type": "text", "text": "Quick!"}]})"));
}

TEST_CASE("tools and tool choice are written as Anthropic names them", "[dialect][anthropic]") {
  Request r = typed_anthropic_call({{"user", "Weather?"}});
  Tool weather{.name = "weather", .description = "The weather in a city."};
  weather.parameters = json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}};
  Tool clock{.name = "clock"};
  clock.cache = CacheMark{};
  r.tools = {weather, clock};
  json b = typed_anthropic_body(r);
  CHECK(b["tools"] == json::parse(R"([
    {"name": "weather", "description": "The weather in a city.",
     "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
    {"name": "clock", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}])"));
  CHECK_FALSE(b.contains("tool_choice"));  // automatic, in parallel: the provider's default

  r.parallel_tool_calls = false;
  CHECK(typed_anthropic_body(r)["tool_choice"] == json::parse(R"({"type": "auto", "disable_parallel_tool_use": true})"));
  r.tool_choice.mode = ToolChoice::Mode::required;
  CHECK(typed_anthropic_body(r)["tool_choice"] == json::parse(R"({"type": "any", "disable_parallel_tool_use": true})"));
  r.parallel_tool_calls.reset();
  r.tool_choice = ToolChoice::tool("weather");
  CHECK(typed_anthropic_body(r)["tool_choice"] == json::parse(R"({"type": "tool", "name": "weather"})"));
  r.tool_choice.mode = ToolChoice::Mode::none;
  CHECK(typed_anthropic_body(r)["tool_choice"] == json::parse(R"({"type": "none"})"));
}

TEST_CASE("the answer's format: a strict schema is Anthropic's structured output, any other JSON a forced answer tool",
          "[dialect][anthropic]") {
  Request r = typed_anthropic_call({{"user", "A city, as JSON."}});
  const json schema = {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}};
  r.output = OutputFormat::json_schema("city", schema);
  json b = typed_anthropic_body(r);
  CHECK(b["output_config"] == json{{"format", {{"type", "json_schema"}, {"schema", schema}}}});
  CHECK_FALSE(b.contains("tools"));

  r.output.strict = false;
  r.tools = {Tool{.name = "lookup"}};
  b = typed_anthropic_body(r);
  CHECK_FALSE(b.contains("output_config"));
  CHECK(b["tools"] == json::parse(R"([{"name": "lookup", "input_schema": {"type": "object"}},
    {"name": "city", "description": "Give the answer as this tool's input.",
     "input_schema": {"type": "object", "properties": {"name": {"type": "string"}}}}])"));
  CHECK(b["tool_choice"] == json::parse(R"({"type": "tool", "name": "city"})"));

  r.tools.clear();
  r.output = OutputFormat::json();
  b = typed_anthropic_body(r);
  CHECK(b["tools"] == json::parse(R"([{"name": "json_answer", "description": "Give the answer as this tool's input.",
                                       "input_schema": {"type": "object"}}])"));
  CHECK(b["tool_choice"] == json::parse(R"({"type": "tool", "name": "json_answer"})"));
}

TEST_CASE("reasoning from another provider is dropped, from this one sent unchanged, before the turn's text and calls",
          "[dialect][anthropic]") {
  Message turn{.role = "assistant", .content = "It is sunny."};
  turn.reasoning = {{"Check the forecast.", "sig-1", ""}, {"", "", "opaque=="}};
  turn.tool_calls = {{"toolu_1", "weather", "{}", true, "gemini-signature"}};
  turn.origin = "anthropic";
  const Request r = typed_anthropic_call({{"user", "Weather?"}, turn});
  CHECK(typed_anthropic_body(r)["messages"][1]["content"] == json::parse(R"([
    {"type": "thinking", "thinking": "Check the forecast.", "signature": "sig-1"},
    {"type": "redacted_thinking", "data": "opaque=="},
    {"type": "text", "text": "It is sunny."},
    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}])"));

  const json elsewhere = typed_anthropic_body(r, "anthropic-eu");  // the same turn sent to another provider
  CHECK(elsewhere["messages"][1]["content"] == json::parse(R"([
    {"type": "text", "text": "It is sunny."},
    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}])"));

  Message only_thought{.role = "assistant"};
  only_thought.reasoning = {{"Nothing to say.", "sig-2", ""}};
  only_thought.origin = "anthropic";
  const Request thought = typed_anthropic_call({{"user", "Hm?"}, only_thought, {"user", "Well?"}});
  CHECK(typed_anthropic_body(thought, "anthropic-eu")["messages"] ==
        json::parse(R"([{"role": "user", "content": "Hm?"}, {"role": "user", "content": "Well?"}])"));
}

TEST_CASE("thinking is Anthropic's budget, from a budget or an effort, and the typed sampling fields are its own",
          "[dialect][anthropic]") {
  Request r = typed_anthropic_call({{"user", "Think."}});
  r.max_tokens = 16000;
  r.reasoning = Reasoning{.effort = Reasoning::Effort::medium};
  CHECK(typed_anthropic_body(r)["thinking"] == json::parse(R"({"type": "enabled", "budget_tokens": 8192})"));
  r.reasoning->budget_tokens = 3000;  // a budget is Anthropic's own form: it wins over the effort
  CHECK(typed_anthropic_body(r)["thinking"] == json::parse(R"({"type": "enabled", "budget_tokens": 3000})"));
  r.reasoning = Reasoning{.effort = Reasoning::Effort::minimal};  // 512: raised to Anthropic's least
  CHECK(typed_anthropic_body(r)["thinking"] == json::parse(R"({"type": "enabled", "budget_tokens": 1024})"));
  r.reasoning = Reasoning{.effort = Reasoning::Effort::none};
  CHECK_FALSE(typed_anthropic_body(r).contains("thinking"));
  CHECK(dialect::anthropic::thinking_form("claude-sonnet-4-5") == dialect::anthropic::ThinkingForm::enabled);
  CHECK(*dialect::anthropic::thinking_field(dialect::anthropic::ThinkingForm::adaptive, 8192, 16000) ==
        json{{"type", "adaptive"}});

  r.reasoning.reset();
  r.stop = {"END", "STOP"};
  r.top_p = 0.9;
  r.user = "user-42";
  r.seed = 7;
  r.metadata = {{"team", "search"}};
  const json b = typed_anthropic_body(r);
  CHECK(b["stop_sequences"] == json{"END", "STOP"});
  CHECK(b["top_p"] == 0.9);
  CHECK(b["metadata"] == json{{"user_id", "user-42"}});  // Anthropic's metadata holds only the user
  CHECK_FALSE(b.contains("seed"));                        // no such field: dropped
}

TEST_CASE("an Anthropic parameter of the same name replaces the typed field", "[dialect][anthropic]") {
  Request r = typed_anthropic_call({{"user", "Hi"}});
  r.stop = {"END"};
  r.user = "user-42";
  r.parameters = json{{"stop_sequences", {"HALT"}}, {"metadata", nullptr}};
  const json b = typed_anthropic_body(r);
  CHECK(b["stop_sequences"] == json{"HALT"});
  CHECK_FALSE(b.contains("metadata"));
}

TEST_CASE("a call the Anthropic format can not hold is refused, naming what", "[dialect][anthropic]") {
  Message asked{.role = "assistant"};
  asked.tool_calls = {{"call_1", "weather", R"("Paris")", false}};
  CHECK_THAT(typed_anthropic_refusal(typed_anthropic_call({{"user", "Weather?"}, asked})),
             Catch::Contains("call_1 are not a JSON object"));
  asked.tool_calls[0] = {"call_1", "weather", "[1, 2]"};  // said to be an object, and it is not
  CHECK_THAT(typed_anthropic_refusal(typed_anthropic_call({{"user", "Weather?"}, asked})),
             Catch::Contains("not a JSON object"));

  Request thinks = typed_anthropic_call({{"user", "Think."}});
  thinks.max_tokens = 2000;
  thinks.reasoning = Reasoning{.budget_tokens = 4000};
  CHECK_THAT(typed_anthropic_refusal(thinks), Catch::Contains("4000") && Catch::Contains("max_tokens 2000"));
  thinks.reasoning->budget_tokens = 1024;
  thinks.temperature = 0.2;
  CHECK_THAT(typed_anthropic_refusal(thinks), Catch::Contains("temperature"));
  thinks.temperature.reset();
  thinks.top_p = 0.5;
  CHECK_THAT(typed_anthropic_refusal(thinks), Catch::Contains("top_p from 0.95"));
  thinks.top_p = 0.95;
  CHECK(typed_anthropic_refusal(thinks).empty());
  thinks.output = OutputFormat::json();
  CHECK_THAT(typed_anthropic_refusal(thinks), Catch::Contains("does not force a tool call while the model thinks"));

  Message secret{.role = "user"};
  secret.parts = {ContentPart::image_url("gs://bucket/private-token.png")};
  const std::string gs = typed_anthropic_refusal(typed_anthropic_call({secret}));
  CHECK_THAT(gs, Catch::Contains("only http and https URLs"));
  CHECK_THAT(gs, !Catch::Contains("private-token"));  // never the call's own text
  secret.parts = {ContentPart::image_bytes("BM", "image/bmp")};
  CHECK_THAT(typed_anthropic_refusal(typed_anthropic_call({secret})), Catch::Contains("image/png"));
  secret.parts = {ContentPart::document_bytes("PK", "application/zip")};
  CHECK_THAT(typed_anthropic_refusal(typed_anthropic_call({secret})), Catch::Contains("PDF or plain text"));

  Message system{"system", "Look:"};
  system.parts = {ContentPart::image_url("https://example.com/a.png")};
  CHECK_THAT(typed_anthropic_refusal(typed_anthropic_call({system, {"user", "Hi"}})), Catch::Contains("system prompt takes only text"));

  Request named = typed_anthropic_call({{"user", "Hi"}});
  named.tools = {Tool{.name = "clock"}};
  named.tool_choice = ToolChoice::tool("weather");
  CHECK_THAT(typed_anthropic_refusal(named), Catch::Contains("names tool weather"));
  named.tools = {Tool{.name = "clock", .parameters = json::array()}};
  named.tool_choice = {};
  CHECK_THAT(typed_anthropic_refusal(named), Catch::Contains("parameters of tool clock"));

  // Refused before anything is sent: transport::http answers NetworkFailure::not_encodable.
  const auto refused = dialect::encode_request({thinks, "anthropic", "claude-sonnet-4-5", "https://api.anthropic.com/v1",
                                                "sk-ant"},
                                               providers::Dialect::anthropic, {}, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::invalid_argument);
}
