#include <governed/dialect/request.hpp>

#include "chat.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace governed;
using governed_test::body_of;
using governed_test::chat;
using nlohmann::json;
namespace gp = governed::providers;

TEST_CASE("wire: Gemini contents, role model, systemInstruction, generationConfig", "[dialect][gemini]") {
  Request req = chat();
  req.temperature = 0.2;
  req.parameters = json{{"generationConfig", {{"topP", 0.8}}}};
  const auto r = dialect::encode_request({req, "gemini", "gemini-2.5-flash",
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

  const auto s = dialect::encode_request({req, "gemini", "models/gemini-2.5-flash",
                                          "https://generativelanguage.googleapis.com/v1beta", "AIza"},
                                         gp::Dialect::gemini, {}, true);
  CHECK(s->target == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
}
