// Every reply the simulator can send, in every dialect it speaks, read by the real classifier:
// what the governor does with a simulated failure is what it does with the real one.
#include <governed/sim/replies.hpp>

#include <governed/dialect/classify.hpp>
#include <governed/providers/classify.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string_view>

using namespace governed;
using namespace std::chrono_literals;
namespace gp = governed::providers;

namespace {

constexpr std::string_view dialects[] = {"openai", "groq",    "anthropic", "gemini",
                                         "azure",  "mistral", "openrouter", "deepseek"};

// A fixed wall time, so `date` and the reset headers are the same on every run.
const WallTime noon{std::chrono::seconds{1735732800}};

gp::Verdict classify(std::string_view provider, const sim::ProviderReply& r) {
  const auto hs = r.header_view();
  return governed::dialect::classify(provider, r.status, gp::HeaderView{hs}, r.body, noon);
}

sim::Speaker speaker(std::string_view provider) {
  const gp::Provider* p = gp::builtin_table().provider(provider);
  REQUIRE(p);
  return sim::Speaker{*p, "sim-model-1", "org-sim", noon, 7};
}

struct Expect {
  gp::Kind kind;
  bool retryable;
  bool rotate_key;
};

Expect expected(sim::Failure f) {
  switch (f) {
    case sim::Failure::billing: return {gp::Kind::insufficient_quota_billing, false, true};
    case sim::Failure::invalid_key: return {gp::Kind::auth, false, true};
    case sim::Failure::forbidden: return {gp::Kind::permission_denied, false, false};
    case sim::Failure::unknown_model: return {gp::Kind::permission_denied, false, false};
    case sim::Failure::overloaded: return {gp::Kind::overloaded, true, false};
    case sim::Failure::server_error: return {gp::Kind::server_error, true, false};
  }
  return {gp::Kind::bad_request, false, false};
}

constexpr sim::Failure failures[] = {sim::Failure::billing,       sim::Failure::invalid_key,
                                     sim::Failure::forbidden,     sim::Failure::unknown_model,
                                     sim::Failure::overloaded,    sim::Failure::server_error};

}  // namespace

TEST_CASE("every simulated failure is classified as its kind in every dialect", "[sim][classify]") {
  for (std::string_view provider : dialects) {
    for (sim::Failure f : failures) {
      const sim::ProviderReply r = sim::failure(speaker(provider), f);
      const auto v = classify(provider, r);
      const Expect e = expected(f);
      CAPTURE(provider, static_cast<int>(f), r.status, r.body);
      CHECK(gp::to_string(v.kind) == gp::to_string(e.kind));
      CHECK(v.retryable == e.retryable);
      CHECK(v.rotate_key == e.rotate_key);
    }
  }
}

TEST_CASE("the statuses are the providers' own", "[sim][classify]") {
  auto status = [](std::string_view p, sim::Failure f) { return sim::failure(speaker(p), f).status; };
  CHECK(status("anthropic", sim::Failure::overloaded) == 529);
  CHECK(status("anthropic", sim::Failure::billing) == 400);  // "credit balance is too low"
  CHECK(status("openai", sim::Failure::billing) == 429);     // insufficient_quota
  CHECK(status("openrouter", sim::Failure::billing) == 402);
  CHECK(status("mistral", sim::Failure::billing) == 402);
  CHECK(status("deepseek", sim::Failure::billing) == 402);
  CHECK(status("gemini", sim::Failure::invalid_key) == 400);  // API_KEY_INVALID
  for (std::string_view p : dialects) {
    CAPTURE(p);
    if (p != "gemini") CHECK(status(p, sim::Failure::invalid_key) == 401);
    CHECK(status(p, sim::Failure::forbidden) == 403);
    CHECK(status(p, sim::Failure::server_error) == 500);
  }
}

TEST_CASE("Gemini's spent prepaid credit is billing, not a rate limit, though it comes as 429",
          "[sim][classify]") {
  const sim::ProviderReply r = sim::failure(speaker("gemini"), sim::Failure::billing);
  CHECK(r.status == 429);
  const auto v = classify("gemini", r);
  CHECK(gp::to_string(v.kind) == "insufficient_quota_billing");
  CHECK(v.rotate_key);
  CHECK_FALSE(v.retryable);
  CHECK_FALSE(v.wait);
}

TEST_CASE("an unknown model moves on to the next model in every dialect", "[sim][classify]") {
  // Anthropic's 404 not_found_error "model: …", Mistral's 400 invalid_model and OpenRouter's
  // 400 "… is not a valid model ID" mean what OpenAI's 404 model_not_found means: this model
  // cannot serve the call, the next one can.
  for (std::string_view provider : dialects) {
    CAPTURE(provider);
    const auto v = classify(provider, sim::failure(speaker(provider), sim::Failure::unknown_model));
    CHECK(gp::to_string(v.kind) == "permission_denied");
    CHECK(v.scope == gp::Scope::model);
    CHECK_FALSE(v.retryable);
    CHECK_FALSE(v.rotate_key);
  }
}

TEST_CASE("every simulated rate limit is classified as the window and measure it hit", "[sim][classify]") {
  struct Case {
    sim::Measure measure;
    sim::Span span;
  };
  const Case cases[] = {{sim::Measure::requests, sim::Span::minute},
                        {sim::Measure::tokens, sim::Span::minute},
                        {sim::Measure::input_tokens, sim::Span::minute},
                        {sim::Measure::output_tokens, sim::Span::minute},
                        {sim::Measure::requests, sim::Span::day},
                        {sim::Measure::tokens, sim::Span::day}};
  for (std::string_view provider : dialects) {
    for (const auto& c : cases) {
      const bool day = c.span == sim::Span::day;
      const bool tokens = c.measure != sim::Measure::requests;
      // OpenRouter counts requests per day (free models) but no tokens per day.
      if (provider == "openrouter" && day && tokens) continue;
      for (bool header : {true, false}) {
        const Duration wait = day ? Duration{5h + 12min + 7s + 250ms} : Duration{12s + 345ms};
        const sim::Refusal refusal{c.measure, c.span, 1000, 990, 40, wait};
        // The limit that refused, as the provider's headers report it beside the body.
        sim::Readings readings;
        const sim::Reading spent{1000, 0, wait};
        if (c.measure == sim::Measure::requests) (day ? readings.requests_day : readings.requests_minute) = spent;
        else if (c.measure == sim::Measure::tokens) (day ? readings.tokens_day : readings.tokens_minute) = spent;
        else if (c.measure == sim::Measure::input_tokens) readings.input_minute = spent;
        else readings.output_minute = spent;
        const sim::Speaker who = speaker(provider);
        sim::ProviderReply r = sim::rate_limited(who, refusal, header);
        sim::common_headers(who, readings, r);
        const auto v = classify(provider, r);
        CAPTURE(provider, static_cast<int>(c.measure), day, header, r.body);
        CHECK(r.status == 429);
        gp::Kind kind;
        if (provider == "openrouter" && day) kind = gp::Kind::quota_daily;
        else if (day) kind = tokens ? gp::Kind::rate_limit_tokens_daily : gp::Kind::rate_limit_requests_daily;
        else kind = tokens ? gp::Kind::rate_limit_tokens : gp::Kind::rate_limit_requests;
        CHECK(gp::to_string(v.kind) == gp::to_string(kind));
        CHECK(v.rotate_key == day);
        if (!day) CHECK(v.retryable);
        // The wait is never shorter than the one enforced: a client that obeys it is admitted.
        // Without retry-after, Mistral states no wait at all, Anthropic (whose headers report
        // per-minute limits only) none for a daily limit, OpenRouter (whose headers report
        // requests only) none for tokens.
        const bool stated = header || (provider != "mistral" && !(provider == "anthropic" && day) &&
                                       !(provider == "openrouter" && tokens));
        if (stated && !(provider == "openrouter" && day)) {
          REQUIRE(v.wait);
          CHECK(*v.wait >= wait);
          CHECK(*v.wait <= wait + 1s);
        }
      }
    }
  }
}

TEST_CASE("a request larger than the limit is never retryable", "[sim][classify]") {
  for (std::string_view provider : {"openai", "groq", "deepseek"}) {
    const sim::Refusal too_big{sim::Measure::tokens, sim::Span::minute, 6000, 0, 12903, std::nullopt};
    const sim::ProviderReply r = sim::rate_limited(speaker(provider), too_big);
    const auto v = classify(provider, r);
    CAPTURE(provider, r.body);
    CHECK(v.kind == gp::Kind::rate_limit_tokens);
    CHECK_FALSE(v.retryable);
    CHECK_FALSE(v.wait);
    CHECK_FALSE(r.header("retry-after"));
  }
}
