#include <governed/wire/format.hpp>

#include "chat.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace governed;
using governed_test::chat;
using nlohmann::json;
namespace gp = governed::providers;

namespace {

json body_of(const wire::HttpRequest& r) { return json::parse(r.body); }

}  // namespace

TEST_CASE("wire: OpenAI chat completions, max_completion_tokens, parameters over the body", "[wire][openai]") {
  Request req = chat();
  req.temperature = 0.5;
  req.n = 2;
  req.parameters = json{{"top_p", 0.9}, {"stop", {"\n"}}};
  const auto r = wire::build_request({req, "openai", "gpt-4o", "https://api.openai.com/v1", "sk-test"},
                                     gp::Dialect::openai, {}, false);
  REQUIRE(r);
  CHECK(r->method == "POST");
  CHECK(r->target == "/v1/chat/completions");
  CHECK(r->header("authorization") == "Bearer sk-test");
  CHECK(r->header("content-type") == "application/json");
  const json b = body_of(*r);
  CHECK(b["model"] == "gpt-4o");
  CHECK(b["max_completion_tokens"] == 77);
  CHECK_FALSE(b.contains("max_tokens"));
  CHECK(b["n"] == 2);
  CHECK(b["temperature"] == 0.5);
  CHECK(b["top_p"] == 0.9);
  CHECK(b["messages"].size() == 5);
  CHECK(b["messages"][0] == json{{"role", "system"}, {"content", "Be brief."}});
  CHECK_FALSE(b.contains("stream"));

  // A caller's max_tokens replaces the format's limit rather than joining it.
  req.parameters = json{{"max_tokens", 5}};
  const json c = body_of(*wire::build_request({req, "openai", "gpt-4o", "https://api.openai.com/v1", "k"},
                                              gp::Dialect::openai, {}, false));
  CHECK(c["max_tokens"] == 5);
  CHECK_FALSE(c.contains("max_completion_tokens"));
}

TEST_CASE("wire: streams ask for usage, except from Mistral", "[wire][openai]") {
  const Request req = chat();
  const json groq = body_of(*wire::build_request({req, "groq", "llama-3.3-70b-versatile",
                                                  "https://api.groq.com/openai/v1", "gsk"},
                                                 gp::Dialect::groq, {}, true));
  CHECK(groq["stream"] == true);
  CHECK(groq["stream_options"]["include_usage"] == true);
  CHECK(groq["max_tokens"] == 77);
  const auto m = wire::build_request({req, "mistral", "mistral-small-latest", "https://api.mistral.ai/v1", "k"},
                                     gp::Dialect::mistral, {}, true);
  CHECK(m->header("accept") == "text/event-stream");
  CHECK(body_of(*m)["stream"] == true);
  CHECK_FALSE(body_of(*m).contains("stream_options"));
  const auto compat = wire::build_request({req, "openai_compatible", "qwen", "http://127.0.0.1:8000/v1/", "k"},
                                          gp::Dialect::openai, {}, false);
  CHECK(compat->target == "/v1/chat/completions");
}

TEST_CASE("wire: Azure deployment URLs, api-key, api-version; the v1 API", "[wire][azure]") {
  const Request req = chat();
  const auto r = wire::build_request({req, "azure", "my-gpt4o", "https://res.openai.azure.com/openai", "azkey"},
                                     gp::Dialect::azure, {}, false);
  REQUIRE(r);
  CHECK(r->target == "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
  CHECK(r->header("api-key") == "azkey");
  CHECK(r->header("authorization").empty());
  CHECK_FALSE(body_of(*r).contains("model"));
  CHECK(body_of(*r)["max_completion_tokens"] == 77);

  const auto pinned = wire::build_request(
      {req, "azure", "dep/../x", "https://res.openai.azure.com/openai?api-version=2025-01-01-preview", "k"},
      gp::Dialect::azure, {}, false);
  CHECK(pinned->target == "/openai/deployments/dep%2F..%2Fx/chat/completions?api-version=2025-01-01-preview");

  const auto v1 = wire::build_request({req, "azure", "gpt-4o", "https://res.openai.azure.com/openai/v1", "k"},
                                      gp::Dialect::azure, {}, false);
  CHECK(v1->target == "/openai/v1/chat/completions");
  CHECK(body_of(*v1)["model"] == "gpt-4o");
}

TEST_CASE("wire: Anthropic messages, system at the top, max_tokens always", "[wire][anthropic]") {
  Request req = chat();
  req.messages.push_back({"tool", "42"});
  const auto r = wire::build_request({req, "anthropic", "claude-sonnet-4-5", "https://api.anthropic.com/v1", "sk-ant"},
                                     gp::Dialect::anthropic, {}, true);
  REQUIRE(r);
  CHECK(r->target == "/v1/messages");
  CHECK(r->header("x-api-key") == "sk-ant");
  CHECK(r->header("anthropic-version") == "2023-06-01");
  const json b = body_of(*r);
  CHECK(b["system"] == "Be brief.\n\nUse French.");
  CHECK(b["max_tokens"] == 77);
  CHECK(b["stream"] == true);
  REQUIRE(b["messages"].size() == 4);
  CHECK(b["messages"][0] == json{{"role", "user"}, {"content", "Hello"}});
  CHECK(b["messages"][1]["role"] == "assistant");
  CHECK(b["messages"][3] == json{{"role", "user"}, {"content", "42"}});
}

TEST_CASE("wire: Gemini contents, role model, systemInstruction, generationConfig", "[wire][gemini]") {
  Request req = chat();
  req.temperature = 0.2;
  req.parameters = json{{"generationConfig", {{"topP", 0.8}}}};
  const auto r = wire::build_request({req, "gemini", "gemini-2.5-flash",
                                      "https://generativelanguage.googleapis.com/v1beta", "AIza"},
                                     gp::Dialect::gemini, {}, false);
  REQUIRE(r);
  CHECK(r->target == "/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK(r->header("x-goog-api-key") == "AIza");
  const json b = body_of(*r);
  CHECK(b["systemInstruction"]["parts"][0]["text"] == "Be brief.\n\nUse French.");
  REQUIRE(b["contents"].size() == 3);
  CHECK(b["contents"][1] == json{{"role", "model"}, {"parts", {{{"text", "Hi."}}}}});
  CHECK(b["generationConfig"]["maxOutputTokens"] == 77);
  CHECK(b["generationConfig"]["temperature"] == 0.2);
  CHECK(b["generationConfig"]["topP"] == 0.8);

  const auto s = wire::build_request({req, "gemini", "models/gemini-2.5-flash",
                                      "https://generativelanguage.googleapis.com/v1beta", "AIza"},
                                     gp::Dialect::gemini, {}, true);
  CHECK(s->target == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
}
