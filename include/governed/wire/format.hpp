#pragma once
/// @file
/// Which wire format an attempt speaks, and the HTTP request for it.
///
/// The provider table's dialect decides: Anthropic and Gemini have their own formats, Azure
/// its deployment URLs, and every other dialect (OpenAI, Groq, OpenRouter, Mistral,
/// DeepSeek, an OpenAI-compatible base URL) speaks chat completions. A provider the table
/// does not know speaks chat completions too.
///
/// ```cpp
/// auto req = wire::build_request(attempt, providers::Dialect::anthropic, {}, /*stream=*/false);
/// if (req) send(req->target, req->headers, req->body);
/// ```

#include <governed/result.hpp>
#include <governed/wire/anthropic.hpp>
#include <governed/wire/azure.hpp>
#include <governed/wire/gemini.hpp>
#include <governed/wire/http_request.hpp>
#include <governed/wire/openai.hpp>
#include <governed/wire/options.hpp>
#include <governed/wire/url.hpp>

#include <cstdint>
#include <string_view>

namespace governed::wire {

enum class Format : std::uint8_t { openai, azure, anthropic, gemini };

constexpr Format format_of(providers::Dialect d) noexcept {
  switch (d) {
    case providers::Dialect::anthropic: return Format::anthropic;
    case providers::Dialect::gemini: return Format::gemini;
    case providers::Dialect::azure: return Format::azure;
    default: return Format::openai;
  }
}

constexpr std::string_view to_string(Format f) noexcept {
  switch (f) {
    case Format::openai: return "openai";
    case Format::azure: return "azure";
    case Format::anthropic: return "anthropic";
    case Format::gemini: return "gemini";
  }
  return "openai";
}

/// The request for `a` in dialect `d` at the parsed base URL `base`.
inline HttpRequest build_request(const transport::Attempt& a, const Url& base, providers::Dialect d,
                                 const Options& o, bool stream) {
  switch (format_of(d)) {
    case Format::anthropic: return anthropic_request(a, base, o, stream);
    case Format::gemini: return gemini_request(a, base, o, stream);
    case Format::azure: return azure_request(a, base, o, stream);
    case Format::openai: break;
  }
  return openai_request(a, base, o, d, stream);
}

/// The same at the attempt's own base URL (an error when that URL is not usable: empty, a placeholder left in, user information).
inline Result<HttpRequest> build_request(const transport::Attempt& a, providers::Dialect d, const Options& o,
                                         bool stream) {
  auto base = parse_url(a.base_url);
  if (!base) return tl::unexpected(base.error());
  return build_request(a, *base, d, o, stream);
}

}  // namespace governed::wire
