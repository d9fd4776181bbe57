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

#include <governed/result.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace governed::detail {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

constexpr bool host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

constexpr bool url_char(char c) noexcept {
  // RFC 3986 unreserved, sub-delims, ':', '@', '/', '?', '%' — no spaces, controls, quotes,
  // braces or backslashes.
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=': case ':': case '@': case '/': case '?': case '%': case '[': case ']':
      return true;
    default: return false;
  }
}

}  // namespace governed::detail

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

/// Parses a base URL; the error says what is wrong with it (never echoing a user-info part).
inline Result<Url> parse_url(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::invalid_argument, fmt::format("the base URL is not usable: {}", why));
  };
  if (s.empty()) return bad("it is empty (set the provider's base_url)");
  if (s.size() > 2048) return bad("it is longer than 2048 characters");
  Url u;
  const auto sep = s.find("://");
  if (sep == std::string_view::npos) return bad("it has no scheme (https://...)");
  std::string scheme(s.substr(0, sep));
  for (auto& c : scheme) c = detail::ascii_lower(c);
  if (scheme == "https") u.tls = true;
  else if (scheme == "http") u.tls = false;
  else return bad("the scheme is neither http nor https");
  u.port = u.tls ? 443 : 80;
  std::string_view rest = s.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  for (char c : rest)
    if (!detail::url_char(c)) {
      if (c == '{' || c == '}') return bad("it still has a {placeholder} to fill in");
      return bad("it has a character a URL can not hold");
    }
  const auto auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) return bad("it carries user information (user:secret@)");
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address has no closing ']'");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("something follows the IPv6 address");
      port = after.substr(1);
    }
    if (host.empty()) return bad("the IPv6 address is empty");
    for (char c : host)
      if (!(detail::host_char(c) || c == ':')) return bad("the IPv6 address is malformed");
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (char c : host)
      if (!detail::host_char(c)) return bad("the host name has a character host names can not hold");
  }
  if (host.empty()) return bad("it has no host");
  if (host.size() > 253) return bad("the host name is longer than 253 characters");
  if (!port.empty() || authority.ends_with(':')) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || v == 0 || v > 65535)
      return bad("the port is not a number from 1 to 65535");
    u.port = static_cast<std::uint16_t>(v);
  }
  u.host.assign(host);
  for (auto& c : u.host) c = detail::ascii_lower(c);
  const auto q = tail.find('?');
  std::string_view path = tail.substr(0, q);
  if (q != std::string_view::npos) u.query.assign(tail.substr(q + 1));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.path.assign(path);
  return u;
}

/// Whether `host` names this machine by itself ("localhost", 127.0.0.0/8, ::1) — checked
/// again on the resolved addresses before plain HTTP is allowed.
inline bool loopback_name(std::string_view host) noexcept {
  if (host == "localhost" || host.ends_with(".localhost") || host == "::1") return true;
  return host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace governed::wire
