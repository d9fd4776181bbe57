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
/// The typed call is written by three writers this file includes: the conversation — parts,
/// tool calls, tool results — by messages.hpp, the tools and tool choice by tools.hpp, and the
/// output format, stop, sampling, reasoning, user and metadata by generation.hpp (which also
/// says which compatible provider takes which). A call the format can not hold is refused
/// with an error naming what, and nothing is sent.
///
/// The other direction, what a provider does with such a request: `decode_request` reads the
/// body back (Azure's too; dialect/request_body.hpp) and `key_of` the key.

#include <governed/attempt.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>
#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/detail/bearer.hpp>
#include <governed/dialect/detail/body_reader.hpp>
#include <governed/dialect/openai/generation.hpp>
#include <governed/dialect/openai/messages.hpp>
#include <governed/dialect/openai/tools.hpp>
#include <governed/dialect/request_body.hpp>
#include <governed/dialect/route.hpp>
#include <governed/json_limits.hpp>
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

namespace governed::dialect::openai {

/// The chat-completions body: model (unless `with_model` is false, as Azure's deployment
/// URLs name it), messages (messages.hpp), the output limit, n, temperature, stream flags, the
/// tools (tools.hpp), the output format, stop, sampling and reasoning (generation.hpp), then
/// `Request::parameters` over them: a parameter of the same name replaces what a typed field
/// wrote. An error, naming what, when the call holds something the format can not.
inline Result<nlohmann::json> body(const transport::Attempt& a, providers::Dialect d, bool stream,
                                   bool with_model = true) {
  nlohmann::json body = nlohmann::json::object();
  if (with_model) body["model"] = a.model;
  auto messages = openai::messages(a.request);
  if (!messages) return tl::unexpected(std::move(messages.error()));
  body["messages"] = std::move(*messages);
  const bool completion_tokens = d == providers::Dialect::openai || d == providers::Dialect::azure;
  const char* limit = completion_tokens ? "max_completion_tokens" : "max_tokens";
  body[limit] = a.request.max_tokens;
  if (a.request.n != 1) body["n"] = a.request.n;
  if (a.request.temperature) body["temperature"] = *a.request.temperature;
  if (stream) {
    body["stream"] = true;
    if (d != providers::Dialect::mistral) body["stream_options"] = {{"include_usage", true}};
  }
  if (auto tools = write_tools(body, a.request); !tools) return tl::unexpected(std::move(tools.error()));
  if (auto generation = write_generation(body, a.request, d); !generation)
    return tl::unexpected(std::move(generation.error()));
  // OpenRouter's `reasoning_effort` is shorthand for `reasoning.effort` and refused beside a
  // different one: the caller's replaces governed's.
  detail::apply_parameters(body, a.request.parameters,
                           {{"max_tokens", limit}, {"max_completion_tokens", limit}, {"reasoning_effort", "reasoning"}});
  return body;
}

/// The request for an OpenAI or OpenAI-compatible provider (dialect `d`) at `base`.
inline Result<wire::HttpRequest> encode_request(const transport::Attempt& a, const wire::Url& base,
                                                const wire::Options& o, providers::Dialect d, bool stream) {
  wire::HttpRequest r;
  r.stream = stream;
  r.target = base.target("/chat/completions");
  r.headers = {{"content-type", "application/json"},
               {"accept", stream ? "text/event-stream" : "application/json"},
               {"user-agent", o.user_agent}};
  wire::add_auth(r, "authorization", "Bearer ", a.api_key);
  auto written = body(a, d, stream);
  if (!written) return tl::unexpected(std::move(written.error()));
  r.body = written->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

/// A chat-completions body read (the inverse of `encode_request`), OpenAI's or Azure's, whose
/// deployment `route.model` names the model.
inline tl::expected<RequestBody, BodyProblem> decode_request(std::string_view text, const Route& route,
                                                             const JsonLimits& limits = {}) {
  using namespace governed::dialect::detail;
  auto parsed = object_of(text, limits);
  if (!parsed) return tl::unexpected(parsed.error());
  const nlohmann::json& body = *parsed;
  RequestBody out;
  if (!route.model.empty()) {
    out.model = route.model;
  } else if (auto m = model_field(body, out); !m) {
    return tl::unexpected(m.error());
  }
  if (auto m = messages_field(body, out); !m) return tl::unexpected(m.error());
  const char* limit = body.contains("max_completion_tokens") && !body["max_completion_tokens"].is_null()
                          ? "max_completion_tokens" : "max_tokens";
  auto max = integer(body, limit, 1, std::numeric_limits<std::int32_t>::max(), out.max_tokens);
  if (!max) return tl::unexpected(max.error());
  out.max_tokens = *max;
  auto n = integer(body, "n", 1, 128, 1);
  if (!n) return tl::unexpected(n.error());
  out.n = *n;
  auto stream = boolean(body, "stream");
  if (!stream) return tl::unexpected(stream.error());
  out.stream = *stream;
  if (auto so = body.find("stream_options"); so != body.end() && !so->is_null()) {
    if (!so->is_object()) return tl::unexpected(wrong_type("stream_options", "an object", *so));
    if (!out.stream)
      return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, "stream_options",
                                        "The 'stream_options' parameter is only allowed when 'stream' is enabled."});
    auto usage = boolean(*so, "include_usage");
    if (!usage) return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, "stream_options.include_usage", usage.error().message});
    out.include_usage = *usage;
  }
  return out;
}


/// The key a chat-completions request carries, `authorization: Bearer <key>` (what
/// `encode_request` writes with `wire::add_auth`); empty when it carries none.
/// `header(name)` gives the value of the request's header `name` (lower-case) as a view that
/// lives while the call does, empty when absent.
template <class HeaderLookup>
  requires std::is_invocable_r_v<std::string_view, const HeaderLookup&, std::string_view>
std::string key_of(const HeaderLookup& header, const Route& /*route*/) {
  return std::string(detail::bearer_credential(header("authorization")));
}

}  // namespace governed::dialect::openai
