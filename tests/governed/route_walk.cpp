// Where a call goes next when the model can not take it, and where it goes first. A prompt too
// long for the model's context (OpenAI's context_length_exceeded, Anthropic's "prompt is too
// long") moves to the next model at once — no retry, and no cooldown: smaller calls still use
// the model. A request with a task and no model goes to the task's routed model, then along
// its route, then down the fallback chain; one that names its model goes there.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// Anthropic's answer to a prompt over the model's context window.
sim::ProviderReply anthropic_prompt_too_long() {
  return sim::ProviderReply{400, {},
                    R"({"type":"error","error":{"type":"invalid_request_error",)"
                    R"("message":"prompt is too long: 208000 tokens > 200000 maximum"}})",
                    {}};
}

/// A request of kind `task` naming no model.
Request task_request(std::string task) {
  Request r = ask("", "");
  r.task = std::move(task);
  return r;
}

/// Routing for "summarise": OpenAI gpt-4o-mini, then gpt-3.5-turbo — not the order of
/// OpenAI's fallback chain, which has gpt-4-turbo between them.
StateConfig summarise_routed() {
  StateConfig c;
  c.routing.route("summarise", {{"openai", "gpt-4o-mini"}, {"openai", "gpt-3.5-turbo"}});
  return c;
}

/// The OpenAI key may not use `models` (403 for them).
SimTweak openai_forbids(std::vector<std::string> models) {
  return [models = std::move(models)](sim::Config& c) {
    if (c.provider == "openai") c.keys[0].forbidden_models = models;
  };
}

}  // namespace

TEST_CASE("OpenAI's context_length_exceeded moves to the next model at once, and gpt-4o is not cooled for smaller "
          "calls",
          "[governed][context]") {
  World w;
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", recorded_reply("openai-400-context-128000-functions"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o-mini", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::failed, EventKind::switched_model});
  CHECK(r->events[0].message ==
        "The prompt (202868 tokens) does not fit OPENAI (gpt-4o)'s context window (128000 tokens). Trying a model "
        "with a larger context\u2026");
  CHECK(r->events[1].message == "Switching to OPENAI gpt-4o-mini\u2026");
  CHECK_FALSE(w.state->cooldowns().cooling_until(CooldownKey{"openai", "gpt-4o", "org-openai-a"}, t0));

  auto small = g.send(ask("openai", "gpt-4o"));
  REQUIRE(small);
  CHECK(small->model == "gpt-4o");
  CHECK(small->attempts == 1);
  CHECK(small->events.empty());
  CHECK(visits(w.sim("openai").log(), t0) ==
        std::vector<Visit>{{"gpt-4o", 0s}, {"gpt-4o-mini", 0s}, {"gpt-4o", 0s}});
}

TEST_CASE("Anthropic's \"prompt is too long\" moves to the next model at once, and the model stays in use",
          "[governed][context]") {
  World w;
  auto g = w.governed();
  w.sim("anthropic").push_reply("claude-3-5-sonnet-20241022", anthropic_prompt_too_long());

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("anthropic", "claude-3-5-sonnet-20241022"));
  REQUIRE(r);
  CHECK(r->provider == "anthropic");
  CHECK(r->model == "claude-3-5-haiku-20241022");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(visits(w.sim("anthropic").log(), t0) ==
        std::vector<Visit>{{"claude-3-5-sonnet-20241022", 0s}, {"claude-3-5-haiku-20241022", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::failed, EventKind::switched_model});
  CHECK(r->events[0].message ==
        "The prompt does not fit ANTHROPIC (claude-3-5-sonnet-20241022)'s context window. Trying a model with a "
        "larger context\u2026");
  CHECK_FALSE(w.state->cooldowns().cooling_until(
      CooldownKey{"anthropic", "claude-3-5-sonnet-20241022", "anthropic-a"}, t0));

  auto small = g.send(ask("anthropic", "claude-3-5-sonnet-20241022"));
  REQUIRE(small);
  CHECK(small->model == "claude-3-5-sonnet-20241022");
  CHECK(small->attempts == 1);
  for (const char* p : {"groq", "openai"}) CHECK(w.sim(p).log().empty());
}

TEST_CASE("Groq's 429 for a request larger than the tokens-per-minute limit moves to the next model at once",
          "[governed][context]") {
  // "Limit 7000, Used 0, Requested ~12903": no wait can make it fit that model's limit.
  World w;
  auto g = w.governed();
  w.sim("groq").push_reply("llama-3.3-70b-versatile", recorded_reply("groq-tpm-request-larger-than-limit"));

  const Instant t0 = w.clock.now();
  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(r);
  CHECK(r->provider == "groq");
  CHECK(r->model == "llama-3.1-70b-versatile");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(visits(w.sim("groq").log(), t0) ==
        std::vector<Visit>{{"llama-3.3-70b-versatile", 0s}, {"llama-3.1-70b-versatile", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::failed, EventKind::switched_model});
  CHECK(r->events[0].message ==
        "The request is larger than GROQ (llama-3.3-70b-versatile)'s rate limit (tokens per minute) allows; trying a "
        "model with a larger limit\u2026");
  CHECK_FALSE(w.state->cooldowns().cooling_until(CooldownKey{"groq", "llama-3.3-70b-versatile", "groq-org-a"}, t0));
}

TEST_CASE("a request with a task and no model goes to the task's routed model", "[governed][routing]") {
  World w(World::default_keys(), summarise_routed());
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  auto r = g.send(task_request("summarise"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 1);
  CHECK(r->events.empty());
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o-mini", 0s}});
  for (const char* p : {"groq", "anthropic"}) CHECK(w.sim(p).log().empty());
}

TEST_CASE("a routed call that its first model refuses goes along its route before the fallback chain",
          "[governed][routing]") {
  World w(World::default_keys(), summarise_routed(), 1, openai_forbids({"gpt-4o-mini"}));
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  auto r = g.send(task_request("summarise"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-3.5-turbo");  // the route's second, not the chain's gpt-4-turbo
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o-mini", 0s}, {"gpt-3.5-turbo", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::failed, EventKind::switched_model});
  CHECK(r->events[1].message == "Switching to OPENAI gpt-3.5-turbo\u2026");
}

TEST_CASE("a routed call whose whole route is refused goes on down the fallback chain from the routed model",
          "[governed][routing]") {
  World w(World::default_keys(), summarise_routed(), 1, openai_forbids({"gpt-4o-mini", "gpt-3.5-turbo"}));
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  auto r = g.send(task_request("summarise"));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4-turbo");
  CHECK(r->attempts == 3);
  CHECK(visits(w.sim("openai").log(), t0) ==
        std::vector<Visit>{{"gpt-4o-mini", 0s}, {"gpt-3.5-turbo", 0s}, {"gpt-4-turbo", 0s}});
  CHECK(kinds(r->events) == std::vector<EventKind>{EventKind::failed, EventKind::switched_model, EventKind::failed,
                                                   EventKind::switched_model});
}

TEST_CASE("a routed call whose first model is cooling goes to the route's second without a request to it",
          "[governed][routing]") {
  World w(World::default_keys(), summarise_routed());
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  w.state->cooldowns().cool(CooldownKey{"openai", "gpt-4o-mini", {}}, t0 + 5min, "test", t0);
  auto r = g.send(task_request("summarise"));
  REQUIRE(r);
  CHECK(r->model == "gpt-3.5-turbo");
  CHECK(r->attempts == 1);
  CHECK(r->events.empty());  // a cooled model is skipped without a word
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-3.5-turbo", 0s}});
}

// The route is a default for requests with no model of their own, never an override.
TEST_CASE("a request that names its model goes to that model even though its task has a route",
          "[governed][routing]") {
  World w(World::default_keys(), summarise_routed());
  auto g = w.governed();
  Request named = ask("openai", "gpt-4o");
  named.task = "summarise";
  const Instant t0 = w.clock.now();
  auto r = g.send(named);
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 1);
  CHECK(r->events.empty());
  CHECK(visits(w.sim("openai").log(), t0) == std::vector<Visit>{{"gpt-4o", 0s}});
}
