// The Anthropic home writing the typed request (dialect/anthropic/request.hpp): a text-only
// call byte for byte as it always was.
#include <governed/dialect/request.hpp>

#include "chat.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

using namespace governed;
using nlohmann::json;

namespace {

/// The body the Anthropic home writes for `req`, as the bytes it sends, or the error's message.
std::pair<std::string, std::string> anthropic_encoded(const Request& req, bool stream = false,
                                                      std::string_view provider = "anthropic") {
  const auto r = dialect::encode_request({req, provider, "claude-sonnet-4-5", "https://api.anthropic.com/v1", "sk-ant"},
                                         providers::Dialect::anthropic, {}, stream);
  if (!r) return {"", r.error().message};
  return {r->body, ""};
}

}  // namespace

TEST_CASE("an Anthropic text-only request is written byte for byte as before", "[dialect][anthropic]") {
  Request req = governed_test::chat();
  CHECK(anthropic_encoded(req).first ==
        R"({"max_tokens":77,"messages":[{"content":"Hello","role":"user"},{"content":"Hi.","role":"assistant"},)"
        R"({"content":"Again","role":"user"}],"model":"claude-sonnet-4-5","system":"Be brief.\n\nUse French."})");

  req.messages.push_back({"tool", "42"});
  req.messages.push_back({"user", "And?"});
  req.temperature = 0.5;
  req.parameters = json{{"top_k", 5}};
  CHECK(anthropic_encoded(req, /*stream=*/true).first ==
        R"({"max_tokens":77,"messages":[{"content":"Hello","role":"user"},{"content":"Hi.","role":"assistant"},)"
        R"({"content":"Again","role":"user"},{"content":"42","role":"user"},{"content":"And?","role":"user"}],)"
        R"("model":"claude-sonnet-4-5","stream":true,"system":"Be brief.\n\nUse French.","temperature":0.5,"top_k":5})");

  Request bare;
  bare.messages = {{"user", ""}};
  CHECK(anthropic_encoded(bare).first ==
        R"({"max_tokens":1024,"messages":[{"content":"","role":"user"}],"model":"claude-sonnet-4-5"})");
}
