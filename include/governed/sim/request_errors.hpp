#pragma once
/// @file
/// The errors a provider's front door answers before a request reaches the model: a body
/// that is not what the API takes (400), an endpoint that does not exist (404), a body over
/// the size limit (413), a missing `anthropic-version` header (400) — each in the provider's
/// own error shape (OpenAI's `{"error": {"message", "type", "param", "code"}}`, Anthropic's
/// `{"type": "error", "error": {…}}`, Gemini's `{"error": {"code", "message", "status"}}`),
/// so an SDK raises its own BadRequestError / NotFoundError for them. The words are here; the
/// shapes are the homes' `encode_error` (dialect/error.hpp).

#include <governed/dialect/error.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/dialect/request_body.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/table.hpp>
#include <governed/sim/call.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace governed::sim {

namespace request_errors_detail {

/// The fields a front-door error of `status` has in dialect `d`: its code, type and status words.
inline providers::ErrorBody front_door_error(providers::Dialect d, int status, std::string_view message) {
  using providers::Dialect;
  providers::ErrorBody e;
  e.message = std::string(message);
  switch (d) {
    case Dialect::anthropic:
      e.type = status == 404 ? "not_found_error" : status == 413 ? "request_too_large" : "invalid_request_error";
      break;
    case Dialect::gemini:
      e.code = std::to_string(status);
      e.status = status == 404 ? "NOT_FOUND" : "INVALID_ARGUMENT";
      break;
    case Dialect::azure: e.code = status == 404 ? "404" : "BadRequest"; break;
    case Dialect::mistral:
      e.type = "invalid_request_error";
      e.code = status == 404 ? "1404" : "3051";
      break;
    case Dialect::openrouter: e.code = std::to_string(status); break;
    default:
      e.type = "invalid_request_error";
      if (status == 404) e.code = "unknown_url";
      break;
  }
  return e;
}

}  // namespace request_errors_detail

/// A request-level error of `status` in dialect `d`: `message` the sentence, `param` the field
/// (OpenAI's own shape carries it), `serial` numbers the request id (Anthropic's carries it).
inline ProviderReply request_error(providers::Dialect d, int status, std::string_view message, std::string_view param,
                           std::uint64_t serial) {
  const std::string request_id = fmt::format("req_sim{:016x}", serial);
  const bool openai_shape = d != providers::Dialect::mistral && d != providers::Dialect::openrouter;
  const dialect::ErrorMeta meta{.param = openai_shape ? param : std::string_view{}, .request_id = request_id};
  return ProviderReply{status, {}, dialect::encode_error(d, request_errors_detail::front_door_error(d, status, message), meta), {}};
}

/// A body the API does not take, worded as the provider words it.
inline ProviderReply bad_body(providers::Dialect d, const dialect::BodyProblem& p, std::uint64_t serial) {
  using providers::Dialect;
  std::string message = p.message;
  if (p.kind == dialect::BodyProblem::Kind::not_json) {
    switch (d) {
      case Dialect::anthropic: message = "There was an error parsing the body of your request."; break;
      case Dialect::gemini: message = "Invalid JSON payload received. Unexpected token."; break;
      default:
        message = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                  "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
    }
  } else if (d == Dialect::anthropic && !p.param.empty()) {
    message = p.kind == dialect::BodyProblem::Kind::missing ? fmt::format("{}: Field required", p.param)
                                                   : fmt::format("{}: {}", p.param, p.message);
  }
  return request_error(d, 400, message, p.param, serial);
}

/// No such endpoint: `method` and the path of `target` (never its query, which may hold a key),
/// shortened to keep the reply small.
inline ProviderReply no_route(providers::Dialect d, std::string_view method, std::string_view target, std::uint64_t serial) {
  target = target.substr(0, target.find('?'));
  if (target.size() > 200) target = target.substr(0, 200);
  std::string path(target);
  for (char& c : path)  // only printable ASCII is quoted back
    if (c < 0x20 || c >= 0x7f) c = '?';
  return request_error(d, 404, fmt::format("Invalid URL ({} {})", method, path), {}, serial);
}

}  // namespace governed::sim
