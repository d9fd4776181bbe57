#pragma once
/// @file
/// A successful Gemini `generateContent` reply, read: the joined `text` parts of the first
/// candidate's content and the `usageMetadata`, whose thinking tokens are billed as output.

#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <string_view>

namespace governed::dialect::gemini {

/// The text and usage of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::gemini, body, limits);
}

}  // namespace governed::dialect::gemini
