#pragma once
/// @file
/// `redis::Endpoint`: where a Redis server is and how to log in, from the URL forms every Redis
/// client accepts — `redis://[[user]:password@]host[:port][/db]` and `rediss://…` for TLS.
///
/// The password is a secret like an API key: `describe()` names the server without it, and
/// every message about a connection uses that.

#include <governed/ascii.hpp>
#include <governed/result.hpp>
#include <governed/url.hpp>

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

/// Parses a Redis URL (see `url::split`; a password may hold '@', '?' and '#' as it is, and
/// `%XX` escapes are decoded). A query, such as redis-py's `?timeout=`, is ignored. The error
/// names what is wrong and never repeats the password.
inline Result<Endpoint> parse_url(std::string_view text) {
  const auto bad = [](std::string_view why) {
    return fail(Errc::invalid_argument, fmt::format("not a Redis URL: {}", why));
  };
  Endpoint e;
  e.tls = ascii::istarts_with(text, "rediss://");
  if (!e.tls && !ascii::istarts_with(text, "redis://")) return bad("it must start with redis:// or rediss://");
  const auto parts = url::split(text, url::Userinfo::raw);
  if (!parts) return bad(parts.error());
  if (parts->userinfo) {
    const auto colon = parts->userinfo->find(':');
    auto user = url::percent_decode(parts->userinfo->substr(0, colon));
    auto pass = colon == std::string_view::npos ? std::optional<std::string>{std::string{}}
                                                : url::percent_decode(parts->userinfo->substr(colon + 1));
    if (!user || !pass) return bad("a malformed %-escape in the user or password");
    if (colon == std::string_view::npos) {
      // redis://secret@host is the legacy form: the one field is the password.
      e.password = std::move(*user);
    } else {
      e.user = std::move(*user);
      e.password = std::move(*pass);
    }
  }
  e.host = std::string(parts->host);
  e.port = parts->port.value_or(e.port);
  if (const std::string_view db = parts->path.substr(parts->path.empty() ? 0 : 1); !db.empty()) {
    const auto r = std::from_chars(db.data(), db.data() + db.size(), e.db);
    if (r.ec != std::errc{} || r.ptr != db.data() + db.size() || e.db > 65535)
      return bad("the path must be a database number");
  }
  return e;
}

}  // namespace governed::redis
