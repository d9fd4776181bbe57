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
/// wait out a connect timeout: it tries again after 100 ms, then 200 ms … up to 5 s, and the
/// first success resets that (reconnect with backoff).

#include <governed/redis/connection.hpp>
#include <governed/redis/reply.hpp>
#include <governed/redis/url.hpp>
#include <governed/result.hpp>

#include <boost/uuid/detail/sha1.hpp>
#include <fmt/format.h>

#include <algorithm>
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

/// A Lua script and its SHA-1, by which servers that have it cached run it.
struct Script {
  std::string source;
  std::string sha1;

  explicit Script(std::string src) : source(std::move(src)), sha1(digest(source)) {}

  static std::string digest(std::string_view text) {
    boost::uuids::detail::sha1 h;
    h.process_bytes(text.data(), text.size());
    boost::uuids::detail::sha1::digest_type d;
    h.get_digest(d);
    return fmt::format("{:08x}{:08x}{:08x}{:08x}{:08x}", d[0], d[1], d[2], d[3], d[4]);
  }
};

/// Where scripts run: one server (`Client`), or a cluster that routes each call by its keys'
/// slot.
class ScriptRunner {
 public:
  virtual ~ScriptRunner() = default;
  /// Runs `script` with `keys` (all in one hash slot) and `args`, and returns its reply.
  virtual Result<Reply> eval(const Script& script, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args) = 0;
  /// Sends `script`'s call without waiting for its reply (read with later traffic).
  virtual Result<void> eval_later(const Script& script, std::span<const std::string_view> keys,
                                  std::span<const std::string_view> args) = 0;
  /// Returns once the server has run everything sent so far with `eval_later`.
  virtual Result<void> flush() = 0;
  /// The server (or cluster) for messages, without its password.
  virtual std::string describe() const = 0;
};

class Client final : public ScriptRunner {
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
  Result<Reply> call(std::span<const std::string_view> args) {
    return with_connection([&](Connection& c) { return c.call(args); });
  }
  Result<Reply> call(std::initializer_list<std::string_view> args) {
    return call(std::span<const std::string_view>(args.begin(), args.size()));
  }

  /// Sends one command whose reply nobody waits for (see `Connection::send_later`).
  Result<void> send_later(std::span<const std::string_view> args) {
    return with_connection([&](Connection& c) { return c.send_later(args); });
  }

  /// Runs `script` with `keys` and `args` by its SHA-1; a server that does not have it (it was
  /// restarted, or its scripts flushed) is given the source and asked again.
  Result<Reply> eval(const Script& script, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args) override {
    return with_connection([&](Connection& c) { return eval_on(c, script, keys, args); });
  }

  /// As `eval`, with the command's reply left to be read later (see `send_later`). It is sent
  /// as EVAL with the source, since a reply nobody waits for could not ask for the script again
  /// after a NOSCRIPT.
  Result<void> eval_later(const Script& script, std::span<const std::string_view> keys,
                          std::span<const std::string_view> args) override {
    return with_connection([&](Connection& c) -> Result<void> {
      std::vector<std::string_view> argv = eval_args("EVAL", script.source, keys, args);
      return c.send_later(argv);
    });
  }

  /// Reads what every idle connection still owes for `send_later` commands (one PING each).
  Result<void> flush() override {
    std::vector<std::unique_ptr<Connection>> owing;
    {
      std::lock_guard lk(mutex_);
      for (auto it = idle_.begin(); it != idle_.end();) {
        if ((*it)->unread() > 0) {
          owing.push_back(std::move(*it));
          it = idle_.erase(it);
        } else {
          ++it;
        }
      }
    }
    Result<void> result;
    for (auto& c : owing) {
      auto r = c->call({"PING"});
      if (!r && result) result = tl::unexpected(r.error());
      give_back(std::move(c), r.has_value());
    }
    return result;
  }

  std::string describe() const override { return endpoint_.describe(); }

  /// Runs `script` on connection `c` (see `eval`).
  Result<Reply> eval_on(Connection& c, const Script& script, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args) {
    std::vector<std::string_view> argv = eval_args("EVALSHA", script.sha1, keys, args);
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
  /// unless it was a refusal by the server, marks the server down for the backoff.
  template <class F>
  auto with_connection(F&& f) -> decltype(f(std::declval<Connection&>())) {
    auto conn = borrow();
    if (!conn) return tl::unexpected(conn.error());
    auto result = f(**conn);
    give_back(std::move(*conn), result.has_value() || result.error().code == Errc::rejected);
    return result;
  }

 private:
  Client(Endpoint endpoint, ClientOptions options) : endpoint_(std::move(endpoint)), options_(std::move(options)) {}

  static std::vector<std::string_view> eval_args(std::string_view command, std::string_view script,
                                                 std::span<const std::string_view> keys,
                                                 std::span<const std::string_view> args) {
    thread_local std::string count;
    count = std::to_string(keys.size());
    std::vector<std::string_view> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.push_back(command);
    argv.push_back(script);
    argv.push_back(count);
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  Result<std::unique_ptr<Connection>> borrow() {
    std::unique_lock lk(mutex_);
    const auto deadline = clock::now() + options_.connect.command_timeout;
    for (;;) {
      if (failures_ > 0 && clock::now() < retry_at_)
        return fail(Errc::io_error, fmt::format("Redis at {} is unreachable (next attempt in {} ms)",
                                                endpoint_.describe(), left_ms(retry_at_)));
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      if (open_ < options_.max_connections) break;
      if (available_.wait_until(lk, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= options_.max_connections)
        return fail(Errc::timed_out, fmt::format("all {} connections to Redis at {} stayed busy",
                                                 options_.max_connections, endpoint_.describe()));
    }
    ++open_;
    lk.unlock();
    auto c = Connection::open(endpoint_, options_.connect);
    if (!c) {
      lk.lock();
      --open_;
      if (c.error().code != Errc::rejected) mark_down(lk, c.error().message);
      available_.notify_one();
      return tl::unexpected(c.error());
    }
    lk.lock();
    mark_up(lk);
    return c;
  }

  void give_back(std::unique_ptr<Connection> c, bool fine) {
    std::unique_lock lk(mutex_);
    if (c->usable()) {
      idle_.push_back(std::move(c));
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
};

}  // namespace governed::redis
