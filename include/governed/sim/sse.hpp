#pragma once
/// @file
/// A simulated stream (`sim::Stream`) framed as the provider's server-sent events, in one call:
/// the simulator's ids numbered by `serial` (`sim::reply_id`) and the pieces sent, written by
/// the home of the dialect (`dialect::encode_stream`, dialect/stream.hpp, which holds the
/// shapes). The server writes its streams through the dispatch directly; this header keeps the
/// `frame_stream` call for code written against it (fuzz/sim_request.cpp).

#include <governed/dialect/gemini/stream.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/dialect/stream_frame.hpp>
#include <governed/providers/table.hpp>
#include <governed/sim/replies.hpp>
#include <governed/sim/stream.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace governed::sim {

/// What the events say besides the pieces, as the simulator numbers them.
struct StreamFrame {
  providers::Dialect dialect = providers::Dialect::openai;
  std::string_view model;
  std::uint64_t serial = 0;       ///< numbers the ids (`chatcmpl-sim…`, `msg_sim…`)
  std::int64_t created = 0;       ///< Unix seconds (OpenAI's `created`)
  std::uint32_t n = 1;            ///< choices (OpenAI) or candidates (Gemini)
  bool include_usage = false;     ///< OpenAI's `stream_options.include_usage`
  bool truncated = false;         ///< stopped at max_tokens
};

using FramedStream = dialect::FramedStream;

/// The events of `s` as far as it was sent: a broken stream has no finish, no usage, no end marker.
inline FramedStream frame_stream(const Stream& s, const StreamFrame& f) {
  const std::string id = reply_id(f.dialect, f.serial);
  const dialect::StreamFrame frame{.dialect = f.dialect,
                                   .id = id,
                                   .model = f.model,
                                   .created = f.created,
                                   .n = f.n,
                                   .include_usage = f.include_usage,
                                   .finish = f.truncated ? dialect::Finish::length : dialect::Finish::stop,
                                   .usage = s.usage,
                                   .complete = !s.broken_after};
  return dialect::encode_stream(std::span(s.pieces).first(s.sent()), frame);
}

/// Gemini's `streamGenerateContent` without `alt=sse`: the same responses as one JSON array.
inline std::string gemini_array(const FramedStream& f) { return dialect::gemini::stream_array(f); }

}  // namespace governed::sim
