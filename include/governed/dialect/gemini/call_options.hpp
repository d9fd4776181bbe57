#pragma once
/// @file
/// What a call asks of Gemini beyond its messages, in generateContent's names (v1beta):
///
/// - tools: `tools: [{"functionDeclarations": [{"name", "description", "parametersJsonSchema"}]}]`.
///   Beside `parameters` (an OpenAPI subset) v1beta takes `parametersJsonSchema`, "the
///   parameters to the function in JSON Schema format … mutually exclusive with `parameters`"
///   (https://googleapis.github.io/java-genai/javadoc/google-genai/com.google.genai.types/-function-declaration/parameters-json-schema.html),
///   so a tool's schema goes there as it is. `Tool::strict` has no field and is dropped.
/// - tool choice: `toolConfig.functionCallingConfig: {"mode": "AUTO"|"ANY"|"NONE",
///   "allowedFunctionNames"}` (https://ai.google.dev/api/caching#ToolConfig); a named tool is
///   ANY with that one name, and must be one of the call's tools. Gemini has no switch for
///   one call per turn, so `parallel_tool_calls == false` with tools is refused.
/// - output: `generationConfig.responseMimeType: "application/json"`, with a schema
///   `responseJsonSchema`, "an alternative to responseSchema that accepts JSON Schema … not all
///   features are supported" (the keywords it takes are listed at
///   https://googleapis.github.io/js-genai/release_docs/interfaces/types.GenerationConfig.html).
///   There is no strict switch: Gemini's constrained decoding follows the schema within those
///   keywords, so `strict` writes nothing.
/// - `stopSequences` (at most 5), `seed`, `topP`
///   (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/GenerationConfig, the same
///   names as the Developer API's GenerationConfig).
/// - thinking: `generationConfig.thinkingConfig: {"thinkingBudget", "includeThoughts"}`, the
///   budget given, or governed's budget for the effort given (`budget_of`; none is 0). Gemini 3
///   takes `thinkingLevel` instead (`thinking_form`).
///
/// Not written, for want of a field: `Request::user` and `metadata`, cache marks (Gemini's
/// explicit caching is the separate cachedContents API; implicit caching needs nothing).

#include <governed/dialect/gemini/messages.hpp>
#include <governed/json_text.hpp>
#include <governed/output_format.hpp>
#include <governed/reasoning.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/tools.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>

namespace governed::dialect::gemini {

/// How a model is told how much to think.
enum class ThinkingForm : unsigned char {
  /// `thinkingConfig.thinkingBudget`: a number of tokens (Gemini 2.5).
  budget,
  /// `thinkingConfig.thinkingLevel`: "minimal", "low", "medium" or "high", by model. Gemini 3
  /// takes this instead, and answers 400 when a request sets both
  /// (https://ai.google.dev/gemini-api/docs/thinking).
  level,
};

/// The form `model` takes. Budget for every model for now: the level a budget maps to, per
/// Gemini 3 model, is still to be put in the provider table.
constexpr ThinkingForm thinking_form(std::string_view /*model*/) noexcept { return ThinkingForm::budget; }

/// The most stop sequences generationConfig.stopSequences holds.
inline constexpr std::size_t max_stop_sequences = 5;

/// A `JsonText` as a tree. It is valid JSON by construction, the dump of a tree the program
/// built or of text read within the limits, so it is parsed as it is, and without throwing.
inline nlohmann::json json_of(const JsonText& text) {
  return nlohmann::json::parse(text.text(), nullptr, /*allow_exceptions=*/false);
}

inline Result<void> write_tools(nlohmann::json& body, const Request& r) {
  if (r.tools.empty()) {
    if (r.tool_choice.mode == ToolChoice::Mode::automatic || r.tool_choice.mode == ToolChoice::Mode::none) return {};
    return cannot_hold("a tool choice without tools");
  }
  // Without tools there is nothing to limit; with them, Gemini may make several calls at once.
  if (r.parallel_tool_calls == false) return cannot_hold("a limit of one tool call per turn: it has no such switch");
  nlohmann::json declarations = nlohmann::json::array();
  for (const Tool& tool : r.tools) {
    nlohmann::json declaration = {{"name", tool.name}, {"description", tool.description}};
    if (!tool.parameters.empty()) declaration["parametersJsonSchema"] = json_of(tool.parameters);
    declarations.push_back(std::move(declaration));
  }
  body["tools"] = nlohmann::json::array({{{"functionDeclarations", std::move(declarations)}}});
  nlohmann::json config;
  switch (r.tool_choice.mode) {
    case ToolChoice::Mode::automatic: return {};
    case ToolChoice::Mode::none: config = {{"mode", "NONE"}}; break;
    case ToolChoice::Mode::required: config = {{"mode", "ANY"}}; break;
    case ToolChoice::Mode::named: {
      const auto named = [&](const Tool& t) { return t.name == r.tool_choice.name; };
      if (std::none_of(r.tools.begin(), r.tools.end(), named))
        return fail(Errc::invalid_argument,
                    fmt::format("the tool choice names {}, which is not one of the call's tools", r.tool_choice.name));
      config = {{"mode", "ANY"}, {"allowedFunctionNames", {r.tool_choice.name}}};
      break;
    }
  }
  body["toolConfig"] = {{"functionCallingConfig", std::move(config)}};
  return {};
}

inline void write_output(nlohmann::json& config, const OutputFormat& output) {
  if (output.kind == OutputFormat::Kind::text) return;
  config["responseMimeType"] = "application/json";
  if (output.kind == OutputFormat::Kind::json_schema && !output.schema.empty())
    config["responseJsonSchema"] = json_of(output.schema);
}

/// The level Gemini 3 names for `effort`: its levels run from minimal to high.
constexpr std::string_view thinking_level(Reasoning::Effort effort) noexcept {
  switch (effort) {
    case Reasoning::Effort::none:
    case Reasoning::Effort::minimal: return "minimal";
    case Reasoning::Effort::low: return "low";
    case Reasoning::Effort::medium: return "medium";
    case Reasoning::Effort::high:
    case Reasoning::Effort::xhigh: return "high";
  }
  return "medium";
}

inline void write_thinking(nlohmann::json& config, const Reasoning& reasoning, ThinkingForm form) {
  nlohmann::json thinking = {{"includeThoughts", reasoning.include_thoughts}};
  if (form == ThinkingForm::level) {
    if (reasoning.effort || reasoning.budget_tokens)
      thinking["thinkingLevel"] = thinking_level(reasoning.effort ? *reasoning.effort : effort_of(*reasoning.budget_tokens));
  } else if (reasoning.budget_tokens) {
    thinking["thinkingBudget"] = *reasoning.budget_tokens;
  } else if (reasoning.effort) {
    thinking["thinkingBudget"] = budget_of(*reasoning.effort);
  }
  config["thinkingConfig"] = std::move(thinking);
}

/// The typed members of `r` into generationConfig (`config`), for `model`.
inline Result<void> write_generation(nlohmann::json& config, const Request& r, std::string_view model) {
  write_output(config, r.output);
  if (!r.stop.empty()) {
    if (r.stop.size() > max_stop_sequences)
      return cannot_hold(fmt::format("{} stop sequences: stopSequences holds at most {}", r.stop.size(),
                                     max_stop_sequences));
    config["stopSequences"] = r.stop;
  }
  if (r.seed) config["seed"] = *r.seed;
  if (r.top_p) config["topP"] = *r.top_p;
  if (r.reasoning) write_thinking(config, *r.reasoning, thinking_form(model));
  return {};
}

}  // namespace governed::dialect::gemini
