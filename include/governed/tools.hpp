#pragma once
/// @file
/// `Tool` and `ToolChoice`: the functions a model may call, and whether it must. OpenAI's
/// `tools: [{"type": "function", "function": {name, description, parameters, strict}}]` and
/// `tool_choice`, Anthropic's `tools: [{name, description, input_schema}]` and `tool_choice`,
/// Gemini's `tools[].functionDeclarations[]` and `toolConfig.functionCallingConfig`.
///
/// A tool's name should match `^[a-zA-Z0-9_-]{1,64}$`, the rule every provider shares.

#include <governed/cache_mark.hpp>
#include <governed/json_text.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace governed {

struct Tool {
  std::string name{};
  std::string description{};
  /// The arguments' JSON schema (an object schema). Empty: the tool takes no arguments.
  JsonText parameters{};
  /// Ask the provider to hold the arguments to the schema exactly (OpenAI's `strict`).
  bool strict = false;
  /// A prompt-cache breakpoint after this tool's definition (Anthropic only).
  std::optional<CacheMark> cache{};

  friend bool operator==(const Tool&, const Tool&) = default;
};

struct ToolChoice {
  /// automatic: the model decides; none: no tool; required: some tool; named: `name`.
  enum class Mode : std::uint8_t { automatic, none, required, named };
  Mode mode = Mode::automatic;
  std::string name{};

  /// The model must call the tool named `name`.
  static ToolChoice tool(std::string name) { return {Mode::named, std::move(name)}; }

  friend bool operator==(const ToolChoice&, const ToolChoice&) = default;
};

constexpr std::string_view to_string(ToolChoice::Mode mode) noexcept {
  switch (mode) {
    case ToolChoice::Mode::automatic: return "auto";
    case ToolChoice::Mode::none: return "none";
    case ToolChoice::Mode::required: return "required";
    case ToolChoice::Mode::named: return "named";
  }
  return "auto";
}

}  // namespace governed
