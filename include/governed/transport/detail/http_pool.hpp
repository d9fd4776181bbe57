#pragma once
/// @file
/// `transport::http`'s connections and its keep-alive pool.
///
/// A connection is a TCP socket, or a TLS stream over one, to one origin (scheme, host,
/// port, and the proxy it was made through). After a reply read to its end with keep-alive,
/// it goes back to the pool; the next attempt to that origin takes the most recently used
/// one (its server is least likely to have dropped it). Before reuse, a connection must be
/// young enough and quiet: a server that closed it, or sent anything unasked (a `408`, a
/// TLS alert), has made it useless, and writing a request into it would lose the request
/// in a way that can not be told apart from a server that took it.
///
/// One pool serves every thread an attempt runs on: the transport's I/O thread (or the
/// executor it was given) for asynchronous attempts, and each calling thread's own
/// io_context for blocking ones. A connection taken on another io_context than the one it
/// was last used on is moved there (`rebind`) before use.

#include <governed/time.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace governed::detail {

struct HttpConnection {
  using tcp = boost::asio::ip::tcp;
  using tls_stream = boost::beast::ssl_stream<tcp::socket>;

  /// The origin it is connected to (the pool's key).
  std::string origin;
  /// Keep alive, when the transport or a calling thread owns them, the io_context the
  /// connection was made on (a TLS stream's internal timers stay there) and the one its
  /// socket is registered with now: either may belong to a thread that has since ended.
  /// Declared before the streams, so they go after them.
  std::shared_ptr<void> made_on, bound_to;
  tcp protocol = tcp::v4();
  std::optional<tcp::socket> plain;
  std::optional<tls_stream> tls;
  std::chrono::steady_clock::time_point idle_since{};
  /// Requests it has carried.
  std::uint32_t requests = 0;
  /// What has been read and not yet parsed (empty between replies), and the space a body is
  /// read into, kept with the connection so that a reused one reads without allocating.
  static constexpr std::size_t chunk_size = 16 * 1024;
  boost::beast::flat_buffer buffer;
  std::unique_ptr<char[]> chunk;

  tcp::socket& socket() noexcept { return tls ? tls->next_layer() : *plain; }

  /// Whether the peer has said nothing since the last reply and not closed: a non-blocking
  /// peek finds no byte and no end of stream.
  bool quiet() noexcept {
    auto& s = socket();
    if (!s.is_open()) return false;
    if (tls && SSL_pending(tls->native_handle()) > 0) return false;  // decrypted and unread
#if defined(__unix__) || defined(__APPLE__)
    char c;
    const auto n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;  // closed by the peer
    if (n > 0) return false;   // unasked bytes: a 408, a TLS alert, garbage
    return errno == EAGAIN || errno == EWOULDBLOCK;
#else
    boost::system::error_code ec;
    return s.available(ec) == 0 && !ec;
#endif
  }

  /// Moves the socket to `ex`'s io_context (a no-op when it is there already): the
  /// descriptor leaves the old reactor and joins the new one, with its TLS session, if any,
  /// untouched. Only between exchanges, with no operation pending. False when the socket
  /// could not be moved; it is closed then.
  bool rebind(const boost::asio::any_io_executor& ex, std::shared_ptr<void> keep) noexcept {
    auto& s = socket();
    if (s.get_executor() == ex) return true;
    boost::system::error_code ec;
    const auto fd = s.release(ec);
    if (ec) {
      close();
      return false;
    }
    try {
      tcp::socket moved(ex);
      moved.assign(protocol, fd, ec);
      if (!ec) {
        s = std::move(moved);
        bound_to = std::move(keep);
        return true;
      }
    } catch (...) {
    }
#if defined(__unix__) || defined(__APPLE__)
    ::close(fd);
#endif
    return false;
  }

  void close() noexcept {
    boost::system::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
  }
};

/// Idle connections per origin, at most `max_idle` each. Thread-safe.
class HttpPool {
 public:
  HttpPool(std::size_t max_idle, Duration idle_timeout) : max_idle_(max_idle), idle_timeout_(idle_timeout) {}

  /// A reusable connection to `origin`, or null. Stale and noisy ones are closed on the way.
  std::unique_ptr<HttpConnection> take(const std::string& origin) {
    std::vector<std::unique_ptr<HttpConnection>> dead;
    std::unique_ptr<HttpConnection> found;
    {
      std::lock_guard lock(m_);
      auto it = idle_.find(origin);
      if (it == idle_.end()) return nullptr;
      auto& list = it->second;
      const auto now = std::chrono::steady_clock::now();
      while (!list.empty()) {
        auto c = std::move(list.back());
        list.pop_back();
        if (now - c->idle_since <= idle_timeout_ && c->quiet()) {
          found = std::move(c);
          break;
        }
        dead.push_back(std::move(c));
      }
      if (list.empty()) idle_.erase(it);
    }
    for (auto& c : dead) c->close();
    return found;
  }

  /// Keeps `c` for reuse, or closes it when the pool is full or shut.
  void give(std::unique_ptr<HttpConnection> c) {
    c->idle_since = std::chrono::steady_clock::now();
    std::unique_ptr<HttpConnection> evicted;
    {
      std::lock_guard lock(m_);
      if (!closed_ && max_idle_ > 0) {
        auto& list = idle_[c->origin];
        if (list.size() >= max_idle_) {
          evicted = std::move(list.front());  // the oldest goes
          list.erase(list.begin());
        }
        list.push_back(std::move(c));
      }
    }
    if (evicted) evicted->close();
    if (c) c->close();
  }

  /// Closes every idle connection and keeps none from now on.
  void shut() {
    std::unordered_map<std::string, std::vector<std::unique_ptr<HttpConnection>>> all;
    {
      std::lock_guard lock(m_);
      closed_ = true;
      all.swap(idle_);
    }
    for (auto& [k, list] : all)
      for (auto& c : list) c->close();
  }

  /// Idle connections held for `origin`.
  std::size_t idle(const std::string& origin) const {
    std::lock_guard lock(m_);
    auto it = idle_.find(origin);
    return it == idle_.end() ? 0 : it->second.size();
  }

 private:
  mutable std::mutex m_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<HttpConnection>>> idle_;
  std::size_t max_idle_;
  Duration idle_timeout_;
  bool closed_ = false;
};

}  // namespace governed::detail
