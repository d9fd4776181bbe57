// Limit sets on a Redis Cluster: keys hashed to slots as the servers hash them, each set's
// script sent to the master serving its slot, redirections followed while a slot moves, one node
// down failing only its own slots — and the exactness of one limit shared by several processes,
// as on a single server.
#include <governed/redis/cluster.hpp>

#include <governed/limit_store.hpp>

#include "server.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using governed::Cost;
using governed::Errc;
using governed::Instant;
using governed::LimitKey;
using governed::LimitSetConfig;
using governed::LimitStore;
using governed::SharedFailure;
using governed::redis::Cluster;
using governed::redis::key_slot;

namespace {

governed::redis::BackendOptions cluster_backend_options(std::string_view test,
                                                        SharedFailure failure = SharedFailure::fail_closed) {
  governed::redis::BackendOptions o;
  o.name_space = governed_test::fresh_namespace(test);
  o.on_failure = failure;
  // Generous: a node killed by a test refuses connections at once, and a machine busy with a
  // sanitizer build must not turn a slow reply into a failure.
  o.client.connect.connect_timeout = 2s;
  o.client.connect.command_timeout = 2s;
  o.client.retry_min = 20ms;
  o.client.retry_max = 40ms;
  return o;
}

LimitSetConfig cluster_rpm(std::uint64_t n, double headroom) {
  LimitSetConfig c;
  c.requests_per_minute = n;
  c.headroom = headroom;
  return c;
}

/// The key of a set of group `group` (a LimitKey views its names: `group` must outlive it).
LimitKey group_key(std::string_view group) { return LimitKey{"openai", "org-cluster-account", group}; }

/// One "process" on the cluster: its backend (and so its own node clients) and its store.
struct ClusterProcess {
  ClusterProcess(governed_test::RedisCluster& nodes, const governed::redis::BackendOptions& options)
      : backend(governed::redis::cluster_backend(nodes.seed_urls(), options).value()),
        cluster(dynamic_cast<Cluster&>(backend->redis())) {}

  governed::LimitSet<>& set(const LimitKey& key, const LimitSetConfig& c) {
    auto s = store.find_or_create(key, c, backend.get(), false);
    REQUIRE(s);
    return **s;
  }

  /// The hash slot of the set `key`'s Redis keys.
  std::uint16_t slot(const LimitKey& key) const { return key_slot(backend->prefix(key)); }

  std::shared_ptr<governed::redis::Backend> backend;
  Cluster& cluster;
  LimitStore<> store;
};

/// How many of `n` admissions at `t` the set admits; every answer must come from the cluster.
int admitted_of(governed::LimitSet<>& s, int n, Instant t) {
  int admitted = 0;
  for (int i = 0; i < n; ++i) {
    auto r = s.admit(Cost{1, 0, 0}, t);
    if (!r) FAIL("admission " << i << " failed: " << r.error().message);
    if (r->admitted) {
      CHECK(r->shared);
      ++admitted;
    }
  }
  return admitted;
}

/// Groups whose limit sets live on node `node` of `nodes`, in distinct slots.
std::vector<std::string> groups_on(governed_test::RedisCluster& nodes, const ClusterProcess& p, std::size_t node,
                                   std::size_t count) {
  std::vector<std::string> out;
  std::set<std::uint16_t> slots;
  for (int i = 0; out.size() < count && i < 10000; ++i) {
    std::string g = fmt::format("group-{}", i);
    const auto slot = p.slot(group_key(g));
    if (nodes.owner(slot) == node && slots.insert(slot).second) out.push_back(std::move(g));
  }
  REQUIRE(out.size() == count);
  return out;
}

/// Whether a step of moving a slot worked; the servers' complaint when it did not.
bool resharded(const governed_test::RedisCluster& nodes, bool done) {
  if (!done) UNSCOPED_INFO("the cluster refused: " << nodes.last_error());
  return done;
}

/// A node's clock, in µs.
std::int64_t cluster_node_time(governed_test::RedisCluster& nodes, std::size_t node) {
  auto t = nodes.call(node, {"TIME"});
  REQUIRE(t);
  REQUIRE(t->elements.size() == 2);
  return std::stoll(t->elements[0].text) * 1'000'000 + std::stoll(t->elements[1].text);
}

}  // namespace

TEST_CASE("key_slot is the CRC16 (XMODEM) of the hash tag modulo 16384, as the Redis Cluster spec says",
          "[redis][cluster]") {
  CHECK(governed::redis::crc16("123456789") == 0x31C3);
  CHECK(governed::redis::crc16("") == 0);
  CHECK(key_slot("123456789") == 0x31C3);
  CHECK(key_slot("foo") == 12182);
  CHECK(key_slot("") == 0);
  CHECK(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
  CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
  // The spec's edge cases: the first '{' and the next '}'; an empty tag hashes the whole key.
  CHECK(governed::redis::hash_tag("foo{}{bar}") == "foo{}{bar}");
  CHECK(governed::redis::hash_tag("foo{{bar}}zap") == "{bar");
  CHECK(governed::redis::hash_tag("foo{bar}{zap}") == "bar");
  CHECK(governed::redis::hash_tag("{no close") == "{no close");
  CHECK(governed::redis::hash_tag("close} {") == "close} {");
  CHECK(key_slot("foo{bar}{zap}") == key_slot("bar"));
}

TEST_CASE("MOVED and ASK replies are read; other errors are not redirections", "[redis][cluster]") {
  using governed::redis::parse_redirect;
  using governed::redis::RespReply;
  const auto error = [](std::string text) {
    RespReply r;
    r.type = RespReply::Type::error;
    r.text = std::move(text);
    return r;
  };
  auto moved = parse_redirect(error("MOVED 3999 127.0.0.1:6381"), "10.0.0.1");
  REQUIRE(moved);
  CHECK_FALSE(moved->ask);
  CHECK(moved->slot == 3999);
  CHECK(moved->host == "127.0.0.1");
  CHECK(moved->port == 6381);
  auto ask = parse_redirect(error("ASK 16383 redis-2.internal:7000"), "10.0.0.1");
  REQUIRE(ask);
  CHECK(ask->ask);
  CHECK(ask->slot == 16383);
  CHECK(ask->host == "redis-2.internal");
  // An unknown endpoint means the node the call went to; IPv6 keeps its colons.
  CHECK(parse_redirect(error("MOVED 1 :6380"), "10.0.0.1")->host == "10.0.0.1");
  auto v6 = parse_redirect(error("MOVED 1 ::1:7001"), "x");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 7001);
  for (const char* bad : {"MOVED", "MOVED 1", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0",
                          "MOVED 1 h:70000", "ASK -1 h:1", "MOVEDX 1 h:1", "ERR MOVED 1 h:1", "TRYAGAIN"})
    CHECK_FALSE(parse_redirect(error(bad), "x"));
  RespReply status;
  status.type = RespReply::Type::status;
  status.text = "MOVED 1 h:1";
  CHECK_FALSE(parse_redirect(status, "x"));
}

TEST_CASE("a cluster client refuses bad seeds and calls it can not route, and never shows the password",
          "[redis][cluster]") {
  CHECK(Cluster::make({}).error().code == Errc::invalid_argument);
  CHECK(Cluster::make({"redis://127.0.0.1:7000/1"}).error().message.find("database 0") != std::string::npos);
  auto mixed = Cluster::make({"redis://:hunter2@127.0.0.1:7000", "redis://127.0.0.1:7001"});
  REQUIRE_FALSE(mixed);
  CHECK(mixed.error().message.find("hunter2") == std::string::npos);
  CHECK_FALSE(Cluster::make({"http://127.0.0.1:7000"}));

  governed::redis::ClientOptions quick;
  quick.connect.connect_timeout = 300ms;
  quick.retry_min = 20ms;
  quick.retry_max = 40ms;
  auto cluster = Cluster::make({"redis://:hunter2@127.0.0.1:1", "redis://:hunter2@127.0.0.1:2"}, quick);
  REQUIRE(cluster);
  CHECK((*cluster)->describe().find("hunter2") == std::string::npos);
  const governed::redis::Script script{"return 1"};
  const std::array<std::string_view, 2> spread{"{a}:x", "{b}:x"};
  auto refused = (*cluster)->eval(script, spread, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::invalid_argument);
  CHECK(refused.error().message.find("hash tag") != std::string::npos);
  // Nothing listens on ports 1 and 2: an error naming the cluster, not its password.
  const std::array<std::string_view, 2> tagged{"{a}:x", "{a}:y"};
  auto unreachable = (*cluster)->eval(script, tagged, {});
  REQUIRE_FALSE(unreachable);
  CHECK(unreachable.error().code != Errc::invalid_argument);
  CHECK(unreachable.error().message.find("hunter2") == std::string::npos);
  CHECK(unreachable.error().message.find("127.0.0.1") != std::string::npos);
  CHECK_FALSE((*cluster)->eval_later(script, tagged, {}));
}

TEST_CASE("key_slot agrees with the servers' CLUSTER KEYSLOT for random keys", "[redis][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  std::mt19937 random(20261201);
  std::uniform_int_distribution<int> length(0, 24), byte(0, 255), pick(0, 5);
  for (int i = 0; i < 300; ++i) {
    std::string key;
    const int n = length(random);
    for (int j = 0; j < n; ++j) {
      // Braces often, so that hash tags of every shape turn up.
      const int p = pick(random);
      key.push_back(p == 0 ? '{' : p == 1 ? '}' : static_cast<char>(byte(random)));
    }
    auto server = nodes.call(static_cast<std::size_t>(i) % nodes.size(), {"CLUSTER", "KEYSLOT", key});
    REQUIRE(server);
    REQUIRE(server->type == governed::redis::RespReply::Type::integer);
    INFO("key #" << i << " of " << key.size() << " bytes");
    CHECK(key_slot(key) == server->integer);
  }
}

TEST_CASE("limit sets of several keys land on different nodes, and each admits exactly its burst",
          "[redis][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  const auto options = cluster_backend_options("spread");
  ClusterProcess a(nodes, options), b(nodes, options);
  std::vector<std::string> groups;
  for (std::size_t node = 0; node < nodes.size(); ++node)
    for (auto& g : groups_on(nodes, a, node, 2)) groups.push_back(std::move(g));
  const auto c = cluster_rpm(60, 0.5);  // burst 30
  const Instant t0{1h};
  for (const auto& g : groups) {
    const LimitKey key = group_key(g);
    // Two processes on one set: 30 between them, whichever node serves it.
    const int admitted = admitted_of(a.set(key, c), 20, t0) + admitted_of(b.set(key, c), 20, t0);
    INFO("group " << g);
    CHECK(admitted == 30);
    // The set's keys are on the node its slot names, and that is the node the client uses.
    const auto slot = a.slot(key);
    const std::size_t owner = nodes.owner(slot);
    const auto seen = a.cluster.node_of(slot);
    REQUIRE(seen);
    CHECK(nodes.index_of(seen->port) == owner);
    const std::string rpm_key = a.backend->prefix(key) + ":rpm";
    auto exists = nodes.call(owner, {"EXISTS", rpm_key});
    REQUIRE(exists);
    INFO("slot " << slot << " owner " << owner << " EXISTS " << rpm_key << ": " << exists->text);
    CHECK(exists->integer == 1);
  }
  CHECK(a.cluster.counters().moved == 0);
  CHECK(a.cluster.counters().asked == 0);
}

TEST_CASE("a slot moving to another node: ASK is followed for the call, MOVED updates the map",
          "[redis][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  auto made = Cluster::make(nodes.seed_urls(), cluster_backend_options("ask").client);
  REQUIRE(made);
  Cluster& cluster = **made;
  // A one-key script: a call on a slot being moved runs where its key is.
  const governed::redis::Script count{"-- governed test: count\nreturn redis.call('INCR', KEYS[1])"};
  const std::string key = "{cluster-ask}:count";
  const std::array<std::string_view, 1> keys{key};
  const auto slot = key_slot(key);
  const auto incr = [&] {
    auto r = cluster.eval(count, keys, {});
    if (!r) FAIL(r.error().message);
    return r->integer;
  };
  const std::size_t from = nodes.owner(slot), to = (from + 1) % nodes.size();
  REQUIRE(from < nodes.size());
  // Mid-move, the key not yet on its old node: that node answers ASK, the new one runs the
  // script after ASKING (loading it first: it has never seen it), and the map stays.
  REQUIRE(resharded(nodes, nodes.begin_move(slot, from, to)));
  CHECK(incr() == 1);
  CHECK(incr() == 2);
  CHECK(cluster.counters().asked == 2);
  CHECK(cluster.counters().moved == 0);
  CHECK(nodes.index_of(cluster.node_of(slot)->port) == from);
  // The move done: the old node answers MOVED, the map is read again and used from then on.
  REQUIRE(resharded(nodes, nodes.finish_move(slot, from, to)));
  CHECK(incr() == 3);
  CHECK(incr() == 4);
  CHECK(cluster.counters().moved == 1);
  CHECK(cluster.counters().asked == 2);
  CHECK(nodes.index_of(cluster.node_of(slot)->port) == to);
}

TEST_CASE("threads calling through a slot's move lose no call and count none twice", "[redis][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  auto made = Cluster::make(nodes.seed_urls(), cluster_backend_options("threads-moving").client);
  REQUIRE(made);
  Cluster& cluster = **made;
  const governed::redis::Script count{"-- governed test: count\nreturn redis.call('INCR', KEYS[1])"};
  const std::string key = "{cluster-threads}:count";
  const std::array<std::string_view, 1> keys{key};
  const auto slot = key_slot(key);
  const std::size_t from = nodes.owner(slot), to = (from + 1) % nodes.size();
  REQUIRE(from < nodes.size());
  // The map read, and the key made, before the move: every thread's calls meet it.
  REQUIRE(cluster.eval(count, keys, {}));
  std::atomic<bool> moved{false};
  std::atomic<int> done{1}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      // Until 50 calls of this thread have gone through after the move, so each has met MOVED.
      for (int after = 0; after < 50;) {
        const bool late = moved.load();
        if (cluster.eval(count, keys, {})) ++done;
        else ++errors;
        if (late) ++after;
      }
    });
  const bool moved_ok = nodes.begin_move(slot, from, to) && nodes.finish_move(slot, from, to);
  moved = true;
  for (auto& t : threads) t.join();
  REQUIRE(resharded(nodes, moved_ok));
  CHECK(errors == 0);
  auto total = nodes.call(to, {"GET", key});
  REQUIRE(total);
  CHECK(std::stoll(total->text) == done.load());
  CHECK(cluster.counters().moved >= 1);
  CHECK(nodes.index_of(cluster.node_of(slot)->port) == to);
}

TEST_CASE("a call whose keys are split mid-move is sent again until the move is done, not failed",
          "[redis][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  auto made = Cluster::make(nodes.seed_urls(), cluster_backend_options("tryagain").client);
  REQUIRE(made);
  Cluster& cluster = **made;
  // Two keys of one slot, as a limit set's dimensions are.
  const governed::redis::Script both{
      "-- governed test: both\nreturn {redis.call('INCR', KEYS[1]), redis.call('INCR', KEYS[2])}"};
  const std::string first = "{cluster-split}:rpm", second = "{cluster-split}:tpm";
  const std::array<std::string_view, 2> keys{first, second};
  const auto slot = key_slot(first);
  REQUIRE(cluster.eval(both, keys, {}));
  const std::size_t from = nodes.owner(slot), to = (from + 1) % nodes.size();
  REQUIRE(from < nodes.size());
  REQUIRE(resharded(nodes, nodes.begin_move(slot, from, to)));
  // One key carried over, the other not yet: neither node can run the call.
  const std::string port = std::to_string(nodes.node(to).port());
  auto carried = nodes.call(from, {"MIGRATE", "127.0.0.1", port, "", "0", "5000", "KEYS", first});
  REQUIRE(carried);
  REQUIRE_FALSE(carried->is_error());
  std::optional<governed::Result<governed::redis::RespReply>> got;
  std::thread caller([&] { got = cluster.eval(both, keys, {}); });
  // The rest of the move lands once the call has met TRYAGAIN and is being tried again.
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (cluster.counters().tried_again == 0 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  const bool finished = nodes.finish_move(slot, from, to);
  caller.join();
  REQUIRE(resharded(nodes, finished));
  REQUIRE(got);
  REQUIRE(*got);
  REQUIRE((*got)->elements.size() == 2);
  CHECK((*got)->elements[0].integer == 2);
  CHECK((*got)->elements[1].integer == 2);
  CHECK(cluster.counters().tried_again >= 1);
}

TEST_CASE("a limit set whose slot moves with its keys keeps its count on the new node", "[redis][cluster]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  ClusterProcess p(nodes, cluster_backend_options("resharding"));
  const auto groups = groups_on(nodes, p, 0, 1);
  const LimitKey moving = group_key(groups.front());
  const auto c = cluster_rpm(60, 0.5);  // burst 30
  const Instant t0{1h};
  auto& s = p.set(moving, c);
  REQUIRE(admitted_of(s, 10, t0) == 10);
  const auto slot = p.slot(moving);
  REQUIRE(resharded(nodes, nodes.begin_move(slot, 0, 2)));
  // Mid-move, its keys are split (its count is on node 0, its health key exists nowhere yet):
  // no node can run the script until the move is done, and the set says so (fail-closed).
  auto mid = s.admit(Cost{1, 0, 0}, t0);
  REQUIRE_FALSE(mid);
  CHECK(mid.error().message.find("moving hash slot") != std::string::npos);
  REQUIRE(resharded(nodes, nodes.finish_move(slot, 0, 2)));
  // Moved with its keys (MIGRATE): the 20 left of the burst, not 30 anew.
  CHECK(admitted_of(s, 40, t0) == 20);
  CHECK(p.cluster.counters().moved == 1);  // the map was read once, then used
  CHECK(nodes.index_of(p.cluster.node_of(slot)->port) == 2);
}

TEST_CASE("a cluster node down fails only the limit sets of its slots", "[redis][cluster][faults]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  ClusterProcess p(nodes, cluster_backend_options("node-down"));
  const auto groups0 = groups_on(nodes, p, 0, 1), groups1 = groups_on(nodes, p, 1, 1);
  const LimitKey on0 = group_key(groups0.front()), on1 = group_key(groups1.front());
  const auto c = cluster_rpm(60, 0.5);
  const Instant t0{1h};
  auto& s0 = p.set(on0, c);
  auto& s1 = p.set(on1, c);
  REQUIRE(admitted_of(s0, 1, t0) == 1);
  REQUIRE(admitted_of(s1, 1, t0) == 1);
  nodes.node(0).kill();
  auto refused = s0.admit(Cost{1, 0, 0}, t0);
  REQUIRE_FALSE(refused);  // fail-closed
  CHECK(refused.error().message.find("shared rate limits can not be reached") != std::string::npos);
  CHECK(refused.error().message.find(std::to_string(nodes.node(0).port())) != std::string::npos);
  for (int i = 0; i < 5; ++i) {
    auto r = s1.admit(Cost{1, 0, 0}, t0);
    REQUIRE(r);
    CHECK(r->admitted);
    CHECK(r->shared);
  }
}

TEST_CASE("4 processes x 4 threads on one limit of 600 a minute on a cluster admit no more than it allows, "
          "and nearly all",
          "[redis][cluster][processes]") {
  GOVERNED_REDIS_CLUSTER(nodes);
  const auto options = cluster_backend_options("cluster-processes", SharedFailure::fail_open);
  const auto c = cluster_rpm(600, 0.0);  // headroom 0: burst 1, then one every 60 s / 599
  const LimitKey key = group_key("gpt-4o-mini");
  constexpr auto run_for = 5s;
  // The node serving the set keeps its time: the bound is read from its clock.
  const auto prefix = governed::redis::cluster_backend(nodes.seed_urls(), options).value()->prefix(key);
  const std::size_t owner = nodes.owner(key_slot(prefix));
  REQUIRE(owner < nodes.size());
  const std::int64_t start = cluster_node_time(nodes, owner);
  std::vector<pid_t> children;
  std::vector<int> pipes;
  for (int p = 0; p < 4; ++p) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      // A process of its own: its own cluster client, store and connections; the server's clock.
      auto backend = governed::redis::cluster_backend(nodes.seed_urls(), options).value();
      LimitStore<> store;
      auto set = store.find_or_create(key, c, backend.get(), true);
      std::atomic<int> admitted{0}, errors{0};
      const auto until = std::chrono::steady_clock::now() + run_for;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
          while (std::chrono::steady_clock::now() < until) {
            auto a = (*set)->admit(Cost{1, 0, 0}, Instant{});
            if (!a || (a->admitted && !a->shared)) ++errors;
            else if (a->admitted) ++admitted;
          }
        });
      for (auto& t : threads) t.join();
      const int out[2] = {admitted.load(), errors.load()};
      (void)!::write(fds[1], out, sizeof out);
      ::_exit(0);
    }
    ::close(fds[1]);
    children.push_back(pid);
    pipes.push_back(fds[0]);
  }
  int admitted = 0, errors = 0;
  for (std::size_t i = 0; i < children.size(); ++i) {
    int got[2] = {0, 0};
    REQUIRE(::read(pipes[i], got, sizeof got) == static_cast<ssize_t>(sizeof got));
    ::close(pipes[i]);
    admitted += got[0];
    errors += got[1];
    int status = 0;
    ::waitpid(children[i], &status, 0);
  }
  const std::int64_t end = cluster_node_time(nodes, owner);
  // GCRA with burst B and one cell every T admits at most B + ⌊span / T⌋ in any span; T is
  // 60 s / 599 rounded up to the µs.
  const std::int64_t per_us = (60'000'000'000LL / 599 + 1 + 999) / 1000;
  const std::int64_t most = 1 + (end - start) / per_us;
  const std::int64_t run_cells = 1 + std::chrono::duration_cast<std::chrono::microseconds>(run_for).count() / per_us;
  CHECK(errors == 0);
  CHECK(admitted <= most);
  CHECK(admitted * 100 >= run_cells * 95);
}
