#include <governed/dialect/error.hpp>
#include <governed/dialect/reply.hpp>
#include <governed/dialect/request.hpp>

#include "chat.hpp"
#include "written.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace governed;
using governed_test::body_of;
using governed_test::chat;
using nlohmann::json;
namespace gp = governed::providers;

TEST_CASE("wire: Azure deployment URLs, api-key, api-version; the v1 API", "[dialect][azure]") {
  const Request req = chat();
  const auto r = dialect::encode_request({req, "azure", "my-gpt4o", "https://res.openai.azure.com/openai", "azkey"},
                                         gp::Dialect::azure, {}, false);
  REQUIRE(r);
  CHECK(r->target == "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
  CHECK(r->header("api-key") == "azkey");
  CHECK(r->header("authorization").empty());
  CHECK_FALSE(body_of(*r).contains("model"));
  CHECK(body_of(*r)["max_completion_tokens"] == 77);

  const auto pinned = dialect::encode_request(
      {req, "azure", "dep/../x", "https://res.openai.azure.com/openai?api-version=2025-01-01-preview", "k"},
      gp::Dialect::azure, {}, false);
  CHECK(pinned->target == "/openai/deployments/dep%2F..%2Fx/chat/completions?api-version=2025-01-01-preview");

  const auto v1 = dialect::encode_request({req, "azure", "gpt-4o", "https://res.openai.azure.com/openai/v1", "k"},
                                          gp::Dialect::azure, {}, false);
  CHECK(v1->target == "/openai/v1/chat/completions");
  CHECK(body_of(*v1)["model"] == "gpt-4o");
}

TEST_CASE("an error the azure home writes reads back to the same fields and the same verdict", "[dialect][azure][round_trip]") {
  auto said = [](std::string code, std::string message) {
    gp::ErrorBody e;
    e.code = std::move(code);
    e.message = std::move(message);
    return e;
  };
  auto written = [](const gp::ErrorBody& e) { return dialect::azure::encode_error(e); };
  governed_test::check_error_round_trip("azure", 429, said("429", "Requests to the ChatCompletions_Create Operation have exceeded "
                                                           "call rate limit. Please retry after 7 seconds."), written);
  governed_test::check_error_round_trip("azure", 404, said("DeploymentNotFound", "The API deployment for this resource does not exist."),
                                        written);
  CHECK(json::parse(written(said("429", "x")))["error"]["code"] == "429");  // Azure's code is text
}

TEST_CASE("Azure takes the typed call in OpenAI's form, all but metadata, and refuses what OpenAI refuses",
          "[dialect][azure][typed]") {
  Request req = chat();
  req.messages.push_back({.role = "assistant", .tool_calls = {{"call_1", "weather", R"({"city":"Oslo"})"}}});
  req.messages.push_back({.role = "tool", .content = "-3", .tool_call_id = "call_1"});
  req.tools = {{.name = "weather", .parameters = json{{"type", "object"}}}};
  req.tool_choice = {ToolChoice::Mode::required};
  req.output = OutputFormat::json();
  req.reasoning = Reasoning{.effort = Reasoning::Effort::medium};
  req.seed = 3;
  req.user = "u";
  req.metadata = {{"team", "search"}};  // stored completions only, which the default API version lacks
  for (const char* base : {"https://res.openai.azure.com/openai", "https://res.openai.azure.com/openai/v1"}) {
    CAPTURE(base);
    const auto r = dialect::encode_request({req, "azure", "dep", base, "k"}, gp::Dialect::azure, {}, false);
    REQUIRE(r);
    const json b = body_of(*r);
    CHECK(b["messages"][5] == json::parse(R"({"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}]})"));
    CHECK(b["messages"][6] == json{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "-3"}});
    CHECK(b["tools"][0]["function"]["name"] == "weather");
    CHECK(b["tool_choice"] == "required");
    CHECK(b["response_format"] == json{{"type", "json_object"}});
    CHECK(b["reasoning_effort"] == "medium");
    CHECK(b["seed"] == 3);
    CHECK(b["user"] == "u");
    CHECK_FALSE(b.contains("metadata"));
  }
  req.messages.push_back({.role = "user", .parts = {ContentPart::document_url("https://x.test/a.pdf")}});
  const auto refused = dialect::encode_request({req, "azure", "dep", "https://res.openai.azure.com/openai", "k"},
                                               gp::Dialect::azure, {}, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("a document by URL") != std::string::npos);
}
