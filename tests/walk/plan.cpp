// The walk's plan step driven directly: the origin of a request, its token estimate and the
// candidates it starts with, from the built-in provider table (no State, no provider).
#include <governed/fallback/models_then_providers.hpp>
#include <governed/walk/plan.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace governed;

namespace {

const providers::Table& plan_table() { return providers::builtin_table(); }

Request plan_request(std::string provider, std::string model) {
  Request r;
  r.provider = std::move(provider);
  r.model = std::move(model);
  r.messages = {{"user", "Say hello in one word."}};
  r.max_tokens = 64;
  return r;
}

std::vector<std::string> plan_names(const fallback::Candidates& c) {
  std::vector<std::string> out;
  for (const auto& x : c) out.push_back(x.provider->name + "/" + x.model->name);
  return out;
}

}  // namespace

TEST_CASE("walk::find_origin: the requested model, or the route's first choice", "[walk][plan]") {
  const auto req = plan_request("openai", "gpt-4o");
  auto o = walk::find_origin(plan_table(), {}, req);
  REQUIRE(o);
  CHECK(o->provider->name == "openai");
  CHECK(o->model->name == "gpt-4o");

  const std::vector<ModelChoice> route{{"groq", "llama-3.3-70b-versatile"}, {"openai", "gpt-4o-mini"}};
  auto routed = walk::find_origin(plan_table(), route, plan_request("", ""));
  REQUIRE(routed);
  CHECK(routed->provider->name == "groq");
  CHECK(routed->model->name == "llama-3.3-70b-versatile");
}

TEST_CASE("walk::find_origin: unknown names and empty requests are refused in words", "[walk][plan]") {
  auto no_provider = walk::find_origin(plan_table(), {}, plan_request("nowhere", "gpt-4o"));
  REQUIRE_FALSE(no_provider);
  CHECK(no_provider.error().code == Errc::invalid_argument);
  CHECK(no_provider.error().message == "unknown provider \"nowhere\"");

  auto no_model = walk::find_origin(plan_table(), {}, plan_request("openai", "gpt-0"));
  REQUIRE_FALSE(no_model);
  CHECK(no_model.error().message.find("has no model \"gpt-0\" in the provider table") != std::string::npos);

  auto empty = plan_request("openai", "gpt-4o");
  empty.messages.clear();
  auto no_messages = walk::find_origin(plan_table(), {}, empty);
  REQUIRE_FALSE(no_messages);
  CHECK(no_messages.error().message == "a request needs at least one message");
}

TEST_CASE("walk::estimate_call: the model's estimate, raised to the provider's floor", "[walk][plan]") {
  const auto req = plan_request("openai", "gpt-4o");
  const auto* m = plan_table().model("openai", "gpt-4o");
  REQUIRE(m);
  const auto plain = walk::estimate_call(*m, req, nullptr, 0);
  CHECK(plain.tokens.completion == 64);
  CHECK(plain.tokens.prompt > 0);
  CHECK(plain.raw_prompt == plain.tokens.prompt);

  const auto floored = walk::estimate_call(*m, req, nullptr, 1000);
  CHECK(floored.tokens.total() == 1000);
  CHECK(floored.tokens.completion == 64);
  CHECK(floored.raw_prompt == plain.raw_prompt);  // the floor is not what a reply is compared with

  const auto below = walk::estimate_call(*m, req, nullptr, 10);
  CHECK(below.tokens.prompt == plain.tokens.prompt);
}

TEST_CASE("walk::estimate_call: the calibration corrects the prompt's text, never its images", "[walk][plan]") {
  auto req = plan_request("anthropic", "claude-3-5-sonnet-20241022");
  req.messages.front().parts = {ContentPart::image_url("https://example.com/chart.png")};
  const auto* m = plan_table().model("anthropic", "claude-3-5-sonnet-20241022");
  REQUIRE(m);
  const auto plain = walk::estimate_call(*m, req, nullptr, 0);
  // Anthropic's rule counts an image it can not see at its most, 1 600.
  CHECK(plain.prompt_by_rule == 1600);
  CHECK(plain.tokens.prompt == plain.raw_prompt + 1600);

  providers::ModelCalibration doubled;
  doubled.observe(100, 200);  // its text costs twice the estimate
  const auto corrected = walk::estimate_call(*m, req, &doubled, 0);
  CHECK(corrected.raw_prompt == plain.raw_prompt);
  CHECK(corrected.prompt_by_rule == 1600);
  CHECK(corrected.tokens.prompt == 2 * plain.raw_prompt + 1600);
}

TEST_CASE("walk::plan_first: an origin-first policy starts with the origin and plans the rest later",
          "[walk][plan]") {
  const auto req = plan_request("openai", "gpt-4o-mini");
  auto o = walk::find_origin(plan_table(), {}, req);
  REQUIRE(o);
  const auto in = walk::plan_input(*o, {100, 100});
  CHECK(in.provider == "openai");
  CHECK(in.model == "gpt-4o-mini");
  CHECK(in.total() == 200);

  fallback::Candidates plan;
  const fallback::models_then_providers policy;
  CHECK_FALSE(walk::plan_first(policy, plan_table(), {}, *o, in, plan));
  CHECK(plan_names(plan) == std::vector<std::string>{"openai/gpt-4o-mini"});

  walk::plan_rest(policy, plan_table(), in, plan);
  const auto names = plan_names(plan);
  REQUIRE(names.size() >= 3);
  CHECK(names[0] == "openai/gpt-4o-mini");  // not planned twice
  CHECK(names[1] == "openai/gpt-4-turbo");
}

TEST_CASE("walk::plan_first: the route's models that fit come first, then the policy's order", "[walk][plan]") {
  const std::vector<ModelChoice> route{{"groq", "llama-3.1-8b-instant"}, {"openai", "no-such-model"},
                                       {"openai", "gpt-4o-mini"}};
  auto o = walk::find_origin(plan_table(), route, plan_request("", ""));
  REQUIRE(o);
  fallback::Candidates plan;
  CHECK(walk::plan_first(fallback::models_then_providers{}, plan_table(), route, *o,
                         walk::plan_input(*o, {100, 100}), plan));
  const auto names = plan_names(plan);
  REQUIRE(names.size() > 2);
  CHECK(names[0] == "groq/llama-3.1-8b-instant");
  CHECK(names[1] == "openai/gpt-4o-mini");
}

TEST_CASE("walk::plan_first: a model too small for the call is not planned", "[walk][plan]") {
  auto o = walk::find_origin(plan_table(), {}, plan_request("groq", "gemma2-9b-it"));
  REQUIRE(o);
  // 20 000 tokens of prompt: gemma2-9b-it holds 8 192.
  fallback::Candidates plan;
  CHECK(walk::plan_first(fallback::models_then_providers{}, plan_table(), {}, *o,
                         walk::plan_input(*o, {20000, 1000}), plan));
  for (const auto& n : plan_names(plan)) CHECK(n != "groq/gemma2-9b-it");
}
