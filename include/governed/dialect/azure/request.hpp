#pragma once
/// @file
/// Azure OpenAI on the wire. The deployment (governed's model name for Azure) is in the URL
/// and the API version in the query:
/// `POST {base}/deployments/{deployment}/chat/completions?api-version=2024-10-21` with
/// `api-key: <key>` and the OpenAI body without `model`. A base URL that carries its own
/// `api-version` keeps it. The v1 API (a base URL ending in `/openai/v1`) takes the OpenAI
/// shape — `{base}/chat/completions`, `model` in the body, no version — with the same
/// `api-key` header. Replies and streams are OpenAI's.
///
/// A provider reads the body back with `openai::decode_request` (the route names the
/// deployment) and the key with `key_of`.

#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/openai/request.hpp>
#include <governed/dialect/route.hpp>
#include <governed/result.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace governed::dialect::azure {

inline Result<wire::HttpRequest> encode_request(const transport::Attempt& a, const wire::Url& base,
                                                const wire::Options& o, bool stream) {
  wire::HttpRequest r;
  r.stream = stream;
  const bool v1 = base.path.ends_with("/openai/v1");
  if (v1) {
    r.target = base.target("/chat/completions");
  } else {
    const bool versioned = base.query.starts_with("api-version=") || base.query.find("&api-version=") != std::string::npos;
    r.target = base.target("/deployments/" + detail::path_segment(a.model) + "/chat/completions",
                           versioned ? std::string{} : "api-version=" + o.azure_api_version);
  }
  r.headers = {{"content-type", "application/json"},
               {"accept", stream ? "text/event-stream" : "application/json"},
               {"user-agent", o.user_agent}};
  wire::add_auth(r, "api-key", "", a.api_key);
  auto written = openai::body(a, providers::Dialect::azure, stream, v1);
  if (!written) return tl::unexpected(std::move(written.error()));
  r.body = written->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}


/// The key an Azure request carries, `api-key: <key>` (what `encode_request` writes, on the
/// deployment URLs and the v1 API alike), or else an `authorization: Bearer` one: a Microsoft
/// Entra ID token on either API, or on the v1 API the resource's key itself, as OpenAI's own
/// client sends it ("OpenAI(api_key=AZURE_OPENAI_API_KEY, base_url=…/openai/v1/)" —
/// https://learn.microsoft.com/en-us/azure/foundry/openai/api-version-lifecycle). Empty when
/// it carries none. A v1 request routes as chat completions: read it with the three-argument
/// `dialect::key_of`, naming the provider's format.
/// `header(name)` gives the value of the request's header `name` (lower-case) as a view that
/// lives while the call does, empty when absent.
template <class HeaderLookup>
  requires std::is_invocable_r_v<std::string_view, const HeaderLookup&, std::string_view>
std::string key_of(const HeaderLookup& header, const Route& route) {
  if (const std::string_view k = header("api-key"); !k.empty()) return std::string(k);
  return openai::key_of(header, route);
}

}  // namespace governed::dialect::azure
