#pragma once
/// @file
/// A successful chat completion from OpenAI or a compatible provider (Azure OpenAI, Groq,
/// Mistral, OpenRouter, DeepSeek), read: every choice — `message.content` as a string or as
/// text blocks (or a legacy completion's `text`), `refusal`, `tool_calls`,
/// `reasoning_content`, `finish_reason` (dialect/detail/chat_choices.hpp) — the usage the body
/// states and its `id`; and written (`encode_completion`), as governed-sim answers.

#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/table.hpp>
#include <governed/tool_call.hpp>
#include <governed/result.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect::openai {

/// Every choice, the usage and the id of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::openai, body, limits);
}

}  // namespace governed::dialect::openai

namespace governed::dialect::detail {

/// A choice's `message`: the text (`null` when there is none beside tool calls or a refusal),
/// the refusal, the reasoning as DeepSeek writes it (`reasoning_content`, the blocks' text
/// joined) and the tool calls with their arguments as the string they are.
inline nlohmann::json openai_message_of(const WrittenChoice& w) {
  nlohmann::json m = {{"role", "assistant"}, {"content", w.content}};
  if (!w.detail) return m;
  const providers::ChoiceDetail& d = *w.detail;
  if (w.content.empty() && (!d.tool_calls.empty() || !d.refusal.empty())) m["content"] = nullptr;
  if (!d.refusal.empty()) m["refusal"] = d.refusal;
  std::string reasoning;
  for (const auto& b : d.reasoning) reasoning += b.text;
  if (!reasoning.empty()) m["reasoning_content"] = std::move(reasoning);
  if (d.tool_calls.empty()) return m;
  nlohmann::json calls = nlohmann::json::array();
  for (const ToolCall& c : d.tool_calls)
    calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  m["tool_calls"] = std::move(calls);
  return m;
}

}  // namespace governed::dialect::detail

namespace governed::dialect::openai {

/// A successful reply written as OpenAI writes it: each of the completion's choices
/// (`written_choices`: `meta.n` of a text answer) with its `message` and `finish_reason`, and
/// the usage as `prompt_tokens`, `completion_tokens`, `total_tokens` (the cached and reasoning
/// counts are not written). Every flavour answers in this shape.
inline std::string encode_completion(const providers::Completion& c, const ReplyMeta& meta) {
  const providers::Usage u = c.usage.value_or(providers::Usage{});
  nlohmann::json choices = nlohmann::json::array();
  std::uint32_t index = 0;
  for (const WrittenChoice& w : written_choices(c, meta))
    choices.push_back({{"index", index++}, {"message", detail::openai_message_of(w)}, {"logprobs", nullptr},
                       {"finish_reason", providers::finish_word(providers::Dialect::openai, w.finish)}});
  const nlohmann::json body = {{"id", meta.id}, {"object", "chat.completion"}, {"created", meta.created},
                               {"model", meta.model}, {"choices", std::move(choices)},
                               {"usage", {{"prompt_tokens", u.input_tokens}, {"completion_tokens", u.output_tokens},
                                          {"total_tokens", u.input_tokens + u.output_tokens}}}};
  return body.dump();
}

}  // namespace governed::dialect::openai
