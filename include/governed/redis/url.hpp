#pragma once
/// @file
/// `redis::Endpoint`: where a Redis server is and how to log in, from the URL forms every Redis
/// client accepts — `redis://[[user]:password@]host[:port][/db]` and `rediss://…` for TLS.
///
/// The password is a secret like an API key: `describe()` names the server without it, and
/// every message about a connection uses that.

#include <governed/result.hpp>
#include <governed/wire/url.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed::redis {

struct Endpoint {
  bool tls = false;         ///< rediss://
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string user{};       ///< ACL user; empty: the default user (AUTH with the password only)
  std::string password{};   ///< empty: no AUTH
  unsigned db = 0;          ///< SELECT after connecting (Redis Cluster has only 0)

  /// `redis://host:port/db` (or rediss://), with the user but never the password.
  std::string describe() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string who = user.empty() ? std::string{} : user + (password.empty() ? "@" : ":***@");
    if (who.empty() && !password.empty()) who = ":***@";
    return fmt::format("{}://{}{}{}{}:{}/{}", tls ? "rediss" : "redis", who, v6 ? "[" : "", host, v6 ? "]" : "",
                       port, db);
  }
};

namespace detail {

/// Percent-decodes a user or password (`p%40ss` is `p@ss`); none when malformed.
inline std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    unsigned v = 0;
    const auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (r.ec != std::errc{} || r.ptr != s.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

}  // namespace detail

/// Parses a Redis URL. The error names what is wrong and never repeats the password.
inline Result<Endpoint> parse_url(std::string_view url) {
  Endpoint e;
  const auto bad = [](std::string_view why) {
    return fail(Errc::invalid_argument, fmt::format("not a Redis URL: {}", why));
  };
  constexpr std::string_view plain = "redis://", secure = "rediss://";
  if (url.starts_with(secure)) {
    e.tls = true;
    url.remove_prefix(secure.size());
  } else if (url.starts_with(plain)) {
    url.remove_prefix(plain.size());
  } else {
    return bad("it must start with redis:// or rediss://");
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("it holds spaces or control characters");
  // Credentials end at the last '@' before the path: a password may itself hold '@' only
  // percent-encoded, but being lenient about a raw one costs nothing.
  const std::size_t path_at = url.find('/');
  const std::string_view authority = url.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? std::string_view{} : url.substr(path_at + 1);
  std::string_view hostport = authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view creds = authority.substr(0, at);
    hostport = authority.substr(at + 1);
    const auto colon = creds.find(':');
    auto user = detail::percent_decode(creds.substr(0, colon));
    auto pass = colon == std::string_view::npos ? std::optional<std::string>{std::string{}}
                                                : detail::percent_decode(creds.substr(colon + 1));
    if (!user || !pass) return bad("a malformed %-escape in the user or password");
    if (colon == std::string_view::npos) {
      // redis://secret@host is the legacy form: the one field is the password.
      e.password = std::move(*user);
    } else {
      e.user = std::move(*user);
      e.password = std::move(*pass);
    }
  }
  std::string_view port;
  if (hostport.starts_with('[')) {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address without its closing ']'");
    e.host = std::string(hostport.substr(1, close - 1));
    const std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("text after the IPv6 address");
      port = rest.substr(1);
    }
  } else {
    const auto colon = hostport.rfind(':');
    e.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
    for (char c : e.host)
      if (!governed::detail::host_char(c)) return bad("the host name holds characters no host name has");
  }
  if (e.host.empty()) return bad("no host");
  if (hostport.find(':') != std::string_view::npos && !hostport.starts_with('[') && port.empty())
    return bad("an empty port");
  if (!port.empty()) {
    unsigned p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || p == 0 || p > 65535)
      return bad("the port must be a number from 1 to 65535");
    e.port = static_cast<std::uint16_t>(p);
  }
  if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (!path.empty()) {
    unsigned db = 0;
    const auto r = std::from_chars(path.data(), path.data() + path.size(), db);
    if (r.ec != std::errc{} || r.ptr != path.data() + path.size() || db > 65535)
      return bad("the path must be a database number");
    e.db = db;
  }
  return e;
}

}  // namespace governed::redis
