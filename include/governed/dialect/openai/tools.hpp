#pragma once
/// @file
/// The tools a chat-completions call offers, and whether the model must call one, as OpenAI's
/// API reference names them (https://platform.openai.com/docs/api-reference/chat/create; the
/// official SDK's `ChatCompletionFunctionTool`, `FunctionDefinition`,
/// `ChatCompletionToolChoiceOption`, openai-node 6.49.0):
///
/// - `tools: [{"type": "function", "function": {"name", "description", "parameters",
///   "strict"}}]`, leaving out an empty description, an empty schema ("omitting `parameters`
///   defines a function with an empty parameter list") and `strict` when false;
/// - `tool_choice`: `"none"`, `"required"` or `{"type": "function", "function": {"name"}}`;
///   automatic is the provider's default and is not written;
/// - `parallel_tool_calls`, when the call sets it and offers tools (OpenAI refuses it
///   without them). Mistral's generated client lists the same field
///   (https://github.com/mistralai/client-python, `ChatCompletionRequest`).

#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/tools.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace governed::dialect::openai {

/// `tools` for the request's tools (empty when it offers none); an error for a nameless tool.
inline Result<nlohmann::json> tools(const Request& request) {
  nlohmann::json out = nlohmann::json::array();
  for (const Tool& t : request.tools) {
    if (t.name.empty()) return fail(Errc::invalid_argument, "a tool has no name: chat completions need one");
    nlohmann::json function{{"name", t.name}};
    if (!t.description.empty()) function["description"] = t.description;
    // Valid JSON by construction (json_text.hpp): parsed without limits.
    if (!t.parameters.empty()) function["parameters"] = nlohmann::json::parse(t.parameters.text());
    if (t.strict) function["strict"] = true;
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

/// `tool_choice`, or null for automatic (the provider's default: left out).
inline Result<nlohmann::json> tool_choice(const ToolChoice& choice) {
  switch (choice.mode) {
    case ToolChoice::Mode::automatic: return nlohmann::json();
    case ToolChoice::Mode::none: return nlohmann::json("none");
    case ToolChoice::Mode::required: return nlohmann::json("required");
    case ToolChoice::Mode::named: break;
  }
  if (choice.name.empty()) return fail(Errc::invalid_argument, "the tool choice names no tool");
  return nlohmann::json{{"type", "function"}, {"function", {{"name", choice.name}}}};
}

/// The request's tools, tool choice and parallel switch written into `body`. A call without
/// tools or a choice costs two tests and builds nothing: the text path stays as cheap as before.
inline Result<void> write_tools(nlohmann::json& body, const Request& request) {
  if (request.tools.empty() && request.tool_choice.mode == ToolChoice::Mode::automatic) return {};
  if (!request.tools.empty()) {
    auto offered = tools(request);
    if (!offered) return tl::unexpected(std::move(offered.error()));
    body["tools"] = std::move(*offered);
    if (request.parallel_tool_calls) body["parallel_tool_calls"] = *request.parallel_tool_calls;
  }
  auto choice = tool_choice(request.tool_choice);
  if (!choice) return tl::unexpected(std::move(choice.error()));
  if (!choice->is_null()) body["tool_choice"] = std::move(*choice);
  return {};
}

}  // namespace governed::dialect::openai
