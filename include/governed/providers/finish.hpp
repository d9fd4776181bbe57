#pragma once
/// @file
/// Why a model stopped writing, in one vocabulary for every provider (`FinishReason`), and the
/// provider's own word for it mapped onto that vocabulary (`finish_of`). A caller decides from
/// the normalised reason — an answer cut at `length` is continued or retried with a larger
/// limit, `tool_calls` runs the tools, `content_filter` falls back or tells the user — and keeps
/// the provider's word beside it for logs.
///
/// The words, as each API reference lists them:
///
/// | normalised       | OpenAI chat completions (`finish_reason`) | Anthropic messages (`stop_reason`)         | Gemini (`finishReason`) |
/// |------------------|-------------------------------------------|--------------------------------------------|-------------------------|
/// | `stop`           | `stop`                                    | `end_turn`, `stop_sequence`                | `STOP`                  |
/// | `length`         | `length`                                  | `max_tokens`, `model_context_window_exceeded` | `MAX_TOKENS`         |
/// | `tool_calls`     | `tool_calls`, `function_call` (deprecated) | `tool_use`                                | —                       |
/// | `content_filter` | `content_filter`                          | `refusal`                                  | `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, `IMAGE_SAFETY` |
/// | `other`          | any other word                            | `pause_turn`, any other word               | `MALFORMED_FUNCTION_CALL`, `LANGUAGE`, `OTHER`, any other word |
/// | `unknown`        | none given                                | none given                                 | none given, `FINISH_REASON_UNSPECIFIED` |
///
/// Sources: OpenAI https://developers.openai.com/api/reference/typescript/resources/chat
/// ("stop | length | tool_calls | content_filter | function_call"); Anthropic
/// https://platform.claude.com/docs/build-with-claude/handling-stop-reasons (its quick
/// reference; `model_context_window_exceeded`: "treat the response as truncated"); Gemini
/// `Candidate.FinishReason` in the Vertex AI and Gemini API references
/// (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/nodejs/latest/vertexai/finishreason).
/// Gemini's `STOP` also ends a turn that called a function: the reply reader, which sees the
/// `functionCall` parts, makes that `tool_calls`; the word alone can not say it.
///
/// The words are compared exactly, as the APIs write them: a provider that changes its case
/// has changed its word, and that reads as `other`, never as a guess.

#include <governed/providers/dialect.hpp>

#include <cstdint>
#include <string_view>

namespace governed::providers {

/// Why a model stopped writing, normalised across providers.
enum class FinishReason : std::uint8_t {
  unknown,         ///< the reply gave no reason (a stream cut off, a body without the field)
  stop,            ///< it finished its answer, or met a stop sequence
  length,          ///< it reached the output limit (max_tokens) or the context window
  tool_calls,      ///< it called one or more tools and waits for their results
  content_filter,  ///< the provider's filters or the model's refusal ended it
  other,           ///< a reason the provider gave that none of the above names
};

/// The reason's name as governed writes it in logs and events ("tool_calls").
constexpr std::string_view to_string(FinishReason r) noexcept {
  switch (r) {
    case FinishReason::unknown: return "unknown";
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::tool_calls: return "tool_calls";
    case FinishReason::content_filter: return "content_filter";
    case FinishReason::other: return "other";
  }
  return "unknown";
}

namespace detail {

/// A provider's word and what it means.
struct FinishWord {
  std::string_view word;
  FinishReason reason;
};

inline constexpr FinishWord openai_finish_words[] = {
    {"stop", FinishReason::stop},
    {"length", FinishReason::length},
    {"tool_calls", FinishReason::tool_calls},
    {"function_call", FinishReason::tool_calls},  // the deprecated functions API's name
    {"content_filter", FinishReason::content_filter},
};

inline constexpr FinishWord anthropic_finish_words[] = {
    {"end_turn", FinishReason::stop},
    {"stop_sequence", FinishReason::stop},
    {"max_tokens", FinishReason::length},
    {"model_context_window_exceeded", FinishReason::length},
    {"tool_use", FinishReason::tool_calls},
    {"refusal", FinishReason::content_filter},
    // A server tool's loop paused: the turn is unfinished, not stopped. The caller sends the
    // content back to continue it.
    {"pause_turn", FinishReason::other},
};

inline constexpr FinishWord gemini_finish_words[] = {
    {"STOP", FinishReason::stop},
    {"MAX_TOKENS", FinishReason::length},
    {"SAFETY", FinishReason::content_filter},
    {"RECITATION", FinishReason::content_filter},
    {"BLOCKLIST", FinishReason::content_filter},
    {"PROHIBITED_CONTENT", FinishReason::content_filter},
    {"SPII", FinishReason::content_filter},
    {"IMAGE_SAFETY", FinishReason::content_filter},
    {"MALFORMED_FUNCTION_CALL", FinishReason::other},
    // "Default value. This value is unused": no reason given.
    {"FINISH_REASON_UNSPECIFIED", FinishReason::unknown},
};

template <std::size_t N>
constexpr FinishReason finish_in(const FinishWord (&words)[N], std::string_view word) noexcept {
  for (const auto& w : words)
    if (w.word == word) return w.reason;
  return FinishReason::other;
}

}  // namespace detail

/// The normalised reason for `provider_reason`, the word a provider of dialect `d` wrote:
/// Anthropic's and Gemini's words by their own tables, every other dialect's (OpenAI and the
/// APIs that speak its chat completions: Azure, Groq, Mistral, OpenRouter, DeepSeek) by
/// OpenAI's. Empty is `unknown`; a word the table does not hold is `other`.
constexpr FinishReason finish_of(Dialect d, std::string_view provider_reason) noexcept {
  if (provider_reason.empty()) return FinishReason::unknown;
  switch (d) {
    case Dialect::anthropic: return detail::finish_in(detail::anthropic_finish_words, provider_reason);
    case Dialect::gemini: return detail::finish_in(detail::gemini_finish_words, provider_reason);
    default: return detail::finish_in(detail::openai_finish_words, provider_reason);
  }
}

/// The word a provider of dialect `d` writes for `reason` (what governed-sim and a gateway
/// write): the first of its table's words for it. Gemini has no word for a turn that called
/// functions, and writes `STOP`; a reason a dialect has no word for (`other`, `unknown`) is
/// written as its word for `stop`.
constexpr std::string_view finish_word(Dialect d, FinishReason reason) noexcept {
  if (reason == FinishReason::other || reason == FinishReason::unknown) reason = FinishReason::stop;
  if (d == Dialect::gemini && reason == FinishReason::tool_calls) reason = FinishReason::stop;
  const auto first = [&](const auto& words) -> std::string_view {
    for (const auto& w : words)
      if (w.reason == reason) return w.word;
    return {};
  };
  switch (d) {
    case Dialect::anthropic: return first(detail::anthropic_finish_words);
    case Dialect::gemini: return first(detail::gemini_finish_words);
    default: return first(detail::openai_finish_words);
  }
}

}  // namespace governed::providers
