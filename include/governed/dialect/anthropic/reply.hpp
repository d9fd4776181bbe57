#pragma once
/// @file
/// A successful Anthropic message, read: the joined `text` blocks of `content` (a tool call's
/// input is not text) and the usage, whose `input_tokens` exclude cache reads and writes.

#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <string_view>

namespace governed::dialect::anthropic {

/// The text and usage of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::anthropic, body, limits);
}

}  // namespace governed::dialect::anthropic
