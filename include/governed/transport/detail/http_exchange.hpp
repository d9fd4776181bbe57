#pragma once
/// @file
/// One attempt over HTTP, start to end: connect (or reuse), write the request, read the
/// reply — whole, or as a stream of events handed to the caller — under the attempt's
/// timeouts and size limits, and say exactly how far it got when it fails.
///
/// What a failure proves about the request (`providers::NetworkFailure`):
///   - before the request was written — resolution, connect, the proxy's CONNECT, the TLS
///     handshake, a refused plain-http target — nothing reached the provider: `dns`,
///     `connect_refused`, `connect_timeout`, `tls_handshake`;
///   - the request could not be written in the provider's format (`dialect::encode_request`
///     refused it): `not_encodable`, never retried;
///   - once writing began, the provider may have the request: `connection_reset`,
///     `read_timeout`, `closed_early` (which also covers a reply that is not HTTP or is over
///     the size limits: the request went out and no usable reply came back).
/// One exception is proven safe and retried once, on a fresh connection: a reused
/// keep-alive connection whose very first write failed, with no byte written.
///
/// Each exchange runs on its own strand of the executor it was given — a strand of the
/// transport's for an asynchronous attempt; for a blocking one the calling thread's own
/// io_context, which only that thread runs — so its timer, its cancellation and its I/O
/// never run at once; a timeout or a cancellation cancels the pending operation and the
/// connection is closed, never reused. A pooled connection last used on another io_context
/// is moved to the exchange's before the request is written.
///
/// One timer serves every phase: it wakes no later than the current phase's deadline, and
/// when it wakes early (a phase with a later deadline has begun) it waits again, so moving
/// from phase to phase costs no timer operation. The reply is parsed from what has been
/// read, and more is read only when the parser needs it.

#include <governed/ascii.hpp>
#include <governed/dialect/answer_json.hpp>
#include <governed/dialect/request.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/transport/detail/http_pool.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/request_id.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/usage.hpp>
#include <governed/transport/concept.hpp>
#include <governed/transport/http_options.hpp>
#include <governed/transport/reply_reader.hpp>
#include <governed/wire/url.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::detail {

namespace http_ns {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}  // namespace http_ns

class HttpExchange;

/// Where an attempt's connection goes: the host and port to connect to (the URL's, or a
/// `connect_to` replacement), the proxy on the way, and the pool's key for it.
struct HttpRoute {
  std::string host;
  std::uint16_t port = 0;
  std::optional<transport::Proxy> proxy;
  std::string origin;
};

/// What every exchange of one `transport::http` shares: options, TLS trust, the pool.
struct HttpCore {
  HttpCore(boost::asio::any_io_executor executor, transport::HttpOptions opts, const providers::Table& t)
      : ex(std::move(executor)),
        options(std::move(opts)),
        tls(boost::asio::ssl::context::tls_client),
        pool(options.max_idle_per_host, options.idle_timeout),
        table(&t) {
    boost::system::error_code ec;
    SSL_CTX* ctx = tls.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    tls.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_compression, ec);
    tls.set_verify_mode(boost::asio::ssl::verify_peer, ec);
    static constexpr unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn);
    if (!options.ca_pem.empty()) {
      tls.add_certificate_authority(boost::asio::buffer(options.ca_pem), ec);
      if (ec) config_error = "the CA certificates given in ca_pem could not be read (" + ec.message() + ")";
    } else if (!options.ca_file.empty()) {
      tls.load_verify_file(options.ca_file, ec);
      if (ec) config_error = "the CA file " + options.ca_file + " could not be read (" + ec.message() + ")";
    } else {
      tls.set_default_verify_paths(ec);
      if (ec) config_error = "the system's CA certificates could not be loaded (" + ec.message() + ")";
    }
  }

  /// The route to `u` under these options.
  Result<HttpRoute> route(const wire::Url& u) const {
    HttpRoute r;
    auto proxy = options.proxy.for_target(u);
    if (!proxy) return tl::unexpected(proxy.error());
    r.proxy = std::move(*proxy);
    r.host = u.host;
    r.port = u.port;
    const std::string here = u.authority(true);
    for (const auto& [from, to] : options.connect_to) {
      if (from != here) continue;
      auto d = wire::parse_url("http://" + to);
      if (!d) return fail(Errc::invalid_argument, "the connect_to destination " + to + " is not host:port");
      r.host = d->host;
      r.port = d->port;
    }
    r.origin = fmt::format("{}://{}|{}:{}|{}", u.tls ? "https" : "http", u.authority(true), r.host, r.port,
                           r.proxy ? r.proxy->url.authority(true) : std::string{});
    return r;
  }

  /// Registers a running exchange, so `stop` can cancel it.
  bool track(const std::shared_ptr<HttpExchange>& x) {
    std::lock_guard lock(m);
    if (stopping) return false;
    std::erase_if(running, [](const auto& w) { return w.expired(); });
    running.push_back(x);
    return true;
  }

  /// Cancels every running exchange and closes the idle connections (the transport is
  /// going away).
  inline void stop();

  boost::asio::any_io_executor ex;
  transport::HttpOptions options;
  boost::asio::ssl::context tls;
  std::string config_error;
  HttpPool pool;
  const providers::Table* table;
  std::mutex m;
  std::vector<std::weak_ptr<HttpExchange>> running;
  bool stopping = false;
};

class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  using Failure = providers::NetworkFailure;

  /// Takes what it needs from `a` now (the attempt's request and key are borrowed only for
  /// this call): the HTTP request, with the key in its auth header, lives until the
  /// exchange ends. The exchange's I/O runs on `io`, through a strand of it unless
  /// `one_thread` (only the thread that runs the exchange runs `io`); `keep`, when set, owns
  /// `io`'s execution context and is handed to the connections made or moved there.
  HttpExchange(std::shared_ptr<HttpCore> core, boost::asio::any_io_executor io, std::shared_ptr<void> keep,
               bool one_thread, const transport::Attempt& a, bool stream, transport::ChunkSink sink)
      : core_(std::move(core)),
        io_(std::move(io)),
        keep_(std::move(keep)),
        strand_(one_thread ? io_ : boost::asio::any_io_executor(boost::asio::make_strand(io_))),
        timer_(strand_),
        stream_(stream),
        sink_(std::move(sink)) {
    init(a);
  }

  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  /// The exchange; `reply` holds its outcome when it returns.
  boost::asio::awaitable<void> run() {
    using namespace http_ns;
    start_ = steady::now();
    total_deadline_ = start_ + std::chrono::duration_cast<steady::duration>(core_->options.timeouts.total);
    if (cancelled_ && !reply.failure) fail_stopped();  // cancelled before it began
    if (!reply.failure) {
      for (int round = 0; round < 2; ++round) {
        bool reused = false;
        if (round == 0) {
          conn_ = core_->pool.take(route_.origin);
          if (conn_ && !conn_->rebind(io_, keep_)) conn_.reset();
        }
        if (conn_) {
          reused = true;
        } else if (!co_await open()) {
          break;
        }
        const bool retry = conn_->tls ? co_await exchange(*conn_->tls, reused) : co_await exchange(*conn_->plain, reused);
        if (!retry) break;
        // The reused connection was dead before a byte of the request left: nothing was
        // sent, so the request goes once more on a new connection.
        drop_connection();
        reply.failure.reset();
        reply.failure_detail.clear();
      }
    }
    finish();
  }

  /// Stops the exchange at once (runs on the strand): the pending operation is cancelled
  /// and the reply says the caller cancelled it.
  void cancel() {
    if (finished_) return;
    cancelled_ = true;
    interrupt();
  }

  /// Where the exchange runs: post to it to touch the exchange from outside.
  const boost::asio::any_io_executor& strand() const noexcept { return strand_; }

  /// Ends a failed run that threw (an allocation failure, a throwing chunk sink that
  /// escaped): the connection is dropped and the reply says the reply was lost.
  void abandon(std::string_view why) {
    if (!reply.failure) fail(Failure::closed_early, std::string(why));
    finish();
  }

  transport::Reply reply;

 private:
  enum class Phase : std::uint8_t { resolve, connect, tls, send, wait, read };

  // ---- set-up ------------------------------------------------------------------------------

  void init(const transport::Attempt& a) {
    if (stream_) reply.streamed.emplace();
    const providers::Provider* p = core_->table->provider(a.provider);
    dialect_ = p ? p->dialect : providers::Dialect::openai;
    if (!core_->config_error.empty()) return early(Failure::tls_handshake, core_->config_error);
    auto url = wire::parse_url(a.base_url);
    if (!url) return early(Failure::dns, url.error().message);
    url_ = std::move(*url);
    auto route = core_->route(url_);
    if (!route) return early(Failure::connect_refused, route.error().message);
    route_ = std::move(*route);
    if (!url_.tls && !core_->options.allow_plain_http &&
        (route_.proxy || !(wire::loopback_name(url_.host) || loopback_address(url_.host))))
      return early(Failure::connect_refused, plain_refusal());
    auto encoded = dialect::encode_request(a, url_, dialect_, core_->options.wire, stream_);
    if (!encoded) return early(Failure::not_encodable, std::move(encoded.error().message));
    const wire::HttpRequest& r = *encoded;
    if (!header_safe(r.target)) return early(Failure::connect_refused, "the request path has a control character");
    for (const auto& [k, v] : r.headers)
      if (!header_safe(v))
        return early(Failure::connect_refused,
                     fmt::format("the {} header has a line break or control character (check the API key)", k));
    namespace bhttp = http_ns::bhttp;
    req_.version(11);
    req_.method(bhttp::string_to_verb(r.method));
    req_.target(r.target);
    req_.set(bhttp::field::host, url_.authority());
    for (const auto& [k, v] : r.headers) req_.set(k, v);
    // The call's trace context (made by the walk from hex digits: nothing to check).
    if (!a.traceparent.empty()) req_.set("traceparent", a.traceparent);
    req_.set(bhttp::field::accept_encoding, "identity");
    req_.body() = r.body;
    req_.prepare_payload();
  }

  void early(Failure f, std::string detail) {
    reply.failure = f;
    reply.failure_detail = std::move(detail);
  }

  static bool header_safe(std::string_view v) noexcept {
    return std::none_of(v.begin(), v.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u < 0x20 ? c != '\t' : u == 0x7f;
    });
  }

  static bool loopback_address(std::string_view host) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(std::string(host), ec);
    return !ec && a.is_loopback();
  }

  std::string plain_refusal() const {
    return fmt::format("plain http:// to {} was refused: it would send the API key unencrypted. Use https://, "
                       "or set HttpOptions::allow_plain_http",
                       url_.authority());
  }

  // ---- timers and cancellation --------------------------------------------------------------

  /// Enters `p`, which times out at `deadline` or at the total deadline, whichever is first.
  /// The timer is set again only when it would wake too late; `wake_by` sets it earlier
  /// still (to the next phase's likely deadline, sparing a second setting).
  void arm(Phase p, http_ns::steady::time_point deadline,
           http_ns::steady::time_point wake_by = http_ns::steady::time_point::max()) {
    phase_ = p;
    deadline_ = std::min(deadline, total_deadline_);
    if (timer_armed_ && timer_at_ <= deadline_) return;  // it wakes in time and looks again
    wait_until(std::min(deadline_, wake_by));
  }

  void wait_until(http_ns::steady::time_point at) {
    timer_armed_ = true;
    timer_at_ = at;
    ++generation_;
    timer_.expires_at(at);
    timer_.async_wait([weak = weak_from_this(), gen = generation_](http_ns::error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->generation_ != gen || self->finished_) return;
      self->timer_armed_ = false;
      if (http_ns::steady::now() < self->deadline_) return self->wait_until(self->deadline_);
      self->expired_ = true;
      self->interrupt();
    });
  }

  http_ns::steady::time_point after(Duration d) const { return http_ns::steady::now() + std::chrono::duration_cast<http_ns::steady::duration>(d); }

  void interrupt() {
    if (resolver_) resolver_->cancel();
    if (conn_) {
      http_ns::error_code ec;
      // While connecting, the socket is closed rather than cancelled: a cancelled connect to
      // one of a name's several addresses only moves async_connect on to the next address,
      // with no deadline left to stop it; a closed socket ends the whole range. The
      // connection is dropped after an interruption either way.
      if (phase_ == Phase::resolve || phase_ == Phase::connect) conn_->socket().close(ec);
      else conn_->socket().cancel(ec);
    }
  }

  bool stopped() const noexcept { return expired_ || cancelled_; }

  /// The failure for a timeout or a cancellation, by how far the exchange had got.
  void fail_stopped() {
    Failure f = Failure::read_timeout;
    std::string what;
    switch (phase_) {
      case Phase::resolve:
        f = Failure::connect_timeout;
        what = fmt::format("resolving {}", route_.host);
        break;
      case Phase::connect:
        f = Failure::connect_timeout;
        what = fmt::format("connecting to {}", route_.proxy ? route_.proxy->url.authority(true) : url_.authority(true));
        break;
      case Phase::tls:
        f = Failure::tls_handshake;
        what = fmt::format("the TLS handshake with {}", url_.host);
        break;
      case Phase::send: what = "sending the request"; break;
      case Phase::wait: what = "waiting for the first byte of the reply"; break;
      case Phase::read: what = "reading the reply"; break;
    }
    if (cancelled_) {
      reply.cancelled = true;
      fail(f, fmt::format("cancelled by the caller while {}", what));
      return;
    }
    const auto& t = core_->options.timeouts;
    const bool total = http_ns::steady::now() >= total_deadline_;
    const Duration limit = total ? t.total
                           : phase_ == Phase::tls ? t.tls_handshake
                           : phase_ == Phase::wait ? t.first_byte
                                                   : t.connect;
    fail(f, fmt::format("{} timeout ({} ms) while {}", total ? "the total" : phase_name(), 
                        std::chrono::duration_cast<std::chrono::milliseconds>(limit).count(), what));
  }

  const char* phase_name() const noexcept {
    switch (phase_) {
      case Phase::resolve:
      case Phase::connect: return "the connect";
      case Phase::tls: return "the TLS handshake";
      case Phase::wait: return "the first-byte";
      default: return "the total";
    }
  }

  void fail(Failure f, std::string detail) {
    reply.failure = f;
    reply.failure_detail = providers::redact(detail);
  }

  // ---- connecting ----------------------------------------------------------------------------

  boost::asio::awaitable<bool> open() {
    using namespace http_ns;
    conn_ = std::make_unique<HttpConnection>();
    conn_->origin = route_.origin;
    conn_->made_on = keep_;
    conn_->bound_to = keep_;
    if (url_.tls) conn_->tls.emplace(io_, core_->tls);
    else conn_->plain.emplace(io_);
    const auto connect_deadline = after(core_->options.timeouts.connect);
    const std::string host = route_.proxy ? route_.proxy->url.host : route_.host;
    const std::uint16_t port = route_.proxy ? route_.proxy->url.port : route_.port;

    std::vector<tcp::endpoint> endpoints;
    const bool loopback_only = !url_.tls && !core_->options.allow_plain_http;
    error_code literal;
    const auto address = asio::ip::make_address(host, literal);
    if (!literal) {
      // An address needs no resolver (whose lookups run on a thread of its own).
      if (!loopback_only || address.is_loopback()) endpoints.emplace_back(address, port);
    } else {
      arm(Phase::resolve, connect_deadline);
      resolver_.emplace(strand_);
      auto [rec, results] = co_await resolver_->async_resolve(host, std::to_string(port), use_tuple);
      if (stopped()) co_return fail_stopped(), false;
      if (rec) co_return fail(Failure::dns, fmt::format("{} did not resolve ({})", host, rec.message())), false;
      for (const auto& r : results)
        if (!loopback_only || r.endpoint().address().is_loopback()) endpoints.push_back(r.endpoint());
    }
    if (endpoints.empty()) co_return fail(Failure::connect_refused, plain_refusal()), false;

    arm(Phase::connect, connect_deadline);
    auto [cec, ep] = co_await asio::async_connect(conn_->socket(), endpoints, use_tuple);
    if (stopped()) co_return fail_stopped(), false;
    if (cec) {
      const bool refused = cec == asio::error::connection_refused;
      co_return fail(cec == asio::error::timed_out ? Failure::connect_timeout : Failure::connect_refused,
                     fmt::format("could not connect to {}:{} ({})", host, port,
                                 refused ? std::string("connection refused") : cec.message())),
          false;
    }
    conn_->protocol = ep.protocol();
    error_code ignored;
    conn_->socket().set_option(tcp::no_delay(true), ignored);

    if (route_.proxy && !co_await through_proxy(connect_deadline)) co_return false;

    if (url_.tls) {
      SSL* s = conn_->tls->native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(s);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      error_code aec;
      boost::asio::ip::make_address(url_.host, aec);
      if (!aec) {
        X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), url_.host.size());
        SSL_set_tlsext_host_name(s, url_.host.c_str());  // SNI: names only, never addresses
      }
      arm(Phase::tls, after(core_->options.timeouts.tls_handshake));
      auto [hec] = co_await conn_->tls->async_handshake(ssl::stream_base::client, use_tuple);
      if (stopped()) co_return fail_stopped(), false;
      if (hec) {
        const long v = SSL_get_verify_result(s);
        const std::string why = v != X509_V_OK ? X509_verify_cert_error_string(v) : hec.message();
        co_return fail(Failure::tls_handshake, fmt::format("the TLS handshake with {} failed: {}", url_.host, why)), false;
      }
    }
    co_return true;
  }

  /// Asks the proxy to CONNECT to the provider; nothing of the request has left when this
  /// fails.
  boost::asio::awaitable<bool> through_proxy(http_ns::steady::time_point deadline) {
    using namespace http_ns;
    const std::string where = url_.authority(true);
    bhttp::request<bhttp::empty_body> creq{bhttp::verb::connect, where, 11};
    creq.set(bhttp::field::host, where);
    if (!route_.proxy->credentials.empty()) creq.set(bhttp::field::proxy_authorization, "Basic " + base64(route_.proxy->credentials));
    arm(Phase::connect, deadline);
    auto [wec, wn] = co_await bhttp::async_write(conn_->socket(), creq, use_tuple);
    (void)wn;
    if (stopped()) co_return fail_stopped(), false;
    if (wec) co_return fail(Failure::connect_refused, fmt::format("the proxy {} dropped the connection ({})",
                                                                  route_.proxy->url.authority(true), wec.message())),
        false;
    beast::flat_buffer pbuf;
    bhttp::response_parser<bhttp::empty_body> p;
    p.skip(true);  // a CONNECT reply has no body: the tunnel follows the header
    p.header_limit(16 * 1024);
    auto [rec, rn] = co_await bhttp::async_read_header(conn_->socket(), pbuf, p, use_tuple);
    (void)rn;
    if (stopped()) co_return fail_stopped(), false;
    if (rec)
      co_return fail(Failure::connect_refused, fmt::format("the proxy {} did not answer CONNECT ({})",
                                                           route_.proxy->url.authority(true), rec.message())),
          false;
    const unsigned status = p.get().result_int();
    if (status / 100 != 2)
      co_return fail(Failure::connect_refused, fmt::format("the proxy {} refused to connect to {} (status {})",
                                                           route_.proxy->url.authority(true), where, status)),
          false;
    if (pbuf.size() != 0)
      co_return fail(Failure::connect_refused, "the proxy sent bytes after its CONNECT reply"), false;
    co_return true;
  }

  static std::string base64(std::string_view s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
  }

  // ---- one request and its reply ---------------------------------------------------------------

  /// Sends the request and reads its reply into `reply`; true when a reused connection was
  /// found dead before a byte of the request left, so the request may go again on a new one.
  template <class Stream>
  boost::asio::awaitable<bool> exchange(Stream& s, bool reused) {
    const Sent sent = co_await send_request(s, reused);
    if (sent != Sent::whole) co_return sent == Sent::nothing_on_dead_connection;
    if (!co_await read_first_bytes(s)) co_return false;
    // The reply is parsed from what has been read, and more is read only when the parser
    // needs it: a reply that came whole (the usual case) takes no further I/O operation, and
    // a stream's pieces go to the caller as each read brings them.
    arm(Phase::read, total_deadline_);
    if (!co_await read_head(s)) co_return false;
    take_head();
    if (!co_await read_body(s)) co_return false;
    complete();
    co_return false;
  }

  /// How far the request got: all of it, nothing (on a reused connection that turned out
  /// dead), or a failure the reply records.
  enum class Sent { whole, nothing_on_dead_connection, failed };

  template <class Stream>
  boost::asio::awaitable<Sent> send_request(Stream& s, bool reused) {
    using namespace http_ns;
    // The timer is set once for the common case: to the first-byte deadline counted from
    // now, which is no later than the real one, counted once the request is written.
    arm(Phase::send, total_deadline_, after(core_->options.timeouts.first_byte));
    auto [wec, written] = co_await bhttp::async_write(s, req_, use_tuple);
    if (stopped()) co_return fail_stopped(), Sent::failed;
    if (wec) {
      if (reused && written == 0) co_return Sent::nothing_on_dead_connection;
      fail(Failure::connection_reset,
           fmt::format("the connection to {} broke while sending the request ({})", url_.host, wec.message()));
      co_return Sent::failed;
    }
    ++conn_->requests;
    co_return Sent::whole;
  }

  /// Waits, within the first-byte timeout, for the reply's first bytes; false on a failure
  /// the reply records.
  template <class Stream>
  boost::asio::awaitable<bool> read_first_bytes(Stream& s) {
    using namespace http_ns;
    arm(Phase::wait, after(core_->options.timeouts.first_byte));
    auto& buf = conn_->buffer;  // empty: a connection with unread bytes is never reused
    auto [fec, first] = co_await s.async_read_some(buf.prepare(16 * 1024), use_tuple);
    buf.commit(first);
    if (stopped()) co_return fail_stopped(), false;
    if (fec) co_return read_failed(fec), false;
    co_return true;
  }

  /// Parses the reply's header into a new `parser_`, skipping interim 1xx replies (100
  /// Continue, 103 Early Hints; at most 8) that precede the real one; false on a failure the
  /// reply records.
  template <class Stream>
  boost::asio::awaitable<bool> read_head(Stream& s) {
    using namespace http_ns;
    const auto& limits = core_->options.limits;
    auto& buf = conn_->buffer;
    for (int interim = 0;; ++interim) {
      parser_.emplace();
      parser_->header_limit(limits.header_bytes);
      parser_->body_limit(stream_ ? limits.stream_bytes : limits.body_bytes);
      for (;;) {
        error_code ec = bhttp::error::need_more;
        if (buf.size() > 0) buf.consume(parser_->put(buf.data(), ec));
        if (ec && ec != bhttp::error::need_more) co_return read_failed(ec), false;
        if (parser_->is_header_done()) break;
        auto [rec, n] = co_await s.async_read_some(buf.prepare(HttpConnection::chunk_size), use_tuple);
        buf.commit(n);
        if (stopped()) co_return fail_stopped(), false;
        if (rec) co_return read_failed(ended(rec)), false;
      }
      const unsigned status = parser_->get().result_int();
      if (status >= 100 && status < 200 && status != 101 && interim < 8) continue;
      co_return true;
    }
  }

  /// The parsed header's status and headers (names lower-cased) into `reply`, the provider's
  /// request id found in the same walk (a stream's reply is never read by `read_reply`); a
  /// successful reply to a stream request that is an event stream gets a stream reader.
  void take_head() {
    using namespace http_ns;
    const auto& head = parser_->get();
    reply.status = static_cast<int>(head.result_int());
    int id_rank = 0;
    for (const auto& f : head) {
      std::string name(f.name_string());
      for (auto& c : name) c = ascii::lower(c);
      const std::string_view value(f.value().data(), f.value().size());
      if (const int rank = providers::request_id_rank(dialect_, name); rank > id_rank) {
        id_rank = rank;
        reply.request_id = providers::RequestId(value);
      }
      reply.headers.emplace_back(std::move(name), std::string(value));
    }
    const bool ok = reply.status >= 200 && reply.status < 300;
    const std::string_view type = head[bhttp::field::content_type];
    sse_ = stream_ && ok && type.substr(0, 17) == "text/event-stream";
    const auto& limits = core_->options.limits;
    if (sse_) reader_.emplace(dialect_, limits.event_bytes, limits.event_depth);
  }

  /// Reads the body to its end, a connection chunk at a time, handing each chunk to `take`;
  /// false when the exchange stopped (a failure the reply records, or `take` refused).
  template <class Stream>
  boost::asio::awaitable<bool> read_body(Stream& s) {
    using namespace http_ns;
    auto& buf = conn_->buffer;
    auto& chunk = conn_->chunk;
    if (!chunk) chunk = std::make_unique_for_overwrite<char[]>(HttpConnection::chunk_size);
    parser_->eager(true);
    while (!parser_->is_done()) {
      auto& body = parser_->get().body();
      body.data = chunk.get();
      body.size = HttpConnection::chunk_size;
      error_code ec = bhttp::error::need_more;
      if (buf.size() > 0) buf.consume(parser_->put(buf.data(), ec));
      const std::size_t got = HttpConnection::chunk_size - parser_->get().body().size;
      if (got > 0 && !take(std::string_view(chunk.get(), got))) co_return false;
      if (ec == bhttp::error::need_buffer) continue;  // the chunk is full and more is read
      if (ec && ec != bhttp::error::need_more) co_return read_failed(ec), false;
      if (parser_->is_done()) break;
      auto [rec, n] = co_await s.async_read_some(buf.prepare(HttpConnection::chunk_size), use_tuple);
      buf.commit(n);
      if (stopped()) co_return fail_stopped(), false;
      if (rec) {
        if (const auto e = ended(rec)) co_return read_failed(e), false;
      }
    }
    co_return true;
  }

  /// Body bytes: to the stream reader, or to the body. False when the exchange must stop.
  bool take(std::string_view bytes) {
    if (!sse_) {
      reply.body.append(bytes);
      return true;
    }
    bool threw = false;
    const bool fine = reader_->feed(bytes, [&](std::string_view piece) {
      if (threw || !sink_) return;
      try {
        sink_(piece);
      } catch (...) {
        threw = true;
      }
    });
    if (threw) {
      fail(Failure::closed_early, "the chunk callback threw; the stream was abandoned");
      return false;
    }
    if (fine) return true;
    switch (reader_->problem()) {
      case dialect::StreamReader::Problem::error_event:
        reply.body = reader_->error_body();
        fail(Failure::closed_early, fmt::format("{} reported an error in the stream: {}", url_.host,
                                                reply.body.substr(0, 300)));
        break;
      case dialect::StreamReader::Problem::too_large:
        fail(Failure::closed_early, fmt::format("an event of the stream is larger than {} bytes",
                                                core_->options.limits.event_bytes));
        break;
      case dialect::StreamReader::Problem::too_deep:
        fail(Failure::closed_early, fmt::format("an event of the stream nests deeper than {} levels",
                                                reader_->max_event_depth()));
        break;
      default: fail(Failure::closed_early, "the stream sent an event that is not the provider's JSON"); break;
    }
    return false;
  }

  /// The reply was read to its end: a whole reply is read in the dialect for the walk.
  void complete() {
    if (!stream_) return transport::read_reply(reply, dialect_);
    if (sse_) {
      if (!reader_->complete())
        fail(Failure::closed_early, "the stream ended before the provider's end-of-stream event");
      return;
    }
    const bool ok = reply.status >= 200 && reply.status < 300;
    if (!ok) return transport::read_reply(reply, dialect_);  // an error before any stream: classified like any other
    // A server that answered a stream request with a whole body: the body is the stream. One
    // nested past the limit is read as none, like a body that is not JSON; its bytes stay in
    // `reply.body` for the caller.
    auto parsed = parse_json(reply.body, JsonLimits{static_cast<std::size_t>(core_->options.limits.body_bytes)}, "the reply body");
    if (!parsed) return;
    const nlohmann::json& j = *parsed;
    auto& st = *reply.streamed;
    st.content = dialect::content_from_json(dialect_, j);
    if (auto u = dialect::usage_from_json(j)) st.usage = *u;
    if (!st.content.empty()) {
      st.chunks = 1;
      if (sink_) {
        try {
          sink_(st.content);
        } catch (...) {
          fail(Failure::closed_early, "the chunk callback threw");
        }
      }
    }
  }

  /// What a read that failed with `ec` means for the reply: the end of the stream is the
  /// parser's to judge (a reply without a length ends with it; any other is cut short).
  http_ns::error_code ended(http_ns::error_code ec) {
    if (ec != boost::asio::error::eof || !parser_ || !parser_->got_some()) return ec;
    http_ns::error_code eof;
    parser_->put_eof(eof);
    return eof;
  }

  void read_failed(const http_ns::error_code& ec) {
    using namespace http_ns;
    const bool began = reply.status != 0;
    if (ec == asio::error::eof || ec == bhttp::error::partial_message || ec == ssl::error::stream_truncated ||
        ec == bhttp::error::end_of_stream) {
      return fail(Failure::closed_early, began ? fmt::format("{} closed the connection before the reply was complete",
                                                             url_.host)
                                               : fmt::format("{} closed the connection without replying", url_.host));
    }
    if (ec == bhttp::error::header_limit)
      return fail(Failure::closed_early, fmt::format("the reply's headers are larger than the {}-byte limit",
                                                     core_->options.limits.header_bytes));
    if (ec == bhttp::error::body_limit) {
      const auto limit = stream_ ? core_->options.limits.stream_bytes : core_->options.limits.body_bytes;
      const auto declared = parser_ ? parser_->content_length() : boost::none;
      return fail(Failure::closed_early,
                  declared ? fmt::format("the reply's content-length ({} bytes) is over the {}-byte limit", *declared, limit)
                           : fmt::format("the reply is larger than the {}-byte limit", limit));
    }
    if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == asio::error::connection_aborted)
      return fail(Failure::connection_reset, fmt::format("{} reset the connection", url_.host));
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())  // any Beast HTTP error
      return fail(Failure::closed_early, fmt::format("{} sent a reply that is not HTTP ({})", url_.host, ec.message()));
    return fail(Failure::connection_reset, fmt::format("reading the reply from {} failed ({})", url_.host, ec.message()));
  }

  // ---- the end ---------------------------------------------------------------------------------

  void drop_connection() {
    if (conn_) conn_->close();
    conn_.reset();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    ++generation_;
    timer_.cancel();
    const bool reusable = conn_ && !reply.failure && parser_ && parser_->is_done() && parser_->keep_alive() &&
                          conn_->buffer.size() == 0 && !stopped();
    if (reusable) core_->pool.give(std::move(conn_));
    else drop_connection();
    if (sse_ && reader_) reply.streamed = reader_->take();
    reply.latency = std::chrono::duration_cast<Duration>(http_ns::steady::now() - start_);
    req_ = {};  // the key leaves with the request
    // The execution context is the caller's to keep from now on: a cancellation posted
    // late may hold the exchange in that context's queue, which must not hold the context.
    keep_.reset();
  }

  std::shared_ptr<HttpCore> core_;
  boost::asio::any_io_executor io_;
  std::shared_ptr<void> keep_;
  boost::asio::any_io_executor strand_;
  boost::asio::steady_timer timer_;
  std::optional<http_ns::tcp::resolver> resolver_;  // only for a name to look up
  bool stream_;
  transport::ChunkSink sink_;
  providers::Dialect dialect_ = providers::Dialect::openai;
  wire::Url url_;
  HttpRoute route_;
  http_ns::bhttp::request<http_ns::bhttp::string_body> req_;
  std::unique_ptr<HttpConnection> conn_;
  std::optional<http_ns::bhttp::response_parser<http_ns::bhttp::buffer_body>> parser_;
  std::optional<dialect::StreamReader> reader_;
  http_ns::steady::time_point start_{}, total_deadline_{}, deadline_{}, timer_at_{};
  bool timer_armed_ = false;
  std::uint64_t generation_ = 0;
  Phase phase_ = Phase::resolve;
  bool sse_ = false, expired_ = false, cancelled_ = false, finished_ = false;
};

inline void HttpCore::stop() {
  std::vector<std::weak_ptr<HttpExchange>> all;
  {
    std::lock_guard lock(m);
    stopping = true;
    all.swap(running);
  }
  for (auto& w : all)
    if (auto x = w.lock()) boost::asio::post(x->strand(), [x] { x->cancel(); });
  pool.shut();
}

}  // namespace governed::detail
