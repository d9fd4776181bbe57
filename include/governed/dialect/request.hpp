#pragma once
/// @file
/// The HTTP request for an attempt, encoded by the home of the attempt's dialect
/// (`dialect/<home>/request.hpp`; the format each dialect speaks: `dialect/format.hpp`), and
/// a request's body read back by the home of its route's format (what governed-sim does with
/// every request it receives).
///
/// ```cpp
/// auto req = dialect::encode_request(attempt, providers::Dialect::anthropic, {}, /*stream=*/false);
/// if (req) send(req->target, req->headers, req->body);
/// else log(req.error().message);  // what the format can not hold ("… a document by URL …"); nothing sent
/// ```

#include <governed/attempt.hpp>
#include <governed/dialect/anthropic/request.hpp>
#include <governed/dialect/azure/request.hpp>
#include <governed/dialect/format.hpp>
#include <governed/dialect/gemini/request.hpp>
#include <governed/dialect/openai/request.hpp>
#include <governed/dialect/request_body.hpp>
#include <governed/dialect/route.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>
#include <governed/wire/http_request.hpp>
#include <governed/wire/options.hpp>
#include <governed/wire/url.hpp>

#include <tl/expected.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace governed::dialect {

/// The request for `a` in dialect `d` at the parsed base URL `base`; an error, saying what,
/// when the call holds something the dialect's format can not (nothing is sent then).
inline Result<wire::HttpRequest> encode_request(const transport::Attempt& a, const wire::Url& base,
                                                providers::Dialect d, const wire::Options& o, bool stream) {
  switch (format_of(d)) {
    case Format::anthropic: return anthropic::encode_request(a, base, o, stream);
    case Format::gemini: return gemini::encode_request(a, base, o, stream);
    case Format::azure: return azure::encode_request(a, base, o, stream);
    case Format::openai: break;
  }
  return openai::encode_request(a, base, o, d, stream);
}

/// The same at the attempt's own base URL (an error when that URL is not usable: empty, a placeholder left in, user information).
inline Result<wire::HttpRequest> encode_request(const transport::Attempt& a, providers::Dialect d,
                                                const wire::Options& o, bool stream) {
  auto base = wire::parse_url(a.base_url);
  if (!base) return tl::unexpected(base.error());
  return encode_request(a, *base, d, o, stream);
}

/// The body of a request on `route`, read in its format. A body past `limits` (16 MiB, 64 levels by
/// default) is refused before it is parsed.
inline tl::expected<RequestBody, BodyProblem> decode_request(std::string_view text, const Route& route,
                                                             const JsonLimits& limits = {}) {
  switch (route.format) {
    case Format::anthropic: return anthropic::decode_request(text, route, limits);
    case Format::gemini: return gemini::decode_request(text, route, limits);
    case Format::openai:
    case Format::azure: break;  // Azure's body is chat completions; its route names the deployment
  }
  return openai::decode_request(text, route, limits);
}

/// The key a request on `route` carries, read the way its format sends it (each home's
/// `key_of`, the inverse of its `encode_request`'s auth header); empty when it carries none.
/// `header(name)` gives the value of the request's header `name` (lower-case) as a view that
/// lives while the call does, empty when absent.
template <class HeaderLookup>
  requires std::is_invocable_r_v<std::string_view, const HeaderLookup&, std::string_view>
std::string key_of(const HeaderLookup& header, const Route& route) {
  switch (route.format) {
    case Format::anthropic: return anthropic::key_of(header, route);
    case Format::gemini: return gemini::key_of(header, route);
    case Format::azure: return azure::key_of(header, route);
    case Format::openai: break;
  }
  return openai::key_of(header, route);
}

/// The same for a provider whose format is `provider`, which may answer a route of another
/// format (`serves`): Azure's v1 API is served on a chat-completions route (`/openai/v1/…`) and
/// takes Azure's `api-key` header there as well as a Bearer token (azure/request.hpp), so its
/// key is read the Azure way. Any other provider reads its route's way.
template <class HeaderLookup>
  requires std::is_invocable_r_v<std::string_view, const HeaderLookup&, std::string_view>
std::string key_of(const HeaderLookup& header, const Route& route, Format provider) {
  if (provider == Format::azure && serves(provider, route.format)) return azure::key_of(header, route);
  return key_of(header, route);
}

}  // namespace governed::dialect
