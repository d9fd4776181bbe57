#pragma once
/// @file
/// Where a request to a provider's API goes: which wire format its path speaks, under which
/// prefix, for which model, and whether it asks for a stream — read from the request target
/// alone, as a provider's front door does before it looks at the body. governed-sim routes
/// by it; a home's `decode_request` and `key_of` read what the route says.
///
/// | target                                                          | format    |
/// |-----------------------------------------------------------------|-----------|
/// | `{prefix}/chat/completions`                                     | openai    |
/// | `{prefix}/deployments/{deployment}/chat/completions?api-version` | azure     |
/// | `{prefix}/messages`                                             | anthropic |
/// | `{prefix}/models/{model}:generateContent`                       | gemini    |
/// | `{prefix}/models/{model}:streamGenerateContent?alt=sse`         | gemini, streamed |
///
/// The prefix is what comes before the endpoint: `/v1` (OpenAI, Anthropic, Mistral,
/// DeepSeek), `/openai/v1` (Groq), `/api/v1` (OpenRouter), `/v1beta` (Gemini), `/openai`
/// (Azure). governed-sim picks the simulated provider by it (see sim/server.hpp).

#include <governed/ascii.hpp>
#include <governed/url.hpp>
#include <governed/dialect/format.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed::dialect {

struct Route {
  Format format = Format::openai;
  std::string prefix;  ///< the path before the endpoint ("/v1"); may be empty
  std::string model;   ///< from the path (Gemini's model, Azure's deployment); else empty
  /// Gemini streams by endpoint; the others say so in the body.
  bool stream = false;
  /// Gemini's `alt=sse`: events rather than one JSON array.
  bool sse = false;
  std::string query;  ///< everything after `?`, undecoded
};

namespace route_detail {

/// A model or deployment name as a path may carry it: 1 to 256 printable ASCII bytes, no
/// slash (so every reply, header and log line can quote it as it is).
inline bool plain_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s)
    if (c <= 0x20 || c >= 0x7f || c == '/') return false;
  return true;
}

/// `%XX` decoded (and `+` as a space when `plus` is set, as in a query); nothing when an escape is
/// malformed or the text holds a control byte, written or decoded.
inline std::optional<std::string> decoded(std::string_view s, bool plus = false) {
  auto out = governed::url::percent_decode(s, {.plus_is_space = plus});
  if (!out || std::ranges::any_of(*out, governed::ascii::is_control)) return std::nullopt;
  return out;
}

}  // namespace route_detail

/// The value of `name` in a query string (`a=1&key=xyz`), decoded; nothing when absent.
inline std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    if (eq == std::string_view::npos) return std::string{};
    return route_detail::decoded(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

/// The route of `target` (origin form: path and query), or nothing when no endpoint matches.
inline std::optional<Route> route_of(std::string_view target) {
  Route r;
  const auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  if (path.empty() || path.front() != '/') return std::nullopt;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);

  constexpr std::string_view chat = "/chat/completions", messages = "/messages";
  if (path.ends_with(chat)) {
    std::string_view before = path.substr(0, path.size() - chat.size());
    // Azure: {prefix}/deployments/{deployment}/chat/completions
    const auto slash = before.rfind('/');
    if (slash != std::string_view::npos) {
      const std::string_view parent = before.substr(0, slash);
      if (parent.ends_with("/deployments")) {
        auto model = route_detail::decoded(before.substr(slash + 1));
        if (!model || !route_detail::plain_name(*model)) return std::nullopt;
        r.format = Format::azure;
        r.model = std::move(*model);
        r.prefix = std::string(parent.substr(0, parent.size() - std::string_view("/deployments").size()));
        return r;
      }
    }
    r.format = Format::openai;
    r.prefix = std::string(before);
    return r;
  }
  if (path.ends_with(messages)) {
    r.format = Format::anthropic;
    r.prefix = std::string(path.substr(0, path.size() - messages.size()));
    return r;
  }
  // Gemini: {prefix}/models/{model}:generateContent | :streamGenerateContent
  const auto models = path.rfind("/models/");
  if (models != std::string_view::npos) {
    const std::string_view rest = path.substr(models + 8);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view method = rest.substr(colon + 1);
    if (method != "generateContent" && method != "streamGenerateContent") return std::nullopt;
    auto model = route_detail::decoded(rest.substr(0, colon));
    if (!model || !route_detail::plain_name(*model)) return std::nullopt;
    r.format = Format::gemini;
    r.prefix = std::string(path.substr(0, models));
    r.model = std::move(*model);
    r.stream = method == "streamGenerateContent";
    r.sse = r.stream && query_value(r.query, "alt") == std::optional<std::string>("sse");
    return r;
  }
  return std::nullopt;
}

/// Whether a provider whose format is `provider` answers a route of format `route` (Azure's
/// v1 API speaks OpenAI's chat completions too).
constexpr bool serves(Format provider, Format route) noexcept {
  return provider == route || (provider == Format::azure && route == Format::openai);
}

}  // namespace governed::dialect
