// Tier planning: the limits a State gives a model come from the table's tier and the
// provider's settings, and a model nothing gives limits to is not offered, never unlimited.
#include <governed/state/tier_plan.hpp>

#include <governed/keys/health_file.hpp>
#include <governed/providers/table_json.hpp>
#include <governed/state.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using namespace governed;
using namespace std::chrono_literals;

namespace {

const providers::Table& plan_table() {
  static const providers::Table t = providers::builtin_table();
  return t;
}

const providers::Provider& plan_provider(std::string_view name) { return *plan_table().provider(name); }

const providers::Model& plan_model(std::string_view provider, std::string_view model) {
  return *plan_table().model(provider, model);
}

}  // namespace

TEST_CASE("tier plan: the named tier's published limits, shaped by the settings", "[tier_plan]") {
  const ProviderSettings s{.tier = "tier1", .max_concurrency = 3, .stagger = 2s, .headroom = 0.2,
                           .est_tokens_per_call = 7000, .skew = 1s};
  auto c = plan_tier_limits(plan_table(), plan_provider("openai"), plan_model("openai", "gpt-4o-mini"), s);
  REQUIRE(c);
  CHECK(c->requests_per_minute == 500);
  CHECK(c->tokens_per_minute == 200000);
  CHECK(c->requests_per_day == 10000);
  CHECK(c->tokens_per_day == 0);  // not published: no limit there
  CHECK(c->max_concurrency == 3);
  CHECK(c->stagger == 2s);
  CHECK(c->headroom == 0.2);
  CHECK(c->largest_request_tokens == 7000);
  CHECK(c->skew == 1s);
}

TEST_CASE("tier plan: the settings' own limits replace the published ones dimension by dimension", "[tier_plan]") {
  const ProviderSettings s{.tier = "tier2", .rpm = 60, .tpd = 1'000'000};
  auto c = plan_tier_limits(plan_table(), plan_provider("openai"), plan_model("openai", "gpt-4o-mini"), s);
  REQUIRE(c);
  CHECK(c->requests_per_minute == 60);
  CHECK(c->tokens_per_minute == 2000000);  // tier 2's, untouched
  CHECK(c->tokens_per_day == 1'000'000);
}

TEST_CASE("tier plan: with no tier named, a model's first tier that offers it applies", "[tier_plan]") {
  // GPT-4 Turbo is "unavailable" on the free tier: a new account's limits are tier 1's.
  auto c = plan_tier_limits(plan_table(), plan_provider("openai"), plan_model("openai", "gpt-4-turbo"), {});
  REQUIRE(c);
  CHECK(c->requests_per_minute == 500);
  CHECK(c->tokens_per_minute == 30000);
}

TEST_CASE("tier plan: a tier that marks the model unavailable does not offer it, whatever the settings say",
          "[tier_plan]") {
  const auto& openai = plan_provider("openai");
  const auto& turbo = plan_model("openai", "gpt-4-turbo");
  const ProviderSettings free{.tier = "free", .rpm = 10};
  CHECK_FALSE(plan_tier_limits(plan_table(), openai, turbo, free));
  CHECK(not_offered_reason(openai, turbo, free) == "OpenAI gpt-4-turbo is not offered on tier free");
}

TEST_CASE("tier plan: a model the tier publishes nothing for is not offered, unless the settings give it a rate limit",
          "[tier_plan]") {
  // A model an override adds without tiers: nothing is known of its limits.
  auto added = providers::apply_override(
      providers::builtin_table(),
      R"({"providers": {"openai": {"models": {"gpt-local-test": {"context_window": 8192, "max_output_tokens": 1024,
          "price": {"input": 1, "output": 1}, "as_of": "2025-01-01"}}}}})",
      "override.json");
  REQUIRE(added);
  const auto& p = *added->provider("openai");
  const auto& m = *added->model("openai", "gpt-local-test");
  CHECK_FALSE(plan_tier_limits(*added, p, m, {}));
  CHECK(not_offered_reason(p, m, {}) ==
        "the provider table publishes no limits for OpenAI gpt-local-test on any of its tiers; an rpm or tpm setting "
        "for openai (or itpm, otpm) makes it usable");
  auto own = plan_tier_limits(*added, p, m, {.tpm = 50000});
  REQUIRE(own);
  CHECK(own->tokens_per_minute == 50000);
  CHECK(own->requests_per_minute == 0);
}

TEST_CASE("tier plan: a State's limits for a model are the plan of its settings", "[tier_plan]") {
  StateConfig config;
  config.keys.keys = {{"openai", "sk-tier-plan-test-000000000000000", "org-plan"}};
  config.keys.persist = false;
  config.providers["openai"] = {.tier = "tier3", .max_concurrency = 4};
  auto state = State<>::create(config);
  REQUIRE(state);
  const auto& p = *(*state)->table().provider("openai");
  const auto& m = *(*state)->table().model("openai", "gpt-4o");
  auto held = (*state)->limit_config(p, m);
  auto planned = plan_tier_limits((*state)->table(), p, m, config.providers["openai"]);
  REQUIRE(held);
  REQUIRE(planned);
  CHECK(held->requests_per_minute == planned->requests_per_minute);
  CHECK(held->tokens_per_minute == planned->tokens_per_minute);
  CHECK(held->max_concurrency == 4);
}
