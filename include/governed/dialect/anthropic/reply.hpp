#pragma once
/// @file
/// A successful Anthropic message, read: the joined `text` blocks of `content` (a tool call's
/// input is not text) and the usage, whose `input_tokens` exclude cache reads and writes; and
/// written (`encode_completion`), as governed-sim answers.

#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace governed::dialect::anthropic {

/// The text and usage of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::anthropic, body, limits);
}

/// A successful reply written as Anthropic writes it: one text block of `c.content`, the
/// `stop_reason`, and the usage with `input_tokens` net of the cache reads and writes, which
/// are written beside it.
inline std::string encode_completion(const providers::Completion& c, const ReplyMeta& meta) {
  const providers::Usage u = c.usage.value_or(providers::Usage{});
  const nlohmann::json body = {
      {"id", meta.id}, {"type", "message"}, {"role", "assistant"}, {"model", meta.model},
      {"content", {{{"type", "text"}, {"text", c.content}}}},
      {"stop_reason", meta.finish == Finish::length ? "max_tokens" : "end_turn"}, {"stop_sequence", nullptr},
      {"usage", {{"input_tokens", u.input_tokens - u.cached_input_tokens - u.cache_write_tokens},
                 {"output_tokens", u.output_tokens},
                 {"cache_creation_input_tokens", u.cache_write_tokens},
                 {"cache_read_input_tokens", u.cached_input_tokens}}}};
  return body.dump();
}

}  // namespace governed::dialect::anthropic
