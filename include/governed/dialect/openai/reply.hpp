#pragma once
/// @file
/// A successful chat completion from OpenAI or a compatible provider (Azure OpenAI, Groq,
/// Mistral, OpenRouter, DeepSeek), read: the text of the first choice —
/// `choices[0].message.content` as a string or as text blocks, or a legacy completion's
/// `choices[0].text` — and the usage the body states.

#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <string_view>

namespace governed::dialect::openai {

/// The text and usage of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::openai, body, limits);
}

}  // namespace governed::dialect::openai
