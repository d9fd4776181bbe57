#pragma once
/// @file
/// A provider's base URL taken apart: scheme, host, port, path prefix and query
/// (`https://{resource}.openai.azure.com/openai`, `http://127.0.0.1:8080/v1`,
/// `https://proxy.internal/v1?api-version=2024-10-21`).
///
/// Only what a base URL may hold is accepted: `http` or `https`, a host name, an IPv4
/// address or a bracketed IPv6 address, an optional port, a path and a query. User
/// information (`user:secret@host`) is refused — a key in a URL ends up in logs — and so is
/// anything with spaces, control bytes or an unfilled `{placeholder}`.

#include <governed/ascii.hpp>
#include <governed/result.hpp>
#include <governed/url.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace governed::wire {

struct Url {
  bool tls = true;    ///< https
  std::string host;   ///< lower-case; an IPv6 address without its brackets
  std::uint16_t port = 443;
  std::string path;   ///< the prefix paths are appended to, without a trailing '/' ("" or "/v1")
  std::string query;  ///< without the '?'; appended to every target

  bool ipv6() const noexcept { return host.find(':') != std::string::npos; }

  /// `host` or `host:port` (the port when not the scheme's default), brackets for IPv6: the
  /// `Host` header and the CONNECT authority.
  std::string authority(bool always_port = false) const {
    const std::string h = ipv6() ? "[" + host + "]" : host;
    if (!always_port && port == (tls ? 443 : 80)) return h;
    return fmt::format("{}:{}", h, port);
  }

  /// `path` + `suffix`, then the query (and `extra_query` after it, '&'-joined).
  std::string target(std::string_view suffix, std::string_view extra_query = {}) const {
    std::string t = path;
    t += suffix;
    if (t.empty()) t = "/";
    const bool q = !query.empty(), e = !extra_query.empty();
    if (q || e) t += '?';
    if (q) t += query;
    if (q && e) t += '&';
    if (e) t += extra_query;
    return t;
  }

  /// "https://host:port/path" without the query, for messages.
  std::string origin() const { return fmt::format("{}://{}", tls ? "https" : "http", authority()); }
};

/// The longest base URL accepted.
inline constexpr std::size_t max_base_url_length = 2048;

/// Whether `c` may stand in a base URL: RFC 3986's unreserved characters, sub-delims, ':', '@',
/// '/', '?', '%' and the brackets of an IPv6 address — no space, control byte, quote, brace or
/// backslash.
constexpr bool is_url_char(char c) noexcept {
  if (ascii::is_alnum(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=': case ':': case '@': case '/': case '?': case '%': case '[': case ']':
      return true;
    default: return false;
  }
}

/// `parts` (of an http or https URL) as a `Url`: the host lowered, `default_port` when the
/// URL names none, the path without its trailing '/'s.
inline Url to_url(const url::Parts& parts, bool tls, std::uint16_t default_port) {
  Url u;
  u.tls = tls;
  u.host = ascii::lowered(parts.host);
  u.port = parts.port.value_or(default_port);
  u.path = ascii::trim_back(parts.path, [](char c) noexcept { return c == '/'; });
  u.query = parts.query.value_or(std::string_view{});
  return u;
}

/// Parses a base URL (see `url::split`); the error says what is wrong with it, never echoing a
/// user-info part.
inline Result<Url> parse_url(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::invalid_argument, fmt::format("the base URL is not usable: {}", why));
  };
  if (s.empty()) return bad("it is empty (set the provider's base_url)");
  static_assert(max_base_url_length == 2048, "the message below names the bound");
  if (s.size() > max_base_url_length) return bad("it is longer than 2048 characters");

  // Before the URL is taken apart, so that `https://{resource}.openai.azure.com` is named for
  // what it is rather than for a bad host name.
  for (char c : s.substr(0, s.find('#')))
    if (!is_url_char(c)) {
      if (c == '{' || c == '}') return bad("it still has a {placeholder} to fill in");
      return bad("it has a character a URL can not hold");
    }
  const auto parts = url::split(s);
  if (!parts) return bad(parts.error());
  if (parts->userinfo) return bad("it carries user information (user:secret@)");
  const bool tls = ascii::iequals(parts->scheme, "https");
  if (!tls && !ascii::iequals(parts->scheme, "http")) return bad("the scheme is neither http nor https");
  return to_url(*parts, tls, tls ? 443 : 80);
}

/// Whether `host` names this machine by itself ("localhost", 127.0.0.0/8, ::1) — checked
/// again on the resolved addresses before plain HTTP is allowed.
inline bool loopback_name(std::string_view host) noexcept {
  if (host == "localhost" || host.ends_with(".localhost") || host == "::1") return true;
  return host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace governed::wire
