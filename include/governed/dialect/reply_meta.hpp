#pragma once
/// @file
/// What a reply says besides its text and usage, for writing it in a dialect
/// (`encode_completion`, dialect/reply.hpp): its id, the model, when it was made, how many
/// choices, and why it stopped. The homes write each in their own field and words
/// (OpenAI's `finish_reason: "length"`, Anthropic's `stop_reason: "max_tokens"`, Gemini's
/// `finishReason: "MAX_TOKENS"`); and what an error reply says besides the fields of
/// `providers::ErrorBody` (`encode_error`, dialect/error.hpp).

#include <governed/providers/finish.hpp>

#include <cstdint>
#include <string_view>

namespace governed::dialect {

/// Why the model stopped writing: the provider-neutral reason (providers/finish.hpp). The
/// homes write `length` in their word for it and every other reason as their word for `stop`
/// (governed-sim's replies stop or reach max_tokens, nothing else).
using Finish = providers::FinishReason;

struct ReplyMeta {
  std::string_view id{};     ///< the reply's id, as written (`chatcmpl-…`, `msg_…`, Gemini's `responseId`)
  std::string_view model{};  ///< the model that answered
  std::int64_t created = 0;  ///< Unix seconds (OpenAI's `created`)
  std::uint32_t n = 1;       ///< choices (OpenAI) or candidates (Gemini); 0 is written as 1
  Finish finish = Finish::stop;
};

/// What an error reply names besides its `providers::ErrorBody` fields; empty is not written
/// (OpenAI's `param` is then `null`).
struct ErrorMeta {
  std::string_view param{};     ///< the request field at fault (OpenAI's `error.param`)
  std::string_view request_id{};///< the request's id (Anthropic's `request_id`, Mistral's gateway)
};

}  // namespace governed::dialect
