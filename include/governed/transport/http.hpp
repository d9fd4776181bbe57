#pragma once
/// @file
/// `transport::http`: attempts sent to the real providers over HTTPS (Boost.Beast over
/// Asio SSL), whole or streamed, blocking or asynchronous.
///
/// Each attempt speaks its provider's dialect (`dialect/request.hpp`, by the provider
/// table's dialect) at the attempt's base URL, with the attempt's key in the provider's
/// auth header — borrowed for the attempt, never kept after it nor written anywhere. The
/// reply's status, headers (names lower-case) and body go to the classifier as they came;
/// when no usable reply came, `Reply::failure` says how far the attempt got, and so whether
/// the provider can have the request (see `transport/detail/http_exchange.hpp`), with
/// `Reply::failure_detail` in words.
///
/// HTTPS peers are verified against the system's CA store (or `HttpOptions::ca_pem` /
/// `ca_file`), with SNI and a host-name check; plain http:// only to loopback unless
/// `allow_plain_http`. Connections are kept alive in a bounded pool per origin; each
/// attempt has connect, TLS handshake, first-byte and total timeouts, and size limits on
/// headers, body and stream events. `HTTPS_PROXY`/`NO_PROXY` are honoured through CONNECT.
///
/// A blocking `send` or `stream` runs its attempt on the calling thread, on an io_context
/// of that thread's own, with no hand-over to another thread and back; asynchronous attempts
/// run on the transport's I/O thread (or the executor it was given). Both draw on the same
/// pool: a connection is moved to whichever io_context takes it next.
///
/// ```cpp
/// auto t = std::make_shared<transport::http>();         // its own I/O thread, for async_send
/// Governed<transport::http> g{state, t};
/// auto r = g.send(request);                              // on this thread; or g.async_send(request, token)
///
/// transport::Reply s = t->stream(attempt, [](std::string_view piece) { std::cout << piece; });
/// ```
///
/// Link OpenSSL (`OpenSSL::SSL`, `OpenSSL::Crypto`) when including this header.

#include <governed/transport/detail/http_exchange.hpp>
#include <governed/result.hpp>
#include <governed/transport/concept.hpp>
#include <governed/transport/http_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace governed::transport {

class http {
 private:
  /// The cancellation slot's handler: hands the cancellation to the exchange's strand.
  struct Canceller {
    std::weak_ptr<detail::HttpExchange> x;
    void operator()(boost::asio::cancellation_type) const {
      if (auto self = x.lock()) boost::asio::post(self->strand(), [self] { self->cancel(); });
    }
  };

  /// An exchange for an asynchronous attempt: on the transport's executor.
  std::shared_ptr<detail::HttpExchange> async_exchange(const Attempt& a, bool stream, ChunkSink sink) const {
    std::shared_ptr<void> keep;
    if (owned_) keep = std::shared_ptr<void>(owned_, &owned_->io);
    return std::make_shared<detail::HttpExchange>(core_, core_->ex, std::move(keep), false, a, stream,
                                                  std::move(sink));
  }

  template <class Token>
  auto start(std::shared_ptr<detail::HttpExchange> x, Token&& token) {
    return boost::asio::async_initiate<Token, void(Reply)>(
        [core = core_](auto handler, std::shared_ptr<detail::HttpExchange> x) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          if (slot.is_connected()) slot.template emplace<Canceller>(Canceller{x});
          // Work on the handler's executor is tracked until it has run, as Asio's own
          // operations do, so a caller's io_context.run() does not return early.
          auto work = boost::asio::prefer(boost::asio::get_associated_executor(handler, core->ex),
                                          boost::asio::execution::outstanding_work.tracked);
          if (!core->track(x)) x->cancel();
          boost::asio::co_spawn(
              x->strand(), x->run(),
              [x, handler = std::move(handler), work = std::move(work)](std::exception_ptr e) mutable {
                if (e) {
                  try {
                    std::rethrow_exception(e);
                  } catch (const std::exception& ex) {
                    x->abandon(std::string("the exchange failed: ") + ex.what());
                  } catch (...) {
                    x->abandon("the exchange failed");
                  }
                }
                // On the handler's executor, where its slot may be touched, the canceller
                // goes, then the handler runs.
                boost::asio::dispatch(work, [handler = std::move(handler), r = std::move(x->reply)]() mutable {
                  auto slot = boost::asio::get_associated_cancellation_slot(handler);
                  if (slot.is_connected()) slot.clear();
                  std::move(handler)(std::move(r));
                });
              });
        },
        token, std::move(x));
  }

 public:
  using executor_type = boost::asio::any_io_executor;
  /// Each reply's body is read in the provider's dialect (`Reply::completion`, `Reply::error`).
  static constexpr bool reads_replies = true;

  /// A transport with its own I/O thread (one thread serves every connection: the work is
  /// waiting, not computing).
  explicit http(HttpOptions options = {}, const providers::Table& table = providers::builtin_table())
      : owned_(std::make_shared<Owned>()) {
    core_ = std::make_shared<detail::HttpCore>(owned_->io.get_executor(), std::move(options), table);
    // The thread shares its io_context: when the last owner of the transport lets go on this
    // very thread (a completion handler holding the last reference), the io_context must
    // outlive the run() it is inside; it goes when that run returns.
    owned_->thread = std::thread([owned = owned_, core = core_.get()] {
      io_thread_of() = core;
      owned->io.run();
    });
  }

  /// A transport doing its asynchronous I/O on `ex` (an io_context's executor, a thread
  /// pool's); the blocking `send` and `stream` still run on the calling thread, which may be
  /// one running `ex` (it is then held for the attempt). `ex`'s execution context must
  /// outlive the transport.
  explicit http(executor_type ex, HttpOptions options = {}, const providers::Table& table = providers::builtin_table())
      : core_(std::make_shared<detail::HttpCore>(std::move(ex), std::move(options), table)) {}

  /// A transport with its own I/O thread, or the error that would make every attempt fail
  /// (a CA file that does not load).
  static Result<std::shared_ptr<http>> create(HttpOptions options = {},
                                              const providers::Table& table = providers::builtin_table()) {
    auto t = std::make_shared<http>(std::move(options), table);
    if (auto e = t->error()) return tl::unexpected(*e);
    return t;
  }

  http(const http&) = delete;
  http& operator=(const http&) = delete;

  /// Cancels attempts still running (they complete as cancelled) and closes every connection.
  ~http() {
    core_->stop();
    if (owned_) {
      owned_->work.reset();
      if (owned_->thread.get_id() == std::this_thread::get_id()) owned_->thread.detach();
      else if (owned_->thread.joinable()) owned_->thread.join();
    }
  }

  /// Why attempts can not be made, when the options are unusable.
  std::optional<Error> error() const {
    if (core_->config_error.empty()) return std::nullopt;
    return Error{Errc::invalid_argument, core_->config_error, {}};
  }

  /// One attempt, completing with `void(Reply)` through any completion token (a callback,
  /// `use_future`, `use_awaitable`, `deferred`); the handler runs on its associated executor
  /// (default: the transport's). The token's cancellation slot, when connected, cancels the
  /// attempt: it completes at once with `Reply::cancelled` and a `failure` saying how far it
  /// had got. The attempt's request and key are read before this returns, also when no
  /// token is given and the operation is returned `asio::deferred`, to be launched later.
  template <boost::asio::completion_token_for<void(Reply)> Token = boost::asio::deferred_t>
  auto async_send(const Attempt& a, Token&& token = {}) {
    return start(async_exchange(a, false, ChunkSink{}), std::forward<Token>(token));
  }

  /// The streamed attempt, asynchronously: `on_chunk` as for `stream`, then `void(Reply)`.
  template <boost::asio::completion_token_for<void(Reply)> Token = boost::asio::deferred_t>
  auto async_stream(const Attempt& a, ChunkSink on_chunk, Token&& token = {}) {
    return start(async_exchange(a, true, std::move(on_chunk)), std::forward<Token>(token));
  }

  /// One attempt, blocking until the reply has been read. It runs on the calling thread
  /// (its connect, TLS handshake, timeouts and reads), with a connection from the shared
  /// pool; the transport's destructor cancels it as it does asynchronous ones. Refused on
  /// the transport's own I/O thread.
  Reply send(const Attempt& a) {
    if (io_thread_of() == core_.get()) return refused_on_io_thread();
    return here(a, false, ChunkSink{});
  }

  /// One attempt streamed: each piece of text goes to `on_chunk` as it arrives — on the
  /// calling thread, one call at a time, in order, while the attempt's own timers wait; it
  /// should not block — and the reply carries `streamed` (the text, the final usage, the
  /// pieces delivered). (`async_stream` calls `on_chunk` on the transport's I/O thread.)
  Reply stream(const Attempt& a, ChunkSink on_chunk) {
    if (io_thread_of() == core_.get()) return refused_on_io_thread(true);
    return here(a, true, std::move(on_chunk));
  }

  executor_type get_executor() const noexcept { return core_->ex; }
  const HttpOptions& options() const noexcept { return core_->options; }

  /// Idle keep-alive connections held for `base_url`'s origin (for tests and metrics).
  std::size_t idle_connections(std::string_view base_url) const {
    auto u = wire::parse_url(base_url);
    if (!u) return 0;
    auto route = core_->route(*u);
    return route ? core_->pool.idle(route->origin) : 0;
  }

 private:
  struct Owned {
    boost::asio::io_context io{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread;
  };

  /// The io_context each thread runs its blocking attempts on, made on its first one. The
  /// connections made on it keep it alive after the thread has ended.
  struct CallerIo {
    std::shared_ptr<boost::asio::io_context> io = std::make_shared<boost::asio::io_context>(1);
    bool busy = false;
  };

  static CallerIo& caller_io() {
    thread_local CallerIo here;
    return here;
  }

  /// A blocking attempt, run to its end on the calling thread.
  Reply here(const Attempt& a, bool stream, ChunkSink sink) {
    CallerIo& home = caller_io();
    // A blocking attempt started from inside another on this thread (a chunk callback that
    // sends) gets an io_context of its own: the thread's is being run further up the stack.
    std::shared_ptr<boost::asio::io_context> io =
        home.busy ? std::make_shared<boost::asio::io_context>(1) : home.io;
    struct Busy {
      CallerIo& home;
      bool was;
      ~Busy() { home.busy = was; }
    } busy{home, std::exchange(home.busy, true)};

    auto x = std::make_shared<detail::HttpExchange>(core_, io->get_executor(), io, true, a, stream, std::move(sink));
    std::optional<Reply> out;
    if (!core_->track(x)) x->cancel();
    boost::asio::co_spawn(x->strand(), x->run(), [x, &out](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          x->abandon(std::string("the exchange failed: ") + ex.what());
        } catch (...) {
          x->abandon("the exchange failed");
        }
      }
      out.emplace(std::move(x->reply));
    });
    io->restart();
    io->run();  // returns when the exchange and its timer are done: nothing else runs here
    if (!out) {
      x->abandon("the exchange did not complete");
      return std::move(x->reply);
    }
    return std::move(*out);
  }

  /// The transport whose I/O thread this is, if any.
  static const detail::HttpCore*& io_thread_of() {
    thread_local const detail::HttpCore* core = nullptr;
    return core;
  }

  static Reply refused_on_io_thread(bool stream = false) {
    Reply r;
    r.failure = providers::NetworkFailure::connect_refused;
    r.failure_detail = "send() or stream() was called on the transport's own I/O thread, which it would hold "
                       "for the whole attempt, stalling every other; use async_send there";
    if (stream) r.streamed.emplace();
    return r;
  }

  std::shared_ptr<Owned> owned_;
  std::shared_ptr<detail::HttpCore> core_;
};

static_assert(Transport<http>);
static_assert(StreamingTransport<http>);

}  // namespace governed::transport
