#pragma once
/// @file
/// What a reply says besides its completion, for writing it in a dialect
/// (`encode_completion`, dialect/reply.hpp): its id, the model, when it was made, how many
/// choices, and why it stopped when a choice does not say. The homes write each in their own
/// field and words (OpenAI's `finish_reason: "length"`, Anthropic's `stop_reason:
/// "max_tokens"`, Gemini's `finishReason: "MAX_TOKENS"`: `providers::finish_word`); and what
/// an error reply says besides the fields of `providers::ErrorBody` (`encode_error`,
/// dialect/error.hpp).
///
/// The choices themselves — text, tool calls, refusal, reasoning, finish — are the
/// completion's own (`written_choices`).

#include <governed/providers/completion.hpp>
#include <governed/providers/finish.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

namespace governed::dialect {

/// Why the model stopped writing: the provider-neutral reason (providers/finish.hpp), written
/// in each home's word for it (`providers::finish_word`).
using Finish = providers::FinishReason;

struct ReplyMeta {
  std::string_view id{};     ///< the reply's id, as written (`chatcmpl-…`, `msg_…`, Gemini's `responseId`)
  std::string_view model{};  ///< the model that answered
  std::int64_t created = 0;  ///< Unix seconds (OpenAI's `created`)
  std::uint32_t n = 1;       ///< choices (OpenAI) or candidates (Gemini) of a completion without `more`; 0 is 1
  Finish finish = Finish::stop;  ///< the end of a choice that does not state its own
};

/// One choice as a home writes it.
struct WrittenChoice {
  std::string_view content;
  Finish finish = Finish::stop;
  /// Its tool calls, refusal and reasoning; null when it has none.
  const providers::ChoiceDetail* detail = nullptr;

  bool has_calls() const noexcept { return detail && !detail->tool_calls.empty(); }
};

/// The choices `encode_completion` writes: the completion's own, the first and then `more`;
/// a completion without `more` has its first written `meta.n` times (governed-sim answers
/// `n` alike). A choice whose finish is `unknown` ends as `meta.finish`, or `tool_calls` when
/// it called tools.
inline std::vector<WrittenChoice> written_choices(const providers::Completion& c, const ReplyMeta& meta) {
  const auto written = [&](std::string_view content, Finish finish, const providers::ChoiceDetail* detail) {
    WrittenChoice w{content, finish, detail};
    if (w.finish == Finish::unknown) w.finish = w.has_calls() ? Finish::tool_calls : meta.finish;
    return w;
  };
  std::vector<WrittenChoice> out;
  const WrittenChoice first = written(c.content, c.finish, c.detail.get());
  const std::size_t copies = c.more.empty() ? std::max<std::uint32_t>(meta.n, 1) : 1;
  out.assign(copies, first);
  for (const auto& m : c.more) out.push_back(written(m.content, m.finish, m.detail.get()));
  return out;
}
/// What an error reply names besides its `providers::ErrorBody` fields; empty is not written
/// (OpenAI's `param` is then `null`).
struct ErrorMeta {
  std::string_view param{};     ///< the request field at fault (OpenAI's `error.param`)
  std::string_view request_id{};///< the request's id (Anthropic's `request_id`, Mistral's gateway)
};

}  // namespace governed::dialect
