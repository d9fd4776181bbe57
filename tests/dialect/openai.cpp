#include <governed/dialect/request.hpp>

#include "chat.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace governed;
using governed_test::body_of;
using governed_test::chat;
using nlohmann::json;
namespace gp = governed::providers;

TEST_CASE("wire: OpenAI chat completions, max_completion_tokens, parameters over the body", "[dialect][openai]") {
  Request req = chat();
  req.temperature = 0.5;
  req.n = 2;
  req.parameters = json{{"top_p", 0.9}, {"stop", {"\n"}}};
  const auto r = dialect::encode_request({req, "openai", "gpt-4o", "https://api.openai.com/v1", "sk-test"},
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
  const json c = body_of(*dialect::encode_request({req, "openai", "gpt-4o", "https://api.openai.com/v1", "k"},
                                                  gp::Dialect::openai, {}, false));
  CHECK(c["max_tokens"] == 5);
  CHECK_FALSE(c.contains("max_completion_tokens"));
}

TEST_CASE("wire: streams ask for usage, except from Mistral", "[dialect][openai]") {
  const Request req = chat();
  const json groq = body_of(*dialect::encode_request({req, "groq", "llama-3.3-70b-versatile",
                                                      "https://api.groq.com/openai/v1", "gsk"},
                                                     gp::Dialect::groq, {}, true));
  CHECK(groq["stream"] == true);
  CHECK(groq["stream_options"]["include_usage"] == true);
  CHECK(groq["max_tokens"] == 77);
  const auto m = dialect::encode_request({req, "mistral", "mistral-small-latest", "https://api.mistral.ai/v1", "k"},
                                         gp::Dialect::mistral, {}, true);
  CHECK(m->header("accept") == "text/event-stream");
  CHECK(body_of(*m)["stream"] == true);
  CHECK_FALSE(body_of(*m).contains("stream_options"));
  const auto compat = dialect::encode_request({req, "openai_compatible", "qwen", "http://127.0.0.1:8000/v1/", "k"},
                                              gp::Dialect::openai, {}, false);
  CHECK(compat->target == "/v1/chat/completions");
}
