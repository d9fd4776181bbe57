#pragma once
/// @file
/// How `transport::http` talks to providers: timeouts, size limits, TLS trust, the
/// connection pool, the proxy, and the wire formats' versions.

#include <governed/time.hpp>
#include <governed/transport/proxy.hpp>
#include <governed/wire/options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace governed::transport {

struct HttpOptions {
  struct Timeouts {
    /// Name resolution, TCP connect and a proxy's CONNECT, together.
    Duration connect = std::chrono::seconds{10};
    Duration tls_handshake = std::chrono::seconds{10};
    /// From the request written to the first byte of the reply. A non-streamed completion
    /// sends nothing until it is done, so this is long by default; a stream's first event
    /// comes in seconds.
    Duration first_byte = std::chrono::minutes{5};
    /// The whole attempt, connect to last byte (the OpenAI SDK's default is 10 minutes).
    Duration total = std::chrono::minutes{10};
  } timeouts;

  struct Limits {
    /// The reply's status line and headers. Providers send 1–4 kB; 64 kB leaves room for
    /// proxies and CDNs without letting a server make the client buffer megabytes.
    std::uint32_t header_bytes = 64 * 1024;
    /// A whole (non-streamed) reply body: the longest completion is well under 1 MB of JSON.
    std::uint64_t body_bytes = std::uint64_t{16} << 20;
    /// A streamed reply: more framing per token than a whole body.
    std::uint64_t stream_bytes = std::uint64_t{64} << 20;
    /// One server-sent event.
    std::size_t event_bytes = std::size_t{4} << 20;
    /// How deep one server-sent event's JSON may nest, measured before it is parsed, so a
    /// server can not make the client recurse. A provider's events nest five or six deep.
    std::size_t event_depth = 64;
  } limits;

  /// Trust for HTTPS peers: the system's CA store unless one of these is set. `ca_pem` is a
  /// PEM bundle in memory (tests make one at run time); `ca_file` a PEM file. Peers are
  /// always verified, their name always checked.
  std::string ca_pem;
  std::string ca_file;

  /// Plain http:// is allowed only to loopback addresses unless this is set: a key sent in
  /// clear over a network is a key given away.
  bool allow_plain_http = false;

  /// Idle keep-alive connections kept per host (scheme, host, port); more are closed.
  std::size_t max_idle_per_host = 8;
  /// An idle connection older than this is closed rather than reused: servers drop idle
  /// connections after 60 s or more, and a request sent on a connection the server is
  /// closing can not be told apart from one it dropped.
  Duration idle_timeout = std::chrono::seconds{30};

  /// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` as the environment had them when the options
  /// were made; `ProxySettings::none()` ignores the environment.
  ProxySettings proxy = ProxySettings::from_environment();

  /// Connect somewhere else than the URL says, keeping the URL's host for TLS and `host`
  /// (curl's `--connect-to`): {"api.openai.com:443", "127.0.0.1:8443"}.
  std::vector<std::pair<std::string, std::string>> connect_to;

  wire::Options wire;
};

}  // namespace governed::transport
