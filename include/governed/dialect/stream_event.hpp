#pragma once
/// @file
/// What one server-sent event of a provider's stream says, once read in its dialect: a
/// piece of text, of a tool call, of the model's reasoning or of a refusal, the usage so far,
/// why the answer ended, the end of the stream, or an error.

#include <governed/providers/usage.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace governed::dialect {

/// A piece of one tool call, as a stream delivers it. OpenAI sends a call as fragments under
/// one `index` (the id and name on the first, the arguments' JSON text in pieces after);
/// Anthropic as a `tool_use` block opened with its id and name, then `input_json_delta`
/// pieces under the block's index; Gemini as one whole `functionCall` part. The
/// `ToolCallAssembler` (tool_call_assembler.hpp) puts the pieces together.
struct ToolCallDelta {
  /// The call's place among the choice's calls (OpenAI's `index`, Anthropic's block index).
  std::uint32_t index = 0;
  /// Set on the first piece of a call.
  std::string id{};
  std::string name{};
  /// A piece of the arguments' JSON text, to append to those before it.
  std::string arguments{};
  /// The call came whole in this piece (Gemini): a new call, whatever its index.
  bool whole = false;
  /// Gemini's `thoughtSignature` on the call's part.
  std::string signature{};
};

struct StreamEvent {
  /// Output text carried by this event (often empty: role, stop and usage events).
  std::string text;
  /// The usage as the provider reported it so far, when this event reported it; a later
  /// report replaces an earlier one (Anthropic's counts are cumulative).
  std::optional<providers::Usage> usage{};
  /// The provider's end-of-answer marker (`[DONE]`, `message_stop`).
  bool done = false;
  /// The provider reported an error inside the stream (Anthropic `event: error`, an
  /// OpenAI-style `{"error": …}` chunk); `error_body` is the event's data as it came, for the
  /// classifier (copied, never re-serialised: writing a tree out again recurses on its depth).
  bool error = false;
  std::string error_body;
  /// The event is not what the dialect sends (its data is not a JSON object).
  bool malformed = false;
  /// The event's data is larger, or nests deeper, than the reader's limits: not read at all.
  bool too_large = false;
  bool too_deep = false;

  /// The choice this event's pieces belong to (OpenAI's `index`; 0 for the others).
  std::uint32_t choice = 0;
  /// Pieces of tool calls (empty on a text event).
  std::vector<ToolCallDelta> tool_calls{};
  /// A piece of a refusal (OpenAI's `delta.refusal`).
  std::string refusal{};
  /// A piece of the model's reasoning (Anthropic's `thinking_delta`, a Gemini thought part).
  std::string reasoning{};
  /// A reasoning block's signature (Anthropic's `signature_delta`, a Gemini thought part's).
  std::string signature{};
  /// The provider's own reason the answer ended, on the event that states it (`stop`,
  /// `tool_calls`, `end_turn`, `tool_use`, `STOP`, `MAX_TOKENS` …).
  std::string finish{};
};

}  // namespace governed::dialect
