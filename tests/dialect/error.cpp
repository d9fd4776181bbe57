#include <governed/dialect/error.hpp>

#include <governed/dialect/anthropic/error.hpp>
#include <governed/dialect/azure/error.hpp>
#include <governed/dialect/classify.hpp>
#include <governed/dialect/gemini/error.hpp>
#include <governed/dialect/openai/error.hpp>
#include <governed/providers/error_body.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

using namespace governed;
namespace gp = governed::providers;
namespace gd = governed::dialect;
using namespace std::chrono_literals;

namespace {

std::string nested_error_objects(std::size_t n) {
  std::string s;
  s.reserve(n * 5);
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  return s;
}

}  // namespace

// The error body's reader, fed bodies nested far deeper than any provider's and bodies over the
// size limit: its text, never a stack overflow, and still classified.
TEST_CASE("an error body nested deeper or larger than its limits is read as text and still classified",
          "[providers][limits]") {
  CHECK(gd::error_body_limits.max_depth == 32);
  CHECK(gd::error_body_limits.max_bytes == 256 * 1024);
  // 10 000 levels is past the depth within the size; 100 000 levels is past both.
  for (std::size_t levels : {std::size_t{10'000}, std::size_t{100'000}}) {
    const std::string body = R"({"error":{"message":"Rate limit reached","details":)" + nested_error_objects(levels);
    const gp::ErrorBody e = gd::decode_error(body);
    CHECK_FALSE(e.json);
    CHECK(e.message.size() == 2000);  // the text, cut short
    const WallTime now{std::chrono::seconds{1'711'483'199}};
    const auto v = gd::classify("openai", 429, gp::HeaderView{}, body, now);
    CHECK(gp::is_rate_limit(v.kind));
  }
  // The limits are the caller's to set: a real error body past a depth of 2 is text.
  const std::string openai = R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})";
  CHECK(gd::decode_error(openai).code == "rate_limit_exceeded");
  CHECK_FALSE(gd::decode_error(openai, JsonLimits{1024, 1}).json);
}

TEST_CASE("each home reads its provider's error shape into the fields the classifier decides from",
          "[dialect][error]") {
  const auto openai = gd::openai::decode_error(
      R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
  CHECK(openai.json);
  CHECK(openai.message == "You exceeded your current quota");
  CHECK(openai.type == "insufficient_quota");
  CHECK(openai.code == "insufficient_quota");

  const auto mistral = gd::openai::decode_error(
      R"({"object":"error","message":"Requests rate limit exceeded","type":"rate_limited","param":null,"code":"1300"})");
  CHECK(mistral.message == "Requests rate limit exceeded");
  CHECK(mistral.code == "1300");
  CHECK(mistral.type == "rate_limited");

  const auto openrouter = gd::openai::decode_error(
      R"({"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"upstream says slow down",)"
      R"("headers":{"X-RateLimit-Remaining":"0"}}}})");
  CHECK(openrouter.code == "429");
  CHECK(openrouter.upstream == "upstream says slow down");
  REQUIRE(openrouter.meta_headers.size() == 1);
  CHECK(openrouter.meta_headers[0].first == "X-RateLimit-Remaining");
  CHECK(openrouter.meta_headers[0].second == "0");

  const auto azure = gd::azure::decode_error(
      R"({"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}})");
  CHECK(azure.code == "429");
  CHECK(azure.message.starts_with("Requests to the ChatCompletions_Create"));

  const auto anthropic = gd::anthropic::decode_error(
      R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}})");
  CHECK(anthropic.type == "rate_limit_error");  // the envelope's "error" is not the kind
  CHECK(anthropic.message.starts_with("Number of request tokens"));

  const auto gemini = gd::gemini::decode_error(
      R"([{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[)"
      R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier",)"
      R"("quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaValue":"0"}]},)"
      R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"41s"}]}}])");
  CHECK(gemini.status == "RESOURCE_EXHAUSTED");
  CHECK(gemini.code == "429");
  REQUIRE(gemini.quota_ids.size() == 1);
  CHECK(gemini.quota_ids[0] ==
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier generativelanguage.googleapis.com/generate_content_free_tier_requests");
  CHECK(gemini.quota_zero);
  CHECK(gemini.retry_delay == std::optional<Duration>(41s));
}

TEST_CASE("an error body is read the same by its dialect's home and in any shape, text included",
          "[dialect][error]") {
  for (std::string_view body : {std::string_view{R"({"error":{"message":"m","type":"t","code":"c"}})"},
                                std::string_view{R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"},
                                std::string_view{R"({"title":"Too Many Requests","detail":"slow down","status":429})"},
                                std::string_view{"upstream connect error or disconnect/reset before headers"},
                                std::string_view{""}}) {
    CAPTURE(body);
    const gp::ErrorBody any = gd::decode_error(body);
    for (gp::Dialect d : {gp::Dialect::openai, gp::Dialect::azure, gp::Dialect::anthropic, gp::Dialect::gemini,
                          gp::Dialect::mistral, gp::Dialect::openrouter, gp::Dialect::groq, gp::Dialect::deepseek}) {
      const gp::ErrorBody home = gd::decode_error(d, body);
      CHECK(home.json == any.json);
      CHECK(home.message == any.message);
      CHECK(home.code == any.code);
      CHECK(home.type == any.type);
      CHECK(home.status == any.status);
    }
  }
  CHECK(gd::decode_error("plain text, not JSON").message == "plain text, not JSON");
  CHECK_FALSE(gd::decode_error("plain text, not JSON").json);
}
