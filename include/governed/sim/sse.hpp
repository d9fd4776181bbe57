#pragma once
/// @file
/// A simulated stream (`sim::Stream`) framed as the provider's server-sent events, for the
/// loopback server. The shapes are the ones the providers' SDKs parse:
///
/// - OpenAI and the compatible APIs: `data: {"object": "chat.completion.chunk", …}` with the
///   role in the first delta, one chunk per piece, a chunk with `finish_reason`, then — when
///   the request set `stream_options.include_usage` — a chunk with empty `choices` and the
///   usage (every earlier chunk then carries `"usage": null`), then `data: [DONE]`. Mistral
///   puts the usage in its finishing chunk, always.
/// - Anthropic: `event: message_start` (the input usage), `content_block_start`, `ping`,
///   one `content_block_delta` (`text_delta`) per piece, `content_block_stop`,
///   `message_delta` (stop reason, output usage), `message_stop`.
/// - Gemini (`alt=sse`): each event a whole `GenerateContentResponse`; the last carries the
///   `finishReason` and `usageMetadata`. Without `alt=sse` the same objects form one JSON array.
///
/// A stream the provider breaks off (`Stream::broken_after`) yields the events of the pieces
/// sent and nothing after them: no finish, no usage, no end marker.

#include <governed/providers/table.hpp>
#include <governed/sim/stream.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace governed::sim {

/// What the events say besides the pieces.
struct StreamFrame {
  providers::Dialect dialect = providers::Dialect::openai;
  std::string_view model;
  std::uint64_t serial = 0;       ///< numbers the ids (`chatcmpl-sim…`, `msg_sim…`)
  std::int64_t created = 0;       ///< Unix seconds (OpenAI's `created`)
  std::uint32_t n = 1;            ///< choices (OpenAI) or candidates (Gemini)
  bool include_usage = false;     ///< OpenAI's `stream_options.include_usage`
  bool truncated = false;         ///< stopped at max_tokens
};

/// The events of `s`: each element one whole SSE event (ending in a blank line) — or, for
/// Gemini without `sse`, one JSON object of the array. `complete` says whether the stream
/// ran to its end marker.
struct FramedStream {
  std::vector<std::string> events;
  bool complete = true;
};

namespace sse_detail {

using json = nlohmann::json;

inline std::string data(const json& j) {
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

inline std::string event(std::string_view name, const json& j) {
  return fmt::format("event: {}\n", name) + data(j);
}

}  // namespace sse_detail

inline FramedStream frame_stream(const Stream& s, const StreamFrame& f) {
  using namespace sse_detail;
  using providers::Dialect;
  FramedStream out;
  const std::size_t sent = s.sent();
  out.complete = !s.broken_after;
  const std::uint32_t n = std::max<std::uint32_t>(f.n, 1);

  if (f.dialect == Dialect::anthropic) {
    const std::string id = fmt::format("msg_sim{:016x}", f.serial);
    const std::int64_t input = s.usage ? s.usage->input_tokens : 0;
    json usage = {{"input_tokens", input}, {"output_tokens", 1},
                  {"cache_creation_input_tokens", 0}, {"cache_read_input_tokens", 0}};
    out.events.push_back(event("message_start", {{"type", "message_start"},
        {"message", {{"id", id}, {"type", "message"}, {"role", "assistant"}, {"model", f.model},
                     {"content", json::array()}, {"stop_reason", nullptr}, {"stop_sequence", nullptr},
                     {"usage", usage}}}}));
    out.events.push_back(event("content_block_start", {{"type", "content_block_start"}, {"index", 0},
                                                        {"content_block", {{"type", "text"}, {"text", ""}}}}));
    out.events.push_back(event("ping", {{"type", "ping"}}));
    for (std::size_t i = 0; i < sent; ++i)
      out.events.push_back(event("content_block_delta", {{"type", "content_block_delta"}, {"index", 0},
                                                          {"delta", {{"type", "text_delta"}, {"text", s.pieces[i]}}}}));
    if (!out.complete) return out;
    out.events.push_back(event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
    json delta = {{"type", "message_delta"},
                  {"delta", {{"stop_reason", f.truncated ? "max_tokens" : "end_turn"}, {"stop_sequence", nullptr}}}};
    if (s.usage) delta["usage"] = {{"output_tokens", s.usage->output_tokens}};
    out.events.push_back(event("message_delta", delta));
    out.events.push_back(event("message_stop", {{"type", "message_stop"}}));
    return out;
  }

  if (f.dialect == Dialect::gemini) {
    const std::string id = fmt::format("sim{:016x}", f.serial);
    auto response = [&](std::string_view text, bool last) {
      json candidates = json::array();
      for (std::uint32_t c = 0; c < n; ++c) {
        json cand = {{"content", {{"parts", json::array({{{"text", text}}})}, {"role", "model"}}}, {"index", c}};
        if (last) cand["finishReason"] = f.truncated ? "MAX_TOKENS" : "STOP";
        candidates.push_back(std::move(cand));
      }
      json r = {{"candidates", std::move(candidates)}};
      if (last && s.usage)
        r["usageMetadata"] = {{"promptTokenCount", s.usage->input_tokens},
                              {"candidatesTokenCount", s.usage->output_tokens},
                              {"totalTokenCount", s.usage->input_tokens + s.usage->output_tokens}};
      r["modelVersion"] = f.model;
      r["responseId"] = id;
      return r;
    };
    for (std::size_t i = 0; i < sent; ++i) {
      const bool last = out.complete && i + 1 == s.pieces.size();
      out.events.push_back(data(response(s.pieces[i], last)));
    }
    if (out.complete && s.pieces.empty()) out.events.push_back(data(response("", true)));
    return out;
  }

  // OpenAI and every API that copies its chunks.
  const std::string id = fmt::format("chatcmpl-sim{:016x}", f.serial);
  const bool mistral = f.dialect == Dialect::mistral;
  const bool usage_chunk = f.include_usage && !mistral && s.usage.has_value();
  auto chunk = [&](json choices) {
    json c = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", f.created}, {"model", f.model},
              {"system_fingerprint", nullptr}, {"choices", std::move(choices)}};
    if (usage_chunk) c["usage"] = nullptr;
    return c;
  };
  auto choice = [](std::uint32_t index, json delta, json finish) {
    return json{{"index", index}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", std::move(finish)}};
  };
  {
    json choices = json::array();
    for (std::uint32_t c = 0; c < n; ++c) choices.push_back(choice(c, {{"role", "assistant"}, {"content", ""}}, nullptr));
    out.events.push_back(data(chunk(std::move(choices))));
  }
  for (std::size_t i = 0; i < sent; ++i) {
    json choices = json::array();
    for (std::uint32_t c = 0; c < n; ++c) choices.push_back(choice(c, {{"content", s.pieces[i]}}, nullptr));
    out.events.push_back(data(chunk(std::move(choices))));
  }
  if (!out.complete) return out;
  {
    json choices = json::array();
    for (std::uint32_t c = 0; c < n; ++c) choices.push_back(choice(c, json::object(), f.truncated ? "length" : "stop"));
    json last = chunk(std::move(choices));
    if (mistral && s.usage)
      last["usage"] = {{"prompt_tokens", s.usage->input_tokens}, {"completion_tokens", s.usage->output_tokens},
                       {"total_tokens", s.usage->input_tokens + s.usage->output_tokens}};
    out.events.push_back(data(last));
  }
  if (usage_chunk) {
    json u = chunk(json::array());
    u["usage"] = {{"prompt_tokens", s.usage->input_tokens}, {"completion_tokens", s.usage->output_tokens},
                  {"total_tokens", s.usage->input_tokens + s.usage->output_tokens}};
    out.events.push_back(data(u));
  }
  out.events.push_back("data: [DONE]\n\n");
  return out;
}

/// Gemini's `streamGenerateContent` without `alt=sse`: the same responses as one JSON array.
inline std::string gemini_array(const FramedStream& f) {
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

}  // namespace governed::sim
