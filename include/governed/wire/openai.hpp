#pragma once
/// @file
/// OpenAI chat completions on the wire, and every server that speaks them: Groq, OpenRouter,
/// Mistral, DeepSeek, vLLM, LiteLLM, any OpenAI-compatible base URL.
///
/// `POST {base}/chat/completions` with `authorization: Bearer <key>` (none for a keyless
/// provider: a local vLLM, llama.cpp or Ollama server) and
/// `{"model", "messages": [{"role", "content"}], "max_completion_tokens" | "max_tokens", …}`.
/// OpenAI itself takes `max_completion_tokens` (its reasoning models refuse `max_tokens`);
/// the compatibles take `max_tokens`. A stream asks for `stream: true` and, so the last
/// chunk carries usage, `stream_options: {include_usage: true}` — except Mistral, which
/// always reports usage in its last chunk and refuses fields it does not know.
///
/// A streamed chunk carries text in `choices[0].delta.content`, usage in `usage` (null until
/// the last chunk; Groq also puts it in `x_groq.usage`), an error as `{"error": {…}}`, and
/// the stream ends with `data: [DONE]`.

#include <governed/attempt.hpp>
#include <governed/providers/table.hpp>
#include <governed/wire/detail/json_body.hpp>
#include <governed/wire/http_request.hpp>
#include <governed/wire/options.hpp>
#include <governed/wire/sse.hpp>
#include <governed/wire/stream_event.hpp>
#include <governed/wire/url.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <variant>

namespace governed::wire {

/// The chat-completions body: model (unless `with_model` is false, as Azure's deployment
/// URLs name it), messages, the output limit, n, temperature, stream flags, then
/// `Request::parameters` over them.
inline nlohmann::json openai_body(const transport::Attempt& a, providers::Dialect d, bool stream,
                                  bool with_model = true) {
  nlohmann::json body = nlohmann::json::object();
  if (with_model) body["model"] = a.model;
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : a.request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  body["messages"] = std::move(messages);
  const bool completion_tokens = d == providers::Dialect::openai || d == providers::Dialect::azure;
  const char* limit = completion_tokens ? "max_completion_tokens" : "max_tokens";
  body[limit] = a.request.max_tokens;
  if (a.request.n != 1) body["n"] = a.request.n;
  if (a.request.temperature) body["temperature"] = *a.request.temperature;
  if (stream) {
    body["stream"] = true;
    if (d != providers::Dialect::mistral) body["stream_options"] = {{"include_usage", true}};
  }
  detail::apply_parameters(body, a.request.parameters,
                           {{"max_tokens", limit}, {"max_completion_tokens", limit}});
  return body;
}

/// The request for an OpenAI or OpenAI-compatible provider (dialect `d`) at `base`.
inline HttpRequest openai_request(const transport::Attempt& a, const Url& base, const Options& o,
                                  providers::Dialect d, bool stream) {
  HttpRequest r;
  r.stream = stream;
  r.target = base.target("/chat/completions");
  r.headers = {{"content-type", "application/json"},
               {"accept", stream ? "text/event-stream" : "application/json"},
               {"user-agent", o.user_agent}};
  add_auth(r, "authorization", "Bearer ", a.api_key);
  r.body = openai_body(a, d, stream).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

/// Reads the chunks of an OpenAI-style stream; a chunk's data past `limits` is refused unread.
class OpenAiStream {
 public:
  explicit OpenAiStream(const JsonLimits& limits = {}) noexcept : limits_(limits) {}

  StreamEvent read(const SseEvent& e) const {
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

}  // namespace governed::wire
