// keys::exhausted_until and keys::exhausts_one_model: until when a spent allowance keeps an
// account (or one model of it) out.
#include <governed/keys/exhaustion.hpp>

#include <catch2/catch.hpp>

using namespace governed;
using namespace std::chrono_literals;
using providers::Kind;

namespace {

const WallTime exhaustion_w0 = WallTime{} + std::chrono::hours{24 * 20000};

providers::Verdict allowance(Kind k) {
  providers::Verdict v;
  v.kind = k;
  return v;
}

}  // namespace

TEST_CASE("keys::exhausted_until: billing until topped up, then the stated reset, wait, rule, a day or a month",
          "[keys][exhaustion]") {
  providers::Provider rolling;
  rolling.name = "openai";
  auto billing = allowance(Kind::insufficient_quota_billing);
  billing.wait = 1h;
  CHECK(keys::exhausted_until(billing, rolling, exhaustion_w0) == keys::until_reset);

  auto stated = allowance(Kind::quota_daily);
  stated.resets_at = exhaustion_w0 + 5h;
  stated.wait = 1h;  // the stated reset wins over the wait
  CHECK(keys::exhausted_until(stated, rolling, exhaustion_w0) == exhaustion_w0 + 5h);

  auto waited = allowance(Kind::rate_limit_requests_daily);
  waited.wait = 3h;
  CHECK(keys::exhausted_until(waited, rolling, exhaustion_w0) == exhaustion_w0 + 3h);

  CHECK(keys::exhausted_until(allowance(Kind::quota_daily), rolling, exhaustion_w0) ==
        exhaustion_w0 + std::chrono::hours{24});
  CHECK(keys::exhausted_until(allowance(Kind::quota_monthly), rolling, exhaustion_w0) ==
        exhaustion_w0 + std::chrono::hours{24 * 30});
}

TEST_CASE("keys::exhausted_until: a provider resetting at midnight is out until its next midnight",
          "[keys][exhaustion]") {
  const auto* gemini = providers::builtin_table().provider("gemini");
  REQUIRE(gemini);
  const auto reset = providers::next_daily_reset(*gemini, exhaustion_w0);
  REQUIRE(reset);
  CHECK(keys::exhausted_until(allowance(Kind::rate_limit_requests_daily), *gemini, exhaustion_w0) == *reset);
}

TEST_CASE("keys::exhausts_one_model: a per-model provider's daily request and token limits only",
          "[keys][exhaustion]") {
  providers::Provider per_model;
  per_model.limits_per_model = true;
  providers::Provider per_account;
  CHECK(keys::exhausts_one_model(Kind::rate_limit_requests_daily, per_model));
  CHECK(keys::exhausts_one_model(Kind::rate_limit_tokens_daily, per_model));
  CHECK_FALSE(keys::exhausts_one_model(Kind::quota_daily, per_model));
  CHECK_FALSE(keys::exhausts_one_model(Kind::rate_limit_requests_daily, per_account));
}
