// The stated skip through Governed: a call that needs what a candidate's model lacks (documents,
// a strict schema …) passes that candidate over with a `skipped` event, sends it nothing, and
// runs on the first that has it; when none has it, the call ends as unsupported, naming each
// model and what it lacks. A text-only call never sees a skip, and more cache breakpoints
// than a provider takes is refused before anything is admitted. The tables here state their
// capabilities in an override, so the walks do not hang on the built-in figures.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace governed;
using namespace governed::test;

namespace {

/// The built-in table with `patch` (a JSON merge patch) over it.
providers::Table capabilities_table(std::string_view patch) {
  auto t = providers::apply_override(providers::builtin_table(), patch, "capabilities.json");
  REQUIRE(t);
  return std::move(*t);
}

/// A world over `table`.
World capabilities_world(providers::Table table) {
  StateConfig config;
  config.table = std::move(table);
  return World(World::default_keys(), std::move(config));
}

/// Groq's models take tools only; OpenAI's gpt-4o takes documents too.
constexpr std::string_view groq_without_documents = R"({"providers": {
    "groq": {"capabilities": ["tools"]},
    "openai": {"capabilities": ["tools", "documents"]}}})";

Request with_document(Request r) {
  r.messages.push_back(Message{.role = "user", .parts = {ContentPart::document_bytes("%PDF-1.7 …", "application/pdf", "report")}});
  return r;
}

/// Keeps the kind of every event `w`'s State's observers see in `into`, in order.
void observe_kinds(World& w, std::vector<EventKind>& into) {
  w.state->observers().install([&into](const Event& e) { into.push_back(e.kind); });
}

}  // namespace

TEST_CASE("a call with documents skips the models without them and runs on the first that has them",
          "[governed][capabilities]") {
  World w = capabilities_world(capabilities_table(groq_without_documents));
  auto g = w.governed();
  auto r = g.send(with_document(ask("groq", "llama-3.3-70b-versatile")));
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->model == "gpt-4o");
  CHECK(r->attempts == 1);
  CHECK(w.sim("groq").log().empty());  // nothing was sent to fail there

  // Each of Groq's chain is skipped, saying so, in the order the plan tries them.
  const auto skipped = messages(r->events, EventKind::skipped);
  REQUIRE(skipped.size() == 5);
  CHECK(skipped.front() == "Skipping GROQ llama-3.3-70b-versatile: it cannot take documents.");
  CHECK(skipped.back() == "Skipping GROQ gemma2-9b-it: it cannot take documents.");
  CHECK(count(r->events, EventKind::cooled) == 0);   // no cooldown
  CHECK(count(r->events, EventKind::retried) == 0);  // no retry
}

TEST_CASE("a call no candidate can carry ends with unsupported, naming each model and what it lacks",
          "[governed][capabilities]") {
  std::vector<EventKind> seen;
  World w = capabilities_world(capabilities_table(R"({"providers": {"groq": {
      "capabilities": ["tools"],
      "fallback": {"models": ["llama-3.3-70b-versatile", "llama-3.1-8b-instant"], "providers": []},
      "models": {"llama-3.1-8b-instant": {"capabilities": ["json_schema", "json_schema_strict"]}}}}})"));
  observe_kinds(w, seen);
  auto g = w.governed();
  auto req = with_document(ask("groq", "llama-3.3-70b-versatile"));
  req.output = OutputFormat::json_schema("answer", JsonText{});
  auto r = g.send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported);
  CHECK(r.error().message ==
        "No candidate can carry this call: llama-3.3-70b-versatile lacks documents, json_schema, json_schema_strict; "
        "llama-3.1-8b-instant lacks documents.");
  CHECK(w.sim("groq").log().empty());
  CHECK(seen == std::vector<EventKind>{EventKind::skipped, EventKind::skipped, EventKind::failed});
  CHECK(to_string(Errc::unsupported) == "unsupported");
}

TEST_CASE("a text-only call never sees a skipped event", "[governed][capabilities]") {
  // Groq's models are stated to carry nothing beyond text.
  World w = capabilities_world(capabilities_table(R"({"providers": {"groq": {"capabilities": []}}})"));
  auto g = w.governed();
  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(r);
  CHECK(r->model == "llama-3.3-70b-versatile");
  CHECK(count(r->events, EventKind::skipped) == 0);

  // Nor on a fallback: a spent model hands over to the next, without a word of capabilities.
  w.sim("groq").exhaust("groq-org-a", "llama-3.3-70b-versatile", sim::Measure::tokens,
                        w.clock.now() + std::chrono::minutes{20});
  auto moved = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(moved);
  CHECK(moved->model != "llama-3.3-70b-versatile");
  CHECK(count(moved->events, EventKind::switched_model) == 1);
  CHECK(count(moved->events, EventKind::skipped) == 0);
}

TEST_CASE("five cache marks are refused before anything is admitted", "[governed][capabilities]") {
  std::vector<EventKind> seen;
  World w;
  observe_kinds(w, seen);
  auto g = w.governed();
  auto req = ask("anthropic", "claude-3-5-haiku-20241022");
  req.messages = {Message{.role = "system", .content = "Rules.", .cache = CacheMark{}},
                  Message{.role = "user",
                          .parts = {ContentPart::of_text("Part one."), ContentPart::of_text("Part two.")},
                          .cache = CacheMark{}}};
  req.messages[1].parts[0].cache = CacheMark{};
  req.messages[1].parts[1].cache = CacheMark{};
  req.tools = {Tool{.name = "lookup", .cache = CacheMark{}}};
  auto r = g.send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK(r.error().message == "at most 4 cache breakpoints; this call has 5");
  CHECK(w.sim("anthropic").log().empty());
  CHECK(seen == std::vector<EventKind>{EventKind::failed});  // not admitted, not sent

  // Four is what Anthropic takes: the call goes ahead.
  req.tools.front().cache.reset();
  auto four = g.send(req);
  CHECK(four);
  CHECK(w.sim("anthropic").log().size() == 1);
}
