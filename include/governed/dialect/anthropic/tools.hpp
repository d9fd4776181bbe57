#pragma once
/// @file
/// Tools, tool choice and the answer's format in Anthropic's messages format.
///
/// - `tools: [{"name", "description"?, "input_schema", "strict"?, "cache_control"?}]`;
///   `input_schema` is required, so a tool without parameters gets `{"type": "object"}`
///   (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use).
/// - `tool_choice: {"type": "auto" | "any" | "tool", "name"?, "disable_parallel_tool_use"?}` or
///   `{"type": "none"}`. At most one call per turn is `disable_parallel_tool_use: true`, so the
///   choice is written even when automatic then. With extended thinking only "auto" and "none"
///   are accepted: a call that forces a tool and thinks is refused.
/// - The answer's format. JSON under a strict schema is Anthropic's structured output,
///   `output_config: {"format": {"type": "json_schema", "schema"}}`, generally available
///   without a beta header on the Claude 4.5 models and later
///   (https://platform.claude.com/docs/en/build-with-claude/structured-outputs); the answer
///   is the text, read as every text is. Any JSON object, or JSON under a schema held loosely,
///   is a tool the model is made to call, named `OutputFormat::name` ("json_answer" when
///   empty), whose `input_schema` is the schema (`{"type": "object"}` for any object), forced
///   by `tool_choice: {"type": "tool", "name"}`; the call's own tools stay beside it.
///   **The reply reader** must then take the answer from that tool's `tool_use` block: its
///   `input`, written as JSON text, is the answer's text, and the block is no tool call of
///   the application's (the finish reason is "stop", not "tool_calls").

#include <governed/dialect/anthropic/messages.hpp>
#include <governed/output_format.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/tools.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

namespace governed::dialect::anthropic {

/// How the call's output format is asked for.
enum class OutputForm { text, structured_output, answer_tool };

inline OutputForm output_form(const OutputFormat& output) noexcept {
  if (output.kind == OutputFormat::Kind::text) return OutputForm::text;
  if (output.kind == OutputFormat::Kind::json_schema && output.strict && !output.schema.empty())
    return OutputForm::structured_output;
  return OutputForm::answer_tool;
}

/// The name of the tool that carries the answer (`OutputForm::answer_tool`).
inline std::string answer_tool_name(const OutputFormat& output) {
  return output.name.empty() ? std::string("json_answer") : output.name;
}

/// An object schema, as `input_schema` must be; `what` names it in the error.
inline Result<nlohmann::json> object_schema(const JsonText& schema, std::string_view what) {
  if (schema.empty()) return nlohmann::json{{"type", "object"}};
  nlohmann::json parsed = nlohmann::json::parse(schema.text());  // valid JSON by construction
  if (!parsed.is_object() || parsed.value("type", "") != "object")
    return fail(Errc::invalid_argument,
                fmt::format("Anthropic's tool input is a JSON object, and {} is not an object schema", what));
  return parsed;
}

inline Result<nlohmann::json> tool_definition(const Tool& tool) {
  auto schema = object_schema(tool.parameters, fmt::format("the parameters of tool {}", tool.name));
  if (!schema) return tl::unexpected(schema.error());
  nlohmann::json d = {{"name", tool.name}, {"input_schema", std::move(*schema)}};
  if (!tool.description.empty()) d["description"] = tool.description;
  if (tool.strict) d["strict"] = true;
  if (tool.cache) d["cache_control"] = cache_control(*tool.cache);
  return d;
}

/// The tool that carries a JSON answer.
inline Result<nlohmann::json> answer_tool(const OutputFormat& output) {
  auto schema = object_schema(output.schema, "the output schema");
  if (!schema) return tl::unexpected(schema.error());
  return nlohmann::json{{"name", answer_tool_name(output)},
                        {"description", "Give the answer as this tool's input."},
                        {"input_schema", std::move(*schema)}};
}

inline bool defines_tool(const nlohmann::json& tools, std::string_view name) {
  return std::any_of(tools.begin(), tools.end(),
                     [&](const nlohmann::json& t) { return t["name"].get_ref<const std::string&>() == name; });
}

/// `tool_choice` for the call, null when the provider's default (auto, calls in parallel)
/// is what it asks. `forced` names the answer tool when the output format needs it.
inline Result<nlohmann::json> tool_choice_field(const Request& r, const nlohmann::json& tools, const std::string& forced,
                                                bool thinking) {
  using Mode = ToolChoice::Mode;
  const Mode mode = r.tool_choice.mode;
  if (!forced.empty() && mode != Mode::automatic)
    return fail(Errc::invalid_argument,
                fmt::format("the output format is given as a tool Anthropic must call, and the call's tool choice is "
                            "\"{}\" as well",
                            to_string(mode)));
  if (tools.empty()) {
    if (mode == Mode::required || mode == Mode::named)
      return fail(Errc::invalid_argument, "the call's tool choice asks for a tool, and it defines none");
    return nlohmann::json();
  }
  if (mode == Mode::named && !defines_tool(tools, r.tool_choice.name))
    return fail(Errc::invalid_argument,
                fmt::format("the call's tool choice names tool {}, and it defines no tool of that name", r.tool_choice.name));
  const std::string& name = forced.empty() ? r.tool_choice.name : forced;
  nlohmann::json choice;
  if (!forced.empty() || mode == Mode::named) choice = {{"type", "tool"}, {"name", name}};
  else if (mode == Mode::required) choice = {{"type", "any"}};
  else if (mode == Mode::none) return nlohmann::json{{"type", "none"}};
  else if (r.parallel_tool_calls == false) choice = {{"type", "auto"}};
  else return nlohmann::json();
  if (thinking && choice["type"] != "auto")
    return fail(Errc::invalid_argument,
                "Anthropic does not force a tool call while the model thinks (extended thinking takes only tool "
                "choice auto or none)");
  if (r.parallel_tool_calls == false) choice["disable_parallel_tool_use"] = true;
  return choice;
}

/// `tools`, `tool_choice` and `output_config` for the call, into `body`.
inline Result<void> add_tools(nlohmann::json& body, const Request& r, bool thinking) {
  if (r.tools.empty() && r.output.kind == OutputFormat::Kind::text && r.tool_choice.mode == ToolChoice::Mode::automatic)
    return {};  // a call without tools: nothing to write, and nothing parsed
  nlohmann::json tools = nlohmann::json::array();
  for (const Tool& tool : r.tools) {
    auto d = tool_definition(tool);
    if (!d) return tl::unexpected(d.error());
    tools.push_back(std::move(*d));
  }
  const OutputForm form = output_form(r.output);
  std::string forced;
  if (form == OutputForm::answer_tool) {
    forced = answer_tool_name(r.output);
    if (defines_tool(tools, forced))
      return fail(Errc::invalid_argument,
                  fmt::format("the output format's tool is named {}, as one of the call's tools is", forced));
    auto answer = answer_tool(r.output);
    if (!answer) return tl::unexpected(answer.error());
    tools.push_back(std::move(*answer));
  }
  if (form == OutputForm::structured_output)
    body["output_config"] = {{"format", {{"type", "json_schema"}, {"schema", nlohmann::json::parse(r.output.schema.text())}}}};
  auto choice = tool_choice_field(r, tools, forced, thinking);
  if (!choice) return tl::unexpected(choice.error());
  if (!tools.empty()) body["tools"] = std::move(tools);
  if (!choice->is_null()) body["tool_choice"] = std::move(*choice);
  return {};
}

}  // namespace governed::dialect::anthropic
