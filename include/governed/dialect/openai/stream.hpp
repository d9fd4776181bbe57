#pragma once
/// @file
/// OpenAI chat completions streamed, as every OpenAI-compatible server streams them (Groq,
/// OpenRouter, Mistral, DeepSeek, vLLM, Azure OpenAI).
///
/// A streamed chunk carries text in `choices[0].delta.content`, usage in `usage` (null until
/// the last chunk; Groq also puts it in `x_groq.usage`), an error as `{"error": {…}}`, and
/// the stream ends with `data: [DONE]`.

#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/json_limits.hpp>
#include <governed/wire/sse.hpp>

#include <nlohmann/json.hpp>

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
    if (auto c = j.find("choices"); c != j.end() && c->is_array() && !c->empty() && (*c)[0].is_object()) {
      const auto& first = (*c)[0];
      if (auto d = first.find("delta"); d != first.end() && d->is_object()) out.text = detail::string_at(*d, "content");
    }
    if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
      out.usage = detail::usage_in(j);
    } else if (auto x = j.find("x_groq"); x != j.end() && x->is_object() && x->contains("usage")) {
      out.usage = detail::usage_in(nlohmann::json{{"usage", (*x)["usage"]}});
    }
    return out;
  }

 private:
  JsonLimits limits_;
};

}  // namespace governed::dialect::openai
