#pragma once
/// @file
/// `redis::Connection`: one connection to a Redis server — plain TCP or TLS — whose I/O runs on
/// the calling thread.
///
/// Each connection owns a small io_context that only the thread using the connection runs, for
/// exactly as long as one exchange takes: a call costs the round trip and no hand-off to another
/// thread, which is what an admission on the hot path can afford. Every wait has a deadline
/// (connect, TLS handshake, each round trip); one that passes closes the connection and is an
/// error, never a hang. A pool (`redis::Client`) lends connections to threads one at a time.
///
/// Requests are pipelined: `send_later` writes a command at once and leaves its reply to be
/// read ahead of the next call's, so work whose answer nobody waits for (a reconciliation after
/// a call) costs no round trip of its own.

#include <governed/redis/reply.hpp>
#include <governed/redis/script.hpp>
#include <governed/redis/url.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace governed::redis {

namespace detail {

/// Makes `ctx` verify the server: TLS 1.2 or later, the certificate chain against `ca_file` or
/// the system's store, and the name `host`.
inline boost::system::error_code verify_server(boost::asio::ssl::context& ctx, const std::string& ca_file,
                                               const std::string& host) {
  boost::system::error_code ec;
  ctx.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                      boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                      boost::asio::ssl::context::no_tlsv1_1,
                  ec);
  ctx.set_verify_mode(boost::asio::ssl::verify_peer, ec);
  if (!ca_file.empty()) ctx.load_verify_file(ca_file, ec);
  else ctx.set_default_verify_paths(ec);
  if (!ec) ctx.set_verify_callback(boost::asio::ssl::host_name_verification(host));
  return ec;
}

/// Sends `host` as the server name (SNI) when it is a name: an address literal is not one.
template <class TlsStream>
void name_server(TlsStream& stream, const std::string& host) {
  if (host.find_first_not_of("0123456789.:") != std::string::npos)
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
}

}  // namespace detail

/// How to reach a server.
struct ConnectOptions {
  /// Resolving, connecting, the TLS handshake and logging in, together.
  Duration connect_timeout = std::chrono::milliseconds{500};
  /// One round trip: a request written and its reply read.
  Duration command_timeout = std::chrono::milliseconds{500};
  /// For rediss://: a CA file to verify the server against instead of the system's store.
  std::string ca_file{};
  /// Told about each error reply to a command sent with `send_later` (nobody else reads it).
  std::function<void(std::string_view)> on_late_error{};
};

/// The arguments of a script call: `command` (EVAL or EVALSHA), the script's source or SHA-1,
/// the key count (`count`, its decimal text), the keys, the arguments.
inline std::vector<std::string_view> script_call(std::string_view command, std::string_view script,
                                                 std::string_view count, std::span<const std::string_view> keys,
                                                 std::span<const std::string_view> args) {
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(command);
  argv.push_back(script);
  argv.push_back(count);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

class Connection {
 public:
  using clock = std::chrono::steady_clock;

  /// Connects, logs in (AUTH) and selects the database.
  static Result<std::unique_ptr<Connection>> open(const Endpoint& endpoint, const ConnectOptions& options) {
    std::unique_ptr<Connection> c(new Connection(endpoint, options));
    if (auto ok = c->start(); !ok) return tl::unexpected(ok.error());
    return c;
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// False once an I/O error, a timeout or a protocol error has closed it.
  bool usable() const noexcept { return !broken_; }
  /// Replies of `send_later` and `eval_later` commands not read yet.
  std::size_t unread() const noexcept { return late_.size(); }
  /// Replies read from the server so far, the login's included: what tells a server that
  /// answers from one that only accepted the connection (a paused or wedged process still
  /// completes TCP handshakes from its listen backlog).
  std::uint64_t replies_read() const noexcept { return replies_read_; }
  const Endpoint& endpoint() const noexcept { return endpoint_; }

  /// Sends `args` and reads its reply (an error reply is a value, not a failure).
  Result<RespReply> call(std::span<const std::string_view> args) {
    out_.clear();
    format_command(out_, args);
    auto replies = exchange(1);
    if (!replies) return tl::unexpected(replies.error());
    return std::move(replies->front());
  }
  Result<RespReply> call(std::initializer_list<std::string_view> args) {
    return call(std::span<const std::string_view>(args.begin(), args.size()));
  }

  /// Writes `requests` (`count` commands, made with `format_command`) at once and reads their
  /// replies, in order.
  Result<std::vector<RespReply>> pipeline(std::string_view requests, std::size_t count) {
    out_.assign(requests);
    return exchange(count);
  }

  /// Writes `args` now; its reply is read, and reported to `on_late_error` if it is an error,
  /// before the next call's.
  Result<void> send_later(std::span<const std::string_view> args) {
    out_.clear();
    format_command(out_, args);
    const auto deadline = clock::now() + options_.command_timeout;
    if (auto w = write(deadline); !w) return w;
    late_.emplace_back();
    return {};
  }

  /// As `send_later`, running `script` with `keys` and `args`.
  /// The first time on this connection the script goes as EVAL with its source, which leaves it
  /// cached on the server; after that as EVALSHA, a few dozen bytes instead of the source and
  /// no digest of it for the server to compute. Should the server answer NOSCRIPT all the same
  /// (a `SCRIPT FLUSH` since), the call is sent again with the source as soon as that reply is
  /// read: after the call that read it instead of before, but not lost. `script` must outlive
  /// the reply (scripts are static).
  Result<void> eval_later(const Script& script, std::span<const std::string_view> keys,
                          std::span<const std::string_view> args) {
    const bool cached = std::find(cached_.begin(), cached_.end(), script.sha1) != cached_.end();
    const std::string count = std::to_string(keys.size());
    const auto argv = cached ? script_call("EVALSHA", script.sha1, count, keys, args)
                             : script_call("EVAL", script.source, count, keys, args);
    out_.clear();
    format_command(out_, argv);
    const auto deadline = clock::now() + options_.command_timeout;
    if (auto w = write(deadline); !w) return w;
    if (cached) {
      late_.push_back(Late{&script, out_});
    } else {
      cached_.push_back(script.sha1);
      late_.emplace_back();
    }
    return {};
  }

  /// Closes the socket; the connection is unusable afterwards.
  void close() noexcept {
    boost::system::error_code ec;
    lowest().close(ec);
    broken_ = true;
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using tls_stream = boost::asio::ssl::stream<tcp::socket>;

  Connection(const Endpoint& endpoint, const ConnectOptions& options)
      : endpoint_(endpoint), options_(options), socket_(io_) {}

  tcp::socket& lowest() noexcept { return tls_ ? tls_->next_layer() : socket_; }

  Error io_failure(std::string_view what, const boost::system::error_code& ec) {
    return Error{Errc::io_error,
                 fmt::format("Redis at {}: {} failed ({})", endpoint_.describe(), what, ec.message()), {}};
  }

  /// Runs the operation `start` begins (it takes a completion handler `(error_code, size_t)`)
  /// on this thread until it completes or `deadline` passes, which closes the connection.
  template <class Start>
  Result<std::size_t> run(std::string_view what, clock::time_point deadline, Start&& start) {
    bool done = false;
    boost::system::error_code result;
    std::size_t bytes = 0;
    start([&](const boost::system::error_code& ec, std::size_t n) {
      done = true;
      result = ec;
      bytes = n;
    });
    io_.restart();
    while (!done) {
      if (io_.run_one_until(deadline) == 0 && !done) {
        // Out of time: closing the socket completes the operation (aborted), so nothing is
        // left to run on this io_context once the connection is gone.
        close();
        io_.restart();
        while (!done && io_.run_one() > 0) {
        }
        return fail(Errc::timed_out, fmt::format("Redis at {}: {} did not finish in time", endpoint_.describe(), what));
      }
    }
    if (result) {
      broken_ = true;
      return tl::unexpected(io_failure(what, result));
    }
    return bytes;
  }

  Result<void> write(clock::time_point deadline) {
    if (broken_) return fail(Errc::io_error, fmt::format("Redis at {}: the connection is closed", endpoint_.describe()));
    if (direct_) return write_direct(deadline);
    auto r = run("a write", deadline, [&](auto handler) {
      if (tls_) boost::asio::async_write(*tls_, boost::asio::buffer(out_), std::move(handler));
      else boost::asio::async_write(socket_, boost::asio::buffer(out_), std::move(handler));
    });
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  /// The next reply from the server.
  Result<RespReply> read(clock::time_point deadline) {
    for (;;) {
      auto next = reader_.next();
      if (!next) {
        close();
        return tl::unexpected(next.error());
      }
      if (*next) {
        ++replies_read_;
        return std::move(**next);
      }
      auto n = direct_ ? read_direct(deadline) : run("a read", deadline, [&](auto handler) {
        if (tls_) tls_->async_read_some(boost::asio::buffer(in_), std::move(handler));
        else socket_.async_read_some(boost::asio::buffer(in_), std::move(handler));
      });
      if (!n) return tl::unexpected(n.error());
      if (auto fed = reader_.feed(std::string_view(in_.data(), *n)); !fed) {
        close();
        return tl::unexpected(fed.error());
      }
    }
  }

  /// Writes `out_`, reads what earlier `send_later` commands left unread, then `count` replies.
  Result<std::vector<RespReply>> exchange(std::size_t count) {
    const auto deadline = clock::now() + options_.command_timeout;
    if (auto w = write(deadline); !w) return tl::unexpected(w.error());
    std::string again;  // later scripts the server no longer had, with their source
    std::size_t resent = 0;
    for (const auto& sent : late_) {
      auto late = read(deadline);
      if (!late) {
        late_.clear();
        return tl::unexpected(late.error());
      }
      if (!late->is_error()) continue;
      if (sent.script && late->error_code() == "NOSCRIPT") {
        append_with_source(again, *sent.script, sent.command);
        ++resent;
      } else if (options_.on_late_error) {
        options_.on_late_error(late->text);
      }
    }
    late_.clear();
    std::vector<RespReply> replies;
    replies.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      auto r = read(deadline);
      if (!r) return tl::unexpected(r.error());
      replies.push_back(std::move(*r));
    }
    if (resent > 0) send_again(std::move(again), resent, deadline);
    return replies;
  }

  /// `command`, an EVALSHA of `script` as `eval_later` formatted it, as EVAL with the source.
  static void append_with_source(std::string& out, const Script& script, std::string_view command) {
    // "*<argc>\r\n" stays; the next two bulk strings ("$7\r\nEVALSHA\r\n", "$40\r\n<sha1>\r\n")
    // become EVAL and the source; the rest (key count, keys, arguments) is kept as it was.
    std::size_t at = command.find("\r\n") + 2;
    const auto head = command.substr(0, at);
    for (int bulk = 0; bulk < 2; ++bulk) {
      const auto line = command.find("\r\n", at);
      std::size_t length = 0;
      std::from_chars(command.data() + at + 1, command.data() + line, length);
      at = line + 2 + length + 2;
    }
    out.append(head);
    fmt::format_to(std::back_inserter(out), "$4\r\nEVAL\r\n${}\r\n", script.source.size());
    out.append(script.source).append("\r\n").append(command.substr(at));
  }

  /// Writes `requests` (`count` EVALs sent again after a NOSCRIPT) and reads their replies. The
  /// call that found them is answered already, so a failure here is told to `on_late_error`
  /// (and closes the connection), not returned.
  void send_again(std::string requests, std::size_t count, clock::time_point deadline) {
    out_ = std::move(requests);
    auto lost = [&](const Error& e) {
      if (options_.on_late_error) options_.on_late_error(fmt::format("a script call sent again was lost: {}", e.message));
    };
    if (auto w = write(deadline); !w) return lost(w.error());
    for (std::size_t i = 0; i < count; ++i) {
      auto r = read(deadline);
      if (!r) return lost(r.error());
      if (r->is_error() && options_.on_late_error) options_.on_late_error(r->text);
    }
  }

  Result<void> start() {
    const auto deadline = clock::now() + options_.connect_timeout;
    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    bool resolved = false;
    boost::system::error_code rec;
    resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                           [&](const boost::system::error_code& ec, tcp::resolver::results_type r) {
                             resolved = true;
                             rec = ec;
                             endpoints = std::move(r);
                           });
    io_.restart();
    while (!resolved) {
      if (io_.run_one_until(deadline) == 0 && !resolved) {
        resolver.cancel();
        io_.restart();
        while (!resolved && io_.run_one() > 0) {
        }
        broken_ = true;
        return fail(Errc::timed_out, fmt::format("Redis at {}: resolving the host took too long", endpoint_.describe()));
      }
    }
    if (rec) {
      broken_ = true;
      return tl::unexpected(io_failure("resolving the host", rec));
    }
    auto connected = run("connecting", deadline, [&](auto handler) {
      boost::asio::async_connect(socket_, endpoints,
                                 [h = std::move(handler)](const boost::system::error_code& ec, const tcp::endpoint&) mutable {
                                   h(ec, 0);
                                 });
    });
    if (!connected) return tl::unexpected(connected.error());
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);  // requests are small and waited for
    if (endpoint_.tls) {
      if (auto ok = handshake(deadline); !ok) return ok;
    }
    // Log in and choose the database in one round trip.
    out_.clear();
    std::size_t count = 0;
    if (!endpoint_.password.empty()) {
      if (endpoint_.user.empty()) format_command(out_, {"AUTH", endpoint_.password});
      else format_command(out_, {"AUTH", endpoint_.user, endpoint_.password});
      ++count;
    }
    const std::string db = std::to_string(endpoint_.db);
    if (endpoint_.db != 0) {
      format_command(out_, {"SELECT", db});
      ++count;
    }
    if (count == 0) {
      if (!endpoint_.tls) go_direct();
      return {};
    }
    const auto saved = options_.command_timeout;
    options_.command_timeout = std::max(Duration{0}, std::chrono::duration_cast<Duration>(deadline - clock::now()));
    auto replies = exchange(count);
    options_.command_timeout = saved;
    if (!replies) return tl::unexpected(replies.error());
    for (const auto& r : *replies) {
      if (!r.is_error()) continue;
      close();
      // Redis's own texts (WRONGPASS, NOAUTH, ERR DB index is out of range) name no secret.
      return fail(Errc::rejected, fmt::format("Redis at {} refused the login: {}", endpoint_.describe(), r.text));
    }
    if (!endpoint_.tls) go_direct();
    return {};
  }

  /// The plain-TCP path once connected: blocking send and recv on the socket's descriptor, with
  /// the command timeout as the socket's send and receive timeouts — two system calls a round
  /// trip, as a bare hiredis connection makes, where an Asio operation driven from here costs
  /// an epoll round and handler dispatch besides. Connecting, TLS and logging in stay Asio's.
  void go_direct() {
    boost::system::error_code ec;
    socket_.native_non_blocking(false, ec);
    if (ec) return;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(options_.command_timeout).count();
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(us / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
    if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;  // 0 would mean "no timeout"
    const int fd = socket_.native_handle();
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
      return;
    direct_ = true;
  }

  Error direct_failure(std::string_view what, int err) {
    close();
    if (err == EAGAIN || err == EWOULDBLOCK)
      return Error{Errc::timed_out, fmt::format("Redis at {}: {} did not finish in time", endpoint_.describe(), what), {}};
    return io_failure(what, boost::system::error_code(err, boost::system::system_category()));
  }

  Result<void> write_direct(clock::time_point deadline) {
    const int fd = socket_.native_handle();
    std::size_t done = 0;
    while (done < out_.size()) {
      const ssize_t n = ::send(fd, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return tl::unexpected(direct_failure("a write", errno));
      }
      done += static_cast<std::size_t>(n);
      if (done < out_.size() && clock::now() > deadline) return tl::unexpected(direct_failure("a write", EAGAIN));
    }
    return {};
  }

  Result<std::size_t> read_direct(clock::time_point deadline) {
    if (clock::now() > deadline) return tl::unexpected(direct_failure("a read", EAGAIN));
    const int fd = socket_.native_handle();
    for (;;) {
      const ssize_t n = ::recv(fd, in_.data(), in_.size(), 0);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) {
        close();
        return fail(Errc::io_error, fmt::format("Redis at {}: the server closed the connection", endpoint_.describe()));
      }
      if (errno == EINTR) continue;
      return tl::unexpected(direct_failure("a read", errno));
    }
  }

  Result<void> handshake(clock::time_point deadline) {
    tls_context_.emplace(boost::asio::ssl::context::tls_client);
    if (auto ec = detail::verify_server(*tls_context_, options_.ca_file, endpoint_.host)) {
      broken_ = true;
      return tl::unexpected(io_failure("loading the CA certificates", ec));
    }
    tls_.emplace(std::move(socket_), *tls_context_);
    detail::name_server(*tls_, endpoint_.host);
    auto shaken = run("the TLS handshake", deadline, [&](auto handler) {
      tls_->async_handshake(boost::asio::ssl::stream_base::client,
                            [h = std::move(handler)](const boost::system::error_code& e) mutable { h(e, 0); });
    });
    if (!shaken) return tl::unexpected(shaken.error());
    return {};
  }

  Endpoint endpoint_;
  ConnectOptions options_;
  boost::asio::io_context io_{1};
  tcp::socket socket_;
  std::optional<boost::asio::ssl::context> tls_context_{};
  std::optional<tls_stream> tls_{};
  ReplyReader reader_{};
  std::string out_{};
  std::array<char, 16384> in_{};
  /// A command sent for later whose reply is not read yet; for an EVALSHA, the script and the
  /// command as sent, to send again with the source after a NOSCRIPT.
  struct Late {
    const Script* script = nullptr;
    std::string command{};
  };
  std::vector<Late> late_{};
  /// The SHA-1s of the scripts this connection has sent with their source.
  std::vector<std::string> cached_{};
  std::uint64_t replies_read_ = 0;
  bool broken_ = false;
  bool direct_ = false;  ///< plain TCP, connected: see `go_direct`
};

}  // namespace governed::redis
