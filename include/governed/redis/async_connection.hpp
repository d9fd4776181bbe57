#pragma once
/// @file
/// `redis::AsyncConnection`: one connection to a Redis server — plain TCP or TLS — driven on the
/// caller's executor, with any number of commands in flight on it.
///
/// Commands are pipelined: each `async_call` appends its request to what is waiting to be
/// written and goes into a queue of calls waiting for replies. Whatever has gathered while the
/// previous write was on the wire leaves in one write, and replies, which Redis sends in the
/// order of the requests, complete the queue from the front. Fifty calls in flight on one
/// connection cost a handful of system calls, where fifty blocking calls would need fifty
/// connections or fifty round trips.
///
/// Completion tokens are Asio's: a callback, `use_future`, `use_awaitable`, `deferred`. The
/// completion signature is `void(Result<RespReply>)`; an error reply from the server is a value
/// (`RespReply::is_error`), an I/O error, a timeout or a cancellation is the `Result`'s error.
/// Each handler runs on its own associated executor (the caller's by default), never inside
/// `async_call`.
///
/// Faults: the connection is made at the first call (resolve, connect, TLS handshake, AUTH and
/// SELECT pipelined ahead of the first commands); a call that has not had its reply within the
/// command timeout (connect timeout added while connecting) closes the connection and fails
/// every call in flight; so does any I/O or protocol error. The next call connects again.
/// Cancelling a call through its cancellation slot completes it at once with `cancelled`; its
/// reply, when it comes, is read and dropped, so the replies of later calls stay in step.

#include <governed/redis/connection.hpp>
#include <governed/redis/reply.hpp>
#include <governed/redis/script.hpp>
#include <governed/redis/url.hpp>
#include <governed/result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace governed::redis {

class AsyncConnection : public std::enable_shared_from_this<AsyncConnection> {
 public:
  using executor_type = boost::asio::any_io_executor;
  using clock = std::chrono::steady_clock;
  using Handler = boost::asio::any_completion_handler<void(Result<RespReply>)>;

  /// A connection to `endpoint` whose I/O runs on `executor` (serialised on a strand of it, so
  /// an io_context run by several threads is fine). Nothing is connected until the first call.
  static std::shared_ptr<AsyncConnection> make(executor_type executor, Endpoint endpoint, ConnectOptions options = {}) {
    return std::shared_ptr<AsyncConnection>(new AsyncConnection(std::move(executor), std::move(endpoint), std::move(options)));
  }

  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  executor_type get_executor() const noexcept { return executor_; }
  const Endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  // Defined ahead of the calls that use it (its return type is deduced).
  template <class Token>
  auto async_request(std::string request, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<RespReply>)>(
        [self = shared_from_this()](auto handler, std::string req) {
          boost::asio::dispatch(self->strand_, [self, req = std::move(req), h = Handler(std::move(handler))]() mutable {
            self->enqueue(std::move(req), std::move(h));
          });
        },
        token, std::move(request));
  }

 public:
  /// Sends `args` and completes with its reply.
  template <class Token>
  auto async_call(std::span<const std::string_view> args, Token&& token) {
    std::string request;
    format_command(request, args);
    return async_request(std::move(request), std::forward<Token>(token));
  }
  template <class Token>
  auto async_call(std::initializer_list<std::string_view> args, Token&& token) {
    return async_call(std::span<const std::string_view>(args.begin(), args.size()), std::forward<Token>(token));
  }

  /// Runs `script` by EVALSHA; a server that answers NOSCRIPT (restarted, flushed) is given
  /// the source (SCRIPT LOAD) and asked again. Everything is copied before this returns: the
  /// script, its keys and its arguments may go at once.
  template <class Token>
  auto async_eval(const Script& script, std::span<const std::string_view> keys, std::span<const std::string_view> args,
                  Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<RespReply>)>(
        [self = shared_from_this(), source = script.source](auto handler, std::string request) mutable {
          std::string again = request;  // what is sent after a NOSCRIPT, as it was
          self->async_request(std::move(request), [self, source = std::move(source), again = std::move(again),
                                                   h = Handler(std::move(handler))](Result<RespReply> r) mutable {
            if (!r || r->error_code() != "NOSCRIPT") return std::move(h)(std::move(r));
            std::string load;
            format_command(load, {"SCRIPT", "LOAD", source});
            self->async_request(std::move(load), [self, again = std::move(again), h = std::move(h)](
                                                     Result<RespReply> loaded) mutable {
              if (!loaded || loaded->is_error()) return std::move(h)(std::move(loaded));
              self->async_request(std::move(again), std::move(h));
            });
          });
        },
        token, script_command("EVALSHA", script.sha1, keys, args));
  }

  /// Closes the connection: every call in flight fails with `io_error`.
  void close() {
    boost::asio::dispatch(strand_, [self = shared_from_this()] { self->fail_all(self->closed_error()); });
  }

  /// Writes made so far: with many calls in flight, far fewer than the calls.
  std::uint64_t writes() const noexcept { return writes_.load(std::memory_order_relaxed); }

 private:
  using tcp = boost::asio::ip::tcp;
  using tls_stream = boost::asio::ssl::stream<tcp::socket>;

  enum class Phase : std::uint8_t { idle, connecting, ready };

  /// A call waiting for its reply. `handler` empty: cancelled (the reply is dropped) or an
  /// internal step of logging in (`login` set).
  struct Pending {
    std::uint64_t id = 0;
    Handler handler;
    clock::time_point deadline;
    bool login = false;
  };

  AsyncConnection(executor_type executor, Endpoint endpoint, ConnectOptions options)
      : executor_(std::move(executor)),
        strand_(boost::asio::make_strand(executor_)),
        endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        resolver_(strand_),
        socket_(strand_),
        watchdog_(strand_) {}

  static std::string script_command(std::string_view verb, std::string_view body, std::span<const std::string_view> keys,
                                    std::span<const std::string_view> args) {
    const std::string count = std::to_string(keys.size());
    const auto argv = script_call(verb, body, count, keys, args);
    std::string out;
    format_command(out, argv);
    return out;
  }

  Error closed_error() const {
    return Error{Errc::io_error, fmt::format("Redis at {}: the connection was closed", endpoint_.describe()), {}};
  }

  Error io_failure(std::string_view what, const boost::system::error_code& ec) const {
    return Error{Errc::io_error, fmt::format("Redis at {}: {} failed ({})", endpoint_.describe(), what, ec.message()), {}};
  }

  /// Completes `h` with `r` on the handler's executor, after the current handler returns.
  void complete(Handler h, Result<RespReply> r) {
    if (auto slot = boost::asio::get_associated_cancellation_slot(h); slot.is_connected()) slot.clear();
    // Off the strand first (a handler that calls again must not run inside this connection's
    // own step), then onto the handler's executor.
    boost::asio::post(executor_, [h = std::move(h), r = std::move(r)]() mutable {
      auto ex = boost::asio::get_associated_executor(h);
      boost::asio::dispatch(ex, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
    });
  }

  // ---- on the strand -----------------------------------------------------------------------

  void enqueue(std::string request, Handler h) {
    const std::uint64_t id = ++next_id_;
    auto slot = boost::asio::get_associated_cancellation_slot(h);
    if (slot.is_connected()) {
      slot.assign([weak = weak_from_this(), id](boost::asio::cancellation_type) {
        if (auto self = weak.lock())
          boost::asio::dispatch(self->strand_, [self, id] { self->cancel(id); });
      });
    }
    const auto budget = options_.command_timeout + (phase_ == Phase::ready ? Duration{0} : options_.connect_timeout);
    pending_.push_back(Pending{id, std::move(h), clock::now() + budget});
    out_ += request;
    arm_watchdog();
    if (phase_ == Phase::idle) connect();
    else if (phase_ == Phase::ready) {
      write();
      read();
    }
  }

  void cancel(std::uint64_t id) {
    for (auto& p : pending_) {
      if (p.id != id || !p.handler) continue;
      // The request may be on the wire already: its reply will come and be dropped. (Moved
      // from, the handler is empty; assigning an empty one would wrap it instead.)
      complete(std::move(p.handler), fail(Errc::cancelled, "The Redis call was cancelled."));
      return;
    }
  }

  void connect() {
    phase_ = Phase::connecting;
    const std::uint64_t generation = ++generation_;
    resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                            [self = shared_from_this(), generation](const boost::system::error_code& ec,
                                                                    tcp::resolver::results_type results) {
                              if (generation != self->generation_) return;
                              if (ec) return self->fail_all(self->io_failure("resolving the host", ec));
                              self->on_resolved(std::move(results), generation);
                            });
  }

  void on_resolved(tcp::resolver::results_type results, std::uint64_t generation) {
    boost::asio::async_connect(socket_, results,
                               [self = shared_from_this(), generation](const boost::system::error_code& ec,
                                                                       const tcp::endpoint&) {
                                 if (generation != self->generation_) return;
                                 if (ec) return self->fail_all(self->io_failure("connecting", ec));
                                 boost::system::error_code ignored;
                                 self->socket_.set_option(tcp::no_delay(true), ignored);
                                 if (self->endpoint_.tls) self->handshake(generation);
                                 else self->on_connected();
                               });
  }

  void handshake(std::uint64_t generation) {
    tls_context_.emplace(boost::asio::ssl::context::tls_client);
    if (auto ec = detail::verify_server(*tls_context_, options_.ca_file, endpoint_.host))
      return fail_all(io_failure("loading the CA certificates", ec));
    tls_.emplace(std::move(socket_), *tls_context_);
    socket_ = tcp::socket(strand_);
    detail::name_server(*tls_, endpoint_.host);
    tls_->async_handshake(boost::asio::ssl::stream_base::client,
                          [self = shared_from_this(), generation](const boost::system::error_code& e) {
                            if (generation != self->generation_) return;
                            if (e) return self->fail_all(self->io_failure("the TLS handshake", e));
                            self->on_connected();
                          });
  }

  /// Logs in ahead of every command that waited for the connection, then lets them all go.
  void on_connected() {
    std::string login;
    std::vector<Pending> steps;
    const auto deadline = clock::now() + options_.command_timeout;
    if (!endpoint_.password.empty()) {
      if (endpoint_.user.empty()) format_command(login, {"AUTH", endpoint_.password});
      else format_command(login, {"AUTH", endpoint_.user, endpoint_.password});
      steps.push_back(Pending{0, Handler{}, deadline, true});
    }
    const std::string db = std::to_string(endpoint_.db);
    if (endpoint_.db != 0) {
      format_command(login, {"SELECT", db});
      steps.push_back(Pending{0, Handler{}, deadline, true});
    }
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) pending_.push_front(std::move(*it));
    out_.insert(0, login);
    phase_ = Phase::ready;
    read();
    write();
  }

  void write() {
    if (writing_ || out_.empty() || phase_ != Phase::ready) return;
    writing_ = true;
    sending_.swap(out_);
    out_.clear();
    writes_.fetch_add(1, std::memory_order_relaxed);
    auto done = [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec, std::size_t) {
      if (generation != self->generation_) return;
      self->writing_ = false;
      self->sending_.clear();
      if (ec) return self->fail_all(self->io_failure("a write", ec));
      self->write();
    };
    if (tls_) boost::asio::async_write(*tls_, boost::asio::buffer(sending_), std::move(done));
    else boost::asio::async_write(socket_, boost::asio::buffer(sending_), std::move(done));
  }

  /// Reads while calls wait for replies. Nothing is read on an idle connection, so an
  /// io_context with no call in flight runs out of work and returns, as callers of `run()`
  /// expect; a server that closed an idle connection is found by the next call.
  void read() {
    if (reading_ || pending_.empty() || phase_ != Phase::ready) return;
    reading_ = true;
    auto done = [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec, std::size_t n) {
      if (generation != self->generation_) return;
      self->reading_ = false;
      if (ec) {
        if (ec == boost::asio::error::eof)
          return self->fail_all(Error{Errc::io_error,
                                      fmt::format("Redis at {}: the server closed the connection", self->endpoint_.describe()),
                                      {}});
        return self->fail_all(self->io_failure("a read", ec));
      }
      if (auto fed = self->reader_.feed(std::string_view(self->in_.data(), n)); !fed) return self->fail_all(fed.error());
      if (!self->deliver()) return;
      self->read();
    };
    if (tls_) tls_->async_read_some(boost::asio::buffer(in_), std::move(done));
    else socket_.async_read_some(boost::asio::buffer(in_), std::move(done));
  }

  /// Completes the calls whose replies have arrived; false when the connection failed.
  bool deliver() {
    for (;;) {
      auto next = reader_.next();
      if (!next) {
        fail_all(next.error());
        return false;
      }
      if (!*next) return true;
      if (pending_.empty()) {
        fail_all(Error{Errc::parse_error,
                       fmt::format("Redis at {}: a reply came that no command asked for", endpoint_.describe()), {}});
        return false;
      }
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      if (p.login && (**next).is_error()) {
        // Redis's own texts (WRONGPASS, NOAUTH, ERR DB index is out of range) name no secret.
        fail_all(Error{Errc::rejected,
                       fmt::format("Redis at {} refused the login: {}", endpoint_.describe(), (**next).text), {}});
        return false;
      }
      if (p.handler) complete(std::move(p.handler), std::move(**next));
      if (pending_.empty() && watching_) watchdog_.cancel();
    }
  }

  /// Keeps one timer on the oldest call's deadline: a call with no reply by then means the
  /// server (or the path to it) is stuck, and the connection is given up.
  void arm_watchdog() {
    if (watching_ || pending_.empty()) return;
    watching_ = true;
    watchdog_.expires_at(pending_.front().deadline);
    watchdog_.async_wait([self = shared_from_this()](const boost::system::error_code&) {
      self->watching_ = false;
      if (self->pending_.empty()) return;  // cancelled: nothing is in flight
      if (clock::now() >= self->pending_.front().deadline)
        return self->fail_all(Error{Errc::timed_out,
                                    fmt::format("Redis at {}: no reply within the command timeout",
                                                self->endpoint_.describe()),
                                    {}});
      self->arm_watchdog();
    });
  }

  /// Closes the connection and fails every call in flight with `e`; the next call connects
  /// again.
  void fail_all(const Error& e) {
    ++generation_;  // whatever the old socket still completes is ignored
    boost::system::error_code ignored;
    resolver_.cancel();
    if (tls_) tls_->next_layer().close(ignored);
    tls_.reset();
    socket_.close(ignored);
    socket_ = tcp::socket(strand_);
    phase_ = Phase::idle;
    writing_ = false;
    reading_ = false;
    if (watching_) watchdog_.cancel();
    out_.clear();
    sending_.clear();
    reader_ = ReplyReader{};
    auto failed = std::move(pending_);
    pending_.clear();
    for (auto& p : failed)
      if (p.handler) complete(std::move(p.handler), tl::unexpected(e));
  }

  executor_type executor_;
  boost::asio::strand<executor_type> strand_;
  Endpoint endpoint_;
  ConnectOptions options_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  std::optional<boost::asio::ssl::context> tls_context_{};
  std::optional<tls_stream> tls_{};
  boost::asio::steady_timer watchdog_;
  bool watching_ = false;
  Phase phase_ = Phase::idle;
  bool writing_ = false;
  bool reading_ = false;
  std::uint64_t generation_ = 0;
  std::uint64_t next_id_ = 0;
  std::deque<Pending> pending_;
  std::string out_, sending_;
  ReplyReader reader_{};
  std::array<char, 16384> in_{};
  std::atomic<std::uint64_t> writes_{0};
};

}  // namespace governed::redis
