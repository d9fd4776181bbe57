#pragma once
/// @file
/// One HTTP request as a wire format states it: method, target, headers and body. Plain
/// strings, so the formats are tested without a socket; `transport::http` puts it on the
/// wire (adding `host`, `content-length` and the connection headers).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::wire {

struct HttpRequest {
  std::string method = "POST";
  std::string target;  ///< path and query: "/v1/chat/completions"
  /// Names lower-case. Holds the attempt's key in its auth header (none when the attempt has
  /// no key, see `add_auth`): the request lives for one attempt and is never logged.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// The reply will be a stream of server-sent events.
  bool stream = false;

  /// The value of header `name` (lower-case), or empty.
  std::string_view header(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

/// Puts the attempt's key in header `name` (as `scheme` + key), first among the headers. An
/// attempt with no key — a provider configured keyless, a local server — gets no auth header
/// at all: an empty `Bearer ` would be a malformed credential some servers refuse.
inline void add_auth(HttpRequest& r, std::string_view name, std::string_view scheme, std::string_view key) {
  if (key.empty()) return;
  std::string value;
  value.reserve(scheme.size() + key.size());
  value.append(scheme).append(key);
  r.headers.insert(r.headers.begin(), {std::string(name), std::move(value)});
}

}  // namespace governed::wire
