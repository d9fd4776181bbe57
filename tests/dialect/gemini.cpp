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

TEST_CASE("a completion the gemini home writes reads back as its text and usage, in n candidates", "[dialect][gemini][round_trip]") {
  gp::Completion said{"Hello \"there\"", gp::Usage{.input_tokens = 12, .output_tokens = 34}};
  const std::string body = dialect::gemini::encode_completion(said, {"sim1", "gemini-2.5-flash", 0, 2, dialect::Finish::stop});
  const auto read = dialect::decode_completion(gp::Dialect::gemini, body);
  REQUIRE(read);
  CHECK(read->content == said.content);
  CHECK(read->usage == said.usage);
  const json j = json::parse(body);
  REQUIRE(j["candidates"].size() == 2);
  CHECK(j["candidates"][1]["finishReason"] == "STOP");
  CHECK(j["responseId"] == "sim1");
}

TEST_CASE("an error the gemini home writes reads back to the same fields, its quota and wait, and the same verdict",
          "[dialect][gemini][round_trip]") {
  gp::ErrorBody daily;
  daily.message = "You exceeded your current quota, please check your plan and billing details.";
  daily.code = "429";
  daily.status = "RESOURCE_EXHAUSTED";
  daily.retry_delay = Duration{std::chrono::milliseconds{41'250}};
  // The classifier reads a violation as "quotaId quotaMetric".
  daily.quota_ids = {"GenerateRequestsPerDayPerProjectPerModel generativelanguage.googleapis.com/generate_requests_per_model_per_day"};
  const dialect::gemini::ErrorDetails quota{
      .violations = {{"generativelanguage.googleapis.com/generate_requests_per_model_per_day",
                      "GenerateRequestsPerDayPerProjectPerModel", "gemini-2.5-flash", 250}},
      .help_description = "Learn more about Gemini API quotas",
      .help_url = "https://ai.google.dev/gemini-api/docs/rate-limits"};
  auto with_quota = [&](const gp::ErrorBody& e) { return dialect::gemini::encode_error(e, quota); };
  governed_test::check_error_round_trip("gemini", 429, daily, with_quota);
  const gp::ErrorBody read = dialect::gemini::decode_error(with_quota(daily));
  CHECK_FALSE(read.quota_zero);
  CHECK(gp::to_string(governed_test::verdict_on("gemini", 429, read).kind) == gp::to_string(gp::Kind::rate_limit_requests_daily));

  gp::ErrorBody invalid_key;
  invalid_key.message = "API key not valid. Please pass a valid API key.";
  invalid_key.code = "400";
  invalid_key.status = "INVALID_ARGUMENT";
  invalid_key.reasons = {"API_KEY_INVALID"};
  governed_test::check_error_round_trip("gemini", 400, invalid_key, [](const gp::ErrorBody& e) {
    return dialect::gemini::encode_error(e, {.localized_message = e.message});
  });
  CHECK(gp::to_string(governed_test::verdict_on("gemini", 400, invalid_key).kind) == gp::to_string(gp::Kind::auth));
}
