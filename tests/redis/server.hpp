#pragma once
// What the Redis tests run against: a redis-server of the test's own on a free loopback port
// (redis::LocalServer), a server that never answers or answers garbage, and a local Redis
// Cluster.

#include <governed/redis/backend.hpp>
#include <governed/redis/connection.hpp>
#include <governed/redis/local_server.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace governed_test {

/// A redis-server of the test's own (see redis::LocalServer): `start` gives it or the reason
/// there is none.
using RedisServer = governed::redis::LocalServer;

/// A TCP server on loopback that accepts connections and then either says nothing or writes
/// `reply` once, on a thread of its own.
class SilentServer {
 public:
  explicit SilentServer(std::string reply = {}) : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    reply_ = std::move(reply);
    thread_ = std::thread([this] {
      boost::system::error_code ec;
      for (;;) {
        boost::asio::ip::tcp::socket s(io_);
        acceptor_.accept(s, ec);
        if (ec || stop_) return;
        if (!reply_.empty()) boost::asio::write(s, boost::asio::buffer(reply_), ec);
        held_.push_back(std::move(s));
      }
    });
  }
  ~SilentServer() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url() const { return fmt::format("redis://127.0.0.1:{}", acceptor_.local_endpoint().port()); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string reply_;
  std::atomic<bool> stop_{false};
  std::vector<boost::asio::ip::tcp::socket> held_;
  std::thread thread_;
};


/// Backend options for a test's server on loopback: short timeouts and a short reconnect
/// backoff, so a test that kills the server sees the failure and the recovery quickly.
inline governed::redis::BackendOptions quick_backend_options(
    std::string name_space, unsigned replicas = 1,
    governed::SharedFailure failure = governed::SharedFailure::fail_open) {
  governed::redis::BackendOptions o;
  o.name_space = std::move(name_space);
  o.replicas = replicas;
  o.on_failure = failure;
  o.client.connect.connect_timeout = std::chrono::milliseconds{300};
  o.client.connect.command_timeout = std::chrono::milliseconds{300};
  o.client.retry_min = std::chrono::milliseconds{20};
  o.client.retry_max = std::chrono::milliseconds{40};
  return o;
}

/// A namespace no other test (or earlier run) has used on a server.
inline std::string fresh_namespace(std::string_view test) {
  static int n = 0;
  return fmt::format("{}-{}-{}", test, ::getpid(), ++n);
}

}  // namespace governed_test

/// Starts a server for one test case, or says why the test is skipped.
#define GOVERNED_REDIS_SERVER(name, ...)                                       \
  auto name##_started = governed_test::RedisServer::start(__VA_ARGS__);      \
  if (!name##_started) {                                                     \
    WARN("redis-server is not installed or did not start: test skipped");    \
    return;                                                                  \
  }                                                                          \
  auto& name = *name##_started

namespace governed_test {

/// A Redis Cluster of the test's own: `n` redis-server processes in cluster mode on loopback,
/// the 16 384 slots split evenly between them (masters only), formed by hand — config epochs,
/// ADDSLOTSRANGE, MEET — which takes a fraction of the time `redis-cli --cluster create` spends
/// waiting. Commands sent through `call` go to one node, unrouted.
class RedisCluster {
 public:
  static std::optional<RedisCluster> start(std::size_t n = 3) {
    RedisCluster c;
    for (std::size_t i = 0; i < n; ++i) {
      // The bus port is chosen rather than left at port + 10 000, which passes 65 535 for half
      // the ports the system hands out. Nodes keep serving their slots while another is down
      // (a test kills one).
      const std::uint16_t bus = bus_port();
      auto s = RedisServer::start({"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                   "--cluster-port", std::to_string(bus), "--cluster-node-timeout", "5000",
                                   "--cluster-require-full-coverage", "no"});
      if (!s) return std::nullopt;
      c.nodes_.push_back(std::move(*s));
      c.buses_.push_back(bus);
    }
    c.links_.resize(n);
    if (!c.form()) return std::nullopt;
    return c;
  }

  std::size_t size() const noexcept { return nodes_.size(); }
  RedisServer& node(std::size_t i) { return nodes_[i]; }
  /// Every node's URL: the seeds of a `redis::Cluster`.
  std::vector<std::string> seed_urls() const {
    std::vector<std::string> out;
    for (const auto& s : nodes_) out.push_back(s.url());
    return out;
  }
  /// The node listening on `port`, or size().
  std::size_t index_of(std::uint16_t port) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].port() == port) return i;
    return nodes_.size();
  }

  /// Sends a command to node `i` on a connection kept for the test.
  governed::Result<governed::redis::RespReply> call(std::size_t i, std::initializer_list<std::string_view> args) {
    return call(i, std::span<const std::string_view>(args.begin(), args.size()));
  }
  governed::Result<governed::redis::RespReply> call(std::size_t i, std::span<const std::string_view> args) {
    if (!links_[i] || !links_[i]->usable()) {
      governed::redis::ConnectOptions o;
      o.connect_timeout = std::chrono::seconds{2};
      o.command_timeout = std::chrono::seconds{5};
      auto c = governed::redis::Connection::open(nodes_[i].endpoint(), o);
      if (!c) return tl::unexpected(c.error());
      links_[i] = std::move(*c);
    }
    return links_[i]->call(args);
  }

  /// What the last command that failed said, for a test's message.
  const std::string& last_error() const noexcept { return last_error_; }

  /// Node `i`'s cluster id.
  std::string id(std::size_t i) {
    auto r = call(i, {"CLUSTER", "MYID"});
    return r ? r->text : std::string{};
  }

  /// The node serving `slot`, as node `asking` sees it (size() when none).
  std::size_t owner(std::uint16_t slot, std::size_t asking = 0) {
    auto r = call(asking, {"CLUSTER", "SLOTS"});
    if (!r) return nodes_.size();
    for (const auto& range : r->elements)
      if (range.elements.size() >= 3 && range.elements[0].integer <= slot && slot <= range.elements[1].integer)
        return index_of(static_cast<std::uint16_t>(range.elements[2].elements[1].integer));
    return nodes_.size();
  }

  /// Starts moving `slot` from node `from` to node `to`: keys not on `from` any more are asked
  /// for on `to` (ASK) until `finish_move`.
  bool begin_move(std::uint16_t slot, std::size_t from, std::size_t to) {
    const std::string s = std::to_string(slot);
    const std::string from_id = id(from), to_id = id(to);
    return ok(call(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id})) &&
           ok(call(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}));
  }

  /// Carries the slot's keys over (MIGRATE) and gives every node the new owner: `from` answers
  /// MOVED from then on — the steps of `redis-cli --cluster reshard` for one slot.
  bool finish_move(std::uint16_t slot, std::size_t from, std::size_t to) {
    const std::string s = std::to_string(slot);
    const std::string port = std::to_string(nodes_[to].port());
    for (;;) {
      auto keys = call(from, {"CLUSTER", "GETKEYSINSLOT", s, "100"});
      if (!keys || keys->type != governed::redis::RespReply::Type::array) return false;
      if (keys->elements.empty()) break;
      std::vector<std::string_view> argv{"MIGRATE", "127.0.0.1", port, "", "0", "5000", "KEYS"};
      for (const auto& k : keys->elements) argv.push_back(k.text);
      if (!ok(call(from, std::span<const std::string_view>(argv)))) return false;
    }
    const std::string to_id = id(to);
    if (!ok(call(to, {"CLUSTER", "SETSLOT", s, "NODE", to_id}))) return false;
    if (!ok(call(from, {"CLUSTER", "SETSLOT", s, "NODE", to_id}))) return false;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (i != from && i != to && !ok(call(i, {"CLUSTER", "SETSLOT", s, "NODE", to_id}))) return false;
    return true;
  }

 private:
  RedisCluster() = default;

  bool ok(const governed::Result<governed::redis::RespReply>& r) {
    if (!r) last_error_ = r.error().message;
    else if (r->is_error()) last_error_ = r->text;
    return r && !r->is_error();
  }

  /// A free loopback port for a node's cluster bus.
  static std::uint16_t bus_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  bool form() {
    const std::size_t n = nodes_.size();
    constexpr std::size_t slots = 16384;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string epoch = std::to_string(i + 1);
      const std::string lo = std::to_string(i * slots / n);
      const std::string hi = std::to_string((i + 1) * slots / n - 1);
      if (!ok(call(i, {"CLUSTER", "SET-CONFIG-EPOCH", epoch}))) return false;
      if (!ok(call(i, {"CLUSTER", "ADDSLOTSRANGE", lo, hi}))) return false;
    }
    // Every node meets every other itself: no round of gossip to wait for.
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j)
        if (!ok(call(i, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(nodes_[j].port()), std::to_string(buses_[j])})))
          return false;
    // Formed when every node knows every other and sees all slots served.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (std::size_t i = 0; i < n && all; ++i) {
        auto info = call(i, {"CLUSTER", "INFO"});
        all = info && info->text.find("cluster_state:ok") != std::string::npos &&
              info->text.find(fmt::format("cluster_known_nodes:{}\r", n)) != std::string::npos &&
              info->text.find("cluster_slots_ok:16384\r") != std::string::npos;
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return false;
  }

  std::vector<RedisServer> nodes_;
  std::vector<std::uint16_t> buses_;
  std::vector<std::unique_ptr<governed::redis::Connection>> links_;
  std::string last_error_;
};

}  // namespace governed_test

/// Starts a 3-node cluster for one test case, or says why the test is skipped.
#define GOVERNED_REDIS_CLUSTER(name)                                                       \
  auto name##_started = governed_test::RedisCluster::start();                              \
  if (!name##_started) {                                                                   \
    WARN("redis-server is not installed or its cluster did not form: test skipped");       \
    return;                                                                                \
  }                                                                                        \
  auto& name = *name##_started
