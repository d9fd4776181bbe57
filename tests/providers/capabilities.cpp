#include <governed/providers/capabilities.hpp>

#include <catch2/catch.hpp>

#include <governed/providers/table_json.hpp>

#include <set>
#include <string>

namespace gp = governed::providers;
using gp::Capabilities;
using gp::Capability;

TEST_CASE("every capability has a name of its own, and reads back from it", "[providers][capabilities]") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < gp::capability_count; ++i) {
    const auto c = static_cast<Capability>(i);
    names.insert(to_string(c));
    CHECK(gp::capability_from(to_string(c)) == c);
  }
  CHECK(names.size() == gp::capability_count);
  CHECK_FALSE(gp::capability_from("telepathy"));
  CHECK_FALSE(gp::capability_from("Tools"));  // names are exact
}

TEST_CASE("what a model lacks is what a call needs and it has not; nothing for a call that needs nothing",
          "[providers][capabilities]") {
  const Capabilities model{Capability::tools, Capability::vision, Capability::json_mode};
  CHECK(model.missing({}).empty());
  CHECK(model.missing({Capability::tools, Capability::json_mode}).empty());
  const auto lacking = model.missing({Capability::tools, Capability::documents, Capability::json_schema_strict});
  CHECK(lacking == Capabilities{Capability::documents, Capability::json_schema_strict});
  CHECK(to_string(lacking) == "documents, json_schema_strict");
  CHECK(lacking.names() == std::vector<std::string>{"documents", "json_schema_strict"});
}

TEST_CASE("reasoning asked for in both forms is carried by a model with either; one with neither lacks it",
          "[providers][capabilities]") {
  const Capabilities thinks{Capability::reasoning_effort, Capability::reasoning_budget};
  CHECK(Capabilities{Capability::reasoning_effort}.missing(thinks).empty());
  CHECK(Capabilities{Capability::reasoning_budget}.missing(thinks).empty());
  const auto lacking = Capabilities{Capability::tools}.missing(thinks.with(Capability::tools));
  CHECK(lacking == thinks);
  CHECK(to_string(lacking) == "reasoning_effort or reasoning_budget");
  // A need of one form alone is that form.
  CHECK(Capabilities{Capability::reasoning_budget}.missing({Capability::reasoning_effort}) ==
        Capabilities{Capability::reasoning_effort});
}

TEST_CASE("an unknown capability name in the table is an error naming it and where it was",
          "[providers][capabilities][table]") {
  const auto& base = gp::builtin_table();
  auto in_model = gp::apply_override(
      base, R"({"providers": {"groq": {"models": {"llama-3.1-8b-instant": {"capabilities": ["tools", "telepathy"]}}}}})",
      "over.json");
  REQUIRE_FALSE(in_model);
  CHECK(in_model.error().code == governed::Errc::invalid_argument);
  CHECK(in_model.error().message ==
        "over.json: /providers/groq/models/llama-3.1-8b-instant/capabilities/1: unknown capability \"telepathy\"");

  auto in_provider = gp::apply_override(base, R"({"providers": {"groq": {"capabilities": ["vison"]}}})", "over.json");
  REQUIRE_FALSE(in_provider);
  CHECK(in_provider.error().message == "over.json: /providers/groq/capabilities/0: unknown capability \"vison\"");

  auto not_names = gp::apply_override(base, R"({"providers": {"groq": {"capabilities": "tools"}}})", "over.json");
  REQUIRE_FALSE(not_names);
  CHECK(not_names.error().message == "over.json: /providers/groq/capabilities: must be an array of strings");
}

TEST_CASE("a model's own capabilities replace its provider's; the others keep the provider's",
          "[providers][capabilities][table]") {
  auto t = gp::apply_override(gp::builtin_table(), R"({"providers": {"groq": {
      "capabilities": ["tools", "json_mode", "seed"], "capabilities_as_of": "2026-12-01",
      "models": {"llama-3.1-8b-instant": {"capabilities": ["json_mode"]},
                 "llama-3.3-70b-versatile": {"capabilities": null}}}}})",
                              "over.json");
  REQUIRE(t);
  CHECK(t->model("groq", "llama-3.1-8b-instant")->capabilities == Capabilities{Capability::json_mode});
  CHECK(t->model("groq", "llama-3.3-70b-versatile")->capabilities ==
        Capabilities{Capability::tools, Capability::json_mode, Capability::seed});
  CHECK(t->provider("groq")->capabilities == Capabilities{Capability::tools, Capability::json_mode, Capability::seed});

  // An empty list is a model that carries nothing beyond text.
  auto bare = gp::apply_override(*t, R"({"providers": {"groq": {"models": {"llama-3.1-8b-instant": {"capabilities": []}}}}})",
                                 "over.json");
  REQUIRE(bare);
  CHECK(bare->model("groq", "llama-3.1-8b-instant")->capabilities.empty());

  auto bad_date = gp::apply_override(gp::builtin_table(), R"({"providers": {"groq": {"capabilities_as_of": "soon"}}})",
                                     "over.json");
  REQUIRE_FALSE(bad_date);
  CHECK(bad_date.error().message == "over.json: /providers/groq/capabilities_as_of: must be a date YYYY-MM-DD");
}

TEST_CASE("the built-in table reads back from its JSON with the same capabilities", "[providers][capabilities][table]") {
  const auto& builtin = gp::builtin_table();
  auto again = gp::table_from_json(gp::to_json(builtin.document()).dump(), "written.json");
  REQUIRE(again);
  for (const auto& m : builtin.models()) {
    CAPTURE(m.provider, m.name);
    CHECK(again->model(m.provider, m.name)->capabilities == m.capabilities);
  }
  // A few figures the providers' pages state (tests/data/builtin_table.json says which).
  const auto* gpt4o = builtin.model("openai", "gpt-4o");
  CHECK(gpt4o->capabilities.has(Capability::tools));
  CHECK(gpt4o->capabilities.has(Capability::json_schema_strict));
  CHECK(gpt4o->capabilities.has(Capability::verbatim_tool_arguments));
  CHECK_FALSE(gpt4o->capabilities.has(Capability::prompt_cache_marks));
  const auto* haiku = builtin.model("anthropic", "claude-3-5-haiku-20241022");
  CHECK(haiku->capabilities.has(Capability::prompt_cache_marks));
  CHECK(haiku->capabilities.has(Capability::tool_result_images));
  CHECK_FALSE(haiku->capabilities.has(Capability::json_schema_strict));
  CHECK_FALSE(haiku->capabilities.has(Capability::verbatim_tool_arguments));
  const auto* flash = builtin.model("gemini", "gemini-2.5-flash");
  CHECK(flash->capabilities.has(Capability::documents));
  CHECK(flash->capabilities.has(Capability::reasoning_budget));
  CHECK_FALSE(flash->capabilities.has(Capability::parallel_tool_control));
}
