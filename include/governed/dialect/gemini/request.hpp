#pragma once
/// @file
/// Google Gemini on the wire: `POST {base}/models/{model}:generateContent` (a stream:
/// `:streamGenerateContent?alt=sse`) with `x-goog-api-key: <key>` and
/// `{"contents": [{"role": "user"|"model", "parts": [{"text"}]}], "systemInstruction"?,
/// "generationConfig": {"maxOutputTokens", "temperature"?, "candidateCount"?}}`.
///
/// The assistant's role is "model" there; system messages go, joined by blank lines, into
/// `systemInstruction`; a "tool" message is sent as the user's turn. `Request::parameters`
/// merge into the body, so `{"generationConfig": {"topP": 0.9}}` adds to the config rather
/// than replacing it.

#include <governed/attempt.hpp>
#include <governed/dialect/detail/json_body.hpp>
#include <governed/wire/http_request.hpp>
#include <governed/wire/options.hpp>
#include <governed/wire/url.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace governed::dialect::gemini {

inline nlohmann::json body(const transport::Attempt& a) {
  nlohmann::json body = nlohmann::json::object();
  std::string system;
  nlohmann::json contents = nlohmann::json::array();
  for (const auto& m : a.request.messages) {
    if (m.role == "system") {
      if (!system.empty()) system += "\n\n";
      system += m.content;
      continue;
    }
    contents.push_back({{"role", m.role == "assistant" ? "model" : "user"},
                        {"parts", nlohmann::json::array({{{"text", m.content}}})}});
  }
  body["contents"] = std::move(contents);
  if (!system.empty()) body["systemInstruction"] = {{"parts", nlohmann::json::array({{{"text", system}}})}};
  nlohmann::json config = {{"maxOutputTokens", a.request.max_tokens}};
  if (a.request.temperature) config["temperature"] = *a.request.temperature;
  if (a.request.n != 1) config["candidateCount"] = a.request.n;
  body["generationConfig"] = std::move(config);
  detail::apply_parameters(body, a.request.parameters);
  return body;
}

inline wire::HttpRequest encode_request(const transport::Attempt& a, const wire::Url& base, const wire::Options& o,
                                        bool stream) {
  wire::HttpRequest r;
  r.stream = stream;
  std::string_view model = a.model;
  if (model.starts_with("models/")) model.remove_prefix(7);
  r.target = base.target("/models/" + detail::path_segment(model) +
                             (stream ? ":streamGenerateContent" : ":generateContent"),
                         stream ? "alt=sse" : "");
  r.headers = {{"content-type", "application/json"},
               {"accept", stream ? "text/event-stream" : "application/json"},
               {"user-agent", o.user_agent}};
  wire::add_auth(r, "x-goog-api-key", "", a.api_key);
  r.body = body(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace governed::dialect::gemini
