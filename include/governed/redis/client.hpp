#pragma once
/// @file
/// `redis::Client`: a bounded pool of connections to one Redis server, shared by every thread
/// of a process, with Lua scripts run by their SHA-1 and a memory of the server being down.
///
/// ```cpp
/// auto redis = governed::redis::Client::make("redis://:secret@10.0.0.5:6379/0");
/// auto pong = (*redis)->call({"PING"});
/// ```
///
/// A call borrows a connection (opening one while fewer than `max_connections` exist, else
/// waiting for one to come back), runs on the calling thread, and returns it. When the server
/// can not be reached, the client says so at once for a while instead of letting every call
/// wait out a timeout: it tries again after 100 ms, then 200 ms … up to 5 s (reconnect with
/// backoff), with one call at a time — the probe — while the others are still told at once.
/// The server is back when a command is answered, not when TCP connects: a paused or wedged
/// redis-server still accepts connections from its listen backlog, and counting that as back
/// would flap the events and make every call wait out the command timeout again.

#include <governed/redis/async_connection.hpp>
#include <governed/redis/connection.hpp>
#include <governed/redis/reply.hpp>
#include <governed/redis/script.hpp>
#include <governed/redis/url.hpp>
#include <governed/result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/execution_context.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace governed::redis {

struct ClientOptions {
  ConnectOptions connect{};
  /// Connections open at once; a call that finds all of them lent waits for one.
  std::size_t max_connections = 16;
  /// Reconnect backoff while the server is unreachable: the first retry after `retry_min`,
  /// doubling to `retry_max`.
  Duration retry_min = std::chrono::milliseconds{100};
  Duration retry_max = std::chrono::seconds{5};
  /// Told when the server becomes unreachable and when it answers again (one message each way,
  /// naming the server without its password).
  std::function<void(std::string_view)> on_event{};
};

namespace detail {

/// The asynchronous connections made on one execution context (an io_context, a thread pool),
/// one per `Client`, kept by the context itself: they go when it shuts down, so no socket
/// outlives the context it belongs to, and a client that is gone has its connection closed at
/// the next lookup.
class AsyncConnections final : public boost::asio::execution_context::service {
 public:
  using key_type = AsyncConnections;
  static inline boost::asio::execution_context::id id;

  explicit AsyncConnections(boost::asio::execution_context& context) : service(context) {}

  /// The connection of the client whose liveness is `owner`, made by `make` the first time.
  template <class Make>
  std::shared_ptr<AsyncConnection> get(const std::shared_ptr<const int>& owner, Make&& make) {
    std::lock_guard lk(m_);
    std::shared_ptr<AsyncConnection> found;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->owner.expired()) {
        it->connection->close();
        it = entries_.erase(it);
        continue;
      }
      if (!it->owner.owner_before(owner) && !owner.owner_before(it->owner)) found = it->connection;
      ++it;
    }
    if (!found) {
      found = make();
      entries_.push_back({owner, found});
    }
    return found;
  }

 private:
  struct Entry {
    std::weak_ptr<const int> owner;
    std::shared_ptr<AsyncConnection> connection;
  };

  // The context is going: its sockets' services are shut down already, its queued handlers
  // (which hold the connections too) are being dropped. Letting go here lets each connection
  // close while the services still exist.
  void shutdown() override {
    std::lock_guard lk(m_);
    entries_.clear();
  }

  std::mutex m_;
  std::vector<Entry> entries_;
};

}  // namespace detail

/// Where scripts run: one server (`Client`), or a cluster that routes each call by its keys'
/// slot.
class ScriptRunner {
 public:
  virtual ~ScriptRunner() = default;
  /// Runs `script` with `keys` (all in one hash slot) and `args`, and returns its reply.
  virtual Result<RespReply> eval(const Script& script, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args) = 0;
  /// Sends `script`'s call without waiting for its reply (read with later traffic).
  virtual Result<void> eval_later(const Script& script, std::span<const std::string_view> keys,
                                  std::span<const std::string_view> args) = 0;
  /// Returns once the server has run everything sent so far with `eval_later`.
  virtual Result<void> flush() = 0;

  /// The reply to an `async_eval`.
  using EvalHandler = boost::asio::any_completion_handler<void(Result<RespReply>)>;
  /// As `eval`, without blocking: `done` runs with the reply on `executor`. `keys` and `args`
  /// are copied before this returns. This default runs `eval` here and posts its reply; a
  /// runner with connections of its own on the executor does better.
  virtual void async_eval(const Script& script, std::span<const std::string_view> keys,
                          std::span<const std::string_view> args, boost::asio::any_io_executor executor,
                          EvalHandler done) {
    boost::asio::post(executor, [r = eval(script, keys, args), done = std::move(done)]() mutable {
      std::move(done)(std::move(r));
    });
  }
  /// The server (or cluster) for messages, without its password.
  virtual std::string describe() const = 0;
  /// Whether the last attempt to reach the server failed and no call has had an answer since:
  /// background work (a refresh nobody waits for) then stays away, leaving finding out whether
  /// the server answers again to the calls' own probe. A cluster says false: its nodes keep
  /// their own backoff.
  virtual bool unreachable() const { return false; }
};

class Client final : public ScriptRunner, public std::enable_shared_from_this<Client> {
 public:
  using clock = std::chrono::steady_clock;

  /// A client for the server at `url`; nothing is connected until the first call, so an
  /// application starts while Redis is down.
  static Result<std::shared_ptr<Client>> make(std::string_view url, ClientOptions options = {}) {
    auto endpoint = parse_url(url);
    if (!endpoint) return tl::unexpected(endpoint.error());
    return make(std::move(*endpoint), std::move(options));
  }
  static Result<std::shared_ptr<Client>> make(Endpoint endpoint, ClientOptions options = {}) {
    if (options.max_connections == 0) return fail(Errc::invalid_argument, "a Redis client needs at least one connection");
    if (options.retry_min <= Duration{0} || options.retry_max < options.retry_min)
      return fail(Errc::invalid_argument, "the Redis reconnect backoff must be positive and retry_max ≥ retry_min");
    return std::shared_ptr<Client>(new Client(std::move(endpoint), std::move(options)));
  }

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Endpoint& endpoint() const noexcept { return endpoint_; }
  const ClientOptions& options() const noexcept { return options_; }

  /// Runs one command on a pooled connection.
  Result<RespReply> call(std::span<const std::string_view> args) {
    return with_connection([&](Connection& c) { return c.call(args); });
  }
  Result<RespReply> call(std::initializer_list<std::string_view> args) {
    return call(std::span<const std::string_view>(args.begin(), args.size()));
  }

  /// Sends one command whose reply nobody waits for (see `Connection::send_later`).
  Result<void> send_later(std::span<const std::string_view> args) {
    return with_connection([&](Connection& c) { return c.send_later(args); });
  }

  /// Runs `script` with `keys` and `args` by its SHA-1; a server that does not have it (it was
  /// restarted, or its scripts flushed) is given the source and asked again.
  Result<RespReply> eval(const Script& script, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args) override {
    return with_connection([&](Connection& c) { return eval_on(c, script, keys, args); });
  }

  /// As `eval`, with the command's reply left to be read later (see `Connection::eval_later`:
  /// the source goes once a connection, the SHA-1 after that).
  Result<void> eval_later(const Script& script, std::span<const std::string_view> keys,
                          std::span<const std::string_view> args) override {
    return with_connection([&](Connection& c) -> Result<void> {
      return c.eval_later(script, keys, args);
    });
  }

  /// Reads what every idle connection still owes for `send_later` commands (one PING each).
  Result<void> flush() override {
    std::vector<Lent> owing;
    {
      std::lock_guard lk(mutex_);
      for (auto it = idle_.begin(); it != idle_.end();) {
        if ((*it)->unread() > 0) {
          owing.push_back(Lent{std::move(*it), false});
          it = idle_.erase(it);
        } else {
          ++it;
        }
      }
    }
    Result<void> result;
    for (auto& lent : owing) {
      const auto before = lent.connection->replies_read();
      auto r = lent.connection->call({"PING"});
      if (!r && result) result = tl::unexpected(r.error());
      const bool answered = lent.connection->replies_read() > before;
      give_back(std::move(lent), answered, r.has_value());
    }
    return result;
  }

  /// As `eval`, on a connection of this client's that runs on `executor`'s execution context
  /// (one per context, made at its first call), pipelined with every other call in flight
  /// there. The reconnect backoff is the blocking calls': while the server is marked down, the
  /// call fails at once, unless it is the one probe due.
  void async_eval(const Script& script, std::span<const std::string_view> keys, std::span<const std::string_view> args,
                  boost::asio::any_io_executor executor, EvalHandler done) override {
    std::shared_ptr<AsyncConnection> conn;
    bool probe = false;
    {
      std::unique_lock lk(mutex_);
      auto pass = may_call(lk);
      if (!pass) {
        lk.unlock();
        boost::asio::post(executor, [down = std::move(pass).error(), done = std::move(done)]() mutable {
          std::move(done)(tl::unexpected(std::move(down)));
        });
        return;
      }
      probe = *pass;
    }
    auto& context = boost::asio::query(executor, boost::asio::execution::context);
    conn = boost::asio::use_service<detail::AsyncConnections>(context).get(alive_, [&] {
      return AsyncConnection::make(executor, endpoint_, options_.connect);
    });
    conn->async_eval(script, keys, args, [weak = weak_from_this(), probe, done = std::move(done)](Result<RespReply> r) mutable {
      if (auto self = weak.lock()) {
        std::unique_lock lk(self->mutex_);
        if (probe) self->probing_ = false;
        // A reply (or the server's refusal) is an answer; a cancellation says nothing.
        if (r || r.error().code == Errc::rejected) self->mark_up(lk);
        else if (r.error().code != Errc::cancelled) self->mark_down(lk, r.error().message);
      }
      std::move(done)(std::move(r));
    });
  }

  std::string describe() const override { return endpoint_.describe(); }

  /// Runs `script` on connection `c` (see `eval`).
  Result<RespReply> eval_on(Connection& c, const Script& script, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args) {
    const std::string count = std::to_string(keys.size());
    const auto argv = script_call("EVALSHA", script.sha1, count, keys, args);
    auto r = c.call(argv);
    if (!r || r->error_code() != "NOSCRIPT") return r;
    auto loaded = c.call({"SCRIPT", "LOAD", script.source});
    if (!loaded) return loaded;
    if (loaded->is_error())
      return fail(Errc::rejected, fmt::format("Redis at {} refused a script: {}", endpoint_.describe(), loaded->text));
    return c.call(argv);
  }

  /// Whether the last attempt to reach the server failed and the next is not due yet.
  bool down() const {
    std::lock_guard lk(mutex_);
    return failures_ > 0 && clock::now() < retry_at_;
  }

  bool unreachable() const override {
    std::lock_guard lk(mutex_);
    return failures_ > 0;
  }

  /// Calls let through to a server marked down to find out whether it answers again, since
  /// the client was made: while it stays down, one per backoff, every other call told at once.
  std::uint64_t probes() const {
    std::lock_guard lk(mutex_);
    return probes_;
  }

  /// Connections open now (lent or idle).
  std::size_t open_connections() const {
    std::lock_guard lk(mutex_);
    return open_;
  }

  /// Closes every idle connection (the lent ones close when they come back broken or are
  /// dropped): after a server restart, the next calls start on fresh connections.
  void drop_idle() {
    std::lock_guard lk(mutex_);
    open_ -= idle_.size();
    idle_.clear();
    available_.notify_all();
  }

  /// Runs `f(Connection&)` on a borrowed connection. A failure closes that connection and,
  /// unless it was a refusal by the server, marks the server down for the backoff; a reply
  /// read on it marks the server up.
  template <class F>
  auto with_connection(F&& f) -> decltype(f(std::declval<Connection&>())) {
    auto lent = borrow();
    if (!lent) return tl::unexpected(lent.error());
    const auto before = lent->connection->replies_read();
    auto result = f(*lent->connection);
    const bool answered = lent->connection->replies_read() > before;
    give_back(std::move(*lent), answered, result.has_value() || result.error().code == Errc::rejected);
    return result;
  }

 private:
  Client(Endpoint endpoint, ClientOptions options) : endpoint_(std::move(endpoint)), options_(std::move(options)) {}

  /// A connection lent to one call; `probe`: the call that finds out whether a server marked
  /// down answers again.
  struct Lent {
    std::unique_ptr<Connection> connection;
    bool probe = false;
  };

  /// Whether a call may go to the server now, and whether it is the probe; the error it gets
  /// at once when the server is marked down and a probe is not due (or one is under way).
  Result<bool> may_call(std::unique_lock<std::mutex>&) {
    if (failures_ == 0) return false;
    if (clock::now() < retry_at_)
      return fail(Errc::io_error, fmt::format("Redis at {} is unreachable (next attempt in {} ms)", endpoint_.describe(),
                                              left_ms(retry_at_)));
    if (probing_)
      return fail(Errc::io_error,
                  fmt::format("Redis at {} is unreachable (a call is finding out whether it answers again)",
                              endpoint_.describe()));
    probing_ = true;
    ++probes_;
    return true;
  }

  Result<Lent> borrow() {
    std::unique_lock lk(mutex_);
    const auto deadline = clock::now() + options_.connect.command_timeout;
    auto pass = may_call(lk);
    if (!pass) return tl::unexpected(std::move(pass).error());
    const bool probe = *pass;
    auto refuse = [&](Error e) -> Result<Lent> {
      if (probe) probing_ = false;
      return tl::unexpected(std::move(e));
    };
    for (;;) {
      if (!probe && failures_ > 0 && clock::now() < retry_at_)  // marked down while this call waited
        return refuse(Error{Errc::io_error, fmt::format("Redis at {} is unreachable (next attempt in {} ms)",
                                                        endpoint_.describe(), left_ms(retry_at_)), {}});
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return Lent{std::move(c), probe};
      }
      if (open_ < options_.max_connections) break;
      if (available_.wait_until(lk, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= options_.max_connections)
        return refuse(Error{Errc::timed_out, fmt::format("all {} connections to Redis at {} stayed busy",
                                                         options_.max_connections, endpoint_.describe()), {}});
    }
    ++open_;
    lk.unlock();
    auto c = Connection::open(endpoint_, options_.connect);
    lk.lock();
    if (!c) {
      --open_;
      if (c.error().code != Errc::rejected) mark_down(lk, c.error().message);
      available_.notify_one();
      return refuse(c.error());
    }
    // Connected is not answered: a login the server replied to is; else the call decides.
    if ((*c)->replies_read() > 0) mark_up(lk);
    return Lent{std::move(*c), probe};
  }

  /// Takes back a lent connection: `answered`, the server replied on it; `fine`, the call
  /// ended without a failure of the server's (a refusal is one of its answers).
  void give_back(Lent lent, bool answered, bool fine) {
    std::unique_lock lk(mutex_);
    if (lent.probe) probing_ = false;
    if (answered) mark_up(lk);
    if (lent.connection->usable()) {
      idle_.push_back(std::move(lent.connection));
    } else {
      --open_;
      if (!fine) mark_down(lk, "a connection failed");
    }
    available_.notify_one();
  }

  long long left_ms(clock::time_point t) const {
    return std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(t - clock::now()).count());
  }

  void mark_down(std::unique_lock<std::mutex>&, std::string_view why) {
    Duration wait = options_.retry_min;
    for (unsigned i = 0; i < failures_ && wait < options_.retry_max; ++i) wait *= 2;
    wait = std::min(wait, options_.retry_max);
    const bool was_up = failures_ == 0;
    ++failures_;
    retry_at_ = clock::now() + wait;
    // Connections that still look fine were made to the same server: after a failure they are
    // suspect (a restarted server closed them all), so they are not lent again.
    open_ -= idle_.size();
    idle_.clear();
    if (was_up && options_.on_event)
      options_.on_event(fmt::format("Redis at {} is unreachable: {}", endpoint_.describe(), why));
  }

  void mark_up(std::unique_lock<std::mutex>&) {
    if (failures_ == 0) return;
    failures_ = 0;
    if (options_.on_event) options_.on_event(fmt::format("Redis at {} answers again", endpoint_.describe()));
  }

  Endpoint endpoint_;
  ClientOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
  unsigned failures_ = 0;
  clock::time_point retry_at_{};
  /// A call is finding out whether the server marked down answers again (see `may_call`).
  bool probing_ = false;
  std::uint64_t probes_ = 0;
  /// Expires with the client: the contexts' connection registries then close its connections.
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

}  // namespace governed::redis
