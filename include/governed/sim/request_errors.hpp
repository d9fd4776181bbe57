#pragma once
/// @file
/// The errors a provider's front door answers before a request reaches the model: a body
/// that is not what the API takes (400), an endpoint that does not exist (404), a body over
/// the size limit (413), a missing `anthropic-version` header (400) — each in the provider's
/// own error shape (OpenAI's `{"error": {"message", "type", "param", "code"}}`, Anthropic's
/// `{"type": "error", "error": {…}}`, Gemini's `{"error": {"code", "message", "status"}}`),
/// so an SDK raises its own BadRequestError / NotFoundError for them.

#include <governed/providers/table.hpp>
#include <governed/sim/call.hpp>
#include <governed/sim/call_body.hpp>
#include <governed/sim/dialect.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace governed::sim {

/// A request-level error of `status` in dialect `d`: `message` the sentence, `param` the field
/// (OpenAI-style shapes carry it), `serial` numbers the request id.
inline ProviderReply request_error(providers::Dialect d, int status, std::string_view message, std::string_view param,
                           std::uint64_t serial) {
  using namespace dialect_detail;
  using providers::Dialect;
  const nlohmann::json p = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
  switch (d) {
    case Dialect::anthropic: {
      const char* type = status == 404 ? "not_found_error" : status == 413 ? "request_too_large" : "invalid_request_error";
      return json_reply(status, anthropic_error(type, message, serial));
    }
    case Dialect::gemini: {
      const char* st = status == 404 ? "NOT_FOUND" : status == 413 ? "INVALID_ARGUMENT" : "INVALID_ARGUMENT";
      return json_reply(status, gemini_error(status, st, message));
    }
    case Dialect::azure:
      return json_reply(status, azure_error(status == 404 ? "404" : "BadRequest", message));
    case Dialect::mistral:
      return json_reply(status, mistral_error(message, "invalid_request_error", status == 404 ? "1404" : "3051"));
    case Dialect::openrouter:
      return json_reply(status, openrouter_error(status, message));
    default: {
      nlohmann::json body = openai_error(message, "invalid_request_error", status == 404 ? nlohmann::json("unknown_url") : nullptr);
      body["error"]["param"] = p;
      return json_reply(status, body);
    }
  }
}

/// A body the API does not take, worded as the provider words it.
inline ProviderReply bad_body(providers::Dialect d, const BodyProblem& p, std::uint64_t serial) {
  using providers::Dialect;
  std::string message = p.message;
  if (p.kind == BodyProblem::Kind::not_json) {
    switch (d) {
      case Dialect::anthropic: message = "There was an error parsing the body of your request."; break;
      case Dialect::gemini: message = "Invalid JSON payload received. Unexpected token."; break;
      default:
        message = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                  "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
    }
  } else if (d == Dialect::anthropic && !p.param.empty()) {
    message = p.kind == BodyProblem::Kind::missing ? fmt::format("{}: Field required", p.param)
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
