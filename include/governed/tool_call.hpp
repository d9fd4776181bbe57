#pragma once
/// @file
/// `ToolCall`: one call of a tool, as the model made it — in a `Response` (what the model
/// asks the application to run) and in the history's assistant messages (what it asked
/// before). The application answers it with a `tool` message carrying the call's `id`.

#include <string>

namespace governed {

struct ToolCall {
  /// The provider's id for the call (OpenAI `call_…`, Anthropic `toolu_…`; Gemini's, or one
  /// made up by the reader when a Gemini reply gives none).
  std::string id{};
  std::string name{};
  /// The arguments as JSON text: OpenAI's `arguments` string as it came, Anthropic's `input`
  /// and Gemini's `args` objects written canonically.
  std::string arguments{};
  /// False when `arguments` is not a JSON object (a model may write anything into OpenAI's
  /// string). Such a call goes back only to a provider whose format keeps a string there.
  bool arguments_object = true;
  /// Gemini's `thoughtSignature` on this call's part: sent back only to the provider that
  /// wrote it (`Message::origin`), exactly as received.
  std::string signature{};

  friend bool operator==(const ToolCall&, const ToolCall&) = default;
};

}  // namespace governed
