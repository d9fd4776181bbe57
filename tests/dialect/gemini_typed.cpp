// The Gemini home writes a text-only call exactly as it always did.
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
