#pragma once
// A scripted HTTP/HTTPS server on loopback for the transport tests, serving the certificates
// of tests/pki.hpp.
//
// Each request the server reads is recorded (method, target, headers, body, which
// connection) and answered by the test's handler with a script of steps: write bytes,
// pause, drip bytes one at a time, close, reset, or hang. A script that ends without
// closing leaves the connection open for the next request (keep-alive).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "../pki.hpp"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httptest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// The certificates: tests/pki.hpp.
using governed_test::Pem;
using governed_test::Pki;
using governed_test::pki;

// ---- scripts ---------------------------------------------------------------------------------

struct Step {
  enum class Kind { write, pause, drip, close, reset, hang } kind;
  std::string bytes{};
  std::chrono::milliseconds ms{0};
};
using Script = std::vector<Step>;

inline Step write(std::string bytes) { return {Step::Kind::write, std::move(bytes)}; }
inline Step pause(std::chrono::milliseconds ms) { return {Step::Kind::pause, {}, ms}; }
/// The bytes one at a time, `ms` apart.
inline Step drip(std::string bytes, std::chrono::milliseconds ms) { return {Step::Kind::drip, std::move(bytes), ms}; }
inline Step close() { return {Step::Kind::close}; }
/// Closes with SO_LINGER 0: the peer sees a reset.
inline Step reset() { return {Step::Kind::reset}; }
/// Keeps the connection open and says nothing more.
inline Step hang() { return {Step::Kind::hang}; }

/// A whole response with a content-length.
inline std::string response(int status, std::string_view body, std::vector<std::pair<std::string, std::string>> headers = {},
                            std::string_view content_type = "application/json") {
  std::string s = fmt::format("HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n", status, content_type,
                              body.size());
  for (const auto& [k, v] : headers) s += fmt::format("{}: {}\r\n", k, v);
  s += "\r\n";
  s += body;
  return s;
}

/// The head of a chunked event stream.
inline std::string sse_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
         "x-request-id: req_stream\r\n\r\n";
}

/// `bytes` as one chunk of a chunked body.
inline std::string chunk(std::string_view bytes) { return fmt::format("{:x}\r\n{}\r\n", bytes.size(), bytes); }
inline std::string last_chunk() { return "0\r\n\r\n"; }

/// A whole event stream: each of `events` in a chunk of its own.
inline Script sse(const std::vector<std::string>& events, std::chrono::milliseconds gap = 0ms) {
  Script s{write(sse_head())};
  for (const auto& e : events) {
    if (gap.count()) s.push_back(pause(gap));
    s.push_back(write(chunk(e)));
  }
  s.push_back(write(last_chunk()));
  return s;
}

// ---- the server ------------------------------------------------------------------------------

struct Seen {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  int connection = 0;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

class Server {
 public:
  using Handler = std::function<Script(const Seen&)>;
  enum class Tls { off, on, other_name };

  explicit Server(Handler h, Tls tls = Tls::off) : handler_(std::move(h)), tls_(tls) {
    if (tls_ != Tls::off) {
      const Pem& pem = tls_ == Tls::on ? pki().server : pki().other;
      ctx_.use_certificate_chain(asio::buffer(pem.cert));
      ctx_.use_private_key(asio::buffer(pem.key), asio::ssl::context::pem);
    }
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Server() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "") const {
    return fmt::format("{}://{}:{}{}", tls_ == Tls::off ? "http" : "https", tls_ == Tls::off ? "127.0.0.1" : "localhost",
                       port_, path);
  }
  /// Connections accepted so far.
  int connections() const { return connections_.load(); }
  std::vector<Seen> seen() const {
    std::lock_guard lock(m_);
    return seen_;
  }
  Seen last() const {
    std::lock_guard lock(m_);
    return seen_.empty() ? Seen{} : seen_.back();
  }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      const int id = ++connections_;
      asio::co_spawn(io_, serve(std::move(socket), id), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket, int id) {
    if (tls_ == Tls::off) {
      co_await session(socket, socket, id);
    } else {
      beast::ssl_stream<tcp::socket> s(std::move(socket), ctx_);
      auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      co_await session(s, s.next_layer(), id);
    }
  }

  template <class Stream>
  asio::awaitable<void> session(Stream& s, tcp::socket& raw, int id) {
    beast::flat_buffer buf;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> p;
      p.body_limit(1 << 20);
      auto [ec, n] = co_await bhttp::async_read(s, buf, p, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      Seen seen;
      const auto& req = p.get();
      seen.method = std::string(req.method_string());
      seen.target = std::string(req.target());
      seen.body = req.body();
      seen.connection = id;
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        seen.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      {
        std::lock_guard lock(m_);
        seen_.push_back(seen);
      }
      const Script script = handler_(seen);
      for (const auto& step : script) {
        switch (step.kind) {
          case Step::Kind::write: {
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(step.bytes), asio::as_tuple(asio::use_awaitable));
            if (wec) co_return;
            break;
          }
          case Step::Kind::pause: {
            asio::steady_timer t(io_, step.ms);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            break;
          }
          case Step::Kind::drip:
            for (char c : step.bytes) {
              auto [wec, wn] = co_await asio::async_write(s, asio::buffer(&c, 1), asio::as_tuple(asio::use_awaitable));
              if (wec) co_return;
              asio::steady_timer t(io_, step.ms);
              co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            break;
          case Step::Kind::close: {
            boost::system::error_code ignored;
            raw.shutdown(tcp::socket::shutdown_both, ignored);
            raw.close(ignored);
            co_return;
          }
          case Step::Kind::reset: {
            boost::system::error_code ignored;
            raw.set_option(asio::socket_base::linger(true, 0), ignored);
            raw.close(ignored);
            co_return;
          }
          case Step::Kind::hang: {
            asio::steady_timer t(io_, std::chrono::hours(1));
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            co_return;
          }
        }
      }
    }
  }

  Handler handler_;
  Tls tls_;
  asio::io_context io_{1};
  asio::ssl::context ctx_{asio::ssl::context::tls_server};
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex m_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

// ---- a CONNECT proxy ----------------------------------------------------------------------------

/// An HTTP proxy that answers every CONNECT by tunnelling to 127.0.0.1:`port` (whatever host
/// was asked for), after checking `proxy-authorization` when `credentials` is set.
class Tunnel {
 public:
  Tunnel(std::uint16_t port, std::string basic_credentials = {})
      : port_(port), credentials_(std::move(basic_credentials)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Tunnel() {
    io_.stop();
    thread_.join();
  }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", acceptor_.local_endpoint().port()); }
  /// The CONNECT targets asked for.
  std::vector<std::string> targets() const {
    std::lock_guard lock(m_);
    return targets_;
  }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::make_shared<tcp::socket>(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
    beast::flat_buffer buf;
    bhttp::request_parser<bhttp::empty_body> p;
    auto [ec, n] = co_await bhttp::async_read_header(*client, buf, p, asio::as_tuple(asio::use_awaitable));
    if (ec || p.get().method() != bhttp::verb::connect) co_return;
    {
      std::lock_guard lock(m_);
      targets_.emplace_back(p.get().target());
    }
    if (!credentials_.empty() && p.get()[bhttp::field::proxy_authorization] != "Basic " + credentials_) {
      const std::string no = "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n";
      co_await asio::async_write(*client, asio::buffer(no), asio::as_tuple(asio::use_awaitable));
      co_return;
    }
    auto server = std::make_shared<tcp::socket>(io_);
    auto [cec] = co_await server->async_connect({asio::ip::make_address("127.0.0.1"), port_},
                                                 asio::as_tuple(asio::use_awaitable));
    if (cec) co_return;
    const std::string yes = "HTTP/1.1 200 Connection established\r\n\r\n";
    co_await asio::async_write(*client, asio::buffer(yes), asio::as_tuple(asio::use_awaitable));
    asio::co_spawn(io_, relay(client, server), asio::detached);
    asio::co_spawn(io_, relay(server, client), asio::detached);
  }

  static asio::awaitable<void> relay(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
    std::array<char, 8192> data;
    for (;;) {
      auto [ec, n] = co_await from->async_read_some(asio::buffer(data), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      auto [wec, wn] = co_await asio::async_write(*to, asio::buffer(data.data(), n), asio::as_tuple(asio::use_awaitable));
      if (wec) break;
    }
    boost::system::error_code ignored;
    to->shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::uint16_t port_;
  std::string credentials_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  mutable std::mutex m_;
  std::vector<std::string> targets_;
  std::thread thread_;
};

}  // namespace httptest
