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
