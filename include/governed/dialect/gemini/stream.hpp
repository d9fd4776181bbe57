#pragma once
/// @file
/// Google Gemini streamed (`:streamGenerateContent?alt=sse`): each event is a whole
/// `GenerateContentResponse`: text in the `text` parts of `candidates[0].content` (thought
/// parts are reasoning, not output), whole function calls in `functionCall` parts (`{name,
/// args, id}`, with the part's `thoughtSignature` beside), `usageMetadata` (the last one is
/// the call's), a `finishReason` on the last candidate
/// (https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse). The stream has no end marker beyond the end of the body. Read by
/// `StreamDecoder`, written by `encode_stream` (and `stream_array`, the same responses as one
/// JSON array, for a call without `alt=sse`).

#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/detail/sse_writer.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/dialect/stream_frame.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/finish.hpp>
#include <governed/wire/sse.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace governed::dialect::gemini {

/// Reads the events of a Gemini stream; an event's data past `limits` is refused unread.
class StreamDecoder {
 public:
  explicit StreamDecoder(const JsonLimits& limits = {}) noexcept : limits_(limits) {}

  StreamEvent decode(const wire::SseEvent& e) const {
    auto parsed = detail::event_object(e.data, limits_);
    if (auto* refused = std::get_if<StreamEvent>(&parsed)) return std::move(*refused);
    const nlohmann::json& j = std::get<nlohmann::json>(parsed);
    if (auto err = j.find("error"); err != j.end() && !err->is_null()) return detail::error_event(e.data);
    StreamEvent out;
    if (auto c = j.find("candidates"); c != j.end() && c->is_array() && !c->empty() && (*c)[0].is_object()) {
      const auto& first = (*c)[0];
      if (auto content = first.find("content"); content != first.end() && content->is_object()) {
        if (auto parts = content->find("parts"); parts != content->end() && parts->is_array())
          for (const auto& p : *parts) read_part(p, out);
      }
      out.finish = detail::string_at(first, "finishReason");
      if (!out.finish.empty()) out.done = true;
    }
    if (j.contains("usageMetadata")) out.usage = detail::usage_in(j);
    return out;
  }

 private:
  /// A part: text, a thought (reasoning, not output), or a whole function call.
  static void read_part(const nlohmann::json& p, StreamEvent& out) {
    if (!p.is_object()) return;
    const std::string_view signature = detail::string_at(p, "thoughtSignature");
    if (auto call = p.find("functionCall"); call != p.end() && call->is_object()) {
      ToolCallDelta piece{.id = std::string(detail::string_at(*call, "id")),
                          .name = std::string(detail::string_at(*call, "name")),
                          .whole = true,
                          .signature = std::string(signature)};
      // The event is within the reader's limits, so writing it out again is bounded.
      if (auto args = call->find("args"); args != call->end() && args->is_object()) piece.arguments = args->dump();
      else piece.arguments = "{}";
      out.tool_calls.push_back(std::move(piece));
      return;
    }
    if (auto t = p.find("thought"); t != p.end() && t->is_boolean() && t->get<bool>()) {
      out.reasoning += detail::string_at(p, "text");
      if (!signature.empty()) out.signature = signature;
      return;
    }
    out.text += detail::string_at(p, "text");
  }

  JsonLimits limits_;
};

namespace stream_writing {

/// A tool call as a whole `functionCall` part (Gemini streams calls whole), its signature
/// beside it. The arguments are the writer's own JSON object text; any other text is `{}`.
inline nlohmann::json function_call_part(const ToolCall& call) {
  nlohmann::json args = nlohmann::json::parse(call.arguments, nullptr, /*allow_exceptions=*/false);
  if (!args.is_object()) args = nlohmann::json::object();
  nlohmann::json part = {{"functionCall", {{"name", call.name}, {"args", std::move(args)}}}};
  if (!call.signature.empty()) part["thoughtSignature"] = call.signature;
  return part;
}

/// One `GenerateContentResponse` of a stream: `text` in each of the `n` candidates; the last
/// one carries the tool calls as `functionCall` parts, the `finishReason` and the
/// `usageMetadata`.
inline nlohmann::json response(std::string_view text, bool last, const StreamFrame& f) {
  using nlohmann::json;
  json candidates = json::array();
  for (std::uint32_t c = 0; c < std::max<std::uint32_t>(f.n, 1); ++c) {
    json parts = json::array();
    if (!text.empty() || !last || f.tool_calls.empty()) parts.push_back({{"text", text}});
    if (last)
      for (const auto& call : f.tool_calls) parts.push_back(function_call_part(call));
    json cand = {{"content", {{"parts", std::move(parts)}, {"role", "model"}}}, {"index", c}};
    if (last) cand["finishReason"] = providers::finish_word(providers::Dialect::gemini, f.finish);
    candidates.push_back(std::move(cand));
  }
  json r = {{"candidates", std::move(candidates)}};
  if (last && f.usage)
    r["usageMetadata"] = {{"promptTokenCount", f.usage->input_tokens}, {"candidatesTokenCount", f.usage->output_tokens},
                          {"totalTokenCount", f.usage->input_tokens + f.usage->output_tokens}};
  r["modelVersion"] = f.model;
  r["responseId"] = f.id;
  return r;
}

}  // namespace stream_writing

/// A stream written as Gemini streams it (`alt=sse`): each event a whole
/// `GenerateContentResponse`, one per piece (one empty one when there are none); the last
/// carries the finish and the usage. A stream that breaks off ends after its pieces.
inline FramedStream encode_stream(std::span<const std::string> pieces, const StreamFrame& f) {
  FramedStream out;
  out.complete = f.complete;
  for (std::size_t i = 0; i < pieces.size(); ++i)
    out.events.push_back(detail::sse_data(stream_writing::response(pieces[i], f.complete && i + 1 == pieces.size(), f)));
  if (f.complete && pieces.empty()) out.events.push_back(detail::sse_data(stream_writing::response("", true, f)));
  return out;
}

/// `streamGenerateContent` without `alt=sse`: the same responses as one JSON array.
inline std::string stream_array(const FramedStream& f) {
  std::string out = "[";
  for (std::size_t i = 0; i < f.events.size(); ++i) {
    std::string_view e = f.events[i];
    if (e.starts_with("data: ")) e.remove_prefix(6);
    while (!e.empty() && e.back() == '\n') e.remove_suffix(1);
    if (i) out += ",\n";
    out += e;
  }
  return out + "]";
}

}  // namespace governed::dialect::gemini
