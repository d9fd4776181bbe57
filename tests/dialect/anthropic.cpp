#include <governed/dialect/request.hpp>

#include "chat.hpp"

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
