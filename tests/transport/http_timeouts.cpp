// The connect and TLS-handshake timeouts, against real sockets on loopback: a listener whose
// accept queue is full (the kernel drops the SYN, so a connect to it stays pending) and a
// peer that accepts, reads the ClientHello and says nothing. Each attempt must end with the
// transport's timeout failure no sooner than the configured timeout and well before five
// times it — waiting on the call itself, never on a sleep. Through `Governed`, such a failure
// is a network error: the model is cooled and the call moves on to another provider.
#include <governed/governed.hpp>
#include <governed/transport/http.hpp>

#include "test_server.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

using namespace governed;
using namespace httptest;
using Failure = providers::NetworkFailure;

namespace {

constexpr auto short_timeout = 200ms;
/// How long a timed-out attempt may take at most: five times its timeout.
constexpr auto timeout_bound = 5 * short_timeout;

/// Options whose connect and handshake timeouts are short and whose later ones are long, so
/// that only the phase under test can end an attempt.
transport::HttpOptions timeout_options() {
  transport::HttpOptions o;
  o.ca_pem = pki().ca.cert;
  o.proxy = transport::ProxySettings::none();
  o.timeouts.connect = short_timeout;
  o.timeouts.tls_handshake = short_timeout;
  o.timeouts.first_byte = 30s;
  o.timeouts.total = 60s;
  return o;
}

Request timeout_request() {
  Request r;
  r.messages = {{"user", "Say hello."}};
  r.max_tokens = 16;
  return r;
}

template <class F>
auto time_call(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f();
  return std::pair{std::move(r), std::chrono::steady_clock::now() - t0};
}

/// A non-blocking connect to `to`, and whether it completed (or was refused) within `ms`.
std::pair<tcp::socket, bool> connect_within(asio::io_context& io, const tcp::endpoint& to, int ms) {
  // By hand: Asio's blocking connect waits for the outcome even on a non-blocking socket.
  tcp::socket s(io, tcp::v4());
  s.native_non_blocking(true);
  if (::connect(s.native_handle(), to.data(), static_cast<socklen_t>(to.size())) == 0 || errno != EINPROGRESS)
    return {std::move(s), true};
  pollfd p{s.native_handle(), POLLOUT, 0};
  const bool answered = ::poll(&p, 1, ms) > 0;
  return {std::move(s), answered};
}

/// A listening socket nobody accepts from, its accept queue filled with connections that are
/// never accepted: the kernel drops every further SYN, so a connect to it neither completes
/// nor is refused — a host that blackholes SYNs, on loopback.
class FullBacklog {
 public:
  FullBacklog() : acceptor_(io_) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen(0);
    const tcp::endpoint at = acceptor_.local_endpoint();
    // Linux queues backlog + 1 connections; other kernels differ, so connections are made
    // until one hangs. Each that completed stays open in the queue (closing it would not
    // take it out).
    for (int i = 0; i < 8 && !blackholed_; ++i) {
      auto [probe, answered] = connect_within(io_, at, 50);
      if (answered) fillers_.push_back(std::move(probe));
      else blackholed_ = true;
    }
  }

  /// False when this kernel accepts connections past the full queue.
  bool blackholed() const noexcept { return blackholed_; }
  std::string url(std::string_view scheme) const {
    return fmt::format("{}://127.0.0.1:{}/v1", scheme, acceptor_.local_endpoint().port());
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<tcp::socket> fillers_;
  bool blackholed_ = false;
};

/// A TCP server that accepts, reads whatever comes and never writes: a TLS client's
/// ClientHello goes unanswered. Keeps what it read, to show what reached it.
class SilentAcceptor {
 public:
  SilentAcceptor() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SilentAcceptor() {
    io_.stop();
    thread_.join();
  }

  std::string url() const { return fmt::format("https://localhost:{}/v1", acceptor_.local_endpoint().port()); }
  std::string received() const {
    std::lock_guard lock(m_);
    return received_;
  }
  int accepted() const {
    std::lock_guard lock(m_);
    return accepted_;
  }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, s] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      {
        std::lock_guard lock(m_);
        ++accepted_;
      }
      asio::co_spawn(io_, listen(std::move(s)), asio::detached);
    }
  }

  asio::awaitable<void> listen(tcp::socket s) {
    std::array<char, 4096> buf;
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      std::lock_guard lock(m_);
      received_.append(buf.data(), n);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  mutable std::mutex m_;
  std::string received_;
  int accepted_ = 0;
  std::thread thread_;
};

const std::string timeout_openai_ok = R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":)"
                                      R"({"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],)"
                                      R"("usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}})";

std::size_t events_of(const std::vector<Event>& events, EventKind kind) {
  std::size_t n = 0;
  for (const auto& e : events) n += e.kind == kind;
  return n;
}

}  // namespace

TEST_CASE("http timeouts: a connect the server never completes fails as connect_timeout after the connect timeout",
          "[http][timeout]") {
  FullBacklog blackhole;
  REQUIRE(blackhole.blackholed());
  transport::http t{timeout_options()};
  const Request req = timeout_request();
  const std::string scheme = GENERATE(as<std::string>{}, "http", "https");
  CAPTURE(scheme);
  const std::string url = blackhole.url(scheme);
  const transport::Attempt attempt{req, "openai", "gpt-4o", url, "sk-timeout-secret"};

  SECTION("a blocking send") {
    auto [r, took] = time_call([&] { return t.send(attempt); });
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::connect_timeout);
    CHECK_THAT(r.failure_detail, Catch::Contains("connect timeout (200 ms)"));
    CHECK_THAT(r.failure_detail, !Catch::Contains("sk-timeout-secret"));
    CHECK(r.status == 0);
    CHECK(took >= short_timeout);
    CHECK(took < timeout_bound);
  }
  SECTION("an async_send on the transport's I/O thread") {
    auto [r, took] = time_call([&] { return t.async_send(attempt, asio::use_future).get(); });
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::connect_timeout);
    CHECK_THAT(r.failure_detail, Catch::Contains("connect timeout (200 ms)"));
    CHECK_FALSE(r.cancelled);
    CHECK(took >= short_timeout);
    CHECK(took < timeout_bound);
  }
  SECTION("a stream") {
    auto [r, took] = time_call([&] { return t.stream(attempt, [](std::string_view) {}); });
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::connect_timeout);
    REQUIRE(r.streamed);
    CHECK(r.streamed->chunks == 0);
    CHECK(took >= short_timeout);
    CHECK(took < timeout_bound);
  }
  // Nothing reached a server, so the governor may send the request again anywhere.
  CHECK(providers::classify_network_failure(Failure::connect_timeout, false).retryable);
  CHECK(t.idle_connections(url) == 0);
}

TEST_CASE("http timeouts: a total timeout shorter than the connect timeout ends the connect at the total",
          "[http][timeout]") {
  FullBacklog blackhole;
  REQUIRE(blackhole.blackholed());
  auto o = timeout_options();
  o.timeouts.connect = 30s;
  o.timeouts.total = short_timeout;
  transport::http t{o};
  const Request req = timeout_request();
  auto [r, took] = time_call([&] { return t.send({req, "openai", "gpt-4o", blackhole.url("http"), "k"}); });
  REQUIRE(r.failure);
  CHECK(*r.failure == Failure::connect_timeout);
  CHECK_THAT(r.failure_detail, Catch::Contains("total timeout (200 ms)"));
  CHECK(took >= short_timeout);
  CHECK(took < timeout_bound);
}

TEST_CASE("http timeouts: a caller's cancellation ends a connect that would hang, at once", "[http][timeout][async]") {
  FullBacklog blackhole;
  REQUIRE(blackhole.blackholed());
  asio::io_context io;
  auto o = timeout_options();
  o.timeouts.connect = 30s;  // only the cancellation can end it in time
  transport::http t{io.get_executor(), o};
  const Request req = timeout_request();
  const std::string url = blackhole.url("https");
  asio::cancellation_signal signal;
  std::optional<transport::Reply> got;
  const auto t0 = std::chrono::steady_clock::now();
  t.async_send({req, "openai", "gpt-4o", url, "k"},
               asio::bind_cancellation_slot(signal.slot(), [&](transport::Reply r) { got = std::move(r); }));
  asio::steady_timer cancel_at(io, 100ms);
  cancel_at.async_wait([&](boost::system::error_code) { signal.emit(asio::cancellation_type::terminal); });
  io.run();
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(got);
  CHECK(got->cancelled);
  REQUIRE(got->failure);
  CHECK(*got->failure == Failure::connect_timeout);  // nothing was sent
  CHECK_THAT(got->failure_detail, Catch::Contains("cancelled by the caller while connecting"));
  CHECK(took >= 100ms);
  CHECK(took < timeout_bound);
}

TEST_CASE("http timeouts: a server that accepts and never answers the TLS handshake fails as tls_handshake after "
          "the handshake timeout, the request never sent",
          "[http][timeout][tls]") {
  SilentAcceptor silent;
  transport::http t{timeout_options()};
  const Request req = timeout_request();
  const std::string url = silent.url();
  const transport::Attempt attempt{req, "openai", "gpt-4o", url, "sk-handshake-secret"};

  SECTION("a blocking send") {
    auto [r, took] = time_call([&] { return t.send(attempt); });
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::tls_handshake);
    CHECK_THAT(r.failure_detail, Catch::Contains("TLS handshake timeout (200 ms)"));
    CHECK(took >= short_timeout);
    CHECK(took < timeout_bound);
  }
  SECTION("an async_send on the transport's I/O thread") {
    auto [r, took] = time_call([&] { return t.async_send(attempt, asio::use_future).get(); });
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::tls_handshake);
    CHECK_THAT(r.failure_detail, Catch::Contains("TLS handshake timeout (200 ms)"));
    CHECK(took >= short_timeout);
    CHECK(took < timeout_bound);
  }
  // The connect timeout does not cover the handshake: it is the handshake's own that ended it.
  CHECK(silent.accepted() == 1);
  // The server saw a TLS ClientHello (a handshake record, 0x16) and nothing of the request.
  const std::string seen = silent.received();
  REQUIRE_FALSE(seen.empty());
  CHECK(seen[0] == '\x16');
  CHECK(seen.find("sk-handshake-secret") == std::string::npos);
  CHECK(seen.find("POST") == std::string::npos);
  CHECK(providers::classify_network_failure(Failure::tls_handshake, false).retryable);
  CHECK(t.idle_connections(url) == 0);
}

TEST_CASE("http timeouts: through Governed, a connect timeout is a network error that cools the model and falls "
          "back to another provider at once",
          "[http][timeout][governed]") {
  FullBacklog blackhole;
  REQUIRE(blackhole.blackholed());
  Server groq([](const Seen&) { return Script{write(response(200, timeout_openai_ok))}; }, Server::Tls::on);

  using Clock = clock::manual;
  Clock clock{Instant{std::chrono::hours{1}}, Clock::default_wall_start, 1};
  StateConfig config;
  config.providers["openai"].tier = "tier1";
  config.providers["openai"].base_url = blackhole.url("https");
  config.providers["groq"].base_url = groq.url("/openai/v1");
  config.keys.keys.push_back({"openai", "sk-timeout-openai-aaaaaaaaaaaa", "org-a"});
  config.keys.keys.push_back({"groq", "gsk_timeout_groq_aaaaaaaaaaaa", "groq-org"});
  config.keys.persist = false;
  config.seed = 7;
  auto state = State<limiter::gcra, Clock>::create(std::move(config), clock).value();
  // Only the connect to the blackhole must time out: the fallback's TLS handshake gets a
  // long limit, so a loaded machine that is slow to schedule the server does not fail it.
  transport::HttpOptions options = timeout_options();
  options.timeouts.tls_handshake = 30s;
  auto http = std::make_shared<transport::http>(std::move(options));
  Governed<transport::http, Clock, backoff::none, fallback::providers_then_models> g(state, http);

  Request req = timeout_request();
  req.provider = "openai";
  req.model = "gpt-4o";
  const Instant t0 = clock.now();
  auto [r, took] = time_call([&] { return g.send(req); });
  REQUIRE(r);
  CHECK(r->provider == "groq");
  CHECK(r->attempts == 2);
  // No retry under backoff::none: the model is cooled for the failure cooldown, a network
  // failure is not a rate limit, and the next provider answers without a wait.
  CHECK(events_of(r->events, EventKind::retried) == 0);
  CHECK(events_of(r->events, EventKind::cooled) == 1);
  CHECK(events_of(r->events, EventKind::switched_provider) == 1);
  CHECK(clock.now() == t0);
  const auto until = state->cooldowns().cooling_until(CooldownKey{"openai", "gpt-4o", ""}, t0);
  REQUIRE(until);
  CHECK(*until - t0 == state->config().failure_cooldown);
  CHECK(took >= short_timeout);
  CHECK(took < timeout_bound);
  REQUIRE(groq.seen().size() == 1);
  CHECK(groq.seen()[0].header("authorization") == "Bearer gsk_timeout_groq_aaaaaaaaaaaa");

  // The verdict the walk acted on: a network error the provider never saw, retryable.
  const auto v = providers::classify_network_failure(Failure::connect_timeout, req.cacheable);
  CHECK(v.kind == providers::Kind::network_error);
  CHECK(v.retryable);
}

TEST_CASE("http timeouts: through Governed with no fallback, a connect timeout ends the call with an error within the "
          "bound, the key kept out of it",
          "[http][timeout][governed]") {
  FullBacklog blackhole;
  REQUIRE(blackhole.blackholed());
  using Clock = clock::manual;
  Clock clock{Instant{std::chrono::hours{1}}, Clock::default_wall_start, 1};
  StateConfig config;
  config.providers["openai"].tier = "tier1";
  config.providers["openai"].base_url = blackhole.url("https");
  config.keys.keys.push_back({"openai", "sk-timeout-alone-aaaaaaaaaaaa", "org-alone"});
  config.keys.persist = false;
  auto state = State<limiter::gcra, Clock>::create(std::move(config), clock).value();
  auto http = std::make_shared<transport::http>(timeout_options());
  Governed<transport::http, Clock, backoff::none, fallback::none> g(state, http);

  Request req = timeout_request();
  req.provider = "openai";
  req.model = "gpt-4o";
  const Instant t0 = clock.now();
  auto [r, took] = time_call([&] { return g.send(req); });
  REQUIRE_FALSE(r);
  INFO(r.error().message);
  // A host that can not be reached is not a rate limit: the call says so, and when to retry.
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message == "No alternative provider could be reached. Please try again in 5 minutes.");
  CHECK(took >= short_timeout);
  CHECK(took < timeout_bound);
  CHECK(r.error().message.find("sk-timeout-alone") == std::string::npos);
  CHECK(r.error().message.find("org-alone") == std::string::npos);
  CHECK(state->cooldowns().cooling(CooldownKey{"openai", "gpt-4o", ""}, t0));

  // Within the cooldown the next call is not sent to the unreachable host at all: it ends at once.
  auto [again, again_took] = time_call([&] { return g.send(req); });
  REQUIRE_FALSE(again);
  CHECK(again_took < short_timeout);
}
