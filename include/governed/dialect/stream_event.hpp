#pragma once
/// @file
/// What one server-sent event of a provider's stream says, once read in its dialect: a
/// piece of text, the usage so far, the end of the answer, or an error.

#include <governed/providers/usage.hpp>

#include <optional>
#include <string>

namespace governed::dialect {

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
};

}  // namespace governed::dialect
