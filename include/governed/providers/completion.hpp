#pragma once
/// @file
/// What a successful reply says, in one shape for every provider: each choice's text, why it
/// ended, and — when it has them — its tool calls, refusal and reasoning; the usage; the id the
/// reply gives itself.
///
/// Each dialect's home reads it from the provider's body (`dialect::decode_completion`,
/// dialect/reply.hpp); this header holds the shape alone, so the walk can use it without a
/// JSON parser. The first choice is inline (most calls ask for one); what a choice holds only
/// sometimes is boxed (`ChoiceDetail`), so a text answer carries one null pointer for it.

#include <governed/boxed.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/request_id.hpp>
#include <governed/providers/usage.hpp>
#include <governed/reasoning.hpp>
#include <governed/tool_call.hpp>

#include <optional>
#include <string>
#include <vector>

namespace governed::providers {

/// What a choice holds besides its text, when it holds any of it.
struct ChoiceDetail {
  /// The tools the model called, in order.
  std::vector<ToolCall> tool_calls{};
  /// The model's refusal to answer (OpenAI's `message.refusal`), instead of text.
  std::string refusal{};
  /// The model's reasoning, as the provider returned it (Anthropic's thinking blocks, Gemini's
  /// thought parts), in order, before the text.
  std::vector<ReasoningBlock> reasoning{};

  bool empty() const noexcept { return tool_calls.empty() && refusal.empty() && reasoning.empty(); }
  friend bool operator==(const ChoiceDetail&, const ChoiceDetail&) = default;
};

/// One choice (OpenAI's `choices[i]`, Gemini's `candidates[i]`; Anthropic's one message).
struct Choice {
  std::string content{};
  /// Why it ended, normalised (finish.hpp), and the provider's own word for it.
  FinishReason finish = FinishReason::unknown;
  std::string provider_finish{};
  Boxed<ChoiceDetail> detail{};

  friend bool operator==(const Choice&, const Choice&) = default;
};

/// What a successful reply says.
struct Completion {
  /// The first choice's text.
  std::string content;
  /// The usage block, when there is one and it reads as `dialect::usage_from_json` would read it.
  std::optional<Usage> usage{};
  /// The first choice's end: normalised, and the provider's word.
  FinishReason finish = FinishReason::unknown;
  std::string provider_finish{};
  /// The first choice's tool calls, refusal and reasoning, when it has any.
  Boxed<ChoiceDetail> detail{};
  /// The reply's own id (OpenAI's and Anthropic's `id`, Gemini's `responseId`).
  RequestId id{};
  /// The choices after the first, in order (a call with `n` > 1).
  std::vector<Choice> more{};

  friend bool operator==(const Completion&, const Completion&) = default;
};

}  // namespace governed::providers
