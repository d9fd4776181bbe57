#include <governed/sim/replies.hpp>

#include "helpers.hpp"

#include <governed/dialect/answer_json.hpp>
#include <governed/providers/usage.hpp>

#include <catch2/catch.hpp>

using namespace simtest;
namespace gp = governed::providers;

namespace {

struct Target {
  const char* provider;
  const char* model;
  const char* key;
};

// One model and key shape per dialect the simulator speaks.
const Target targets[] = {
    {"openai", "gpt-4o-mini", "sk-proj-testkey"},
    {"groq", "llama-3.3-70b-versatile", "gsk_testkey"},
    {"anthropic", "claude-3-5-haiku-20241022", "sk-ant-api03-testkey"},
    {"gemini", "gemini-2.5-flash", "AIzaTestKey"},
    {"azure", "gpt-4o", "0123456789abcdef"},
    {"mistral", "mistral-small-latest", "mistral-test-key"},
    {"openrouter", "openai/gpt-4o-mini", "sk-or-v1-testkey"},
    {"deepseek", "deepseek-chat", "sk-deepseek-test"},
};

std::shared_ptr<sim::Provider> with_limits(const Target& t, sim::Limits l, bool retry_after = true) {
  return make({.provider = t.provider,
               .accounts = {{.id = "org-sim", .limits = l}},
               .keys = {{.key = t.key, .account = "org-sim"}},
               .per_model = true,
               .completion_tokens = 50,
               .retry_after_header = retry_after});
}

}  // namespace

TEST_CASE("every dialect's per-minute 429 is classified as the limit it hit", "[sim][dialect]") {
  for (const auto& t : targets) {
    if (std::string_view{t.provider} == "deepseek") continue;  // DeepSeek does not refuse by rate
    for (bool tokens : {false, true}) {
      CAPTURE(t.provider, tokens);
      clock::manual c;
      auto p = with_limits(t, tokens ? sim::Limits{.tpm = 150} : sim::Limits{.rpm = 2});
      REQUIRE(send(*p, c, t.key, t.model, 50).status == 200);
      c.advance(10s);
      REQUIRE(send(*p, c, t.key, t.model, 50).status == 200);
      c.advance(5s);
      auto r = send(*p, c, t.key, t.model, 50);
      REQUIRE(r.status == 429);
      CHECK(r.header("date"));
      auto v = classify(*p, r, c.wall_now());
      const auto expected = tokens ? gp::Kind::rate_limit_tokens : gp::Kind::rate_limit_requests;
      CHECK(gp::to_string(v.kind) == gp::to_string(expected));
      CHECK(v.retryable);
      CHECK_FALSE(v.rotate_key);
      // Azure limits the deployment behind the key; the others the account.
      CHECK(v.scope == (std::string_view{t.provider} == "azure" ? gp::Scope::key : gp::Scope::account));
      // The first request leaves the window 45 s (and 1 ns) from now.
      REQUIRE(v.wait);
      const std::string_view prov = t.provider;
      // Where the reply states the wait to the millisecond (Gemini's RetryInfo, Azure's
      // retry-after-ms, OpenAI's and Groq's "try again in 45.001s"), that is the wait;
      // otherwise retry-after's whole seconds, rounded up.
      if (prov == "gemini" || prov == "azure" || prov == "openai" || prov == "groq") CHECK(*v.wait == 45001ms);
      else CHECK(*v.wait == 46s);
      if (prov != "gemini") CHECK(r.header("retry-after") == "46");
      // Waiting that long is enough.
      c.advance(*v.wait);
      CHECK(send(*p, c, t.key, t.model, 50).status == 200);
    }
  }
}

TEST_CASE("every dialect's daily 429 rotates the key", "[sim][dialect]") {
  for (const auto& t : targets) {
    if (std::string_view{t.provider} == "deepseek") continue;
    for (bool tokens : {false, true}) {
      const std::string_view prov = t.provider;
      if (prov == "openrouter" && tokens) continue;  // OpenRouter limits free-model requests per day only
      CAPTURE(t.provider, tokens);
      clock::manual c;
      auto p = with_limits(t, tokens ? sim::Limits{.tpd = 150} : sim::Limits{.rpd = 2});
      REQUIRE(send(*p, c, t.key, t.model, 50).status == 200);
      c.advance(1h);
      REQUIRE(send(*p, c, t.key, t.model, 50).status == 200);
      auto r = send(*p, c, t.key, t.model, 50);
      REQUIRE(r.status == 429);
      auto v = classify(*p, r, c.wall_now());
      CHECK(v.rotate_key);
      CHECK(gp::is_exhaustion(v.kind));
      if (prov == "openrouter") {
        CHECK(v.kind == gp::Kind::quota_daily);
      } else {
        const auto expected = tokens ? gp::Kind::rate_limit_tokens_daily : gp::Kind::rate_limit_requests_daily;
        CHECK(gp::to_string(v.kind) == gp::to_string(expected));
        REQUIRE(v.wait);
        CHECK(*v.wait >= 23h);
        CHECK(*v.wait <= 23h + 1s);
      }
    }
  }
}

TEST_CASE("every dialect's auth, billing, permission and capacity errors are classified", "[sim][dialect]") {
  for (const auto& t : targets) {
    CAPTURE(t.provider);
    const std::string_view prov = t.provider;
    clock::manual c;
    auto p = make({.provider = t.provider,
                   .keys = {{.key = t.key, .account = "org-sim"},
                            {.key = "spent-key", .account = "org-spent", .status = sim::KeyStatus::exhausted},
                            {.key = "no-access-key", .account = "org-x", .forbidden_models = {t.model}}}});
    auto auth = send(*p, c, "wrong-key", t.model);
    auto va = classify(*p, auth, c.wall_now());
    CHECK(va.kind == gp::Kind::auth);
    CHECK(va.rotate_key);
    CHECK_FALSE(va.retryable);

    auto billing = send(*p, c, "spent-key", t.model);
    CHECK(billing.status != 200);
    // Gemini's prepaid-credit exhaustion is a RESOURCE_EXHAUSTED 429 the classifier reads as
    // a rate limit; every other dialect names billing.
    if (prov != "gemini") {
      auto vb = classify(*p, billing, c.wall_now());
      CHECK(gp::to_string(vb.kind) == "insufficient_quota_billing");
      CHECK(vb.rotate_key);
      CHECK_FALSE(vb.retryable);
    }

    auto forbidden = send(*p, c, "no-access-key", t.model);
    CHECK(forbidden.status == 403);
    CHECK(classify(*p, forbidden, c.wall_now()).kind == gp::Kind::permission_denied);

    p->set_failures({.overload_rate = 1.0});
    auto over = send(*p, c, t.key, t.model);
    CHECK(over.status == (prov == "anthropic" ? 529 : 503));
    auto vo = classify(*p, over, c.wall_now());
    CHECK(vo.kind == gp::Kind::overloaded);
    CHECK(vo.retryable);
    p->set_failures({.server_error_rate = 1.0});
    auto err = send(*p, c, t.key, t.model);
    CHECK(err.status == 500);
    CHECK(classify(*p, err, c.wall_now()).kind == gp::Kind::server_error);
  }
}

TEST_CASE("success bodies carry usage in each provider's shape", "[sim][dialect]") {
  for (const auto& t : targets) {
    CAPTURE(t.provider);
    clock::manual c;
    auto p = make({.provider = t.provider, .keys = {{.key = t.key}}, .completion_tokens = 50});
    auto r = send(*p, c, t.key, t.model, 20);  // max_tokens 20 < 50: truncated
    REQUIRE(r.status == 200);
    CHECK(classify(*p, r, c.wall_now()).kind == gp::Kind::success);
    auto u = governed::dialect::extract_usage(r.body);
    REQUIRE(u);
    const auto log = p->log();
    CHECK(u->input_tokens == log.back().input_tokens);
    CHECK(u->output_tokens == 20);
    CHECK(log.back().output_tokens == 20);
    const auto body = nlohmann::json::parse(r.body);
    const std::string_view prov = t.provider;
    if (prov == "anthropic") CHECK(body["stop_reason"] == "max_tokens");
    else if (prov == "gemini") CHECK(body["candidates"][0]["finishReason"] == "MAX_TOKENS");
    else CHECK(body["choices"][0]["finish_reason"] == "length");
    // Latency: 300 ms + 20 ms per generated token.
    CHECK(r.latency == 300ms + 20 * 20ms);
  }
}

TEST_CASE("rate-limit headers on every reply read back as the limits enforced", "[sim][dialect][headers]") {
  clock::manual c;
  const gp::Table& table = gp::builtin_table();
  auto snapshot = [&](const sim::Provider& p, const sim::ProviderReply& r) {
    const auto hs = r.header_view();
    return gp::read_limit_headers(gp::HeaderView{hs}, c.wall_now(), table.provider(p.config().provider)->windows);
  };

  SECTION("OpenAI: requests and tokens per minute") {
    auto p = with_limits(targets[0], {.rpm = 500, .tpm = 30000});
    REQUIRE(send(*p, c, targets[0].key, targets[0].model, 50).status == 200);
    c.advance(1s);
    auto r = send(*p, c, targets[0].key, targets[0].model, 50);
    auto s = snapshot(*p, r);
    CHECK(s.requests.limit == 500);
    CHECK(s.requests.remaining == 498);
    CHECK(s.requests.reset_after == 59001ms);  // the first request leaves in 59 s (+1 ns)
    CHECK(s.tokens.limit == 30000);
    CHECK(s.tokens.remaining == 30000 - 2 * p->log().back().input_tokens - 100);
    CHECK(s.requests.window == std::chrono::minutes{1});
  }
  SECTION("Groq: requests per day, tokens per minute") {
    auto p = with_limits(targets[1], {.rpm = 30, .tpm = 12000, .rpd = 1000});
    auto r = send(*p, c, targets[1].key, targets[1].model, 50);
    auto s = snapshot(*p, r);
    CHECK(s.requests.limit == 1000);
    CHECK(s.requests.remaining == 999);
    CHECK(s.requests.window == std::chrono::hours{24});
    CHECK(s.tokens.limit == 12000);
  }
  SECTION("Anthropic: requests, input and output tokens, RFC 3339 resets") {
    auto p = with_limits(targets[2], {.rpm = 50, .itpm = 40000, .otpm = 8000});
    auto r = send(*p, c, targets[2].key, targets[2].model, 50);
    CHECK(r.header("anthropic-ratelimit-requests-reset"));
    auto s = snapshot(*p, r);
    CHECK(s.requests.limit == 50);
    CHECK(s.requests.remaining == 49);
    CHECK(s.requests.reset_after == 61s);  // 60 s + 1 ns, in whole seconds rounded up
    CHECK(s.input_tokens.limit == 40000);
    CHECK(s.output_tokens.limit == 8000);
    CHECK(s.output_tokens.remaining == 8000 - 50);
    CHECK(s.tokens.remaining == 8000 - 50);  // the most restrictive
  }
  SECTION("Mistral and OpenRouter") {
    auto m = with_limits(targets[5], {.rpm = 60, .tpm = 500000});
    auto sm = snapshot(*m, send(*m, c, targets[5].key, targets[5].model, 50));
    CHECK(sm.requests.limit == 60);
    CHECK(sm.requests.remaining == 59);
    CHECK(sm.tokens.limit == 500000);
    auto o = with_limits(targets[6], {.rpm = 20});
    auto so = snapshot(*o, send(*o, c, targets[6].key, targets[6].model, 50));
    CHECK(so.requests.limit == 20);
    CHECK(so.requests.remaining == 19);
    CHECK(so.requests.reset_after == 60001ms);  // epoch milliseconds, rounded up
  }
  SECTION("Gemini reports limits only in its errors") {
    auto g = with_limits(targets[3], {.rpm = 10});
    auto s = snapshot(*g, send(*g, c, targets[3].key, targets[3].model, 50));
    CHECK(s.empty());
  }
}
