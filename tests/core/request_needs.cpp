#include <governed/request_needs.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>

using namespace governed;
using governed::providers::Capabilities;
using governed::providers::Capability;

namespace {

Request needs_request() {
  Request r;
  r.provider = "openai";
  r.model = "gpt-4o";
  r.messages = {{"system", "Be brief."}, {"user", "Hello"}};
  return r;
}

Message user_with(ContentPart part) { return Message{.role = "user", .parts = {std::move(part)}}; }

Tool weather_tool() { return Tool{.name = "get_weather", .description = "The weather in a city."}; }

}  // namespace

TEST_CASE("a text-only call needs nothing of a model", "[core][needs]") {
  auto r = needs_request();
  r.seed = 42;  // advisory: the encoder leaves it out where the provider has no field
  r.user = "u-1";
  r.stop = {"END"};
  CHECK(needs_of(r) == Needs{});
}

TEST_CASE("images need vision, and by URL also image URLs; in a tool's result, tool-result images",
          "[core][needs]") {
  auto bytes = needs_request();
  bytes.messages.push_back(user_with(ContentPart::image_bytes("\x89PNG", "image/png")));
  CHECK(needs_of(bytes).required == Capabilities{Capability::vision});

  auto by_url = needs_request();
  by_url.messages.push_back(user_with(ContentPart::image_url("https://example.com/cat.png")));
  CHECK(needs_of(by_url).required == Capabilities{Capability::vision, Capability::image_urls});

  auto in_result = needs_request();
  in_result.messages.push_back(
      Message{.role = "tool", .parts = {ContentPart::image_bytes("\x89PNG", "image/png")}, .tool_call_id = "call_1"});
  CHECK(needs_of(in_result).required == Capabilities{Capability::vision, Capability::tool_result_images});
}

TEST_CASE("documents need documents, and by URL also document URLs", "[core][needs]") {
  auto bytes = needs_request();
  bytes.messages.push_back(user_with(ContentPart::document_bytes("%PDF-1.7", "application/pdf", "report")));
  CHECK(needs_of(bytes).required == Capabilities{Capability::documents});

  auto by_url = needs_request();
  by_url.messages.push_back(user_with(ContentPart::document_url("https://example.com/report.pdf")));
  CHECK(needs_of(by_url).required == Capabilities{Capability::documents, Capability::document_urls});
}

TEST_CASE("tools need tools; turning parallel calls off needs the switch; on or unset needs nothing more",
          "[core][needs]") {
  auto r = needs_request();
  r.tools = {weather_tool()};
  CHECK(needs_of(r).required == Capabilities{Capability::tools});
  r.parallel_tool_calls = true;
  CHECK(needs_of(r).required == Capabilities{Capability::tools});
  r.parallel_tool_calls = false;
  CHECK(needs_of(r).required == Capabilities{Capability::tools, Capability::parallel_tool_control});
}

TEST_CASE("JSON mode needs json_mode; a schema needs json_schema, and strict also json_schema_strict",
          "[core][needs]") {
  auto r = needs_request();
  r.output = OutputFormat::json();
  CHECK(needs_of(r).required == Capabilities{Capability::json_mode});
  r.output = OutputFormat::json_schema("answer", JsonText{}, false);
  CHECK(needs_of(r).required == Capabilities{Capability::json_schema});
  r.output = OutputFormat::json_schema("answer", JsonText{});
  CHECK(needs_of(r).required == Capabilities{Capability::json_schema, Capability::json_schema_strict});
}

TEST_CASE("reasoning as an effort or a budget is satisfied by a model with either form", "[core][needs]") {
  const Capabilities effort_only{Capability::reasoning_effort}, budget_only{Capability::reasoning_budget};
  for (auto reasoning : {Reasoning{.effort = Reasoning::Effort::high}, Reasoning{.budget_tokens = 2048}}) {
    auto r = needs_request();
    r.reasoning = reasoning;
    const auto n = needs_of(r);
    CHECK(effort_only.missing(n.required).empty());
    CHECK(budget_only.missing(n.required).empty());
    CHECK(Capabilities{Capability::tools}.missing(n.required) ==
          Capabilities{Capability::reasoning_effort, Capability::reasoning_budget});
  }
  // No thinking asked for: nothing a model may lack.
  auto none = needs_request();
  none.reasoning = Reasoning{.effort = Reasoning::Effort::none};
  CHECK(needs_of(none) == Needs{});
  none.reasoning = Reasoning{.budget_tokens = 0};
  CHECK(needs_of(none) == Needs{});
}

TEST_CASE("a forced tool call together with reasoning needs thinking with a forced tool", "[core][needs]") {
  auto r = needs_request();
  r.tools = {weather_tool()};
  r.reasoning = Reasoning{.budget_tokens = 2048};
  CHECK_FALSE(needs_of(r).required.has(Capability::thinking_with_forced_tool));  // the model decides
  r.tool_choice = ToolChoice{ToolChoice::Mode::required};
  CHECK(needs_of(r).required.has(Capability::thinking_with_forced_tool));
  r.tool_choice = ToolChoice::tool("get_weather");
  CHECK(needs_of(r).required.has(Capability::thinking_with_forced_tool));
  r.reasoning.reset();  // forced, but no thinking
  CHECK_FALSE(needs_of(r).required.has(Capability::thinking_with_forced_tool));
}

TEST_CASE("a history tool call whose arguments are not a JSON object needs them kept verbatim", "[core][needs]") {
  auto r = needs_request();
  Message turn{.role = "assistant", .tool_calls = {ToolCall{.id = "call_1", .name = "f", .arguments = R"({"a":1})"}}};
  r.messages.push_back(turn);
  CHECK(needs_of(r).required.empty());
  turn.tool_calls[0].arguments = "{not json";
  turn.tool_calls[0].arguments_object = false;
  r.messages.push_back(turn);
  CHECK(needs_of(r).required == Capabilities{Capability::verbatim_tool_arguments});
}

TEST_CASE("cache marks are counted over parts, messages and tools, and are not a need", "[core][needs]") {
  auto r = needs_request();
  r.messages[0].cache = CacheMark{};
  auto part = ContentPart::of_text("A long preamble.");
  part.cache = CacheMark{CacheMark::Ttl::one_hour};
  r.messages.push_back(Message{.role = "user", .parts = {part, part}});
  auto tool = weather_tool();
  tool.cache = CacheMark{};
  r.tools = {tool};
  const auto n = needs_of(r);
  CHECK(n.cache_marks == 4);
  CHECK(n.required == Capabilities{Capability::tools});
}
