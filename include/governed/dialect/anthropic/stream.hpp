#pragma once
/// @file
/// Anthropic messages streamed: `message_start` carries the input usage, `content_block_start`
/// opens a block (a `tool_use` one with its id and name), `content_block_delta` carries a
/// block's pieces (`text_delta`, a tool's `input_json_delta` with `partial_json`,
/// `thinking_delta`, `signature_delta`), `message_delta` the stop reason and the output usage
/// so far (cumulative, and in newer API versions the input counts again), `message_stop` the
/// end, `ping` nothing, and `event: error` an error in Anthropic's error shape
/// (https://docs.anthropic.com/en/docs/build-with-claude/streaming). Read by `StreamDecoder`, written by
/// `encode_stream`.

#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/detail/sse_writer.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/dialect/stream_frame.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/usage.hpp>
#include <governed/wire/sse.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace governed::dialect::anthropic {

/// Reads the events of an Anthropic stream, adding up usage across `message_start` and
/// `message_delta`; an event's data past `limits` is refused unread.
class StreamDecoder {
 public:
  explicit StreamDecoder(const JsonLimits& limits = {}) noexcept : limits_(limits) {}

  StreamEvent decode(const wire::SseEvent& e) {
    auto parsed = detail::event_object(e.data, limits_);
    if (auto* refused = std::get_if<StreamEvent>(&parsed)) return std::move(*refused);
    const nlohmann::json& j = std::get<nlohmann::json>(parsed);
    std::string_view type = detail::string_at(j, "type");
    if (type.empty()) type = e.event;
    StreamEvent out;
    if (type == "content_block_delta") {
      read_delta(j, out);
    } else if (type == "content_block_start") {
      read_block_start(j, out);
    } else if (type == "message_start") {
      auto m = j.find("message");
      if (m != j.end() && m->is_object() && take(m->value("usage", nlohmann::json{}))) out.usage = usage();
    } else if (type == "message_delta") {
      if (take(j.value("usage", nlohmann::json{}))) out.usage = usage();
      if (auto d = j.find("delta"); d != j.end()) out.finish = detail::string_at(*d, "stop_reason");
    } else if (type == "message_stop") {
      out.done = true;
    } else if (type == "error") {
      return detail::error_event(e.data);
    }
    return out;
  }

 private:
  static std::uint32_t block_index(const nlohmann::json& j) {
    auto i = j.find("index");
    if (i == j.end() || !i->is_number_unsigned()) return 0;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(i->get<std::uint64_t>(), UINT32_MAX));
  }

  /// A block's piece: text, a tool's input JSON, thinking, or a thinking block's signature.
  static void read_delta(const nlohmann::json& j, StreamEvent& out) {
    auto d = j.find("delta");
    if (d == j.end() || !d->is_object()) return;
    const std::string_view kind = detail::string_at(*d, "type");
    if (kind == "text_delta") {
      out.text = detail::string_at(*d, "text");
    } else if (kind == "input_json_delta") {
      out.tool_calls.push_back({.index = block_index(j), .arguments = std::string(detail::string_at(*d, "partial_json"))});
    } else if (kind == "thinking_delta") {
      out.reasoning = detail::string_at(*d, "thinking");
    } else if (kind == "signature_delta") {
      out.signature = detail::string_at(*d, "signature");
    }
  }

  /// A `tool_use` block opens with its id and name (and an empty `input`, which its
  /// `input_json_delta` pieces then fill; one that arrives whole instead is taken whole).
  static void read_block_start(const nlohmann::json& j, StreamEvent& out) {
    auto b = j.find("content_block");
    if (b == j.end() || !b->is_object() || detail::string_at(*b, "type") != "tool_use") return;
    ToolCallDelta call{.index = block_index(j), .id = std::string(detail::string_at(*b, "id")),
                       .name = std::string(detail::string_at(*b, "name"))};
    // The event is within the reader's limits, so writing it out again is bounded.
    if (auto in = b->find("input"); in != b->end() && in->is_object() && !in->empty()) call.arguments = in->dump();
    out.tool_calls.push_back(std::move(call));
  }

  /// Takes the counts present in `u`; false when it has none that read as counts.
  bool take(const nlohmann::json& u) {
    if (!u.is_object()) return false;
    bool any = false;
    auto one = [&](const char* name, std::int64_t& field) {
      auto it = u.find(name);
      if (it == u.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) return;
      // 2^50 tokens is beyond any real count; the cap keeps the sum below from overflowing.
      field = std::min<std::int64_t>(it->get<std::int64_t>(), std::int64_t{1} << 50);
      any = true;
    };
    one("input_tokens", fresh_);
    one("output_tokens", output_);
    one("cache_read_input_tokens", cached_);
    one("cache_creation_input_tokens", written_);
    return any;
  }

  providers::Usage usage() const noexcept {
    providers::Usage u;
    // Anthropic's input_tokens exclude the cache; governed's include it (see usage.hpp).
    u.input_tokens = fresh_ + cached_ + written_;
    u.cached_input_tokens = cached_;
    u.cache_write_tokens = written_;
    u.output_tokens = output_;
    return u;
  }

  JsonLimits limits_;
  std::int64_t fresh_ = 0, output_ = 0, cached_ = 0, written_ = 0;
};

namespace stream_writing {

/// A `tool_use` block: opened with its id, name and an empty input, the input's JSON in two
/// `input_json_delta` pieces, closed.
inline void tool_use_block(std::size_t index, const ToolCall& call, FramedStream& out) {
  using nlohmann::json;
  out.events.push_back(detail::sse_event("content_block_start", {{"type", "content_block_start"}, {"index", index},
      {"content_block", {{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", json::object()}}}}));
  const std::size_t half = call.arguments.size() / 2;
  for (std::string_view piece : {std::string_view(call.arguments).substr(0, half), std::string_view(call.arguments).substr(half)})
    out.events.push_back(detail::sse_event("content_block_delta", {{"type", "content_block_delta"}, {"index", index},
        {"delta", {{"type", "input_json_delta"}, {"partial_json", piece}}}}));
  out.events.push_back(detail::sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}));
}

}  // namespace stream_writing

/// A stream written as Anthropic streams it: `message_start` (the input usage, net of the
/// cache's tokens, which are written beside it), `content_block_start`, `ping`, one
/// `content_block_delta` (`text_delta`) per piece, `content_block_stop`, a `tool_use` block
/// per tool call (its input in `input_json_delta` pieces), `message_delta` (the stop reason,
/// the output usage), `message_stop`. A stream that breaks off ends after its
/// pieces.
inline FramedStream encode_stream(std::span<const std::string> pieces, const StreamFrame& f) {
  using nlohmann::json;
  FramedStream out;
  out.complete = f.complete;
  const providers::Usage u = f.usage.value_or(providers::Usage{});
  const json usage = {{"input_tokens", u.input_tokens - u.cached_input_tokens - u.cache_write_tokens}, {"output_tokens", 1},
                      {"cache_creation_input_tokens", u.cache_write_tokens}, {"cache_read_input_tokens", u.cached_input_tokens}};
  out.events.push_back(detail::sse_event("message_start", {{"type", "message_start"},
      {"message", {{"id", f.id}, {"type", "message"}, {"role", "assistant"}, {"model", f.model},
                   {"content", json::array()}, {"stop_reason", nullptr}, {"stop_sequence", nullptr},
                   {"usage", usage}}}}));
  // A turn of tool calls alone has no text block; every other turn has one, empty or not.
  const bool text_block = !pieces.empty() || f.tool_calls.empty();
  if (text_block)
    out.events.push_back(detail::sse_event("content_block_start", {{"type", "content_block_start"}, {"index", 0},
                                                                   {"content_block", {{"type", "text"}, {"text", ""}}}}));
  out.events.push_back(detail::sse_event("ping", {{"type", "ping"}}));
  for (const auto& piece : pieces)
    out.events.push_back(detail::sse_event("content_block_delta", {{"type", "content_block_delta"}, {"index", 0},
                                                                   {"delta", {{"type", "text_delta"}, {"text", piece}}}}));
  if (!f.complete) return out;
  if (text_block) out.events.push_back(detail::sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
  const std::size_t first_tool = text_block ? 1 : 0;
  for (std::size_t k = 0; k < f.tool_calls.size(); ++k) stream_writing::tool_use_block(first_tool + k, f.tool_calls[k], out);
  json delta = {{"type", "message_delta"},
                {"delta", {{"stop_reason", providers::finish_word(providers::Dialect::anthropic, f.finish)},
                           {"stop_sequence", nullptr}}}};
  if (f.usage) delta["usage"] = {{"output_tokens", f.usage->output_tokens}};
  out.events.push_back(detail::sse_event("message_delta", delta));
  out.events.push_back(detail::sse_event("message_stop", {{"type", "message_stop"}}));
  return out;
}

}  // namespace governed::dialect::anthropic
