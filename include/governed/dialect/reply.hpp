#pragma once
/// @file
/// A successful reply read in the dialect of the provider that sent it: each home
/// (dialect/<home>/reply.hpp) knows where its text lies; every home reads every usage shape.
///
/// The flavours of OpenAI's API (Azure OpenAI, Groq, Mistral, OpenRouter, DeepSeek) answer in
/// its shape, so each is read — and written, `encode_completion` — by the openai home.

#include <governed/dialect/anthropic/reply.hpp>
#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/dialect/gemini/reply.hpp>
#include <governed/dialect/openai/reply.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace governed::dialect {

/// The text of the first choice and the usage of a successful reply from a provider of
/// `dialect`; a `parse_error` when the body is not JSON or is past `limits`.
inline Result<providers::Completion> decode_completion(providers::Dialect dialect, std::string_view body,
                                                       const JsonLimits& limits = {}) {
  switch (dialect) {
    case providers::Dialect::anthropic: return anthropic::decode_completion(body, limits);
    case providers::Dialect::gemini: return gemini::decode_completion(body, limits);
    default: return openai::decode_completion(body, limits);
  }
}

/// The same reading, written into `into`: the completion when the body reads, else nothing (and
/// the `parse_error`). For a reply that keeps its reading (`transport::Reply::completion`): its
/// text moves once, from the reader into `into`. Every home reads through the one answer reader,
/// told where `dialect` puts the text.
inline Result<void> decode_completion(providers::Dialect dialect, std::string_view body, const JsonLimits& limits,
                                      std::optional<providers::Completion>& into) {
  return detail::decode_answer(dialect, body, limits, into);
}

/// A successful reply written in the shape of `dialect`'s home, as governed-sim answers.
inline std::string encode_completion(providers::Dialect dialect, const providers::Completion& c, const ReplyMeta& meta) {
  switch (dialect) {
    case providers::Dialect::anthropic: return anthropic::encode_completion(c, meta);
    case providers::Dialect::gemini: return gemini::encode_completion(c, meta);
    default: return openai::encode_completion(c, meta);
  }
}

}  // namespace governed::dialect
