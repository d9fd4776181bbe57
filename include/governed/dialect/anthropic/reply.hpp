#pragma once
/// @file
/// A successful Anthropic message, read: the joined `text` blocks of `content`, its `tool_use`
/// blocks as tool calls, its `thinking` and `redacted_thinking` blocks as reasoning, the
/// `stop_reason` (dialect/detail/message_blocks.hpp), the `id`, and the usage, whose
/// `input_tokens` exclude cache reads and writes; and written (`encode_completion`), as
/// governed-sim answers.

#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/table.hpp>
#include <governed/reasoning.hpp>
#include <governed/tool_call.hpp>
#include <governed/result.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect::anthropic {

/// The choice, the usage and the id of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::anthropic, body, limits);
}

}  // namespace governed::dialect::anthropic

namespace governed::dialect::detail {

/// A tool call's `input`: its arguments as the object they are. Arguments that are not one
/// object (a chat-completions model may write anything there) have no form here: `{}`.
inline nlohmann::json anthropic_input_of(const ToolCall& call) {
  if (!call.arguments_object) return nlohmann::json::object();
  auto parsed = parse_json(call.arguments, JsonLimits{}, "the tool call's arguments");
  return parsed && parsed->is_object() ? std::move(*parsed) : nlohmann::json::object();
}

/// A message's `content` blocks: the reasoning first (`thinking` with its signature, or
/// `redacted_thinking`), then the text (always, when there is nothing else), then `tool_use`.
inline nlohmann::json anthropic_blocks_of(const WrittenChoice& w) {
  nlohmann::json blocks = nlohmann::json::array();
  const providers::ChoiceDetail* d = w.detail;
  if (d)
    for (const auto& r : d->reasoning) {
      if (!r.redacted.empty()) blocks.push_back({{"type", "redacted_thinking"}, {"data", r.redacted}});
      else blocks.push_back({{"type", "thinking"}, {"thinking", r.text}, {"signature", r.signature}});
    }
  if (!w.content.empty() || !w.has_calls()) blocks.push_back({{"type", "text"}, {"text", w.content}});
  if (d)
    for (const ToolCall& c : d->tool_calls)
      blocks.push_back({{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", anthropic_input_of(c)}});
  return blocks;
}

}  // namespace governed::dialect::detail

namespace governed::dialect::anthropic {

/// A successful reply written as Anthropic writes it: the first choice's blocks (an Anthropic
/// message has one choice), the `stop_reason`, and the usage with `input_tokens` net of the
/// cache reads and writes, which are written beside it.
inline std::string encode_completion(const providers::Completion& c, const ReplyMeta& meta) {
  const providers::Usage u = c.usage.value_or(providers::Usage{});
  const WrittenChoice w = written_choices(c, meta).front();
  const nlohmann::json body = {
      {"id", meta.id}, {"type", "message"}, {"role", "assistant"}, {"model", meta.model},
      {"content", detail::anthropic_blocks_of(w)},
      {"stop_reason", providers::finish_word(providers::Dialect::anthropic, w.finish)}, {"stop_sequence", nullptr},
      {"usage", {{"input_tokens", u.input_tokens - u.cached_input_tokens - u.cache_write_tokens},
                 {"output_tokens", u.output_tokens},
                 {"cache_creation_input_tokens", u.cache_write_tokens},
                 {"cache_read_input_tokens", u.cached_input_tokens}}}};
  return body.dump();
}

}  // namespace governed::dialect::anthropic
