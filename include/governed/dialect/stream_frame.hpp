#pragma once
/// @file
/// A streamed answer as it is written (`encode_stream`, dialect/stream.hpp): what its events
/// say besides the text pieces (`StreamFrame`), and the events themselves (`FramedStream`).
/// governed-sim writes its streams so; a gateway would too.

#include <governed/dialect/reply_meta.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/usage.hpp>
#include <governed/tool_call.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace governed::dialect {

/// What the events say besides the pieces.
struct StreamFrame {
  providers::Dialect dialect = providers::Dialect::openai;  ///< the flavour (Mistral's usage, see openai/stream.hpp)
  std::string_view id{};       ///< the answer's id, as written (`chatcmpl-…`, `msg_…`, Gemini's `responseId`)
  std::string_view model{};
  std::int64_t created = 0;    ///< Unix seconds (OpenAI's `created`)
  std::uint32_t n = 1;         ///< choices (OpenAI) or candidates (Gemini); 0 is written as 1
  bool include_usage = false;  ///< OpenAI's `stream_options.include_usage`
  Finish finish = Finish::stop;
  /// What the final event reports; none when the provider sends no usage in a stream.
  std::optional<providers::Usage> usage{};
  /// False: the stream breaks off after its pieces, with no finish, no usage, no end marker.
  bool complete = true;
  /// The tool calls each choice makes after its text, streamed in the dialect's pieces
  /// (arguments: JSON object text). Usually with `finish` = `tool_calls`.
  std::span<const ToolCall> tool_calls{};
};

/// The events of a stream: each element one whole SSE event (ending in a blank line) — or,
/// for Gemini without `alt=sse`, one JSON object of the array. `complete` says whether the
/// stream runs to its end marker.
struct FramedStream {
  std::vector<std::string> events{};
  bool complete = true;
};

}  // namespace governed::dialect
