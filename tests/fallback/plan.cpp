#include <governed/fallback.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace governed::fallback;
namespace gp = governed::providers;

namespace {

const gp::Table& table() { return gp::builtin_table(); }

std::vector<std::string> names(const Candidates& c) {
  std::vector<std::string> out;
  for (const auto& x : c) out.push_back(x.provider->name + "/" + x.model->name);
  return out;
}

auto everything = [](const gp::Provider&, const gp::Model&) { return true; };

}  // namespace

TEST_CASE("models_then_providers walks the provider's chain, then the other providers", "[fallback]") {
  const PlanInput in{"groq", "llama-3.3-70b-versatile", 2000, 1000};
  const auto plan = models_then_providers{}.plan(table(), in, everything);
  const std::vector<std::string> expected{
      "groq/llama-3.3-70b-versatile", "groq/llama-3.1-70b-versatile", "groq/llama-3.1-8b-instant",
      "groq/mixtral-8x7b-32768",      "groq/gemma2-9b-it",            "openai/gpt-4o",
      "openai/gpt-4o-mini",           "openai/gpt-4-turbo",           "openai/gpt-3.5-turbo",
      "anthropic/claude-3-5-sonnet-20241022", "anthropic/claude-3-5-haiku-20241022",
      "anthropic/claude-3-haiku-20240307"};
  CHECK(names(plan) == expected);
}

TEST_CASE("a chain starts after the requested model", "[fallback]") {
  const PlanInput in{"openai", "gpt-4o-mini", 100, 100};
  const auto plan = models_then_providers{}.plan(table(), in, everything);
  REQUIRE(plan.size() >= 3);
  CHECK(names(plan)[0] == "openai/gpt-4o-mini");
  CHECK(names(plan)[1] == "openai/gpt-4-turbo");
  CHECK(names(plan)[2] == "openai/gpt-3.5-turbo");
  CHECK(names(plan)[3] == "anthropic/claude-3-5-sonnet-20241022");
  // gpt-4o sits before the requested model in the chain: never a fallback from gpt-4o-mini.
  for (const auto& n : names(plan)) CHECK(n != "openai/gpt-4o");
}

TEST_CASE("models that cannot hold the request are skipped under every policy", "[fallback]") {
  // 20 000 tokens of prompt: gemma2-9b-it (8 192) and gpt-3.5-turbo (16 385) can not hold it.
  const PlanInput in{"groq", "llama-3.3-70b-versatile", 20000, 1000};
  auto check = [&](const Candidates& plan) {
    for (const auto& c : plan) {
      INFO(c.model->name);
      CHECK(fits(*c.model, in));
      CHECK(c.model->name != "gemma2-9b-it");
      CHECK(c.model->name != "gpt-3.5-turbo");
    }
  };
  check(models_then_providers{}.plan(table(), in, everything));
  check(providers_then_models{}.plan(table(), in, everything));
  check(cheapest_first{}.plan(table(), in, everything));
  check(context_fit{}.plan(table(), in, everything));
  check(none{}.plan(table(), in, everything));
}

TEST_CASE("unusable candidates (cooling, no key) are left out", "[fallback]") {
  std::set<std::string> cooling{"llama-3.3-70b-versatile", "llama-3.1-70b-versatile"};
  auto usable = [&](const gp::Provider&, const gp::Model& m) { return cooling.count(m.name) == 0; };
  const auto plan = models_then_providers{}.plan(table(), {"groq", "llama-3.3-70b-versatile", 10, 10}, usable);
  REQUIRE_FALSE(plan.empty());
  CHECK(names(plan)[0] == "groq/llama-3.1-8b-instant");
  auto nothing = [](const gp::Provider&, const gp::Model&) { return false; };
  CHECK(models_then_providers{}.plan(table(), {"groq", "llama-3.3-70b-versatile", 10, 10}, nothing).empty());
}

TEST_CASE("providers_then_models tries every provider at a rank before the next rank", "[fallback]") {
  const auto plan = providers_then_models{}.plan(table(), {"openai", "gpt-4o", 100, 100}, everything);
  const auto n = names(plan);
  REQUIRE(n.size() >= 4);
  CHECK(n[0] == "openai/gpt-4o");
  CHECK(n[1] == "anthropic/claude-3-5-sonnet-20241022");
  CHECK(n[2] == "groq/llama-3.3-70b-versatile");
  CHECK(n[3] == "openai/gpt-4o-mini");
}

TEST_CASE("cheapest_first orders the default plan by the request's worst-case price", "[fallback]") {
  const PlanInput in{"openai", "gpt-4o", 1000, 500};
  const auto plan = cheapest_first{}.plan(table(), in, everything);
  REQUIRE(plan.size() > 2);
  for (std::size_t i = 1; i < plan.size(); ++i)
    CHECK(worst_case_cost(*plan[i - 1].model, in) <= worst_case_cost(*plan[i].model, in));
  CHECK(plan.size() == models_then_providers{}.plan(table(), in, everything).size());
}

TEST_CASE("context_fit sends a 200 000-token prompt for gpt-4o-mini to gemini-2.5-flash-lite", "[fallback]") {
  const PlanInput in{"openai", "gpt-4o-mini", 200000, 4000};
  const auto plan = context_fit{}.plan(table(), in, everything);
  REQUIRE_FALSE(plan.empty());
  CHECK(names(plan)[0] == "gemini/gemini-2.5-flash-lite");
  for (const auto& c : plan) CHECK(c.model->context_window >= 204000);
  // A request that fits keeps its model first, then the cheapest others that hold it.
  const auto small = context_fit{}.plan(table(), {"openai", "gpt-4o", 1000, 1000}, everything);
  CHECK(names(small)[0] == "openai/gpt-4o");
  for (const auto& c : small) CHECK_FALSE(c.model->retired.has_value());
}

TEST_CASE("none plans the requested model alone, or nothing", "[fallback]") {
  CHECK(names(none{}.plan(table(), {"openai", "gpt-4o", 10, 10}, everything)) ==
        std::vector<std::string>{"openai/gpt-4o"});
  CHECK(none{}.plan(table(), {"openai", "gpt-4o", 500000, 10}, everything).empty());
  CHECK(none{}.plan(table(), {"nobody", "gpt-4o", 10, 10}, everything).empty());
  CHECK(models_then_providers{}.plan(table(), {"nobody", "x", 10, 10}, everything).empty());
}
