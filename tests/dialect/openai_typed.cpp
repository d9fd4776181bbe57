// The typed request in OpenAI's chat-completions form (dialect/openai/request.hpp and the
// writers it includes: messages.hpp, tools.hpp, generation.hpp), for OpenAI, Azure and the
// OpenAI-compatible providers.
#include <governed/dialect/openai/request.hpp>
#include <governed/dialect/request.hpp>

#include "chat.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using namespace governed;
using nlohmann::json;
namespace gp = governed::providers;

namespace {

// The dialect tests' conversation with a tool's result (text only, as a tool message was
// before tool calls were typed) and text that needs escaping.
Request oai_text_chat() {
  Request r = governed_test::chat();
  r.messages.push_back({"tool", "42"});
  r.messages.push_back({"user", "caf\xc3\xa9 \"q\"\n"});
  return r;
}

std::string oai_body(const Request& r, gp::Dialect d, std::string_view base, std::string_view model, bool stream) {
  auto encoded = dialect::encode_request({r, "provider", model, base, "k"}, d, {}, stream);
  REQUIRE(encoded);
  return encoded->body;
}

constexpr const char* oai_text_messages =
    R"([{"content":"Be brief.","role":"system"},{"content":"Hello","role":"user"},)"
    R"({"content":"Hi.","role":"assistant"},{"content":"Use French.","role":"system"},)"
    R"({"content":"Again","role":"user"},{"content":"42","role":"tool"},)"
    R"({"content":"café \"q\"\n","role":"user"}])";

}  // namespace

TEST_CASE("a text-only chat-completions request is written byte for byte as before", "[dialect][openai][typed]") {
  const std::string m = oai_text_messages;
  Request r = oai_text_chat();
  r.temperature = 0.5;
  r.n = 2;
  r.parameters = json{{"logprobs", true}};
  CHECK(oai_body(r, gp::Dialect::openai, "https://api.openai.com/v1", "gpt-4o", false) ==
        R"({"logprobs":true,"max_completion_tokens":77,"messages":)" + m + R"(,"model":"gpt-4o","n":2,"temperature":0.5})");

  const Request plain = oai_text_chat();
  CHECK(oai_body(plain, gp::Dialect::groq, "https://api.groq.com/openai/v1", "llama-3.3-70b-versatile", true) ==
        R"({"max_tokens":77,"messages":)" + m +
            R"(,"model":"llama-3.3-70b-versatile","stream":true,"stream_options":{"include_usage":true}})");
  CHECK(oai_body(plain, gp::Dialect::mistral, "https://api.mistral.ai/v1", "mistral-small-latest", true) ==
        R"({"max_tokens":77,"messages":)" + m + R"(,"model":"mistral-small-latest","stream":true})");
  CHECK(oai_body(plain, gp::Dialect::azure, "https://res.openai.azure.com/openai", "dep", false) ==
        R"({"max_completion_tokens":77,"messages":)" + m + "}");
  CHECK(oai_body(plain, gp::Dialect::azure, "https://res.openai.azure.com/openai/v1", "gpt-4o", false) ==
        R"({"max_completion_tokens":77,"messages":)" + m + R"(,"model":"gpt-4o"})");

  Request limited = oai_text_chat();
  limited.parameters = json{{"max_tokens", 5}};
  CHECK(oai_body(limited, gp::Dialect::openai, "https://api.openai.com/v1", "gpt-4o", false) ==
        R"({"max_tokens":5,"messages":)" + m + R"(,"model":"gpt-4o"})");
}

namespace {

json oai_json(const Request& r, gp::Dialect d = gp::Dialect::openai) {
  auto encoded = dialect::encode_request({r, "openai", "gpt-4o", "https://api.openai.com/v1", "k"}, d, {}, false);
  REQUIRE(encoded);
  return json::parse(encoded->body);
}

// The error a call gets when the format can not hold it; it must never quote the call.
std::string oai_refusal(const Request& r, gp::Dialect d = gp::Dialect::openai) {
  auto encoded = dialect::encode_request({r, "openai", "gpt-4o", "https://api.openai.com/v1", "k"}, d, {}, false);
  REQUIRE_FALSE(encoded);
  CHECK(encoded.error().code == Errc::invalid_argument);
  CHECK(encoded.error().message.find("SECRET-TEXT") == std::string::npos);
  return encoded.error().message;
}

Request oai_one(Message m) {
  Request r;
  r.messages.push_back(std::move(m));
  return r;
}

const std::string oai_png("\x89PNG\r\n\x1a\n", 8);

}  // namespace

TEST_CASE("parts are written as OpenAI's text, image_url and file parts, the message's text first",
          "[dialect][openai][typed]") {
  const Request r = oai_one({.role = "user",
                             .content = "Look:",
                             .parts = {ContentPart::of_text("and"), ContentPart::image_url("https://x.test/a.png", ImageDetail::high),
                                       ContentPart::image_bytes(oai_png, "image/png"),
                                       ContentPart::image_bytes(oai_png, "image/png", ImageDetail::low),
                                       ContentPart::document_bytes("%PDF-1.7", "application/pdf", "report.pdf"),
                                       ContentPart::document_bytes("%PDF-1.7", "application/pdf"),
                                       ContentPart::document_text("plain notes", "notes.txt")}});
  const json expected = json::parse(R"([
    {"type": "text", "text": "Look:"},
    {"type": "text", "text": "and"},
    {"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "high"}},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
    {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjc=", "filename": "report.pdf"}},
    {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjc="}},
    {"type": "text", "text": "plain notes"}
  ])");
  const json b = oai_json(r);
  CHECK(b["messages"][0]["role"] == "user");
  CHECK(b["messages"][0]["content"] == expected);
  // Text parts alone suit every role: a system message of parts.
  const json s = oai_json(oai_one({.role = "system", .parts = {ContentPart::of_text("Be brief.")}}));
  CHECK(s["messages"][0] == json::parse(R"({"role": "system", "content": [{"type": "text", "text": "Be brief."}]})"));
}

TEST_CASE("an assistant's tool calls and the results that answer them are written as OpenAI names them",
          "[dialect][openai][typed]") {
  Request r;
  r.messages.push_back({"user", "Weather in Paris and Rome?"});
  r.messages.push_back({.role = "assistant",
                        .tool_calls = {{"call_1", "weather", R"({"city":"Paris"})"},
                                       {.id = "call_2", .name = "weather", .arguments = "Rome", .arguments_object = false}},
                        .origin = "openai"});
  r.messages.push_back({.role = "tool", .content = R"({"c":21})", .tool_call_id = "call_1", .name = "weather"});
  r.messages.push_back({.role = "tool", .content = "no such city", .tool_call_id = "call_2", .is_error = true});
  r.messages.push_back({.role = "assistant", .content = "Checking.", .tool_calls = {{"call_3", "time", "{}"}}});
  const json expected = json::parse(R"([
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
      {"id": "call_2", "type": "function", "function": {"name": "weather", "arguments": "Rome"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"c\":21}"},
    {"role": "tool", "tool_call_id": "call_2", "content": "no such city"},
    {"role": "assistant", "content": "Checking.", "tool_calls": [
      {"id": "call_3", "type": "function", "function": {"name": "time", "arguments": "{}"}}]}
  ])");
  CHECK(oai_json(r)["messages"] == expected);
}

TEST_CASE("tools, each tool choice and the parallel switch are written as OpenAI names them", "[dialect][openai][typed]") {
  Request r = oai_one({"user", "Hi"});
  r.tools = {{.name = "weather", .description = "The weather in a city.",
              .parameters = json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}, .strict = true},
             {.name = "time"}};
  r.parallel_tool_calls = false;
  const json b = oai_json(r);
  CHECK(b["tools"] == json::parse(R"([
    {"type": "function", "function": {"name": "weather", "description": "The weather in a city.",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": true}},
    {"type": "function", "function": {"name": "time"}}
  ])"));
  CHECK(b["parallel_tool_calls"] == false);
  CHECK_FALSE(b.contains("tool_choice"));  // automatic: the provider's default

  r.tool_choice = {ToolChoice::Mode::none};
  CHECK(oai_json(r)["tool_choice"] == "none");
  r.tool_choice = {ToolChoice::Mode::required};
  CHECK(oai_json(r)["tool_choice"] == "required");
  r.tool_choice = ToolChoice::tool("weather");
  CHECK(oai_json(r)["tool_choice"] == json::parse(R"({"type": "function", "function": {"name": "weather"}})"));

  // Without tools there is nothing to call in parallel, and OpenAI refuses the switch alone.
  Request bare = oai_one({"user", "Hi"});
  bare.parallel_tool_calls = true;
  CHECK_FALSE(oai_json(bare).contains("parallel_tool_calls"));
  CHECK_FALSE(oai_json(bare).contains("tools"));
}

TEST_CASE("the output format, stop, sampling, reasoning, user and metadata are written as OpenAI names them",
          "[dialect][openai][typed]") {
  Request r = oai_one({"user", "Hi"});
  r.output = OutputFormat::json_schema("answer", json{{"type", "object"}});
  r.stop = {"\n\n", "END"};
  r.seed = 7;
  r.top_p = 0.9;
  r.reasoning = Reasoning{.effort = Reasoning::Effort::low};
  r.user = "user-1";
  r.metadata = {{"team", "search"}};
  const json b = oai_json(r);
  CHECK(b["response_format"] ==
        json::parse(R"({"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": true}})"));
  CHECK(b["stop"] == json::array({"\n\n", "END"}));
  CHECK(b["seed"] == 7);
  CHECK(b["top_p"] == 0.9);
  CHECK(b["reasoning_effort"] == "low");
  CHECK(b["user"] == "user-1");
  CHECK(b["metadata"] == json{{"team", "search"}});

  r.output = OutputFormat::json();
  CHECK(oai_json(r)["response_format"] == json{{"type", "json_object"}});
  r.output = OutputFormat::json_schema("loose", json{{"type", "object"}}, /*strict=*/false);
  CHECK_FALSE(oai_json(r)["response_format"]["json_schema"].contains("strict"));
  // A budget alone becomes the least effort that holds it.
  r.reasoning = Reasoning{.budget_tokens = 5000};
  CHECK(oai_json(r)["reasoning_effort"] == "medium");
}

TEST_CASE("each OpenAI-compatible provider gets the advisory fields it takes, under its own names",
          "[dialect][openai][typed]") {
  Request r = oai_one({"user", "Hi"});
  r.seed = 7;
  r.user = "user-1";
  r.metadata = {{"team", "search"}};
  r.reasoning = Reasoning{.effort = Reasoning::Effort::high, .budget_tokens = 2000};
  r.top_p = 0.5;

  const json mistral = oai_json(r, gp::Dialect::mistral);  // refuses fields it does not know
  CHECK(mistral["random_seed"] == 7);
  for (const char* absent : {"seed", "user", "metadata", "reasoning_effort", "reasoning"}) CHECK_FALSE(mistral.contains(absent));
  const json deepseek = oai_json(r, gp::Dialect::deepseek);
  for (const char* absent : {"seed", "random_seed", "user", "metadata", "reasoning_effort"}) CHECK_FALSE(deepseek.contains(absent));
  const json groq = oai_json(r, gp::Dialect::groq);
  CHECK(groq["seed"] == 7);
  CHECK(groq["user"] == "user-1");
  CHECK_FALSE(groq.contains("metadata"));
  CHECK_FALSE(groq.contains("reasoning_effort"));
  const json openrouter = oai_json(r, gp::Dialect::openrouter);
  CHECK(openrouter["reasoning"] == json{{"effort", "high"}});
  CHECK_FALSE(openrouter.contains("reasoning_effort"));
  r.reasoning = Reasoning{.budget_tokens = 2000};
  CHECK(oai_json(r, gp::Dialect::openrouter)["reasoning"] == json{{"max_tokens", 2000}});
  for (gp::Dialect d : {gp::Dialect::mistral, gp::Dialect::deepseek, gp::Dialect::groq, gp::Dialect::openrouter})
    CHECK(oai_json(r, d)["top_p"] == 0.5);
  // The stop limit is OpenAI's: a compatible provider gets all the sequences.
  r.stop = {"a", "b", "c", "d", "e"};
  CHECK(oai_json(r, gp::Dialect::groq)["stop"].size() == 5);
}

TEST_CASE("reasoning and signatures have no place in chat completions: dropped whatever the turn's origin, its text and calls kept",
          "[dialect][openai][typed]") {
  for (const char* origin : {"openai", "anthropic"}) {
    CAPTURE(origin);
    ToolCall call{"call_1", "weather", "{}"};
    call.signature = "sig-from-gemini";
    const Request r = oai_one({.role = "assistant",
                               .content = "Let me check.",
                               .tool_calls = {call},
                               .reasoning = {{.text = "thinking", .signature = "sig"}},
                               .origin = origin});
    const json m = oai_json(r)["messages"][0];
    CHECK(m == json::parse(R"({"role": "assistant", "content": "Let me check.", "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}]})"));
  }
  // A turn of reasoning and text alone is a text message, written as one always was.
  const Request text = oai_one({.role = "assistant", .content = "Hi.", .reasoning = {{.text = "t", .signature = "s"}}, .origin = "x"});
  CHECK(oai_json(text)["messages"][0] == json{{"role", "assistant"}, {"content", "Hi."}});
}

TEST_CASE("a chat-completions parameter of the same name replaces the typed field", "[dialect][openai][typed]") {
  Request r = oai_one({"user", "Hi"});
  r.top_p = 0.9;
  r.tools = {{.name = "weather"}};
  r.tool_choice = {ToolChoice::Mode::required};
  r.parameters = json{{"top_p", 0.1}, {"tool_choice", "auto"}};
  const json b = oai_json(r);
  CHECK(b["top_p"] == 0.1);
  CHECK(b["tool_choice"] == "auto");
  // OpenRouter: the caller's shorthand replaces governed's `reasoning` rather than joining it.
  r.reasoning = Reasoning{.effort = Reasoning::Effort::low};
  r.parameters = json{{"reasoning_effort", "high"}};
  const json openrouter = oai_json(r, gp::Dialect::openrouter);
  CHECK(openrouter["reasoning_effort"] == "high");
  CHECK_FALSE(openrouter.contains("reasoning"));
}

TEST_CASE("a call chat completions can not hold is refused, naming what and where", "[dialect][openai][typed]") {
  using Catch::Matchers::Contains;
  const std::string secret = "SECRET-TEXT";
  CHECK_THAT(oai_refusal(oai_one({.role = "user", .parts = {ContentPart::document_url("https://x.test/SECRET-TEXT.pdf")}})),
             Contains("a document by URL") && Contains("message 0") && Contains("part 0"));
  CHECK_THAT(oai_refusal(oai_one({.role = "system", .content = secret,
                                  .parts = {ContentPart::image_bytes(oai_png, "image/png")}})),
             Contains("outside a user message") && Contains("system"));
  CHECK_THAT(oai_refusal(oai_one({.role = "tool", .parts = {ContentPart::image_url("https://x.test/a.png")}, .tool_call_id = "c"})),
             Contains("outside a user message"));
  CHECK_THAT(oai_refusal(oai_one({.role = "user", .parts = {ContentPart::document_bytes(secret, "application/msword")}})),
             Contains("application/msword"));
  CHECK_THAT(oai_refusal(oai_one({.role = "user", .parts = {ContentPart::image_bytes(secret, "")}})),
             Contains("media type"));
  Request stops = oai_one({"user", secret});
  stops.stop = {"a", "b", "c", "d", "e"};
  CHECK_THAT(oai_refusal(stops), Contains("at most 4 stop sequences; this call has 5"));
  CHECK_THAT(oai_refusal(stops, gp::Dialect::azure), Contains("at most 4"));
  Request unnamed = oai_one({"user", secret});
  unnamed.output = OutputFormat::json_schema("", json{{"type", "object"}});
  CHECK_THAT(oai_refusal(unnamed), Contains("needs a name"));
  Request nameless_tool = oai_one({"user", secret});
  nameless_tool.tools = {{.description = secret}};
  CHECK_THAT(oai_refusal(nameless_tool), Contains("a tool has no name"));
  Request no_choice = oai_one({"user", secret});
  no_choice.tools = {{.name = "weather"}};
  no_choice.tool_choice = ToolChoice::tool("");
  CHECK_THAT(oai_refusal(no_choice), Contains("names no tool"));
}
