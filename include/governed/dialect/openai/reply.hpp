#pragma once
/// @file
/// A successful chat completion from OpenAI or a compatible provider (Azure OpenAI, Groq,
/// Mistral, OpenRouter, DeepSeek), read: the text of the first choice —
/// `choices[0].message.content` as a string or as text blocks, or a legacy completion's
/// `choices[0].text` — and the usage the body states; and written (`encode_completion`), as
/// governed-sim answers.

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

namespace governed::dialect::openai {

/// The text and usage of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::openai, body, limits);
}

/// A successful reply written as OpenAI writes it: `meta.n` choices of `c.content`, each with
/// its `finish_reason`, and the usage as `prompt_tokens`, `completion_tokens`, `total_tokens`
/// (the cached and reasoning counts are not written). Every flavour answers in this shape.
inline std::string encode_completion(const providers::Completion& c, const ReplyMeta& meta) {
  const providers::Usage u = c.usage.value_or(providers::Usage{});
  nlohmann::json choices = nlohmann::json::array();
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(meta.n, 1); ++i)
    choices.push_back({{"index", i}, {"message", {{"role", "assistant"}, {"content", c.content}}},
                       {"logprobs", nullptr}, {"finish_reason", meta.finish == Finish::length ? "length" : "stop"}});
  const nlohmann::json body = {{"id", meta.id}, {"object", "chat.completion"}, {"created", meta.created},
                               {"model", meta.model}, {"choices", std::move(choices)},
                               {"usage", {{"prompt_tokens", u.input_tokens}, {"completion_tokens", u.output_tokens},
                                          {"total_tokens", u.input_tokens + u.output_tokens}}}};
  return body.dump();
}

}  // namespace governed::dialect::openai
