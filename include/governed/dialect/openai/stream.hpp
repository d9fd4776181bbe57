#pragma once
/// @file
/// OpenAI chat completions streamed, as every OpenAI-compatible server streams them (Groq,
/// OpenRouter, Mistral, DeepSeek, vLLM, Azure OpenAI).
///
/// A streamed chunk carries text in `choices[0].delta.content`, a refusal in `delta.refusal`,
/// tool calls as fragments in `delta.tool_calls[]` (`{index, id, type, function: {name,
/// arguments}}`: the id and name on a call's first fragment, its arguments' JSON text in
/// pieces), the end's reason in `finish_reason`, usage in `usage` (null until the last chunk;
/// Groq also puts it in `x_groq.usage`), an error as `{"error": {…}}`, and the stream ends
/// with `data: [DONE]`
/// (https://platform.openai.com/docs/api-reference/chat-streaming/streaming). Read by `StreamDecoder`, written by `encode_stream`.

#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/detail/sse_writer.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/dialect/stream_frame.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/usage.hpp>
#include <governed/wire/sse.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace governed::dialect::openai {

/// Reads the chunks of an OpenAI-style stream; a chunk's data past `limits` is refused unread.
class StreamDecoder {
 public:
  explicit StreamDecoder(const JsonLimits& limits = {}) noexcept : limits_(limits) {}

  StreamEvent decode(const wire::SseEvent& e) const {
    StreamEvent out;
    if (e.data == "[DONE]") {
      out.done = true;
      return out;
    }
    auto parsed = detail::event_object(e.data, limits_);
    if (auto* refused = std::get_if<StreamEvent>(&parsed)) return std::move(*refused);
    const nlohmann::json& j = std::get<nlohmann::json>(parsed);
    if (auto err = j.find("error"); err != j.end() && !err->is_null()) return detail::error_event(e.data);
    if (auto c = j.find("choices"); c != j.end() && c->is_array() && !c->empty() && (*c)[0].is_object())
      read_choice((*c)[0], out);
    if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
      out.usage = detail::usage_in(j);
    } else if (auto x = j.find("x_groq"); x != j.end() && x->is_object() && x->contains("usage")) {
      out.usage = detail::usage_in(nlohmann::json{{"usage", (*x)["usage"]}});
    }
    return out;
  }

 private:
  /// The first choice of a chunk: its index, text, refusal, tool-call fragments and finish.
  static void read_choice(const nlohmann::json& choice, StreamEvent& out) {
    if (auto i = choice.find("index"); i != choice.end() && i->is_number_unsigned())
      out.choice = static_cast<std::uint32_t>(std::min<std::uint64_t>(i->get<std::uint64_t>(), UINT32_MAX));
    out.finish = detail::string_at(choice, "finish_reason");
    auto d = choice.find("delta");
    if (d == choice.end() || !d->is_object()) return;
    out.text = detail::string_at(*d, "content");
    out.refusal = detail::string_at(*d, "refusal");
    // DeepSeek, vLLM and OpenRouter stream reasoning beside the content under these names.
    out.reasoning = detail::string_at(*d, "reasoning_content");
    if (out.reasoning.empty()) out.reasoning = detail::string_at(*d, "reasoning");
    auto calls = d->find("tool_calls");
    if (calls == d->end() || !calls->is_array()) return;
    for (const auto& call : *calls) {
      if (!call.is_object()) continue;
      ToolCallDelta piece;
      if (auto i = call.find("index"); i != call.end() && i->is_number_unsigned())
        piece.index = static_cast<std::uint32_t>(std::min<std::uint64_t>(i->get<std::uint64_t>(), UINT32_MAX));
      piece.id = detail::string_at(call, "id");
      if (auto f = call.find("function"); f != call.end() && f->is_object()) {
        piece.name = detail::string_at(*f, "name");
        piece.arguments = detail::string_at(*f, "arguments");
      }
      out.tool_calls.push_back(std::move(piece));
    }
  }

  JsonLimits limits_;
};

namespace stream_writing {

inline nlohmann::json usage_of(const providers::Usage& u) {
  return {{"prompt_tokens", u.input_tokens}, {"completion_tokens", u.output_tokens},
          {"total_tokens", u.input_tokens + u.output_tokens}};
}

/// A chunk's `n` choices, each with the same delta and finish reason.
inline nlohmann::json choices(std::uint32_t n, const nlohmann::json& delta, const nlohmann::json& finish) {
  nlohmann::json out = nlohmann::json::array();
  for (std::uint32_t c = 0; c < n; ++c)
    out.push_back({{"index", c}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}});
  return out;
}

/// A tool call in OpenAI's fragments: the id and name with empty arguments, then the
/// arguments in two pieces, each a chunk of its own.
inline void tool_call_chunks(std::uint32_t n, std::uint32_t index, const ToolCall& call,
                             const std::function<void(nlohmann::json)>& emit) {
  emit(choices(n, {{"tool_calls", nlohmann::json::array({{{"index", index}, {"id", call.id}, {"type", "function"},
                                                          {"function", {{"name", call.name}, {"arguments", ""}}}}})}},
               nullptr));
  const std::size_t half = call.arguments.size() / 2;
  for (std::string_view piece : {std::string_view(call.arguments).substr(0, half), std::string_view(call.arguments).substr(half)})
    emit(choices(n, {{"tool_calls", nlohmann::json::array({{{"index", index}, {"function", {{"arguments", piece}}}}})}},
                 nullptr));
}

}  // namespace stream_writing

/// A stream written as OpenAI streams it: a chunk with the role, one chunk per piece, each
/// tool call's fragments (`delta.tool_calls`), a chunk with the `finish_reason`, then — when `f.include_usage` — a chunk with empty `choices` and
/// the usage (every earlier chunk then carries `"usage": null`), then `data: [DONE]`. Mistral
/// puts the usage in its finishing chunk, always. A stream that breaks off ends after its
/// pieces.
inline FramedStream encode_stream(std::span<const std::string> pieces, const StreamFrame& f) {
  using nlohmann::json;
  using stream_writing::choices;
  FramedStream out;
  out.complete = f.complete;
  const std::uint32_t n = std::max<std::uint32_t>(f.n, 1);
  const bool mistral = f.dialect == providers::Dialect::mistral;
  const bool usage_chunk = f.include_usage && !mistral && f.usage.has_value();
  auto chunk = [&](json chosen) {
    json c = {{"id", f.id}, {"object", "chat.completion.chunk"}, {"created", f.created}, {"model", f.model},
              {"system_fingerprint", nullptr}, {"choices", std::move(chosen)}};
    if (usage_chunk) c["usage"] = nullptr;
    return c;
  };
  out.events.push_back(detail::sse_data(chunk(choices(n, {{"role", "assistant"}, {"content", ""}}, nullptr))));
  for (const auto& piece : pieces) out.events.push_back(detail::sse_data(chunk(choices(n, {{"content", piece}}, nullptr))));
  if (!f.complete) return out;
  for (std::uint32_t k = 0; k < f.tool_calls.size(); ++k)
    stream_writing::tool_call_chunks(n, k, f.tool_calls[k], [&](json c) { out.events.push_back(detail::sse_data(chunk(std::move(c)))); });
  json last = chunk(choices(n, json::object(), providers::finish_word(f.dialect, f.finish)));
  if (mistral && f.usage) last["usage"] = stream_writing::usage_of(*f.usage);
  out.events.push_back(detail::sse_data(last));
  if (usage_chunk) {
    json u = chunk(json::array());
    u["usage"] = stream_writing::usage_of(*f.usage);
    out.events.push_back(detail::sse_data(u));
  }
  out.events.push_back("data: [DONE]\n\n");
  return out;
}

}  // namespace governed::dialect::openai
