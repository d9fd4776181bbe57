// The Gemini home writes the whole typed request: parts, tool calls and results, tools and
// the choice among them, the output's shape, sampling and thinking — each as the
// generateContent API names it — and a text-only call exactly as it always did.
#include <governed/dialect/gemini/request.hpp>
#include <governed/dialect/request.hpp>

#include "chat.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using namespace governed;
using nlohmann::json;

namespace {

constexpr std::string_view typed_gemini_base = "https://generativelanguage.googleapis.com/v1beta";

Result<wire::HttpRequest> typed_gemini_request(const Request& r) {
  return dialect::encode_request({r, "gemini", "gemini-2.5-flash", typed_gemini_base, "AIza"},
                                 providers::Dialect::gemini, {}, false);
}

/// The body Gemini's home writes for `r`, parsed; fails the test when the call is refused.
json typed_gemini_body(const Request& r) {
  const auto encoded = typed_gemini_request(r);
  if (!encoded) FAIL("refused: " << encoded.error().message);
  return json::parse(encoded->body);
}

/// The message of the error the home refuses `r` with; fails the test when it is written.
std::string typed_gemini_refusal(const Request& r) {
  const auto encoded = typed_gemini_request(r);
  if (encoded) FAIL("written: " << encoded->body);
  return encoded.error().message;
}

}  // namespace

TEST_CASE("gemini: a text-only request is written byte for byte as before", "[dialect][gemini][typed]") {
  // Bodies the encoder wrote before the typed request existed, kept as data.
  CHECK(typed_gemini_request(governed_test::chat())->body ==
        R"({"contents":[{"parts":[{"text":"Hello"}],"role":"user"},{"parts":[{"text":"Hi."}],"role":"model"},)"
        R"({"parts":[{"text":"Again"}],"role":"user"}],"generationConfig":{"maxOutputTokens":77},)"
        R"("systemInstruction":{"parts":[{"text":"Be brief.\n\nUse French."}]}})");

  Request r;
  r.messages = {{"user", "Caf\xc3\xa9 \"quoted\"\n"}, {"assistant", ""}, {"tool", "42"}};
  r.temperature = 0.25;
  r.n = 2;
  r.parameters = json{{"generationConfig", {{"topK", 3}}}, {"safetySettings", json::array()}};
  CHECK(typed_gemini_request(r)->body ==
        "{\"contents\":[{\"parts\":[{\"text\":\"Caf\xc3\xa9 \\\"quoted\\\"\\n\"}],\"role\":\"user\"},"
        R"({"parts":[{"text":""}],"role":"model"},{"parts":[{"text":"42"}],"role":"user"}],)"
        R"("generationConfig":{"candidateCount":2,"maxOutputTokens":1024,"temperature":0.25,"topK":3},)"
        R"("safetySettings":[]})");
}

TEST_CASE("gemini: parts are written as text, inlineData and fileData, in order after the message's text",
          "[dialect][gemini][typed]") {
  Request r;
  r.messages = {{.role = "user",
                 .content = "Compare these.",
                 .parts = {ContentPart::of_text("First:"), ContentPart::image_bytes("abc", "image/png"),
                           ContentPart::image_url("data:image/jpeg;base64,YWJj"),
                           ContentPart::document_bytes("%PDF", "application/pdf", "report.pdf"),
                           ContentPart::document_text("hello")}}};
  ContentPart by_url = ContentPart::image_url("https://example.com/cat.webp");
  by_url.media_type = "image/webp";
  ContentPart in_storage = ContentPart::document_url("gs://bucket/report.pdf");
  in_storage.media_type = "application/pdf";
  r.messages[0].parts.push_back(by_url);
  r.messages[0].parts.push_back(in_storage);

  CHECK(typed_gemini_body(r)["contents"] == json::parse(R"([{"role": "user", "parts": [
    {"text": "Compare these."},
    {"text": "First:"},
    {"inlineData": {"mimeType": "image/png", "data": "YWJj"}},
    {"inlineData": {"mimeType": "image/jpeg", "data": "YWJj"}},
    {"inlineData": {"mimeType": "application/pdf", "data": "JVBERg=="}},
    {"inlineData": {"mimeType": "text/plain", "data": "aGVsbG8="}},
    {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp"}},
    {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/report.pdf"}}]}])"));
}

TEST_CASE("gemini: an assistant's tool calls are functionCall parts after its text, arguments as an object",
          "[dialect][gemini][typed]") {
  Request r;
  r.messages = {{"user", "Weather in Paris and Rome?"},
                {.role = "assistant",
                 .content = "Checking both.",
                 .tool_calls = {{.id = "fc_1", .name = "weather", .arguments = R"({"city": "Paris"})"},
                                {.id = "fc_2", .name = "weather", .arguments = R"({"city":"Rome"})"},
                                {.id = "fc_3", .name = "clock", .arguments = ""}}}};
  CHECK(typed_gemini_body(r)["contents"][1] == json::parse(R"({"role": "model", "parts": [
    {"text": "Checking both."},
    {"functionCall": {"id": "fc_1", "name": "weather", "args": {"city": "Paris"}}},
    {"functionCall": {"id": "fc_2", "name": "weather", "args": {"city": "Rome"}}},
    {"functionCall": {"id": "fc_3", "name": "clock", "args": {}}}]})"));
}

TEST_CASE("gemini: consecutive tool results are one user content of functionResponse parts, named from their calls",
          "[dialect][gemini][typed]") {
  Request r;
  r.messages = {{"user", "Weather in Paris and Rome?"},
                {.role = "assistant",
                 .tool_calls = {{.id = "fc_1", .name = "weather", .arguments = R"({"city": "Paris"})"},
                                {.id = "fc_2", .name = "weather", .arguments = R"({"city": "Rome"})"},
                                {.id = "fc_3", .name = "clock", .arguments = "{}"}}},
                {.role = "tool", .content = R"( {"celsius": 21} )", .tool_call_id = "fc_1"},
                {.role = "tool", .content = "sunny, 25 C", .tool_call_id = "fc_2", .name = "weather"},
                {.role = "tool", .content = "clock is down", .tool_call_id = "fc_3", .is_error = true},
                {"user", "And tomorrow?"}};
  const json contents = typed_gemini_body(r)["contents"];
  REQUIRE(contents.size() == 4);
  CHECK(contents[2] == json::parse(R"({"role": "user", "parts": [
    {"functionResponse": {"id": "fc_1", "name": "weather", "response": {"celsius": 21}}},
    {"functionResponse": {"id": "fc_2", "name": "weather", "response": {"result": "sunny, 25 C"}}},
    {"functionResponse": {"id": "fc_3", "name": "clock", "response": {"error": "clock is down"}}}]})"));
  CHECK(contents[3] == json::parse(R"({"role": "user", "parts": [{"text": "And tomorrow?"}]})"));
}

TEST_CASE("gemini: a call Gemini named no id for goes back without the id governed gave it, its result too",
          "[dialect][gemini][typed]") {
  Request r;
  r.messages = {{"user", "Time?"},
                {.role = "assistant", .tool_calls = {{.id = "call_0", .name = "clock", .arguments = "{}"}}},
                {.role = "tool", .content = "noon", .tool_call_id = "call_0"}};
  const json contents = typed_gemini_body(r)["contents"];
  REQUIRE(contents.size() == 3);
  CHECK(contents[1]["parts"][0] == json::parse(R"({"functionCall": {"name": "clock", "args": {}}})"));
  CHECK(contents[2]["parts"][0] ==
        json::parse(R"({"functionResponse": {"name": "clock", "response": {"result": "noon"}}})"));
}

TEST_CASE("gemini: tools and each tool choice are written as functionDeclarations and functionCallingConfig",
          "[dialect][gemini][typed]") {
  Request r = governed_test::chat();
  r.tools = {{.name = "weather",
              .description = "The weather in a city.",
              .parameters = json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}},
              .strict = true},
             {.name = "clock", .description = "The time."}};
  const json b = typed_gemini_body(r);
  CHECK(b["tools"] == json::parse(R"([{"functionDeclarations": [
    {"name": "weather", "description": "The weather in a city.",
     "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}}},
    {"name": "clock", "description": "The time."}]}])"));
  CHECK_FALSE(b.contains("toolConfig"));  // automatic is Gemini's default

  r.tool_choice = ToolChoice{.mode = ToolChoice::Mode::none};
  CHECK(typed_gemini_body(r)["toolConfig"] == json::parse(R"({"functionCallingConfig": {"mode": "NONE"}})"));
  r.tool_choice = ToolChoice{.mode = ToolChoice::Mode::required};
  CHECK(typed_gemini_body(r)["toolConfig"] == json::parse(R"({"functionCallingConfig": {"mode": "ANY"}})"));
  r.tool_choice = ToolChoice::tool("clock");
  CHECK(typed_gemini_body(r)["toolConfig"] ==
        json::parse(R"({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["clock"]}})"));
  r.parallel_tool_calls = true;  // Gemini's default: nothing to write
  CHECK(typed_gemini_body(r)["toolConfig"]["functionCallingConfig"]["mode"] == "ANY");
}

TEST_CASE("gemini: JSON mode and a JSON schema are written as responseMimeType and responseJsonSchema",
          "[dialect][gemini][typed]") {
  Request r = governed_test::chat();
  r.output = OutputFormat::json();
  CHECK(typed_gemini_body(r)["generationConfig"] ==
        json::parse(R"({"maxOutputTokens": 77, "responseMimeType": "application/json"})"));
  r.output = OutputFormat::json_schema(
      "answer", json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}});
  CHECK(typed_gemini_body(r)["generationConfig"] == json::parse(R"({"maxOutputTokens": 77,
    "responseMimeType": "application/json",
    "responseJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}})"));
}

TEST_CASE("gemini: stop, seed, top_p and thinking are written in generationConfig; user and metadata are dropped",
          "[dialect][gemini][typed]") {
  Request r = governed_test::chat();
  r.stop = {"END", "\n\n"};
  r.seed = 7;
  r.top_p = 0.5;
  r.user = "user-42";
  r.metadata = {{"team", "search"}};
  r.reasoning = Reasoning{.budget_tokens = 2048, .include_thoughts = true};
  const json b = typed_gemini_body(r);
  CHECK(b["generationConfig"] == json::parse(R"({"maxOutputTokens": 77, "stopSequences": ["END", "\n\n"],
    "seed": 7, "topP": 0.5, "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": true}})"));
  CHECK(b.size() == 3);  // contents, generationConfig, systemInstruction: no user, no metadata

  r.reasoning = Reasoning{.effort = Reasoning::Effort::high};
  CHECK(typed_gemini_body(r)["generationConfig"]["thinkingConfig"] ==
        json{{"thinkingBudget", budget_of(Reasoning::Effort::high)}, {"includeThoughts", false}});
  r.reasoning = Reasoning{.effort = Reasoning::Effort::none};
  CHECK(typed_gemini_body(r)["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 0);
  CHECK(dialect::gemini::thinking_form("gemini-2.5-flash") == dialect::gemini::ThinkingForm::budget);
}

TEST_CASE("gemini: reasoning from another provider is dropped, from Gemini sent back unchanged",
          "[dialect][gemini][typed]") {
  Request r;
  r.messages = {{"user", "Weather in Paris?"},
                {.role = "assistant",
                 .content = "Let me check.",
                 .tool_calls = {{.id = "fc_1",
                                 .name = "weather",
                                 .arguments = R"({"city": "Paris"})",
                                 .signature = "c2lnLWNhbGw="}},
                 .reasoning = {{.text = "The user wants Paris.", .signature = "c2lnLXRob3VnaHQ="}}},
                {.role = "tool", .content = "21", .tool_call_id = "fc_1"}};

  r.messages[1].origin = "gemini";
  CHECK(typed_gemini_body(r)["contents"][1] == json::parse(R"({"role": "model", "parts": [
    {"text": "The user wants Paris.", "thought": true, "thoughtSignature": "c2lnLXRob3VnaHQ="},
    {"text": "Let me check."},
    {"functionCall": {"id": "fc_1", "name": "weather", "args": {"city": "Paris"}},
     "thoughtSignature": "c2lnLWNhbGw="}]})"));

  for (const char* elsewhere : {"anthropic", ""}) {
    r.messages[1].origin = elsewhere;
    CAPTURE(elsewhere);
    CHECK(typed_gemini_body(r)["contents"][1] == json::parse(R"({"role": "model", "parts": [
      {"text": "Let me check."},
      {"functionCall": {"id": "fc_1", "name": "weather", "args": {"city": "Paris"}}}]})"));
  }
}

TEST_CASE("gemini: a parameter of the same name replaces the typed field", "[dialect][gemini][typed]") {
  Request r = governed_test::chat();
  r.top_p = 0.9;
  r.stop = {"END"};
  r.parameters = json{{"generationConfig", {{"topP", 0.3}}}};
  const json config = typed_gemini_body(r)["generationConfig"];
  CHECK(config["topP"] == 0.3);
  CHECK(config["stopSequences"] == json{"END"});  // the rest of the config stays
}

TEST_CASE("gemini: a call the format can not hold is refused, naming what", "[dialect][gemini][typed]") {
  const auto refused = [](Request r, std::string_view says) {
    const std::string message = typed_gemini_refusal(r);
    CAPTURE(message);
    CHECK(message.find(says) != std::string::npos);
    CHECK(message.find("sk-private") == std::string::npos);  // never the call's own text
  };
  Request call;
  call.messages = {{"user", "Go"},
                   {.role = "assistant",
                    .tool_calls = {{.id = "fc_9", .name = "run", .arguments = R"(["sk-private"])"}}}};
  refused(call, "functionCall.args must be a JSON object");
  call.messages[1].tool_calls[0] = {.id = "fc_9", .name = "run", .arguments = "sk-private", .arguments_object = false};
  refused(call, "fc_9");

  Request orphan;
  orphan.messages = {{"user", "Go"}, {.role = "tool", .content = "sk-private", .tool_call_id = "fc_404"}};
  refused(orphan, "fc_404");

  Request untyped_url;
  untyped_url.messages = {{.role = "user", .parts = {ContentPart::image_url("https://example.com/sk-private.png")}}};
  refused(untyped_url, "mimeType is required");
  untyped_url.messages[0].parts[0].media_type = "image/png";
  untyped_url.messages[0].parts[0].url = "ftp://example.com/sk-private.png";
  refused(untyped_url, "https: or gs:");
  Request untyped_bytes;
  untyped_bytes.messages = {{.role = "user", .parts = {ContentPart::image_bytes("sk-private", "")}}};
  refused(untyped_bytes, "mimeType is required");

  Request one_at_a_time = governed_test::chat();
  one_at_a_time.tools = {{.name = "clock"}};
  one_at_a_time.parallel_tool_calls = false;
  refused(one_at_a_time, "one tool call per turn");
  one_at_a_time.tools.clear();  // nothing to limit: written
  CHECK(typed_gemini_request(one_at_a_time));

  Request unknown_tool = governed_test::chat();
  unknown_tool.tools = {{.name = "clock"}};
  unknown_tool.tool_choice = ToolChoice::tool("calendar");
  refused(unknown_tool, "calendar");

  Request many_stops = governed_test::chat();
  many_stops.stop = {"a", "b", "c", "d", "e", "f"};
  refused(many_stops, "at most 5");

  Request pictured_system;
  pictured_system.messages = {{.role = "system", .parts = {ContentPart::image_bytes("abc", "image/png")}}, {"user", "Hi"}};
  refused(pictured_system, "system message");
}

TEST_CASE("gemini: a body with the typed fields still reads back as its roles, text and limit",
          "[dialect][gemini][typed]") {
  // governed-sim reads requests through decode_request: what the typed request adds to a body
  // must not make it refuse a call.
  Request r = governed_test::chat();
  r.messages.push_back({.role = "assistant", .tool_calls = {{.id = "fc_1", .name = "clock", .arguments = "{}"}}});
  r.messages.push_back({.role = "tool", .content = "noon", .tool_call_id = "fc_1"});
  r.tools = {{.name = "clock", .description = "The time."}};
  r.tool_choice = ToolChoice{.mode = ToolChoice::Mode::required};
  r.output = OutputFormat::json();
  r.reasoning = Reasoning{.effort = Reasoning::Effort::low};
  const auto encoded = typed_gemini_request(r);
  REQUIRE(encoded);
  dialect::Route route;
  route.format = dialect::Format::gemini;
  route.model = "gemini-2.5-flash";
  const auto read = dialect::gemini::decode_request(encoded->body, route);
  REQUIRE(read);
  CHECK(read->max_tokens == 77);
  CHECK(read->roles == std::vector<std::string>{"system", "user", "assistant", "user", "assistant", "user"});
  CHECK(read->contents[1] == "Hello");
}

TEST_CASE("gemini: a model that takes thinking levels gets the effort's level, never a budget",
          "[dialect][gemini][typed]") {
  // Gemini 3 answers 400 to a request that sets both thinkingLevel and thinkingBudget.
  using dialect::gemini::ThinkingForm;
  const auto level_for = [](Reasoning reasoning) {
    json config = json::object();
    dialect::gemini::write_thinking(config, reasoning, ThinkingForm::level);
    CHECK_FALSE(config["thinkingConfig"].contains("thinkingBudget"));
    return config["thinkingConfig"].value("thinkingLevel", std::string{});
  };
  CHECK(level_for({.effort = Reasoning::Effort::high}) == "high");
  CHECK(level_for({.effort = Reasoning::Effort::xhigh}) == "high");
  CHECK(level_for({.effort = Reasoning::Effort::none}) == "minimal");
  CHECK(level_for({.budget_tokens = 4000}) == "medium");  // the least effort whose budget holds it
  CHECK(level_for({.include_thoughts = true}).empty());    // nothing asked: the model's default
}
