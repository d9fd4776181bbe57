#include <governed/providers/classify.hpp>

#include <governed/dialect/classify.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gp = governed::providers;
using namespace std::chrono_literals;

namespace {

std::filesystem::path vectors_dir() {
  if (const char* env = std::getenv("GOVERNED_VECTORS"); env && *env) return env;
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data";
}

const governed::WallTime test_now = governed::WallTime{std::chrono::seconds{1'790'000'000}};

struct Case {
  std::string provider;
  int status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

gp::Verdict run(const Case& c, governed::WallTime now = test_now) {
  std::vector<gp::Header> hs;
  for (const auto& [k, v] : c.headers) hs.push_back({k, v});
  return governed::dialect::classify(c.provider, c.status, gp::HeaderView{hs}, c.body, now);
}

}  // namespace

TEST_CASE("every shared reply vector classifies as labelled", "[providers][vectors]") {
  std::ifstream in(vectors_dir() / "provider_replies.jsonl");
  REQUIRE(in);
  std::string line;
  int total = 0, passed = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ++total;
    Case c{j.at("provider"), j.at("status"), {}, j.at("body")};
    for (const auto& [k, v] : j.at("headers").items()) c.headers.emplace_back(k, v.get<std::string>());
    const auto v = run(c);
    const auto& e = j.at("expect");
    INFO(j.at("id").get<std::string>() << ": got " << gp::to_string(v.kind) << " retryable=" << v.retryable
         << " rotate=" << v.rotate_key << " wait="
         << (v.wait ? std::to_string(std::chrono::duration<double>(*v.wait).count()) : "null"));
    bool ok = gp::to_string(v.kind) == e.at("kind").get<std::string>() &&
              v.retryable == e.at("retryable").get<bool>() && v.rotate_key == e.at("rotate_key").get<bool>();
    if (e.at("wait_seconds").is_null()) {
      ok = ok && !v.wait;
    } else {
      const double want = e.at("wait_seconds").get<double>();
      const double got = v.wait ? std::chrono::duration<double>(*v.wait).count() : -1e9;
      ok = ok && std::abs(got - want) <= std::max(0.01, want * 0.01);
    }
    CHECK(ok);
    passed += ok;
  }
  WARN("provider reply vectors: " << passed << " / " << total << " pass");
  CHECK(total >= 33);
}

namespace {

struct Expect {
  gp::Kind kind;
  bool retryable;
  bool rotate_key;
  std::optional<double> wait_seconds;
};

void expect(const Case& c, const Expect& e, governed::WallTime now = test_now) {
  const auto v = run(c, now);
  INFO(c.provider << " " << c.status << " " << c.body << " -> " << gp::to_string(v.kind));
  CHECK(v.kind == e.kind);
  CHECK(v.retryable == e.retryable);
  CHECK(v.rotate_key == e.rotate_key);
  if (e.wait_seconds) {
    REQUIRE(v.wait);
    CHECK(std::chrono::duration<double>(*v.wait).count() == Approx(*e.wait_seconds));
  } else {
    CHECK_FALSE(v.wait);
  }
}

}  // namespace

TEST_CASE("Anthropic dialect: types first, then the phrases", "[providers][classify]") {
  using K = gp::Kind;
  expect({"anthropic", 429, {{"retry-after", "12"}},
          R"({"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (6f9f4c0a-1b2c-4d5e-8f90-a1b2c3d4e5f6) of 50 requests per minute."}})"},
         {K::rate_limit_requests, true, false, 12.0});
  expect({"anthropic", 429, {},
          R"({"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your organization's rate limit of 40,000 input tokens per minute."}})"},
         {K::rate_limit_tokens, true, false, std::nullopt});
  expect({"anthropic", 401, {}, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"},
         {K::auth, false, true, std::nullopt});
  expect({"anthropic", 403, {}, R"({"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}})"},
         {K::permission_denied, false, false, std::nullopt});
  expect({"anthropic", 400, {}, R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208000 tokens > 200000 maximum"}})"},
         {K::context_length_exceeded, false, false, std::nullopt});
  expect({"anthropic", 413, {}, R"({"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}})"},
         {K::bad_request, false, false, std::nullopt});
  expect({"anthropic", 503, {}, R"({"type":"error","error":{"type":"api_error","message":"Service unavailable"}})"},
         {K::overloaded, true, false, std::nullopt});
  // A monthly spend limit that names the day it lifts.
  const auto june = governed::WallTime{date::sys_days{date::year{2025} / 6 / 30}.time_since_epoch()} + 12h;
  expect({"anthropic", 400, {}, R"({"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2025-07-01 at 00:00 UTC."}})"},
         {K::quota_monthly, false, true, 12 * 3600.0}, june);
}

TEST_CASE("the organisation id in a rate-limit message never reaches the detail", "[providers][classify][redact]") {
  const auto v = run({"anthropic", 429, {},
                      R"({"type":"error","error":{"type":"rate_limit_error","message":"rate limit for your organization (6f9f4c0a-1b2c-4d5e-8f90-a1b2c3d4e5f6) of 50 requests per minute"}})"});
  CHECK(v.detail.find("6f9f4c0a") == std::string::npos);
  const auto o = run({"openai", 429, {}, R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.","type":"tokens","code":"rate_limit_exceeded"}})"});
  CHECK(o.detail.find("uOtiSEwv") == std::string::npos);
  CHECK(o.requested == 385);
  CHECK(o.limit == 30000);
}

TEST_CASE("OpenAI and compatible dialects", "[providers][classify]") {
  using K = gp::Kind;
  expect({"openai", 401, {}, R"({"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})"},
         {K::auth, false, true, std::nullopt});
  expect({"openai", 404, {}, R"({"error":{"message":"The model `gpt-7` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})"},
         {K::permission_denied, false, false, std::nullopt});
  expect({"openai", 400, {}, R"({"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","code":"content_policy_violation"}})"},
         {K::content_filter, false, false, std::nullopt});
  expect({"openai", 500, {}, R"({"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error"}})"},
         {K::server_error, true, false, std::nullopt});
  expect({"openai", 429, {}, R"({"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error"}})"},
         {K::overloaded, true, false, std::nullopt});
  // No body: the headers say the tokens ran out and when they come back.
  expect({"openai", 429, {{"x-ratelimit-limit-tokens", "30000"}, {"x-ratelimit-remaining-tokens", "0"},
                          {"x-ratelimit-reset-tokens", "6m0s"}, {"x-ratelimit-remaining-requests", "499"}}, ""},
         {K::rate_limit_tokens, true, false, 360.0});
  expect({"vllm", 502, {}, "<html><body><h1>502 Bad Gateway</h1></body></html>"},
         {K::server_error, true, false, std::nullopt});
  expect({"together", 429, {{"retry-after-ms", "1500"}, {"retry-after", "9"}}, ""},
         {K::rate_limit_unspecified, true, false, 1.5});
  expect({"bedrock", 400, {}, R"({"message":"Input is too long for requested model."})"},
         {K::context_length_exceeded, false, false, std::nullopt});
  expect({"bedrock", 429, {}, R"({"message":"Too many requests, please wait before trying again."})"},
         {K::rate_limit_requests, true, false, std::nullopt});
  expect({"litellm", 429, {}, "Too Many Requests"}, {K::rate_limit_unspecified, true, false, std::nullopt});
}

TEST_CASE("Azure, Groq, OpenRouter, Mistral and DeepSeek dialects", "[providers][classify]") {
  using K = gp::Kind;
  expect({"azure", 429, {{"x-ms-retry-after-ms", "500"}}, R"({"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-02-01 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 2 seconds."}})"},
         {K::rate_limit_requests, true, false, 0.5});
  expect({"azure", 400, {}, R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400}})"},
         {K::content_filter, false, false, std::nullopt});
  expect({"azure", 401, {}, R"({"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}})"},
         {K::auth, false, true, std::nullopt});
  expect({"groq", 413, {}, R"({"error":{"message":"Request too large for model `llama-3.1-8b-instant` in organization `org_01abcdefghij` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Requested 8119, please reduce your message size and try again.","type":"tokens","code":"rate_limit_exceeded"}})"},
         {K::rate_limit_tokens, false, false, std::nullopt});
  expect({"groq", 429, {}, R"({"error":{"message":"Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_x` service tier `on_demand` on requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in 1m26.4s.","type":"requests","code":"rate_limit_exceeded"}})"},
         {K::rate_limit_requests_daily, true, true, 86.4});
  expect({"groq", 498, {}, R"({"error":{"message":"Flex tier capacity exceeded. Please try again later.","type":"capacity_exceeded"}})"},
         {K::overloaded, true, false, std::nullopt});
  expect({"groq", 400, {}, R"({"error":{"message":"The model `mixtral-8x7b-32768` has been decommissioned and is no longer supported.","type":"invalid_request_error","code":"model_decommissioned"}})"},
         {K::permission_denied, false, false, std::nullopt});
  expect({"openrouter", 429, {}, R"({"error":{"message":"Rate limit exceeded: free-models-per-min.","code":429}})"},
         {K::rate_limit_requests, true, false, std::nullopt});
  expect({"openrouter", 401, {}, R"({"error":{"message":"No auth credentials found","code":401}})"},
         {K::auth, false, true, std::nullopt});
  expect({"openrouter", 403, {}, R"({"error":{"message":"Input flagged by moderation","code":403,"metadata":{"reasons":["violence"],"flagged_input":"..."}}})"},
         {K::content_filter, false, false, std::nullopt});
  expect({"openrouter", 429, {}, R"({"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"google/gemini-2.0-flash-exp:free is temporarily rate-limited upstream. Please retry shortly.","provider_name":"Google"}}})"},
         {K::overloaded, true, false, std::nullopt});
  expect({"mistral", 429, {}, R"({"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"})"},
         {K::rate_limit_unspecified, true, false, std::nullopt});
  expect({"mistral", 429, {}, R"({"object":"error","message":"Service tier capacity exceeded for this model.","type":"service_tier_capacity_exceeded","param":null,"code":"3505"})"},
         {K::overloaded, true, false, std::nullopt});
  expect({"deepseek", 402, {}, R"({"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}})"},
         {K::insufficient_quota_billing, false, true, std::nullopt});
  expect({"deepseek", 503, {}, R"({"error":{"message":"Server Overloaded"}})"}, {K::overloaded, true, false, std::nullopt});
}

TEST_CASE("Gemini: QuotaFailure decides the window; a daily quota resets at midnight Pacific", "[providers][classify]") {
  using K = gp::Kind;
  const std::string daily = R"({"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"250"}]}]}})";
  // 2025-07-10 12:00 UTC = 05:00 PDT: the allowance is back at 07:00 UTC the next day.
  const auto now = governed::WallTime{date::sys_days{date::year{2025} / 7 / 10}.time_since_epoch()} + 12h;
  const auto v = run({"gemini", 429, {}, daily}, now);
  CHECK(v.kind == K::rate_limit_requests_daily);
  CHECK(v.rotate_key);
  CHECK(v.scope == gp::Scope::account);
  REQUIRE(v.resets_at);
  CHECK(*v.resets_at - now == governed::Duration{19h});
  expect({"gemini", 403, {}, R"({"error":{"code":403,"message":"Your API key was reported as leaked. Please use another API key.","status":"PERMISSION_DENIED"}})"},
         {K::auth, false, true, std::nullopt});
  expect({"gemini", 404, {}, R"({"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}})"},
         {K::permission_denied, false, false, std::nullopt});
  expect({"gemini", 400, {}, R"({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})"},
         {K::context_length_exceeded, false, false, std::nullopt});
  expect({"gemini", 500, {}, R"({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}})"},
         {K::server_error, true, false, std::nullopt});
}

TEST_CASE("successes carry their limit headers and are never read for errors", "[providers][classify]") {
  const auto v = run({"groq", 200, {{"x-ratelimit-limit-requests", "14400"}, {"x-ratelimit-remaining-requests", "14399"},
                                    {"x-ratelimit-limit-tokens", "6000"}, {"x-ratelimit-remaining-tokens", "5000"},
                                    {"x-ratelimit-reset-tokens", "10s"}},
                      R"({"error": "this is the model's text, not an error"})"});
  CHECK(v.kind == gp::Kind::success);
  CHECK_FALSE(v.retryable);
  CHECK(v.limits.requests.remaining == 14399);
  CHECK(v.limits.requests.window == governed::Duration{24h});  // Groq counts requests per day
  CHECK(v.limits.tokens.reset_after == governed::Duration{10s});
}

TEST_CASE("transport failures: retry only what provably never arrived, or is idempotent", "[providers][classify]") {
  using F = gp::NetworkFailure;
  CHECK(gp::classify_network_failure(F::connect_refused, false).retryable);
  CHECK(gp::classify_network_failure(F::tls_handshake, false).retryable);
  CHECK_FALSE(gp::classify_network_failure(F::read_timeout, false).retryable);
  CHECK(gp::classify_network_failure(F::read_timeout, true).retryable);
  CHECK(gp::classify_network_failure(F::connection_reset, false).kind == gp::Kind::network_error);
  CHECK(run({"openai", 0, {}, ""}).kind == gp::Kind::network_error);
  // A request its provider's format can not hold would be written the same way again.
  CHECK_FALSE(gp::classify_network_failure(F::not_encodable, true).retryable);
  CHECK_FALSE(gp::classify_network_failure(F::not_encodable, false).retryable);
}

TEST_CASE("hostile bodies and headers get a verdict, never a crash", "[providers][classify]") {
  const std::string deep(100000, '[');
  CHECK(run({"openai", 429, {}, deep}).kind == gp::Kind::rate_limit_unspecified);
  CHECK(run({"gemini", 400, {}, "[]"}).kind == gp::Kind::bad_request);
  CHECK(run({"gemini", 429, {}, R"([{"error": 5}])"}).kind == gp::Kind::rate_limit_unspecified);
  CHECK(run({"openai", 400, {}, R"({"error": {"message": 12, "code": {"x": 1}}})"}).kind == gp::Kind::bad_request);
  const auto v = run({"openai", 429, {{"retry-after", "Fri, 99 Foo 2023 99:99:99 GMT"}, {"x-ratelimit-reset-tokens", "\xff\xfe"}},
                      std::string(300000, 'x')});
  CHECK(v.kind == gp::Kind::rate_limit_unspecified);
  CHECK_FALSE(v.wait);
  CHECK(v.detail.size() <= 300);
}

TEST_CASE("regressions: shapes met beyond the sample vectors", "[providers][classify]") {
  using K = gp::Kind;
  // Anthropic through an OpenAI-compatible proxy ends its rate-limit text with "try again
  // later": the explicit code outranks that phrase.
  expect({"litellm", 429, {}, R"({"error": {"code": "rate_limit_error", "message": "This request would exceed the rate limit for your organization of 20,000 input tokens per minute. Please reduce the prompt length or the maximum tokens requested, or try again later.", "type": "invalid_request_error", "param": null}})"},
         {K::rate_limit_tokens, true, false, std::nullopt});
  expect({"anthropic", 429, {}, R"({"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your account's rate limit. Please try again later."}})"},
         {K::rate_limit_unspecified, true, false, std::nullopt});
  expect({"anthropic", 429, {}, R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage."}})"},
         {K::rate_limit_tokens, true, false, std::nullopt});
  // Gemini: three quotas exceeded at once; the daily one will not clear by waiting a minute.
  expect({"gemini", 429, {}, R"({"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[
            {"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_input_token_count","quotaId":"GenerateContentInputTokensPerModelPerMinute-FreeTier","quotaDimensions":{"location":"global","model":"m"}},
            {"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"},
            {"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"43s"}]}})"},
         {K::rate_limit_requests_daily, true, true, 43.0});
  // A free tier that has no quota for the model at all: no wait helps.
  expect({"gemini", 429, {}, R"({"error":{"code":429,"message":"You exceeded your current quota.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro\nPlease retry in 20.04466179s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaValue":"0"}]}]}})"},
         {K::rate_limit_requests, false, false, std::nullopt});
  expect({"gemini", 429, {}, R"({"error":{"code":429,"message":"You exceeded your current quota. Please retry in 20.04466179s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaValue":"10"}]}]}})"},
         {K::rate_limit_requests, true, false, 20.04466179});
}

TEST_CASE("rate-limit dimensions from abbreviations and other servers' wording", "[providers][classify]") {
  using K = gp::Kind;
  expect({"ernie", 429, {}, R"({"error": {"code": "rpm_rate_limit_exceeded", "message": "Rate limit reached for RPM", "type": "rate_limit_exceeded"}})"},
         {K::rate_limit_requests, true, false, std::nullopt});
  expect({"together", 429, {}, R"({"error": {"message": "You have been rate limited. Your rate limit is 60 queries per minute. Please navigate to the billing settings to upgrade to a paid plan.", "type": "credit_limit", "param": null, "code": null}})"},
         {K::rate_limit_requests, true, false, std::nullopt});
  expect({"cerebras", 429, {}, "Tokens per minute limit exceeded - too many tokens processed."},
         {K::rate_limit_tokens, true, false, std::nullopt});
  expect({"cerebras", 429, {}, R"({"message": "Requests per day limit exceeded - too many requests sent.", "type": "too_many_requests_error", "code": "request_quota_exceeded"})"},
         {K::rate_limit_requests_daily, true, true, std::nullopt});
  // "today" is not a daily window (Groq ends its per-minute messages "Upgrade to Dev Tier today").
  expect({"groq", 429, {}, R"({"error":{"message":"Rate limit reached for model `llama-3.1-8b-instant` in organization `org_x` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5000, Requested 1500. Please try again in 5s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing","type":"tokens","code":"rate_limit_exceeded"}})"},
         {K::rate_limit_tokens, true, false, 5.0});
}

TEST_CASE("accounts switched off, key spend caps and regions", "[providers][classify]") {
  using K = gp::Kind;
  expect({"openai", 401, {}, R"({"error":{"message":"This key is associated with a deactivated account.","type":"invalid_request_error","code":"account_deactivated"}})"},
         {K::auth, false, true, std::nullopt});
  expect({"groq", 400, {}, R"({"error":{"message":"Organization has been restricted. Please reach out to support.","type":"invalid_request_error","code":"organization_restricted"}})"},
         {K::auth, false, true, std::nullopt});
  expect({"openrouter", 403, {}, R"({"error":{"message":"Key limit exceeded (daily limit). Manage it using the key settings.","code":403}})"},
         {K::quota_daily, false, true, std::nullopt});
  expect({"openrouter", 403, {}, R"({"error":{"message":"Key limit exceeded (total limit). Manage it using the key settings.","code":403}})"},
         {K::insufficient_quota_billing, false, true, std::nullopt});
  expect({"gemini", 400, {}, R"({"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}})"},
         {K::permission_denied, false, false, std::nullopt});
  expect({"openai", 400, {}, R"({"error":{"message":"max_tokens is too large: 50000. This model supports at most 16384 completion tokens.","type":"invalid_request_error","param":"max_tokens","code":null}})"},
         {K::bad_request, false, false, std::nullopt});
  expect({"openrouter", 429, {}, R"({"error":{"message":"Rate limit exceeded: limit_rpm/google/gemini-2.5-pro-exp-03-25/abc. High demand for this model.","code":429}})"},
         {K::overloaded, true, false, std::nullopt});
  expect({"azure", 429, {}, R"({"error":{"code":"RateLimitReached","message":"Rate limit is exceeded. Try again in 1 seconds."}})"},
         {K::rate_limit_unspecified, true, false, 1.0});
}

TEST_CASE("Gemini's spent prepaid credit is billing; its quotas stay rate limits", "[providers][classify]") {
  using K = gp::Kind;
  // The API sent it as 429 RESOURCE_EXHAUSTED, the status of every quota, with no details:
  // only the words tell it apart. No wait brings the credit back: another account at once.
  expect({"gemini", 429, {}, R"({"error":{"code":429,"message":"Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing. Learn more at https://ai.google.dev/gemini-api/docs/billing#prepay. ","status":"RESOURCE_EXHAUSTED"}})"},
         {K::insufficient_quota_billing, false, true, std::nullopt});
  // Since the API moved it to 402 Payment Required.
  expect({"gemini", 402, {}, R"({"error":{"code":402,"message":"Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing. Learn more at https://ai.google.dev/gemini-api/docs/billing#prepay.","status":"RESOURCE_EXHAUSTED"}})"},
         {K::insufficient_quota_billing, false, true, std::nullopt});
  // Gemini's OpenAI-compatible endpoint, called as an unknown OpenAI-compatible server.
  expect({"gemini-openai", 429, {}, R"({"error":{"code":429,"message":"Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing.","status":"RESOURCE_EXHAUSTED"}})"},
         {K::insufficient_quota_billing, false, true, std::nullopt});
  // Quotas speak of "plan and billing details" too, and keep their window and dimension.
  const std::string billing_words = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.";
  expect({"gemini", 429, {}, R"({"error":{"code":429,"message":")" + billing_words + R"(","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.0-flash"},"quotaValue":"15"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"31s"}]}})"},
         {K::rate_limit_requests, true, false, 31.0});
  const auto day = run({"gemini", 429, {}, R"({"error":{"code":429,"message":")" + billing_words + R"(","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.0-flash"},"quotaValue":"200"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"14s"}]}})"});
  CHECK(day.kind == K::rate_limit_requests_daily);
  CHECK(day.rotate_key);
  expect({"gemini", 429, {}, R"({"error":{"code":429,"message":")" + billing_words + R"(","status":"RESOURCE_EXHAUSTED"}})"},
         {K::rate_limit_unspecified, true, false, std::nullopt});
  expect({"gemini", 429, {}, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})"},
         {K::rate_limit_unspecified, true, false, std::nullopt});
}

TEST_CASE("an unknown, retired or undeployed model moves on to the next model in every dialect",
          "[providers][classify]") {
  using K = gp::Kind;
  const Expect next_model{K::permission_denied, false, false, std::nullopt};
  // Anthropic: 404 not_found_error naming the field.
  expect({"anthropic", 404, {}, R"({"type":"error","error":{"type":"not_found_error","message":"model: claude-3-5-sonnet-latest"},"request_id":"req_011CaSimulatedNotFound01"})"}, next_model);
  // Mistral: 400 invalid_model, code 1500.
  expect({"mistral", 400, {}, R"({"object":"error","message":"Invalid model: mistral-medium-3.5","type":"invalid_model","param":null,"code":"1500"})"}, next_model);
  // OpenRouter: 400 for an id it does not know, 404 for a model no provider serves any more
  // (or none that can serve this request).
  expect({"openrouter", 400, {}, R"({"error":{"message":"claude-sonnet-4-6 is not a valid model ID","code":400},"user_id":"user_0000000000000000000000000000"})"}, next_model);
  expect({"openrouter", 404, {}, R"({"error":{"message":"No endpoints found for deepseek/deepseek-chat-v3.1:free.","code":404}})"}, next_model);
  expect({"openrouter", 404, {}, R"({"error":{"message":"No endpoints found that support tool use. To learn more about provider routing, visit: https://openrouter.ai/docs/provider-routing","code":404}})"}, next_model);
  // Groq: 404 model_not_found, 400 model_decommissioned (in its newer envelope).
  expect({"groq", 404, {}, R"({"error":{"message":"The model `llama3-70b` does not exist or you do not have access to it.","type":"invalid_request_error","code":"model_not_found"}})"}, next_model);
  expect({"groq", 400, {}, R"({"request_id":"req_01kjf0gsxyej1syt7a6t1dptd1","created_at":"2026-02-27T07:37:56.926Z","error":{"message":"The model `deepseek-r1-distill-llama-70b` has been decommissioned and is no longer supported. Please refer to https://console.groq.com/docs/deprecations for a recommendation on which model to use instead.","type":"invalid_request_error","param":"","code":"model_decommissioned"}})"}, next_model);
  // DeepSeek: 400 whose code is only invalid_request_error; the words name the model.
  expect({"deepseek", 400, {}, R"({"error":{"message":"Model Not Exist","type":"invalid_request_error","param":null,"code":"invalid_request_error"}})"}, next_model);
  // Azure OpenAI: no deployment of that name; a deployment whose model cannot chat.
  expect({"azure", 404, {}, R"({"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}})"}, next_model);
  expect({"azure", 400, {}, R"({"error":{"code":"OperationNotSupported","message":"The chatCompletion operation does not work with the specified model, text-embedding-3-large. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993."}})"}, next_model);
  // Azure AI model inference.
  expect({"azure", 404, {}, R"({"error":{"code":"unknown_model","message":"Unknown model: /Phi-3.5-MoE-instruct","details":"Unknown model: /Phi-3.5-MoE-instruct"}})"}, next_model);
  // Gemini: a retired model answers 404 NOT_FOUND with its retirement date.
  expect({"gemini", 404, {}, R"({"error":{"code":404,"message":"Gemini 1.0 Pro Vision has been deprecated on July 12, 2024. Consider switching to different model, for example gemini-1.5-flash.","status":"NOT_FOUND"}})"}, next_model);
  // Together: a model with no serverless endpoint.
  expect({"together", 400, {}, R"({"id":"okkMHaP-2kFHot-a023f4f7ce12ff7e","error":{"message":"Unable to access non-serverless model deepcogito/cogito-v1-preview-llama-8B. Please visit https://api.together.ai/models/deepcogito/cogito-v1-preview-llama-8B to create and start a new dedicated endpoint for the model.","type":"invalid_request_error","param":null,"code":"model_not_available"}})"}, next_model);
  // Bedrock: a model id it does not know (a bare name, or one not offered in the region).
  expect({"bedrock", 400, {}, R"({"message":"The provided model identifier is invalid."})"}, next_model);
  // A LiteLLM proxy that knows no model of that name.
  expect({"litellm", 400, {}, R"({"error":{"message":"400: {'error': 'Invalid model name passed in model=Lite-GPT-12'}","type":"None","param":"None","code":400}})"}, next_model);
}

TEST_CASE("a wrong request or a wrong path is not a wrong model", "[providers][classify]") {
  using K = gp::Kind;
  const Expect return_it{K::bad_request, false, false, std::nullopt};
  // A parameter "not supported with this model" is the request's fault: every call with it
  // fails the same way on this model, and the caller has to change it.
  expect({"openai", 400, {}, R"({"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}})"}, return_it);
  expect({"openai", 400, {}, R"({"error":{"message":"Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported.","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}})"}, return_it);
  expect({"anthropic", 400, {}, R"({"type":"error","error":{"type":"invalid_request_error","message":"model: Field required"}})"}, return_it);
  // A 404 that names no model is a wrong base URL or path: no model will fix it, the
  // configuration must.
  expect({"openai", 404, {}, R"json({"error":{"message":"Invalid URL (POST /v1/chat/completion)","type":"invalid_request_error","param":null,"code":null}})json"}, return_it);
  expect({"anthropic", 404, {}, R"({"type":"error","error":{"type":"not_found_error","message":"Not Found"}})"}, return_it);
  expect({"vllm", 404, {}, R"({"detail":"Not Found"})"}, return_it);
}
