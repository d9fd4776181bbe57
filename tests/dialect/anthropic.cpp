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

TEST_CASE("wire: Anthropic messages, system at the top, max_tokens always", "[dialect][anthropic]") {
  Request req = chat();
  req.messages.push_back({"tool", "42"});
  const auto r = dialect::encode_request({req, "anthropic", "claude-sonnet-4-5",
                                          "https://api.anthropic.com/v1", "sk-ant"},
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

TEST_CASE("a completion the anthropic home writes reads back as its text and usage, cache reads and writes included",
          "[dialect][anthropic][round_trip]") {
  gp::Completion said{"Hello \"there\"", gp::Usage{.input_tokens = 100, .cached_input_tokens = 30, .cache_write_tokens = 20,
                                                   .output_tokens = 7}};
  const std::string body = dialect::anthropic::encode_completion(said, {"msg_1", "claude-sonnet-4", 0, 1, dialect::Finish::length});
  const auto read = dialect::decode_completion(gp::Dialect::anthropic, body);
  REQUIRE(read);
  CHECK(read->content == said.content);
  CHECK(read->usage == said.usage);
  const json j = json::parse(body);
  CHECK(j["usage"]["input_tokens"] == 50);  // Anthropic's input excludes the cache's tokens
  CHECK(j["stop_reason"] == "max_tokens");
  CHECK(j["id"] == "msg_1");
}

TEST_CASE("an error the anthropic home writes reads back to the same fields and the same verdict", "[dialect][anthropic][round_trip]") {
  auto said = [](std::string type, std::string message) {
    gp::ErrorBody e;
    e.type = std::move(type);
    e.message = std::move(message);
    return e;
  };
  auto written = [](const gp::ErrorBody& e) { return dialect::anthropic::encode_error(e, {.request_id = "req_1"}); };
  governed_test::check_error_round_trip("anthropic", 429, said("rate_limit_error", "This request would exceed the rate limit "
                                                               "for your organization of 50,000 input tokens per minute."), written);
  governed_test::check_error_round_trip("anthropic", 529, said("overloaded_error", "Overloaded"), written);
  governed_test::check_error_round_trip("anthropic", 401, said("authentication_error", "invalid x-api-key"), written);
  CHECK(json::parse(written(said("api_error", "Internal server error")))["request_id"] == "req_1");
}
