#pragma once
/// @file
/// The one URL parser of governed, for the three kinds of URL it reads: a provider's base URL
/// (`wire::parse_url`), an HTTP proxy (`transport::ProxySettings`) and a Redis server
/// (`redis::parse_url`). `url::split` takes a URL apart into views of its text — scheme, user
/// information, host, port, path, query, fragment — and checks what every kind shares: a
/// bounded length, no space or control byte, a host of host-name characters (or a bracketed
/// IPv6 address) and a port from 1 to 65535. Each kind then applies its own rules (which
/// schemes, whether user information may be given, the default port) and words its errors.
/// `url::percent_decode` is the one percent-decoder.
///
/// Why a small header of its own rather than Boost.URL: `governed::governed` is header-only
/// and links nothing compiled, and base URLs are parsed in that core (every request is built
/// from one); Boost.URL is a compiled library, so it could only serve `governed::http` and
/// `governed::redis`, leaving the core a parser of its own anyway — two parsers again. What
/// governed needs is small: no relative references, no normalisation, no international
/// names, only an authority taken apart. And Redis and proxy URLs are often written with the
/// password pasted as it is (`redis://:p#ss?w@host`), which a strict RFC 3986 parser reads
/// as a fragment or a query; `Userinfo::raw` keeps reading them as their clients do.
///
/// Bounded: at most `max_length` bytes are read, each a fixed number of times, with no
/// recursion and no allocation; errors name what is wrong and never repeat the URL, which may
/// hold a password.

#include <governed/ascii.hpp>

#include <tl/expected.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace governed::url {

/// The longest URL read: room for a cloud provider's signed token as a Redis password.
inline constexpr std::size_t max_length = 8192;

/// The longest host name DNS can resolve.
inline constexpr std::size_t max_host_length = 253;

/// Where the user information of a URL ends.
enum class Userinfo {
  /// As RFC 3986 says: the authority ends at the first '/', '?' or '#', so a password must
  /// percent-encode those. Base URLs are read this way: they carry no user information, and a
  /// '@' in their query is part of the query.
  strict,
  /// At the last '@' before the first '/', so a password may hold '?', '#' and '@' as they
  /// are, the way Redis clients and curl read Redis and proxy URLs.
  raw,
};

/// A URL taken apart: views into the text given to `split`, nothing decoded or lowered.
struct Parts {
  std::string_view scheme;                   ///< before "://", as written
  std::optional<std::string_view> userinfo;  ///< before the '@', undecoded; none without one
  std::string_view host;                     ///< never empty; an IPv6 address without brackets
  bool ipv6 = false;                         ///< the host was written in brackets
  std::optional<std::uint16_t> port;         ///< none when the URL names none
  std::string_view path;                     ///< from its '/' on; may be empty
  std::optional<std::string_view> query;     ///< after the '?', without it
  std::optional<std::string_view> fragment;  ///< after the '#', without it
};

/// What is wrong with a URL, worded to follow "the URL is not usable: ".
using Problem = std::string_view;

/// A letter, digit, '-', '.' or '_': what host names and IPv4 addresses are written with.
constexpr bool is_host_char(char c) noexcept { return ascii::is_alnum(c) || c == '-' || c == '.' || c == '_'; }

namespace detail {

/// The port after a ':' ("" when the ':' ends the authority): 1 to 65535.
constexpr std::optional<std::uint16_t> port_number(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : digits) {
    if (!ascii::is_digit(c)) return std::nullopt;
    v = v * 10 + unsigned(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

/// Host and port from `hostport` (the authority without its user information) into `out`.
inline std::optional<Problem> split_host_port(std::string_view hostport, Parts& out) noexcept {
  std::optional<std::string_view> port;
  if (hostport.starts_with('[')) {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return "an IPv6 address has no closing ']'";
    out.host = hostport.substr(1, close - 1);
    out.ipv6 = true;
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "something follows the IPv6 address";
      port = after.substr(1);
    }
    if (out.host.empty()) return "the IPv6 address is empty";
    for (char c : out.host)
      if (!(is_host_char(c) || c == ':')) return "the IPv6 address is malformed";
  } else {
    const auto colon = hostport.find(':');
    out.host = hostport.substr(0, colon);
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
    for (char c : out.host)
      if (!is_host_char(c)) return "the host name has a character host names can not hold";
  }
  if (out.host.empty()) return "it has no host";
  static_assert(max_host_length == 253, "the message below names the bound");
  if (out.host.size() > max_host_length) return "the host name is longer than 253 characters";

  if (port) {
    out.port = port_number(*port);
    if (!out.port) return "the port is not a number from 1 to 65535";
  }
  return std::nullopt;
}

}  // namespace detail

/// `text` taken apart, or what is wrong with it. `text` must outlive the parts.
inline tl::expected<Parts, Problem> split(std::string_view text, Userinfo userinfo = Userinfo::strict) noexcept {
  static_assert(max_length == 8192, "the message below names the bound");
  if (text.size() > max_length) return tl::unexpected(Problem{"it is longer than 8192 characters"});

  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return tl::unexpected(Problem{"it has no scheme (such as https://)"});
  Parts out;
  out.scheme = text.substr(0, sep);
  std::string_view rest = text.substr(sep + 3);

  // Everything but a fragment, which no server sees, is checked for spaces and controls.
  const std::string_view before_fragment = rest.substr(0, rest.find('#'));
  for (char c : userinfo == Userinfo::raw ? rest : before_fragment)
    if (c == ' ' || ascii::is_control(c)) return tl::unexpected(Problem{"it holds a space or a control character"});

  const std::size_t authority_end = userinfo == Userinfo::raw ? rest.find('/') : rest.find_first_of("/?#");
  if (const auto at = rest.substr(0, authority_end).rfind('@'); at != std::string_view::npos) {
    out.userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
  }
  const auto host_end = rest.find_first_of("/?#");
  if (auto problem = detail::split_host_port(rest.substr(0, host_end), out)) return tl::unexpected(*problem);
  if (host_end == std::string_view::npos) return out;

  rest.remove_prefix(host_end);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    out.fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    out.query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  out.path = rest;
  return out;
}

/// How `percent_decode` reads what is not a well-formed escape.
struct Decoding {
  /// '+' is a space, as in a form-encoded query string.
  bool plus_is_space = false;
  /// A '%' not followed by two hex digits stays as it is, as curl reads proxy credentials;
  /// otherwise the text is refused.
  bool keep_malformed = false;
};

/// `text` with each `%XX` replaced by its byte; none when an escape is malformed (unless
/// `keep_malformed`). The result is never longer than `text`.
inline std::optional<std::string> percent_decode(std::string_view text, Decoding how = {}) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? ascii::hex_value(text[i + 1]) : -1;
      const int lo = hi >= 0 ? ascii::hex_value(text[i + 2]) : -1;
      if (lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
      if (!how.keep_malformed) return std::nullopt;
    }
    out += how.plus_is_space && c == '+' ? ' ' : c;
  }
  return out;
}

}  // namespace governed::url
