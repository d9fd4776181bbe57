#pragma once
/// @file
/// Anthropic messages on the wire: `POST {base}/messages` with `x-api-key: <key>`,
/// `anthropic-version` and `{"model", "max_tokens", "messages", "system"?, …}`.
///
/// `max_tokens` is required by the API, so it is always sent. System messages are not
/// messages there: they go, joined by blank lines, into the top-level `system`. A "tool"
/// message is sent as the user's turn (its content is what the tool said). There is no `n`:
/// one answer per call. A stream asks for `stream: true`.
///
/// The other direction, what the provider does with such a request: `decode_request` reads the
/// body back (dialect/request_body.hpp) and `key_of` the key.

#include <governed/attempt.hpp>
#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/detail/bearer.hpp>
#include <governed/dialect/detail/body_reader.hpp>
#include <governed/dialect/request_body.hpp>
#include <governed/dialect/route.hpp>
#include <governed/json_limits.hpp>
#include <governed/result.hpp>
#include <governed/wire/http_request.hpp>
#include <governed/wire/options.hpp>
#include <governed/wire/url.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
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

inline Result<wire::HttpRequest> encode_request(const transport::Attempt& a, const wire::Url& base,
                                                const wire::Options& o, bool stream) {
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

/// A messages body read (the inverse of `encode_request`): `max_tokens` is required, `system` a
/// string or text blocks; the route adds nothing (the model is in the body).
inline tl::expected<RequestBody, BodyProblem> decode_request(std::string_view text, const Route& /*route*/,
                                                             const JsonLimits& limits = {}) {
  using namespace governed::dialect::detail;
  auto parsed = object_of(text, limits);
  if (!parsed) return tl::unexpected(parsed.error());
  const nlohmann::json& body = *parsed;
  RequestBody out;
  if (auto m = model_field(body, out); !m) return tl::unexpected(m.error());
  if (auto s = body.find("system"); s != body.end() && !s->is_null()) {
    auto sys = content_text(*s, "system");
    if (!sys) return tl::unexpected(sys.error());
    out.roles.emplace_back("system");
    out.contents.push_back(std::move(*sys));
  }
  if (auto m = messages_field(body, out); !m) return tl::unexpected(m.error());
  if (!body.contains("max_tokens") || body["max_tokens"].is_null()) return tl::unexpected(missing("max_tokens"));
  auto max = integer(body, "max_tokens", 1, std::numeric_limits<std::int32_t>::max(), out.max_tokens);
  if (!max) return tl::unexpected(max.error());
  out.max_tokens = *max;
  auto stream = boolean(body, "stream");
  if (!stream) return tl::unexpected(stream.error());
  out.stream = *stream;
  out.include_usage = true;
  return out;
}


/// The key a messages request carries, `x-api-key: <key>` (what `encode_request` writes), or
/// else an `authorization: Bearer` one; empty when it carries none.
/// `header(name)` gives the value of the request's header `name` (lower-case) as a view that
/// lives while the call does, empty when absent.
template <class HeaderLookup>
  requires std::is_invocable_r_v<std::string_view, const HeaderLookup&, std::string_view>
std::string key_of(const HeaderLookup& header, const Route& /*route*/) {
  if (const std::string_view k = header("x-api-key"); !k.empty()) return std::string(k);
  return std::string(detail::bearer_credential(header("authorization")));
}

}  // namespace governed::dialect::anthropic
