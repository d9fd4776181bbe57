#pragma once
/// @file
/// `sim::Server`: simulated providers behind loopback HTTP (Boost.Beast), speaking each
/// provider's wire format, so that `transport::http`, the providers' official SDKs, curl —
/// anything that talks to a provider — can talk to `sim::Provider` instead.
///
/// Every request's headers are read first, routed by its path (dialect/route.hpp) and
/// authenticated the provider's way (`dialect::key_of`: `authorization: Bearer`; Anthropic
/// `x-api-key`; Gemini `x-goog-api-key` or `?key=`; Azure `api-key` or Bearer, on its v1 path too); only then is its body
/// read (`dialect::decode_request`, dialect/request.hpp) into a `sim::Call` (`sim::call_of`),
/// and answered by the provider: its status, headers (the rate-limit family, `retry-after`,
/// request id) and body go out as the provider made them,
/// after the reply's modelled latency has passed on the server's clock. An accepted stream
/// goes out as the dialect's server-sent events (`dialect::encode_stream`, dialect/stream.hpp), its latency spread over the
/// events. What never reaches the provider is answered in the provider's error shape too:
/// from the headers alone, 404 for an unknown endpoint, 401 for a key the provider was never
/// given (its body unread, so a client without a key can not make the server hold anything)
/// and 413 for a body announced over `max_body_bytes`; then 400 for a body the API does not
/// take (401 instead for a revoked key, as providers check the key first), the provider's
/// "overloaded" when the bodies held at once would pass `max_body_bytes_in_flight`, and 400
/// for bytes that are not HTTP.
///
/// Routing: each provider is served under the path of its table base URL (`/v1` OpenAI and
/// Anthropic, `/openai/v1` Groq, `/api/v1` OpenRouter, `/v1beta` Gemini, `/openai` Azure)
/// and under `/{name}` followed by that path; when two providers share a path the first
/// keeps it and the others are reached by name. A request under any other prefix goes to
/// the one provider that speaks its format, when there is one. `base_url(name)` gives the
/// URL a client is configured with.
///
/// ```cpp
/// clock::steady clock;
/// auto openai = sim::Provider::create({.provider = "openai", .keys = {{.key = "sk-a"}}, .tier = "tier1"});
/// auto server = sim::Server<clock::steady>::create({*openai}, clock);   // its own I/O thread
/// // POST (*server)->base_url("openai") + "/chat/completions"
/// ```
///
/// Time: the providers' windows and the replies' latency run on `Clock` — `clock::steady`
/// for real time, `clock::scaled` to run an hour of limits in a minute, `clock::manual` in
/// tests (with zero latency, or the waits park until the test moves time). Socket timeouts
/// (`idle_timeout`, `io_timeout`) are real time whatever the clock.
///
/// Secrets: keys are compared and forgotten; no reply, header or error quotes one, and a
/// request's query string (where Gemini's `key=` travels) is never echoed.

#include <governed/clock/async_wait.hpp>
#include <governed/dialect/format.hpp>
#include <governed/dialect/gemini/stream.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/dialect/request.hpp>
#include <governed/dialect/route.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/dialect/stream_frame.hpp>
#include <governed/result.hpp>
#include <governed/sim/provider.hpp>
#include <governed/sim/replies.hpp>
#include <governed/sim/request_errors.hpp>
#include <governed/sim/stream.hpp>
#include <governed/time.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace governed::sim {

struct ServerOptions {
  /// Where to listen. Loopback by default: the simulator accepts any client that knows a
  /// configured key, which is no protection on a network.
  std::string address = "127.0.0.1";
  /// 0: any free port (read it back with `port()`).
  std::uint16_t port = 0;
  /// I/O threads of a server that runs its own (`create` without an executor).
  std::size_t threads = 1;
  /// The largest request body one connection may send; a larger one is answered 413 (from its
  /// `content-length`, unread) and the connection closed. Chat requests are kilobytes; 8 MiB
  /// leaves room for long contexts.
  std::uint64_t max_body_bytes = std::uint64_t{8} << 20;
  /// Request bodies held at once across all connections, from when a body's reading begins
  /// until it is answered (a chunked body counts as `max_body_bytes`). A body that would pass
  /// it is refused the way the provider says it is overloaded (503, Anthropic 529, with
  /// `retry-after`) and its connection closed, as a gateway sheds load: without it 4096
  /// connections of 8 MiB could make the server hold 32 GiB. Bodies are read only after the
  /// key is checked, so only clients with a key can use it.
  std::uint64_t max_body_bytes_in_flight = std::uint64_t{256} << 20;
  /// How deep a request body's JSON may nest (its size is `max_body_bytes`): a deeper one is
  /// a 400 naming the limit, before it is parsed.
  std::size_t max_body_depth = JsonLimits{}.max_depth;
  /// The request line and headers; more is answered 431.
  std::uint32_t max_header_bytes = 64 * 1024;
  /// Connections served at once; one more is answered 503 and closed.
  std::size_t max_connections = 4096;
  /// A keep-alive connection with no request for this long (real time) is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  /// Reading one request once it has begun, or writing one reply (real time).
  std::chrono::milliseconds io_timeout{30'000};
  /// Wait each reply's modelled latency on the clock before it goes out (false: answer at once).
  bool wait_latency = true;
};

namespace server_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// The path part of a base URL ("https://api.groq.com/openai/v1" → "/openai/v1").
inline std::string path_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "/v1";
  const std::string_view rest = url.substr(scheme + 3);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return "";
  std::string_view path = rest.substr(slash);
  path = path.substr(0, path.find('?'));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

/// Whether `key` is one the provider was configured with and not as invalid (for a request
/// that fails before the provider sees it: 400 when the key is good, else 401).
inline bool known_key(const Provider& p, std::string_view key) {
  for (const auto& k : p.config().keys)
    if (k.key == key) return k.status != KeyStatus::invalid;
  return false;
}

/// Whether `key` is one the provider was configured with, whatever its status: a request
/// with any other key is answered from its headers, its body never read.
inline bool configured_key(const Provider& p, std::string_view key) {
  const auto& keys = p.config().keys;
  return std::any_of(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.key == key; });
}

/// The largest body of a request answered from its headers that is read and dropped to keep
/// the connection (a request with a wrong key or path is kilobytes); a larger one closes it.
inline constexpr std::uint64_t drain_limit = 64 * 1024;

struct Mount {
  std::string prefix;
  std::size_t provider;
};

/// What an answer did to the connection.
enum class After : std::uint8_t { keep, close };

}  // namespace server_detail

template <class Clock>
class Server {
  using tcp = server_detail::tcp;
  using Request = server_detail::http::request<server_detail::http::string_body>;

 public:
  /// A server with its own I/O threads (`options.threads`), listening at once.
  static Result<std::unique_ptr<Server>> create(std::vector<std::shared_ptr<Provider>> providers, Clock& clock,
                                                ServerOptions options = {}) {
    auto owned = std::make_unique<Owned>();
    auto s = make(owned->io.get_executor(), std::move(providers), clock, options);
    if (!s) return s;
    (*s)->owned_ = std::move(owned);
    for (std::size_t i = 0; i < std::max<std::size_t>(options.threads, 1); ++i)
      (*s)->owned_->threads.emplace_back([io = &(*s)->owned_->io] { io->run(); });
    return s;
  }

  /// A server whose I/O runs on `ex` (the caller runs its io_context). The providers and
  /// the clock must outlive the io_context's run, since connections still open when the
  /// server is destroyed finish there.
  static Result<std::unique_ptr<Server>> create(boost::asio::any_io_executor ex,
                                                std::vector<std::shared_ptr<Provider>> providers, Clock& clock,
                                                ServerOptions options = {}) {
    return make(std::move(ex), std::move(providers), clock, options);
  }

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Stops listening and closes every connection; with its own threads, joins them.
  ~Server() {
    stop();
    if (owned_) {
      owned_->io.stop();
      for (auto& t : owned_->threads)
        if (t.joinable()) t.join();
      core_.reset();
      owned_.reset();
    }
  }

  /// Stops accepting and closes every open connection (replies being written are cut off).
  void stop() {
    core_->stop();
  }

  std::uint16_t port() const noexcept { return core_->port; }
  /// "http://127.0.0.1:PORT".
  std::string url() const { return fmt::format("http://{}:{}", core_->options.address, core_->port); }
  /// The base URL a client of provider `name` is configured with (its path included:
  /// ".../v1", ".../openai/v1", ".../v1beta"); empty when no such provider is served.
  std::string base_url(std::string_view name) const {
    for (const auto& m : core_->mounts)
      if (core_->providers[m.provider]->config().provider == name) return url() + m.prefix;
    return {};
  }
  /// Connections open now, and the most open at once so far.
  std::size_t open_connections() const noexcept { return core_->open.load(); }
  std::size_t peak_connections() const noexcept { return core_->peak.load(); }
  /// Request body bytes held now (`ServerOptions::max_body_bytes_in_flight`), and the most
  /// held at once so far.
  std::uint64_t body_bytes_in_flight() const noexcept { return core_->body_bytes.load(); }
  std::uint64_t peak_body_bytes_in_flight() const noexcept { return core_->peak_body_bytes.load(); }
  /// Requests read so far (answered or not).
  std::uint64_t requests() const noexcept { return core_->requests.load(); }

  /// The provider serving `name`, or null.
  Provider* find(std::string_view name) const noexcept {
    for (const auto& p : core_->providers)
      if (p->config().provider == name) return p.get();
    return nullptr;
  }

 private:
  struct Owned {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
    std::vector<std::thread> threads;
  };

  /// What the connections share; each holds it, so it lives while any is open.
  struct Core : std::enable_shared_from_this<Core> {
    Core(boost::asio::any_io_executor ex, Clock& c, ServerOptions o)
        : executor(ex), acceptor(boost::asio::make_strand(ex)), clock(&c), options(std::move(o)) {}

    boost::asio::any_io_executor executor;
    tcp::acceptor acceptor;
    Clock* clock;
    ServerOptions options;
    std::vector<std::shared_ptr<Provider>> providers;
    std::vector<server_detail::Mount> mounts;
    std::uint16_t port = 0;
    std::atomic<std::size_t> open{0}, peak{0};
    std::atomic<std::uint64_t> requests{0}, serial{0};
    std::atomic<std::uint64_t> body_bytes{0}, peak_body_bytes{0};
    std::atomic<bool> stopped{false};
    std::mutex m;

    /// Takes `n` bytes of the body budget, or nothing when they would pass it.
    bool hold_body_bytes(std::uint64_t n) {
      std::uint64_t now = body_bytes.load();
      do {
        if (n > options.max_body_bytes_in_flight || now > options.max_body_bytes_in_flight - n) return false;
      } while (!body_bytes.compare_exchange_weak(now, now + n));
      for (std::uint64_t peak = peak_body_bytes.load(); now + n > peak && !peak_body_bytes.compare_exchange_weak(peak, now + n);) {
      }
      return true;
    }
    std::uint64_t next_id = 0;
    std::map<std::uint64_t, std::weak_ptr<server_detail::beast::tcp_stream>> live;

    void stop() {
      if (stopped.exchange(true)) return;
      boost::asio::post(acceptor.get_executor(), [self = this->shared_from_this()] {
        boost::system::error_code ignored;
        self->acceptor.close(ignored);
      });
      std::lock_guard lk(m);
      for (auto& [id, w] : live)
        if (auto s = w.lock())
          boost::asio::post(s->get_executor(), [s] {
            boost::system::error_code ignored;
            s->socket().shutdown(tcp::socket::shutdown_both, ignored);
            s->close();
          });
    }
  };

  explicit Server(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  static Result<std::unique_ptr<Server>> make(boost::asio::any_io_executor ex,
                                              std::vector<std::shared_ptr<Provider>> providers, Clock& clock,
                                              ServerOptions options) {
    if (providers.empty()) return fail(Errc::invalid_argument, "sim server: no provider to serve");
    for (const auto& p : providers)
      if (!p) return fail(Errc::invalid_argument, "sim server: a provider is null");
    auto core = std::make_shared<Core>(ex, clock, std::move(options));
    core->providers = std::move(providers);
    // Each provider at its table path unless an earlier one of the same format has it, then
    // each at /{name}{path}; lookups take the first match, so a table path ("/openai/v1",
    // Groq's) wins over a name-made one (OpenAI's "/openai" + "/v1").
    auto path_of = [](const Provider& p) {
      return p.entry().base_url.empty() ? std::string("/v1") : server_detail::path_of(p.entry().base_url);
    };
    for (std::size_t i = 0; i < core->providers.size(); ++i) {
      const Provider& p = *core->providers[i];
      const std::string path = path_of(p);
      const auto format = governed::dialect::format_of(p.entry().dialect);
      bool taken = false;
      for (const auto& m : core->mounts)
        if (m.prefix == path && governed::dialect::format_of(core->providers[m.provider]->entry().dialect) == format) taken = true;
      if (!taken) core->mounts.push_back({path, i});
    }
    for (std::size_t i = 0; i < core->providers.size(); ++i)
      core->mounts.push_back({"/" + core->providers[i]->config().provider + path_of(*core->providers[i]), i});
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(core->options.address, ec);
    if (ec) return fail(Errc::invalid_argument, fmt::format("sim server: \"{}\" is not an IP address", core->options.address));
    const tcp::endpoint at{address, core->options.port};
    core->acceptor.open(at.protocol(), ec);
    if (!ec) core->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) core->acceptor.bind(at, ec);
    if (!ec) core->acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec)
      return fail(Errc::invalid_argument, fmt::format("sim server: can not listen on {}:{}: {}", core->options.address,
                                                      core->options.port, ec.message()));
    core->port = core->acceptor.local_endpoint().port();
    boost::asio::co_spawn(core->acceptor.get_executor(), accept(core), boost::asio::detached);
    return std::unique_ptr<Server>(new Server(std::move(core)));
  }

  static boost::asio::awaitable<void> accept(std::shared_ptr<Core> core) {
    namespace asio = boost::asio;
    while (!core->stopped) {
      auto [ec, socket] = co_await core->acceptor.async_accept(asio::make_strand(core->executor),
                                                               asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || core->stopped || !core->acceptor.is_open()) co_return;
      if (ec) {
        // A connection reset before it was accepted, or out of descriptors: pause a little
        // (real time) so that a persistent error does not spin, and keep going.
        asio::steady_timer pause(core->acceptor.get_executor(), std::chrono::milliseconds(10));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      auto ex = socket.get_executor();
      asio::co_spawn(ex, session(core, std::move(socket)), asio::detached);
    }
  }

  /// One connection: requests read and answered in turn while the client keeps it alive.
  static boost::asio::awaitable<void> session(std::shared_ptr<Core> core, tcp::socket socket) {
    auto stream = std::make_shared<boost::beast::tcp_stream>(std::move(socket));
    const OpenConnection open{core.get(), stream};
    if (open.count > core->options.max_connections || core->stopped) {
      co_await write_plain(*stream, 503, "the simulator is serving its maximum number of connections", 11, core->options);
      co_return shut(*stream);
    }
    boost::beast::flat_buffer buffer;
    while (co_await serve_next(core, *stream, buffer) == server_detail::After::keep) {
    }
    shut(*stream);
  }

  /// Counts a connection among the open ones (and the peak), and lists it for `Core::stop`,
  /// while it lives.
  struct OpenConnection {
    Core* core;
    std::uint64_t id = 0;
    std::size_t count = 0;  // connections open, this one included, when it opened

    OpenConnection(Core* c, const std::shared_ptr<boost::beast::tcp_stream>& stream) : core(c), count(++c->open) {
      for (std::size_t peak = c->peak.load(); count > peak && !c->peak.compare_exchange_weak(peak, count);) {
      }
      std::lock_guard lk(c->m);
      id = c->next_id++;
      c->live.emplace(id, stream);
    }
    OpenConnection(const OpenConnection&) = delete;
    OpenConnection& operator=(const OpenConnection&) = delete;
    ~OpenConnection() {
      --core->open;
      std::lock_guard lk(core->m);
      core->live.erase(id);
    }
  };

  /// Holds `n` bytes of `Core::body_bytes` while a body is read and answered, or nothing
  /// when that would pass `max_body_bytes_in_flight`.
  struct BodyBytes {
    Core* core;
    std::uint64_t n;
    bool held = false;

    BodyBytes(Core* c, std::uint64_t bytes) : core(c), n(bytes), held(c->hold_body_bytes(bytes)) {}
    BodyBytes(const BodyBytes&) = delete;
    BodyBytes& operator=(const BodyBytes&) = delete;
    ~BodyBytes() {
      if (held) core->body_bytes.fetch_sub(n);
    }
  };

  /// Where a request that passed `screen` goes.
  struct Screened {
    governed::dialect::Route route;
    Provider* provider;
    std::string key;
  };

  /// Judges a request from its request line and headers, before any of its body is read:
  /// an unknown endpoint (404), a key the provider was never given (401, or the provider's
  /// own status for it), a body announced larger than `max_body_bytes` (413). Anything else
  /// goes to the provider with its route and key.
  template <class Fields>
  static std::variant<ProviderReply, Screened> screen(Core& core, const boost::beast::http::request_header<Fields>& head,
                                              boost::optional<std::uint64_t> content_length) {
    namespace http = boost::beast::http;
    const std::string_view target(head.target().data(), head.target().size());
    auto route = governed::dialect::route_of(target);
    Provider* p = route ? choose(core, *route) : nullptr;
    const providers::Dialect shape = p ? p->entry().dialect : core.providers.front()->entry().dialect;
    if (!route || !p || head.method() != http::verb::post ||
        (route->format == governed::dialect::Format::azure && !governed::dialect::query_value(route->query, "api-version"))) {
      const std::string_view method(head.method_string().data(), head.method_string().size());
      return stamped(core, no_route(shape, method, target, core.serial.load()), p);
    }
    std::string key = governed::dialect::key_of(
        [&head](std::string_view name) -> std::string_view {
          auto it = head.find(boost::beast::string_view(name.data(), name.size()));
          return it == head.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
        },
        *route, governed::dialect::format_of(p->entry().dialect));
    if (!server_detail::configured_key(*p, key))
      return stamped(core, failure(Speaker{p->entry(), {}, {}, core.clock->wall_now(), core.serial.load()}, Failure::invalid_key), p);
    if (content_length && *content_length > core.options.max_body_bytes)
      return stamped(core, too_large(core, shape, ++core.serial), p);
    return Screened{std::move(*route), p, std::move(key)};
  }

  static ProviderReply too_large(const Core& core, providers::Dialect d, std::uint64_t serial) {
    return request_error(d, 413, fmt::format("The request body is larger than the {} bytes this server accepts.",
                                             core.options.max_body_bytes), {}, serial);
  }

  /// Reads and drops the body of a request answered from its headers when it is small
  /// (`server_detail::drain_limit`, and not over `max_body_bytes`) and the budget holds it;
  /// whether the connection can go on.
  static boost::asio::awaitable<bool> drain(std::shared_ptr<Core> core, boost::beast::tcp_stream& stream,
                                            boost::beast::flat_buffer& buffer,
                                            boost::beast::http::request_parser<boost::beast::http::string_body>& parser) {
    namespace asio = boost::asio;
    const auto length = parser.content_length();
    if (!length || *length > server_detail::drain_limit || *length > core->options.max_body_bytes) co_return false;
    BodyBytes held{core.get(), *length};
    if (!held.held) co_return false;
    parser.body_limit(*length);
    stream.expires_after(core->options.io_timeout);
    auto [ec, n] = co_await boost::beast::http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    co_return !ec;
  }

  static void shut(boost::beast::tcp_stream& s) {
    boost::system::error_code ignored;
    s.socket().shutdown(tcp::socket::shutdown_send, ignored);
    s.close();
  }

  /// Finds the provider for `route`: by mount, else the only one speaking its format.
  static Provider* choose(const Core& core, const governed::dialect::Route& route) {
    for (const auto& m : core.mounts) {
      const Provider& p = *core.providers[m.provider];
      if (m.prefix == route.prefix && governed::dialect::serves(governed::dialect::format_of(p.entry().dialect), route.format))
        return core.providers[m.provider].get();
    }
    Provider* only = nullptr;
    for (const auto& p : core.providers) {
      if (!governed::dialect::serves(governed::dialect::format_of(p->entry().dialect), route.format)) continue;
      if (only) return nullptr;
      only = p.get();
    }
    return only;
  }

  /// A reply the server made itself gets the headers the provider puts on every reply.
  static ProviderReply stamped(Core& core, ProviderReply r, const Provider* who) {
    const auto serial = ++core.serial;
    const Provider& speaker = who ? *who : *core.providers.front();
    common_headers(Speaker{speaker.entry(), {}, {}, core.clock->wall_now(), serial}, Readings{}, r);
    return r;
  }

  using BodyParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  /// Reads the connection's next request and answers it; whether the connection can serve
  /// another.
  static boost::asio::awaitable<server_detail::After> serve_next(std::shared_ptr<Core> core,
                                                                 boost::beast::tcp_stream& stream,
                                                                 boost::beast::flat_buffer& buffer) {
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    using server_detail::After;
    BodyParser parser;
    parser.header_limit(core->options.max_header_bytes);
    // The body's size is judged after the key (screen, below): a client without a key
    // hears 401 whatever length it announces.
    parser.body_limit(boost::none);
    // Waiting for the next request may take the idle time; once it begins, the I/O timeout.
    stream.expires_after(core->options.idle_timeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (hec) {
      co_await answer_unreadable_head(core, stream, hec);
      co_return After::close;
    }
    ++core->requests;
    const auto& head = parser.get();
    const unsigned version = head.version();
    auto screened = screen(*core, head, parser.content_length());
    if (auto* refusal = std::get_if<ProviderReply>(&screened)) {
      // Answered from the headers alone. A small body is read and dropped so that the
      // connection serves the next request; a large or unmeasured one is never read.
      bool keep = head.keep_alive() && !core->stopped;
      if (keep && !parser.is_done()) keep = co_await drain(core, stream, buffer, parser);
      co_await write_reply(stream, std::move(*refusal), version, keep, core->options);
      co_return keep ? After::keep : After::close;
    }
    const Screened target = std::get<Screened>(screened);
    // Memory: this body's bytes are held from the server-wide budget until it is answered.
    // A chunked body has no length up front and holds the largest a body may be.
    const std::uint64_t holds = parser.content_length().value_or(core->options.max_body_bytes);
    BodyBytes body_bytes{core.get(), holds};
    if (!body_bytes.held) {
      ProviderReply r = failure(Speaker{target.provider->entry(), {}, {}, core->clock->wall_now(), ++core->serial},
                                Failure::overloaded);
      r.headers.emplace_back("retry-after", "1");
      co_await write_reply(stream, stamped(*core, std::move(r), target.provider), version, false, core->options);
      co_return After::close;
    }
    if (!parser.is_done() && !co_await read_body(core, stream, buffer, parser, target, version)) co_return After::close;
    Request req = parser.release();
    After after = After::close;
    try {
      after = co_await answer(core, stream, req, target);
    } catch (const std::exception&) {
      after = After::close;  // the connection went away mid-reply, or worse: this connection only
    }
    co_return after == After::close || !req.keep_alive() || core->stopped ? After::close : After::keep;
  }

  /// A request whose header could not be read. HTTP gone wrong is answered (431 for headers
  /// over the limit, else 400); a connection closed, reset or timed out has nobody to
  /// answer, and a stopping server answers nothing. The connection closes after it.
  static boost::asio::awaitable<void> answer_unreadable_head(std::shared_ptr<Core> core,
                                                             boost::beast::tcp_stream& stream,
                                                             boost::system::error_code hec) {
    namespace http = boost::beast::http;
    if (core->stopped) co_return;
    const bool ours = hec.category() == http::make_error_code(http::error::bad_method).category() &&
                      hec != http::error::end_of_stream && hec != http::error::partial_message;
    if (!ours) co_return;
    ++core->requests;
    const auto serial = ++core->serial;
    const providers::Dialect d = core->providers.front()->entry().dialect;
    ProviderReply r = hec == http::error::header_limit
                          ? request_error(d, 431, "The request headers are too large.", {}, serial)
                          : request_error(d, 400, fmt::format("The request is not valid HTTP ({}).", hec.message()), {}, serial);
    r.headers.emplace_back("content-type", "application/json");
    co_await write_reply(stream, std::move(r), 11, false, core->options);
  }

  /// Reads the body of a request that passed `screen`, up to `max_body_bytes`. False when it
  /// could not be read, and the connection closes: a body over the limit is answered 413,
  /// one that is not valid HTTP 400; a connection that went away is not answered.
  static boost::asio::awaitable<bool> read_body(std::shared_ptr<Core> core, boost::beast::tcp_stream& stream,
                                                boost::beast::flat_buffer& buffer, BodyParser& parser,
                                                const Screened& target, unsigned version) {
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    parser.body_limit(core->options.max_body_bytes);
    stream.expires_after(core->options.io_timeout);
    auto [bec, bn] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (!bec) co_return true;
    if (core->stopped || bec.category() != http::make_error_code(http::error::bad_method).category() ||
        bec == http::error::end_of_stream || bec == http::error::partial_message)
      co_return false;
    const auto serial = ++core->serial;
    const providers::Dialect d = target.provider->entry().dialect;
    ProviderReply r = bec == http::error::body_limit
                          ? too_large(*core, d, serial)
                          : request_error(d, 400, fmt::format("The request body is not valid HTTP ({}).", bec.message()), {},
                                          serial);
    co_await write_reply(stream, stamped(*core, std::move(r), target.provider), version, false, core->options);
    co_return false;
  }

  /// Answers one request that passed `screen`; whether the connection can serve another.
  static boost::asio::awaitable<server_detail::After> answer(std::shared_ptr<Core> core, boost::beast::tcp_stream& stream,
                                                             const Request& req, const Screened& target) {
    using server_detail::After;
    const unsigned version = req.version();
    const bool keep = req.keep_alive();
    Provider& provider = *target.provider;
    auto body = governed::dialect::decode_request(req.body(), target.route, JsonLimits{core->options.max_body_bytes, core->options.max_body_depth});
    if (auto refusal = refuse_call(*core, req, target, body)) {
      co_await write_reply(stream, stamped(*core, std::move(*refusal), target.provider), version, keep, core->options);
      co_return After::keep;
    }

    std::vector<providers::ChatMessage> messages;
    Call call = call_of(*body, target.key, messages);
    if (auto tp = req.find("traceparent"); tp != req.end()) call.traceparent = std::string_view(tp->value().data(), tp->value().size());
    const Instant start = core->clock->now();
    ProviderReply reply = provider.handle(call, start, core->clock->wall_now());
    const auto serial = ++core->serial;

    if (!reply.stream) {
      if (core->options.wait_latency && reply.latency > Duration::zero()) co_await wait_until(core, stream, start + reply.latency);
      co_await write_reply(stream, std::move(reply), version, keep, core->options);
      co_return After::keep;
    }
    const std::string id = reply_id(provider.entry().dialect, serial);
    const Stream& said = *reply.stream;
    const governed::dialect::StreamFrame frame{
        .dialect = provider.entry().dialect,
        .id = id,
        .model = call.model,
        .created = std::chrono::duration_cast<std::chrono::seconds>(core->clock->wall_now().time_since_epoch()).count(),
        .n = call.n,
        .include_usage = body->include_usage,
        .finish = std::int64_t{call.max_tokens} < provider.config().completion_tokens ? governed::dialect::Finish::length
                                                                                       : governed::dialect::Finish::stop,
        .usage = said.usage,
        .complete = !said.broken_after};
    governed::dialect::FramedStream framed = governed::dialect::encode_stream(std::span(said.pieces).first(said.sent()), frame);
    co_return co_await answer_stream(core, stream, req, target, std::move(framed), std::move(reply), start);
  }

  /// The reply to a call the server refuses before the provider sees it: a body that is not
  /// a call (or, from a key the provider does not know, the provider's answer to the key),
  /// or an Anthropic call without its `anthropic-version` header.
  static std::optional<ProviderReply> refuse_call(const Core& core, const Request& req, const Screened& target,
                                                  const tl::expected<governed::dialect::RequestBody, governed::dialect::BodyProblem>& body) {
    const Provider& provider = *target.provider;
    const providers::Dialect shape = provider.entry().dialect;
    const bool known = server_detail::known_key(provider, target.key);
    if (!body)
      return known ? bad_body(shape, body.error(), core.serial.load())
                   : failure(Speaker{provider.entry(), {}, {}, core.clock->wall_now(), core.serial.load()}, Failure::invalid_key);
    if (target.route.format == governed::dialect::Format::anthropic && req.find("anthropic-version") == req.end() && known)
      return request_error(shape, 400, "anthropic-version: header is required", {}, core.serial.load());
    return std::nullopt;
  }

  /// When a stream's events go out: the time to the first token before the first event,
  /// the rest spread evenly over the reply's latency; `wait`: whether the server waits at all.
  struct Pacing {
    bool wait = false;
    Instant first{};
    Duration step{};
  };

  /// A streamed answer, its events paced over the reply's latency.
  static boost::asio::awaitable<server_detail::After> answer_stream(std::shared_ptr<Core> core,
                                                                    boost::beast::tcp_stream& stream, const Request& req,
                                                                    const Screened& target, governed::dialect::FramedStream framed,
                                                                    ProviderReply reply, Instant start) {
    const Provider& provider = *target.provider;
    const Duration first = std::min(reply.latency, provider.config().latency.fixed);
    const Duration step = framed.events.size() > 1 ? (reply.latency - first) / static_cast<std::int64_t>(framed.events.size() - 1)
                                                   : Duration::zero();
    const bool wait = core->options.wait_latency && reply.latency > Duration::zero();
    if (target.route.format == governed::dialect::Format::gemini && !target.route.sse) {
      // Without alt=sse Gemini streams one JSON array; here it goes out whole.
      if (wait) co_await wait_until(core, stream, start + reply.latency);
      co_return co_await write_gemini_array(core, stream, std::move(reply), framed, req.version(), req.keep_alive());
    }
    co_return co_await write_events(core, stream, reply, framed, req.version(), req.keep_alive(),
                                    Pacing{wait, start + first, step});
  }

  /// Gemini's stream without alt=sse: one JSON array of the events, sent whole; a broken
  /// stream announces the whole length and sends half, as a broken connection does.
  static boost::asio::awaitable<server_detail::After> write_gemini_array(std::shared_ptr<Core> core,
                                                                         boost::beast::tcp_stream& stream,
                                                                         ProviderReply reply, const governed::dialect::FramedStream& framed,
                                                                         unsigned version, bool keep) {
    using server_detail::After;
    reply.body = governed::dialect::gemini::stream_array(framed);
    for (auto& [name, value] : reply.headers)
      if (name == "content-type") value = "application/json";
    if (!framed.complete) {
      co_await write_reply(stream, std::move(reply), version, false, core->options, /*cut=*/true);
      co_return After::close;
    }
    co_await write_reply(stream, std::move(reply), version, keep, core->options);
    co_return After::keep;
  }

  /// The provider's headers, then each event as a chunk when `pace` says; a broken stream
  /// ends without the last chunk, and the connection drops.
  static boost::asio::awaitable<server_detail::After> write_events(std::shared_ptr<Core> core,
                                                                   boost::beast::tcp_stream& stream,
                                                                   const ProviderReply& reply, const governed::dialect::FramedStream& framed,
                                                                   unsigned version, bool keep, Pacing pace) {
    namespace http = boost::beast::http;
    using server_detail::After;
    if (pace.wait) co_await wait_until(core, stream, pace.first);
    http::response<http::empty_body> res{http::status(reply.status), version};
    for (const auto& [name, value] : reply.headers) res.insert(name, value);
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(keep);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_after(core->options.io_timeout);
    co_await http::async_write_header(stream, sr, boost::asio::use_awaitable);
    Instant at = pace.first;
    for (std::size_t i = 0; i < framed.events.size(); ++i) {
      if (pace.wait && i > 0) {
        at += pace.step;
        co_await wait_until(core, stream, at);
      }
      stream.expires_after(core->options.io_timeout);
      co_await boost::asio::async_write(stream, http::make_chunk(boost::asio::buffer(framed.events[i])),
                                        boost::asio::use_awaitable);
    }
    if (!framed.complete) co_return After::close;
    stream.expires_after(core->options.io_timeout);
    co_await boost::asio::async_write(stream, http::make_chunk_last(), boost::asio::use_awaitable);
    co_return After::keep;
  }

  /// Waits until `t` on the server's clock.
  static boost::asio::awaitable<void> wait_until(const std::shared_ptr<Core>& core, boost::beast::tcp_stream& stream,
                                                 Instant t) {
    stream.expires_never();
    co_await core->clock->async_wait_until(stream.get_executor(), t, boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  /// A whole reply with a content-length (`cut`: announce the whole length, send half, as a
  /// broken connection does).
  static boost::asio::awaitable<void> write_reply(boost::beast::tcp_stream& stream, ProviderReply r, unsigned version, bool keep,
                                                  const ServerOptions& o, bool cut = false) {
    namespace http = boost::beast::http;
    http::response<http::string_body> res{http::status(r.status), version};
    for (const auto& [name, value] : r.headers) res.insert(name, value);
    res.keep_alive(keep);
    res.body() = std::move(r.body);
    res.prepare_payload();
    stream.expires_after(o.io_timeout);
    if (!cut) {
      auto [ec, n] = co_await http::async_write(stream, res, boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)ec;
      (void)n;
      co_return;
    }
    http::response_serializer<http::string_body> sr{res};
    auto [ec, n] = co_await http::async_write_header(stream, sr, boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
    const std::string& b = res.body();
    co_await boost::asio::async_write(stream, boost::asio::buffer(b.data(), b.size() / 2),
                                      boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  /// A reply with a plain-text body (before any request was read).
  static boost::asio::awaitable<void> write_plain(boost::beast::tcp_stream& stream, int status, std::string_view text,
                                                  unsigned version, const ServerOptions& o) {
    ProviderReply r;
    r.status = status;
    r.headers.emplace_back("content-type", "text/plain");
    r.body = std::string(text);
    co_await write_reply(stream, std::move(r), version, false, o);
  }

  std::unique_ptr<Owned> owned_;
  std::shared_ptr<Core> core_;
};

}  // namespace governed::sim
