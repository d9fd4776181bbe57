#pragma once
/// @file
/// A provider's streamed answer read as it arrives: body bytes in (any split), text pieces
/// out to the caller, the usage of the final event kept — in the attempt's dialect.
///
/// The reader stops at the first sign the stream is not a provider's: an event whose data
/// is not JSON, an event or line over the size limit, an event nested deeper than the depth
/// limit (measured before it is parsed, so no event costs stack), or an error the provider
/// reported in the stream (kept in `error_body()` for the classifier, as the server sent it).
///
/// ```cpp
/// dialect::StreamReader r{providers::Dialect::anthropic};
/// r.feed(bytes, [](std::string_view piece) { std::cout << piece; });
/// if (r.complete()) use(r.streamed().usage);
/// ```
///
/// The other direction, `encode_stream`, writes a stream's pieces as the events of a
/// provider's dialect (governed-sim's streams).

#include <governed/attempt.hpp>
#include <governed/dialect/anthropic/stream.hpp>
#include <governed/dialect/format.hpp>
#include <governed/dialect/gemini/stream.hpp>
#include <governed/dialect/openai/stream.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/dialect/stream_frame.hpp>
#include <governed/dialect/tool_call_assembler.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/table.hpp>
#include <governed/wire/sse.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace governed::dialect {

class StreamReader {
 public:
  /// Why a stream stopped being read.
  enum class Problem : std::uint8_t {
    none,
    error_event,  ///< the provider reported an error in the stream
    malformed,    ///< an event is not the dialect's JSON
    too_large,    ///< a line or event over the size limit
    too_deep,     ///< an event nested deeper than the depth limit
  };

  /// 64 levels: a provider's events nest five or six deep; a tool call's arguments are a
  /// string inside them, not nesting.
  static constexpr std::size_t default_max_event_depth = JsonLimits{}.max_depth;

  explicit StreamReader(providers::Dialect d, std::size_t max_event_bytes = wire::SseParser::default_max_event_bytes,
                        std::size_t max_event_depth = default_max_event_depth)
      : sse_(max_event_bytes), format_(format_of(d)), max_event_depth_(max_event_depth),
        calls_(JsonLimits{JsonLimits{}.max_bytes, max_event_depth}) {
    const JsonLimits limits{max_event_bytes, max_event_depth};
    switch (format_) {
      case Format::anthropic: decoder_.emplace<anthropic::StreamDecoder>(limits); break;
      case Format::gemini: decoder_.emplace<gemini::StreamDecoder>(limits); break;
      default: decoder_.emplace<openai::StreamDecoder>(limits); break;
    }
  }

  /// Reads `bytes`, handing each non-empty piece of text to `on_text(std::string_view)` in
  /// order. Returns false once the stream has a problem; further input is then ignored.
  template <class OnText>
  bool feed(std::string_view bytes, OnText&& on_text) {
    if (problem_ != Problem::none) return false;
    const auto status = sse_.feed(bytes, [&](const wire::SseEvent& e) -> bool {
      if (done_ && format_ != Format::gemini) return true;  // after the end marker: nothing counts
      StreamEvent ev = std::visit([&](auto& d) { return d.decode(e); }, decoder_);
      if (ev.malformed || ev.too_large || ev.too_deep) {
        problem_ = ev.too_deep ? Problem::too_deep : ev.too_large ? Problem::too_large : Problem::malformed;
        return false;
      }
      if (ev.error) {
        problem_ = Problem::error_event;
        error_body_ = std::move(ev.error_body);
        return false;
      }
      if (ev.usage) out_.usage = ev.usage;
      if (!ev.text.empty()) {
        out_.content += ev.text;
        ++out_.chunks;
        on_text(std::string_view(ev.text));
      }
      if (!ev.tool_calls.empty() || !ev.refusal.empty() || !ev.reasoning.empty() || !ev.signature.empty() ||
          !ev.finish.empty())
        keep_beyond_text(ev);
      if (ev.done) done_ = true;
      return true;
    });
    if (status == wire::SseParser::Status::too_large && problem_ == Problem::none) problem_ = Problem::too_large;
    return problem_ == Problem::none;
  }

  /// The provider's end marker arrived (for Gemini: a finish reason).
  bool done() const noexcept { return done_; }
  /// Whether the stream, now that its body has ended, is a whole answer: no problem, no
  /// half event left, and the end marker where the dialect sends one.
  bool complete() const noexcept {
    return problem_ == Problem::none && !sse_.pending() && (done_ || format_ == Format::gemini);
  }
  Problem problem() const noexcept { return problem_; }
  std::size_t max_event_depth() const noexcept { return max_event_depth_; }
  /// The error the provider reported in the stream: the event's data, as it came.
  const std::string& error_body() const noexcept { return error_body_; }

  /// What the stream delivered so far: its text, usage and the rest as far as it is whole
  /// (the tool calls and reasoning are put together by `take`).
  const transport::Streamed& streamed() const noexcept { return out_; }
  /// Everything the stream delivered, the first choice's tool calls and reasoning put together.
  transport::Streamed take() {
    out_.tool_calls = calls_.take(0);
    if (!thinking_.empty()) out_.reasoning.push_back({.text = std::move(thinking_)});
    return std::move(out_);
  }
  /// A stream's tool-call pieces went past the limits and some were dropped.
  bool tool_calls_overflowed() const noexcept { return calls_.overflowed(); }

 private:
  /// An event's tool-call pieces, refusal, reasoning and finish reason. Reasoning text runs
  /// until a signature closes its block (Anthropic's `signature_delta`, a signed Gemini thought).
  void keep_beyond_text(const StreamEvent& ev) {
    calls_.add(ev.choice, ev.tool_calls);
    if (ev.choice != 0) return;
    out_.refusal += ev.refusal;
    thinking_ += ev.reasoning;
    if (!ev.signature.empty()) {
      out_.reasoning.push_back({.text = std::move(thinking_), .signature = ev.signature});
      thinking_.clear();
    }
    if (!ev.finish.empty()) out_.finish = ev.finish;
  }

  wire::SseParser sse_;
  Format format_;
  std::size_t max_event_depth_;
  std::variant<openai::StreamDecoder, anthropic::StreamDecoder, gemini::StreamDecoder> decoder_;
  transport::Streamed out_;
  ToolCallAssembler calls_;
  std::string thinking_;
  std::string error_body_;
  Problem problem_ = Problem::none;
  bool done_ = false;
};

/// `pieces` written as the events of `f.dialect`'s stream, by its home's `encode_stream`.
inline FramedStream encode_stream(std::span<const std::string> pieces, const StreamFrame& f) {
  switch (format_of(f.dialect)) {
    case Format::anthropic: return anthropic::encode_stream(pieces, f);
    case Format::gemini: return gemini::encode_stream(pieces, f);
    default: return openai::encode_stream(pieces, f);
  }
}

}  // namespace governed::dialect
