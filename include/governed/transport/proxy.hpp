#pragma once
/// @file
/// Which HTTP proxy an attempt goes through: `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for
/// http ones, `NO_PROXY` for the hosts that go direct — the variables curl, the providers'
/// SDKs and most tools read (upper- or lower-case; the lower-case one wins when both are
/// set, as in curl).
///
/// The proxy is spoken to in plain HTTP and asked to `CONNECT` to the provider, so TLS runs
/// end to end and the proxy never sees the key. A proxy URL may carry `user:password@`
/// (sent as `proxy-authorization: Basic`). Loopback hosts always go direct: a local test
/// server is never sent through a corporate proxy.
///
/// `NO_PROXY` is a comma-separated list: `*` (everything), a host name (matching itself and
/// its subdomains; a leading '.' is the same), an IP address, each optionally with `:port`.

#include <governed/ascii.hpp>
#include <governed/result.hpp>
#include <governed/url.hpp>
#include <governed/wire/url.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace governed::transport {

/// A proxy to CONNECT through.
struct Proxy {
  wire::Url url;            ///< http://host:port
  std::string credentials;  ///< "user:password" (decoded), empty for none
};

struct ProxySettings {
  std::string https_proxy;  ///< for https URLs; empty: direct
  std::string http_proxy;   ///< for http URLs; empty: direct
  std::string no_proxy;     ///< hosts that go direct

  /// From the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, either case).
  static ProxySettings from_environment() {
    auto env = [](const char* lower, const char* upper) -> std::string {
      if (const char* v = std::getenv(lower); v && *v) return v;
      if (const char* v = std::getenv(upper); v && *v) return v;
      return {};
    };
    return ProxySettings{env("https_proxy", "HTTPS_PROXY"), env("http_proxy", "HTTP_PROXY"),
                         env("no_proxy", "NO_PROXY")};
  }

  /// No proxy at all, whatever the environment says.
  static ProxySettings none() { return {}; }

  /// Whether `host`:`port` goes direct by `no_proxy` (or by being loopback).
  bool bypass(std::string_view host, std::uint16_t port) const {
    if (wire::loopback_name(host)) return true;
    std::string_view list = no_proxy;
    while (!list.empty()) {
      const auto comma = list.find(',');
      std::string_view e = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      e = ascii::trim(e, ascii::is_blank);
      if (e.empty()) continue;
      if (e == "*") return true;
      // An optional ":port" (not inside a bracketed or bare IPv6 address).
      std::optional<unsigned> want_port;
      if (e.front() == '[') {
        const auto close = e.find(']');
        if (close == std::string_view::npos) continue;
        if (close + 1 < e.size() && e[close + 1] == ':') want_port = to_port(e.substr(close + 2));
        e = e.substr(1, close - 1);
      } else if (e.find(':') == e.rfind(':') && e.find(':') != std::string_view::npos) {
        const auto colon = e.find(':');
        want_port = to_port(e.substr(colon + 1));
        e = e.substr(0, colon);
      }
      if (want_port && *want_port != port) continue;
      if (!e.empty() && e.front() == '.') e.remove_prefix(1);
      if (e.empty()) continue;
      if (ascii::iequals(host, e)) return true;
      if (host.size() > e.size() && host[host.size() - e.size() - 1] == '.' &&
          ascii::iequals(host.substr(host.size() - e.size()), e))
        return true;
    }
    return false;
  }

  /// The proxy for a request to `target`, none when it goes direct, or an error when the
  /// proxy variable is not a usable http:// proxy URL.
  Result<std::optional<Proxy>> for_target(const wire::Url& target) const {
    const std::string& spec = target.tls ? https_proxy : http_proxy;
    if (spec.empty() || bypass(target.host, target.port)) return std::optional<Proxy>{};
    return parse_proxy(spec);
  }

  /// "host:port", "http://host:port" or "http://user:password@host:port" (port 1080, curl's,
  /// when none is given). The credentials are percent-decoded as curl decodes them; a password
  /// may hold '@', '?' and '#' as they are (see `url::Userinfo::raw`). https:// proxies (TLS to
  /// the proxy itself) are refused with a clear error, and no error repeats the setting.
  static Result<std::optional<Proxy>> parse_proxy(std::string_view spec) {
    std::string with_scheme;
    if (spec.find("://") == std::string_view::npos) spec = with_scheme = "http://" + std::string(spec);
    const auto parts = url::split(spec, url::Userinfo::raw);
    if (!parts) return fail(Errc::invalid_argument, fmt::format("the proxy setting is not a usable URL: {}", parts.error()));
    if (ascii::iequals(parts->scheme, "https"))
      return fail(Errc::invalid_argument, "an https:// proxy is not supported; use an http:// proxy URL");
    if (!ascii::iequals(parts->scheme, "http"))
      return fail(Errc::invalid_argument, "the proxy setting is not a usable URL: a proxy URL starts with http://");
    Proxy p;
    p.url = wire::to_url(*parts, false, 1080);
    if (parts->userinfo) p.credentials = *url::percent_decode(*parts->userinfo, {.keep_malformed = true});
    return std::optional<Proxy>{std::move(p)};
  }

 private:
  static std::optional<unsigned> to_port(std::string_view s) {
    unsigned v = 0;
    if (s.empty() || s.size() > 5) return std::nullopt;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + unsigned(c - '0');
    }
    return v;
  }
};

}  // namespace governed::transport
