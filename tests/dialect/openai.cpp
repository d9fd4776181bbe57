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

TEST_CASE("a completion the openai home writes reads back as its text and usage, in n choices", "[dialect][openai][round_trip]") {
  gp::Completion said{"Hello \"there\" \xc3\xa9\n", gp::Usage{.input_tokens = 12, .output_tokens = 34}};
  const dialect::ReplyMeta meta{"chatcmpl-1", "gpt-4o", 1767268800, 3, dialect::Finish::length};
  const std::string body = dialect::openai::encode_completion(said, meta);
  const auto read = dialect::decode_completion(gp::Dialect::openai, body);
  REQUIRE(read);
  CHECK(read->content == said.content);
  CHECK(read->usage == said.usage);
  const json j = json::parse(body);
  REQUIRE(j["choices"].size() == 3);
  CHECK(j["choices"][2]["message"]["content"] == said.content);
  CHECK(j["choices"][0]["finish_reason"] == "length");
  CHECK(j["id"] == "chatcmpl-1");
  CHECK(j["model"] == "gpt-4o");
  CHECK(j["created"] == 1767268800);
}

TEST_CASE("an error each openai flavour writes reads back to the same fields and the same verdict", "[dialect][openai][round_trip]") {
  auto said = [](std::string message, std::string code, std::string type) {
    gp::ErrorBody e;
    e.message = std::move(message);
    e.code = std::move(code);
    e.type = std::move(type);
    return e;
  };
  auto as = [](gp::Dialect flavour) {
    return [flavour](const gp::ErrorBody& e) { return dialect::openai::encode_error(e, flavour); };
  };
  governed_test::check_error_round_trip("openai", 429, said("Rate limit reached for gpt-4o on requests per min (RPM)",
                                                            "rate_limit_exceeded", "requests"), as(gp::Dialect::openai));
  governed_test::check_error_round_trip("openai", 429, said("You exceeded your current quota", "insufficient_quota",
                                                            "insufficient_quota"), as(gp::Dialect::openai));
  governed_test::check_error_round_trip("openai", 503, said("The engine is currently overloaded", "", "server_error"),
                                        as(gp::Dialect::openai));
  governed_test::check_error_round_trip("groq", 401, said("Invalid API Key", "invalid_api_key", "invalid_request_error"),
                                        as(gp::Dialect::groq));
  governed_test::check_error_round_trip("deepseek", 402, said("Insufficient Balance", "invalid_request_error", "unknown_error"),
                                        as(gp::Dialect::deepseek));
  governed_test::check_error_round_trip("mistral", 429, said("Requests rate limit exceeded", "1300", "rate_limited"),
                                        as(gp::Dialect::mistral));
  governed_test::check_error_round_trip("mistral", 401, said("Unauthorized", "", ""), as(gp::Dialect::mistral));
  governed_test::check_error_round_trip("openrouter", 402, said("Insufficient credits.", "402", ""), as(gp::Dialect::openrouter));
  // Through the dispatch too, with the request field at fault.
  const std::string body = dialect::encode_error(gp::Dialect::openai, said("bad", "", "invalid_request_error"), {.param = "messages"});
  CHECK(json::parse(body)["error"]["param"] == "messages");
  CHECK(json::parse(body)["error"]["code"].is_null());
}
