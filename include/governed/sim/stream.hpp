#pragma once
/// @file
/// `sim::Stream`: a streamed answer as a simulated provider sends it, before any framing —
/// the text pieces in order and the usage its final event reports. The in-process transport
/// hands the pieces to the caller one by one; the loopback HTTP server frames the same pieces
/// as the provider's server-sent events (OpenAI's `chat.completion.chunk` and its
/// `include_usage` chunk, Anthropic's `content_block_delta` and `message_delta`, Gemini's
/// `usageMetadata` on the last chunk), so both read one description.

#include <governed/ascii.hpp>
#include <governed/providers/usage.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace governed::sim {

struct Stream {
  /// The text pieces, in the order they are sent; their concatenation is the answer.
  std::vector<std::string> pieces{};
  /// What the final event reports; none when the provider sends no usage in a stream
  /// (OpenAI-compatible APIs called without `stream_options.include_usage`).
  std::optional<providers::Usage> usage{};
  /// The connection drops after this many pieces (a scripted fault): nothing follows them —
  /// no further piece, no usage, no end event. None: the stream runs to its end.
  std::optional<std::uint32_t> broken_after{};

  /// Pieces sent before the stream ended or broke.
  std::size_t sent() const noexcept {
    return broken_after ? std::min<std::size_t>(*broken_after, pieces.size()) : pieces.size();
  }
  /// The whole answer, as an unbroken stream delivers it.
  std::string text() const {
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
  }
};

/// `text` cut as a provider streams it: each piece a word with the whitespace after it
/// ("This ", "is ", "a ", …). Real streams carry a token or a few per event; a word is close
/// enough for a test, and the pieces concatenate to exactly `text`. Leading whitespace goes
/// with the first word; an empty text gives no pieces.
inline std::vector<std::string> split_pieces(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && ascii::is_space(text[i])) ++i;   // leading whitespace (first piece only)
    while (i < text.size() && !ascii::is_space(text[i])) ++i;  // the word
    while (i < text.size() && ascii::is_space(text[i])) ++i;   // the whitespace after it
    out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace governed::sim
