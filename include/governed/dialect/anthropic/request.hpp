#pragma once
/// @file
/// Anthropic messages on the wire: `POST {base}/messages` with `x-api-key: <key>`,
/// `anthropic-version` and `{"model", "max_tokens", "messages", "system"?, …}`.
///
/// `max_tokens` is required by the API, so it is always sent. System messages are not
/// messages there: they go, joined by blank lines, into the top-level `system`. A "tool"
/// message is sent as the user's turn (its content is what the tool said). There is no `n`:
/// one answer per call. A stream asks for `stream: true`.

#include <governed/attempt.hpp>
#include <governed/dialect/detail/json_body.hpp>
#include <governed/wire/http_request.hpp>
#include <governed/wire/options.hpp>
#include <governed/wire/url.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

namespace governed::dialect::anthropic {

inline nlohmann::json body(const transport::Attempt& a, bool stream) {
  nlohmann::json body = nlohmann::json::object();
  body["model"] = a.model;
  body["max_tokens"] = a.request.max_tokens;
  std::string system;
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : a.request.messages) {
    if (m.role == "system") {
      if (!system.empty()) system += "\n\n";
      system += m.content;
      continue;
    }
    messages.push_back({{"role", m.role == "assistant" ? "assistant" : "user"}, {"content", m.content}});
  }
  body["messages"] = std::move(messages);
  if (!system.empty()) body["system"] = std::move(system);
  if (a.request.temperature) body["temperature"] = *a.request.temperature;
  if (stream) body["stream"] = true;
  detail::apply_parameters(body, a.request.parameters);
  return body;
}

inline wire::HttpRequest encode_request(const transport::Attempt& a, const wire::Url& base, const wire::Options& o,
                                        bool stream) {
  wire::HttpRequest r;
  r.stream = stream;
  r.target = base.target("/messages");
  r.headers = {{"anthropic-version", o.anthropic_version},
               {"content-type", "application/json"},
               {"accept", stream ? "text/event-stream" : "application/json"},
               {"user-agent", o.user_agent}};
  wire::add_auth(r, "x-api-key", "", a.api_key);
  r.body = body(a, stream).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace governed::dialect::anthropic
