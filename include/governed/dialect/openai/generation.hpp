#pragma once
/// @file
/// How a chat-completions call asks the model to answer: the output format, stop sequences,
/// sampling, reasoning, and who the end user is. Names from OpenAI's API reference
/// (https://platform.openai.com/docs/api-reference/chat/create; the official SDK's
/// `ChatCompletionCreateParamsBase`, `ResponseFormatJSONSchema`, `ReasoningEffort`,
/// openai-node 6.49.0):
///
/// - `response_format`: `{"type": "json_object"}` or `{"type": "json_schema", "json_schema":
///   {"name", "schema", "strict"}}` (`strict` left out when false);
/// - `stop`: an array, "up to 4 sequences" for OpenAI and Azure (more is refused here rather
///   than by the provider); `top_p`;
/// - `seed`; Mistral names it `random_seed`
///   (https://github.com/mistralai/client-python, `ChatCompletionRequest`);
/// - `user`; `metadata`, an object of strings;
/// - `reasoning_effort` (none, minimal, low, medium, high, xhigh) for OpenAI and Azure, from
///   the call's effort or, given only a budget, the effort that holds it (`effort_of`).
///   OpenRouter takes `reasoning: {"effort"}` or `reasoning: {"max_tokens"}`
///   (https://openrouter.ai/docs/use-cases/reasoning-tokens).
///
/// Which provider takes which advisory field — the others are left out, silently:
///
/// | field     | openai | azure | groq | openrouter | mistral        | deepseek |
/// |-----------|--------|-------|------|------------|----------------|----------|
/// | seed      | yes    | yes   | yes  | yes        | `random_seed`  | no       |
/// | user      | yes    | yes   | yes  | yes        | no             | no       |
/// | metadata  | yes    | no    | no   | no         | no             | no       |
/// | reasoning | effort | effort| no   | `reasoning`| no             | no       |
///
/// Mistral refuses fields it does not know; DeepSeek's reference lists no seed or user; Azure
/// takes `metadata` only with stored completions (preview API versions); Groq's and the
/// others' reasoning controls are per model and do not map onto one effort, so a call that
/// asks for reasoning goes only where the provider table says the model can (the walk skips
/// the rest).

#include <governed/output_format.hpp>
#include <governed/providers/dialect.hpp>
#include <governed/reasoning.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace governed::dialect::openai {

/// `response_format` for `output`, or null for free text (left out).
inline Result<nlohmann::json> response_format(const OutputFormat& output) {
  switch (output.kind) {
    case OutputFormat::Kind::text: return nlohmann::json();
    case OutputFormat::Kind::json_object: return nlohmann::json{{"type", "json_object"}};
    case OutputFormat::Kind::json_schema: break;
  }
  if (output.name.empty()) return fail(Errc::invalid_argument, "a JSON-schema output format needs a name in chat completions");
  nlohmann::json schema{{"name", output.name}};
  // Valid JSON by construction (json_text.hpp): parsed without limits.
  if (!output.schema.empty()) schema["schema"] = nlohmann::json::parse(output.schema.text());
  if (output.strict) schema["strict"] = true;
  return nlohmann::json{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
}

/// The reasoning ask in a dialect's form: its field's name and value (none where it has none).
struct ReasoningField {
  const char* name = nullptr;
  nlohmann::json value{};
};

inline ReasoningField reasoning_field(const Reasoning& r, providers::Dialect d) {
  using providers::Dialect;
  if (d == Dialect::openai || d == Dialect::azure) {
    if (r.effort) return {"reasoning_effort", std::string(to_string(*r.effort))};
    if (r.budget_tokens) return {"reasoning_effort", std::string(to_string(effort_of(*r.budget_tokens)))};
  } else if (d == Dialect::openrouter) {
    if (r.effort) return {"reasoning", {{"effort", std::string(to_string(*r.effort))}}};
    if (r.budget_tokens) return {"reasoning", {{"max_tokens", *r.budget_tokens}}};
  }
  return {};
}

/// The advisory fields dialect `d` takes (see the table above).
inline void write_advisory(nlohmann::json& body, const Request& request, providers::Dialect d) {
  using providers::Dialect;
  const bool takes_seed_and_user = d != Dialect::mistral && d != Dialect::deepseek;
  if (request.seed) {
    if (takes_seed_and_user) body["seed"] = *request.seed;
    else if (d == Dialect::mistral) body["random_seed"] = *request.seed;
  }
  if (!request.user.empty() && takes_seed_and_user) body["user"] = request.user;
  if (!request.metadata.empty() && d == Dialect::openai) {
    nlohmann::json tags = nlohmann::json::object();
    for (const auto& [key, value] : request.metadata) tags[key] = value;
    body["metadata"] = std::move(tags);
  }
}

/// The output format, stop sequences, sampling, reasoning and advisory fields written into
/// `body` in dialect `d`'s form.
inline Result<void> write_generation(nlohmann::json& body, const Request& request, providers::Dialect d) {
  if (request.output.kind != OutputFormat::Kind::text) {
    auto format = response_format(request.output);
    if (!format) return tl::unexpected(std::move(format.error()));
    body["response_format"] = std::move(*format);
  }
  if (!request.stop.empty()) {
    constexpr std::size_t openai_stop_limit = 4;
    const bool limited = d == providers::Dialect::openai || d == providers::Dialect::azure;
    if (limited && request.stop.size() > openai_stop_limit)
      return fail(Errc::invalid_argument, fmt::format("chat completions take at most {} stop sequences; this call has {}",
                                                      openai_stop_limit, request.stop.size()));
    body["stop"] = request.stop;
  }
  if (request.top_p) body["top_p"] = *request.top_p;
  if (request.reasoning) {
    if (auto field = reasoning_field(*request.reasoning, d); field.name) body[field.name] = std::move(field.value);
  }
  if (request.seed || !request.user.empty() || !request.metadata.empty()) write_advisory(body, request, d);
  return {};
}

}  // namespace governed::dialect::openai
