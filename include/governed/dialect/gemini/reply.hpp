#pragma once
/// @file
/// A successful Gemini `generateContent` reply, read: the joined `text` parts of the first
/// candidate's content and the `usageMetadata`, whose thinking tokens are billed as output; and written
/// (`encode_completion`), as governed-sim answers.

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

namespace governed::dialect::gemini {

/// The text and usage of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::gemini, body, limits);
}

/// A successful reply written as Gemini writes it: `meta.n` candidates of `c.content`, each
/// with its `finishReason`, the `usageMetadata`, `modelVersion` and `responseId`.
inline std::string encode_completion(const providers::Completion& c, const ReplyMeta& meta) {
  const providers::Usage u = c.usage.value_or(providers::Usage{});
  nlohmann::json candidates = nlohmann::json::array();
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(meta.n, 1); ++i)
    candidates.push_back({{"content", {{"parts", {{{"text", c.content}}}}, {"role", "model"}}},
                          {"finishReason", meta.finish == Finish::length ? "MAX_TOKENS" : "STOP"}, {"index", i}});
  const nlohmann::json body = {
      {"candidates", std::move(candidates)},
      {"usageMetadata", {{"promptTokenCount", u.input_tokens}, {"candidatesTokenCount", u.output_tokens},
                         {"totalTokenCount", u.input_tokens + u.output_tokens}}},
      {"modelVersion", meta.model}, {"responseId", meta.id}};
  return body.dump();
}

}  // namespace governed::dialect::gemini
