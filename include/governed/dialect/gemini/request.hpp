#pragma once
/// @file
/// Google Gemini on the wire: `POST {base}/models/{model}:generateContent` (a stream:
/// `:streamGenerateContent?alt=sse`) with `x-goog-api-key: <key>` and
/// `{"contents": [{"role": "user"|"model", "parts": [{"text"}]}], "systemInstruction"?,
/// "tools"?, "toolConfig"?, "generationConfig": {"maxOutputTokens", "temperature"?,
/// "candidateCount"?, …}}` (https://ai.google.dev/api/generate-content).
///
/// The assistant's role is "model" there; system messages go, joined by blank lines, into
/// `systemInstruction`. How the rest of a conversation is written — parts, tool calls and
/// results, reasoning — is messages.hpp's; tools, tool choice, output shape, sampling and
/// thinking are call_options.hpp's. A call the format can not hold is refused with the reason,
/// and nothing is sent. `Request::parameters` merge into the body last, so
/// `{"generationConfig": {"topK": 3}}` adds to the config rather than replacing it, and a
/// parameter of a typed field's name (`{"generationConfig": {"topP": 0.9}}`) replaces what
/// that field wrote.
///
/// The other direction, what the provider does with such a request: `decode_request` reads the
/// body back (dialect/request_body.hpp) and `key_of` the key.

#include <governed/attempt.hpp>
#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/detail/body_reader.hpp>
#include <governed/dialect/gemini/call_options.hpp>
#include <governed/dialect/gemini/messages.hpp>
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

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace governed::dialect::gemini {

/// The generateContent body for `a`; an error when the call holds what the format can not
/// (messages.hpp and call_options.hpp say what).
inline Result<nlohmann::json> body(const transport::Attempt& a) {
  auto conversation = gemini::conversation(a.request.messages, a.provider);
  if (!conversation) return tl::unexpected(std::move(conversation.error()));
  nlohmann::json body = nlohmann::json::object();
  body["contents"] = std::move(conversation->contents);
  if (!conversation->system.empty())
    body["systemInstruction"] = {{"parts", nlohmann::json::array({{{"text", std::move(conversation->system)}}})}};
  if (auto tools = write_tools(body, a.request); !tools) return tl::unexpected(std::move(tools.error()));
  nlohmann::json config = {{"maxOutputTokens", a.request.max_tokens}};
  if (a.request.temperature) config["temperature"] = *a.request.temperature;
  if (a.request.n != 1) config["candidateCount"] = a.request.n;
  if (auto typed = write_generation(config, a.request, a.model); !typed) return tl::unexpected(std::move(typed.error()));
  body["generationConfig"] = std::move(config);
  detail::apply_parameters(body, a.request.parameters);
  return body;
}

inline Result<wire::HttpRequest> encode_request(const transport::Attempt& a, const wire::Url& base,
                                                const wire::Options& o, bool stream) {
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
  auto written = body(a);
  if (!written) return tl::unexpected(std::move(written.error()));
  r.body = written->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

/// A generateContent body read (the inverse of `encode_request`): the model and the stream come
/// from the route.
inline tl::expected<RequestBody, BodyProblem> decode_request(std::string_view text, const Route& route,
                                                             const JsonLimits& limits = {}) {
  using namespace governed::dialect::detail;
  auto parsed = object_of(text, limits);
  if (!parsed) return tl::unexpected(parsed.error());
  const nlohmann::json& body = *parsed;
  RequestBody out;
  out.model = route.model;
  out.stream = route.stream;
  out.include_usage = true;
  auto parts_text = [&](const nlohmann::json& holder, const std::string& at) -> tl::expected<std::string, BodyProblem> {
    if (!holder.is_object()) return tl::unexpected(wrong_type(at, "an object", holder));
    auto parts = holder.find("parts");
    if (parts == holder.end() || parts->is_null()) return std::string{};
    return content_text(*parts, at + ".parts");
  };
  if (auto s = body.find("systemInstruction"); s != body.end() && !s->is_null()) {
    auto sys = parts_text(*s, "systemInstruction");
    if (!sys) return tl::unexpected(sys.error());
    out.roles.emplace_back("system");
    out.contents.push_back(std::move(*sys));
  }
  auto contents = body.find("contents");
  if (contents == body.end() || contents->is_null() || (contents->is_array() && contents->empty()))
    return tl::unexpected(BodyProblem{BodyProblem::Kind::missing, "contents", "* GenerateContentRequest.contents: contents is not specified\n"});
  if (!contents->is_array()) return tl::unexpected(wrong_type("contents", "an array", *contents));
  std::size_t i = 0;
  for (const auto& c : *contents) {
    const std::string at = fmt::format("contents[{}]", i++);
    auto t = parts_text(c, at);
    if (!t) return tl::unexpected(t.error());
    std::string role = "user";
    if (auto r = c.find("role"); r != c.end() && r->is_string()) role = r->get<std::string>() == "model" ? "assistant" : "user";
    out.roles.push_back(std::move(role));
    out.contents.push_back(std::move(*t));
  }
  if (auto g = body.find("generationConfig"); g != body.end() && !g->is_null()) {
    if (!g->is_object()) return tl::unexpected(wrong_type("generationConfig", "an object", *g));
    auto max = integer(*g, "maxOutputTokens", 1, std::numeric_limits<std::int32_t>::max(), out.max_tokens);
    if (!max) return tl::unexpected(max.error());
    out.max_tokens = *max;
    auto n = integer(*g, "candidateCount", 1, 8, 1);
    if (!n) return tl::unexpected(n.error());
    out.n = *n;
  }
  return out;
}


/// The key a generateContent request carries, `x-goog-api-key: <key>` (what `encode_request`
/// writes), or else the target's `?key=` (decoded); empty when it carries none.
/// `header(name)` gives the value of the request's header `name` (lower-case) as a view that
/// lives while the call does, empty when absent.
template <class HeaderLookup>
  requires std::is_invocable_r_v<std::string_view, const HeaderLookup&, std::string_view>
std::string key_of(const HeaderLookup& header, const Route& route) {
  if (const std::string_view k = header("x-goog-api-key"); !k.empty()) return std::string(k);
  return query_value(route.query, "key").value_or(std::string{});
}

}  // namespace governed::dialect::gemini
