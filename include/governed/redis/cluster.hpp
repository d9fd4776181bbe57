#pragma once
/// @file
/// Redis Cluster: `redis::key_slot` (which of the 16 384 hash slots a key lives in) and
/// `redis::Cluster`, a `ScriptRunner` that sends each script call to the master serving its
/// keys' slot. hiredis has no cluster support; this is the part of a cluster client that limit
/// sets need — scripts routed by slot, redirections followed — and nothing more.
///
/// ```cpp
/// auto shared = governed::redis::cluster_backend({"redis://:secret@10.0.0.5:7000",
///                                                 "redis://:secret@10.0.0.6:7000"},
///                                                {.replicas = 3});
/// config.shared = shared.value();
/// ```
///
/// The slot map comes from `CLUSTER SLOTS`, asked of a seed (or of any master already known)
/// on first use and whenever a node answers `MOVED`: a slot moved for good, so the whole map is
/// read again and the call retried on the new owner. `ASK` (a slot in the middle of a move) is
/// followed for that one call — `ASKING` then the command, on one connection of the node named
/// — and leaves the map alone, as the cluster specification asks. Each master gets a
/// `redis::Client` of its own (same credentials, TLS and options as the seeds), so scripts are
/// loaded per node by `Client::eval_on` on its first `NOSCRIPT`, and a node that is down is
/// remembered as down by its client without holding back the others.
///
/// What a call can not be routed for — keys in two slots, a slot no node serves, more than a
/// few redirections in a row — is an error, like an unreachable node: the limit set's
/// fail-open or fail-closed policy decides what the caller sees.

#include <governed/redis/backend.hpp>
#include <governed/redis/client.hpp>
#include <governed/redis/connection.hpp>
#include <governed/redis/reply.hpp>
#include <governed/redis/url.hpp>
#include <governed/result.hpp>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace governed::redis {

/// Hash slots of a Redis Cluster.
inline constexpr std::uint16_t cluster_slots = 16384;

/// The CRC16 Redis Cluster hashes keys with: CCITT polynomial 0x1021, initial value 0, no
/// reflection (XMODEM). `crc16("123456789") == 0x31C3`.
inline std::uint16_t crc16(std::string_view bytes) noexcept {
  boost::crc_xmodem_t crc;  // not boost::crc_xmodem_type, which is reflected (Kermit) despite its name
  crc.process_bytes(bytes.data(), bytes.size());
  return static_cast<std::uint16_t>(crc.checksum());
}

/// The part of `key` that decides its slot: what lies between the first '{' and the next '}'
/// when that is not empty (a hash tag, which puts keys that share it in one slot), else the
/// whole key.
constexpr std::string_view hash_tag(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

/// The hash slot of `key` in a Redis Cluster (what `CLUSTER KEYSLOT` answers).
inline std::uint16_t key_slot(std::string_view key) noexcept {
  return static_cast<std::uint16_t>(crc16(hash_tag(key)) % cluster_slots);
}

/// A `MOVED <slot> <host:port>` or `ASK <slot> <host:port>` error reply, read.
struct Redirect {
  bool ask = false;  ///< ASK: this call only; MOVED: the slot has a new owner
  std::uint16_t slot = 0;
  std::string host{};
  std::uint16_t port = 0;
};

/// The redirection `reply` asks for, or none when it is not one (or not a well-formed one).
/// An empty host (`MOVED 3999 :6380`, a node that does not know its own address) means the
/// host the call was sent to, `current_host`.
inline std::optional<Redirect> parse_redirect(const RespReply& reply, std::string_view current_host) {
  const std::string_view code = reply.error_code();
  if (code != "MOVED" && code != "ASK") return std::nullopt;
  std::string_view rest = std::string_view(reply.text).substr(code.size());
  if (!rest.starts_with(' ')) return std::nullopt;
  rest.remove_prefix(1);
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view slot_text = rest.substr(0, space), address = rest.substr(space + 1);
  unsigned slot = 0, port = 0;
  if (const auto r = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
      r.ec != std::errc{} || r.ptr != slot_text.data() + slot_text.size() || slot >= cluster_slots)
    return std::nullopt;
  // The port follows the last ':', so IPv6 addresses (`::1:7000`) keep their colons.
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view port_text = address.substr(colon + 1);
  if (const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      r.ec != std::errc{} || r.ptr != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return std::nullopt;
  std::string_view host = address.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  Redirect out;
  out.ask = code == "ASK";
  out.slot = static_cast<std::uint16_t>(slot);
  out.host = std::string(host.empty() ? current_host : host);
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

class Cluster final : public ScriptRunner {
 public:
  /// Redirections one call follows before it gives up: a slot is never moved more than once
  /// or twice while one call is under way, so more means a cluster that disagrees with itself.
  static constexpr int max_redirects = 5;

  /// What the cluster client has done, for tests and metrics.
  struct Counters {
    std::uint64_t moved = 0;      ///< MOVED redirections followed
    std::uint64_t asked = 0;      ///< ASK redirections followed
    std::uint64_t refreshes = 0;  ///< slot maps read (CLUSTER SLOTS answered)
    std::uint64_t tried_again = 0;  ///< calls sent again after TRYAGAIN
  };

  /// A client for the cluster that one or more of `seed_urls` belong to (`redis://…` or
  /// `rediss://…`; every node is reached with the seeds' credentials and TLS). Nothing is
  /// connected until the first call, so an application starts while the cluster is down.
  static Result<std::shared_ptr<Cluster>> make(std::vector<std::string> seed_urls, ClientOptions options = {}) {
    if (seed_urls.empty()) return fail(Errc::invalid_argument, "a Redis cluster needs at least one seed URL");
    std::vector<Endpoint> seeds;
    for (const auto& url : seed_urls) {
      auto e = parse_url(url);
      if (!e) return tl::unexpected(e.error());
      if (e->db != 0)
        return fail(Errc::invalid_argument,
                    fmt::format("a Redis cluster has only database 0, and {} names another", e->describe()));
      const Endpoint& first = seeds.empty() ? *e : seeds.front();
      if (e->tls != first.tls || e->user != first.user || e->password != first.password)
        return fail(Errc::invalid_argument,
                    fmt::format("the seeds of one Redis cluster must share TLS and credentials, and {} differs from {}",
                                e->describe(), first.describe()));
      seeds.push_back(std::move(*e));
    }
    // A reply nobody waited for that says MOVED means the map is out of date: the next call
    // reads it again. The caller's own handler still hears of every error.
    auto stale = std::make_shared<std::atomic<bool>>(false);
    options.connect.on_late_error = [stale, tell = std::move(options.connect.on_late_error)](std::string_view e) {
      if (e.starts_with("MOVED ")) stale->store(true, std::memory_order_relaxed);
      if (tell) tell(e);
    };
    std::shared_ptr<Cluster> c(new Cluster(std::move(options), std::move(stale)));
    std::vector<std::string> names;
    for (auto& e : seeds) {
      names.push_back(e.describe());
      auto client = c->node(e.host, e.port, &e);
      if (!client) return tl::unexpected(client.error());
      c->seeds_.push_back(std::move(*client));
    }
    c->seeds_text_ = fmt::format("{}", fmt::join(names, ", "));
    return c;
  }

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Runs `script` on the master serving its keys' slot, following MOVED and ASK. While the
  /// slot's keys are split between the two nodes of a move (TRYAGAIN: a batch of them is on
  /// the wire), the call is sent again after 5 ms, doubling to 50 ms, for up to the command
  /// timeout — a move takes milliseconds, and waiting it out keeps the count exact where
  /// failing open would not.
  Result<RespReply> eval(const Script& script, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args) override {
    auto slot = slot_of(keys);
    if (!slot) return tl::unexpected(slot.error());
    auto route = node_for(*slot);
    if (!route) return tl::unexpected(route.error());
    std::shared_ptr<Client> node = std::move(route->node);
    std::uint64_t seen = route->version;
    bool asking = false;
    const auto give_up = std::chrono::steady_clock::now() + options_.connect.command_timeout;
    Duration pause = std::chrono::milliseconds{5};
    for (int redirects = 0;; ++redirects) {
      auto r = asking ? eval_asking(*node, script, keys, args) : node->eval(script, keys, args);
      if (!r) {
        // The node may have failed over to a replica: the next call reads the map again.
        if (r.error().code != Errc::rejected) stale_->store(true, std::memory_order_relaxed);
        return r;
      }
      auto redirect = parse_redirect(*r, node->endpoint().host);
      if (!redirect && r->error_code() == "TRYAGAIN" && std::chrono::steady_clock::now() + pause < give_up) {
        std::this_thread::sleep_for(pause);
        pause = std::min<Duration>(pause * 2, std::chrono::milliseconds{50});
        tried_again_.fetch_add(1, std::memory_order_relaxed);
        --redirects;  // not a redirection
        continue;
      }
      if (!redirect) return settled(std::move(*r), *slot);
      if (redirects == max_redirects)
        return fail(Errc::io_error, fmt::format("{} redirected a call more than {} times in a row (last: {})",
                                                cluster_name(), max_redirects, r->text));
      auto next = this->node(redirect->host, redirect->port);
      if (!next) return tl::unexpected(next.error());
      node = std::move(*next);
      asking = redirect->ask;
      if (asking) {
        asked_.fetch_add(1, std::memory_order_relaxed);
      } else {
        moved_.fetch_add(1, std::memory_order_relaxed);
        seen = after_moved(seen, *redirect, node);
      }
    }
  }

  /// Sends `script`'s call to the master serving its keys' slot without waiting for the
  /// reply. A redirection in that reply can not be followed (nobody reads it in time): the
  /// call is lost, like one sent to a server that goes down, and the map is read again before
  /// the next call.
  Result<void> eval_later(const Script& script, std::span<const std::string_view> keys,
                          std::span<const std::string_view> args) override {
    auto slot = slot_of(keys);
    if (!slot) return tl::unexpected(slot.error());
    auto route = node_for(*slot);
    if (!route) return tl::unexpected(route.error());
    return route->node->eval_later(script, keys, args);
  }

  /// Returns once every node has run what was sent to it with `eval_later`.
  Result<void> flush() override {
    Result<void> result;
    for (auto& c : known_nodes()) {
      auto r = c->flush();
      if (!r && result) result = std::move(r);
    }
    return result;
  }

  /// The seeds, without their password: "redis://10.0.0.5:7000/0, … (cluster)".
  std::string describe() const override { return seeds_text_ + " (cluster)"; }

  /// Reads the slot map again (`CLUSTER SLOTS`), from the first node that answers: the masters
  /// of the current map, then the seeds.
  Result<void> refresh() {
    std::lock_guard lk(refresh_mutex_);
    return refresh_locked(nullptr);
  }

  /// The master serving `slot` in the current map; none before the map is read or when no
  /// node serves it.
  std::optional<Endpoint> node_of(std::uint16_t slot) const {
    std::shared_lock lk(map_mutex_);
    if (!map_ || slot >= cluster_slots || map_->owner[slot] == unassigned) return std::nullopt;
    return map_->masters[map_->owner[slot]]->endpoint();
  }

  Counters counters() const noexcept {
    return {moved_.load(std::memory_order_relaxed), asked_.load(std::memory_order_relaxed),
            refreshes_.load(std::memory_order_relaxed), tried_again_.load(std::memory_order_relaxed)};
  }

 private:
  static constexpr std::uint16_t unassigned = 0xFFFF;

  /// One reading of CLUSTER SLOTS; never changed once published, so a reader holds it only as
  /// long as it takes to copy one node out.
  struct SlotMap {
    std::uint64_t version = 0;
    std::vector<std::shared_ptr<Client>> masters{};
    std::array<std::uint16_t, cluster_slots> owner{};  ///< index into masters, or unassigned
  };

  struct Route {
    std::shared_ptr<Client> node;
    std::uint64_t version = 0;  ///< of the map it was found in (0: none)
  };

  Cluster(ClientOptions options, std::shared_ptr<std::atomic<bool>> stale)
      : options_(std::move(options)), stale_(std::move(stale)) {}

  /// `reply`, unless the cluster could not run the call at all: TRYAGAIN that outlasted the
  /// retries (a call whose keys are split between the two nodes of a slot being moved, which
  /// no node can run until the move is done) and CLUSTERDOWN are errors, not replies — a limit set then fails open or
  /// closed as when a node is down.
  Result<RespReply> settled(RespReply reply, std::optional<std::uint16_t> slot) {
    const std::string_view code = reply.error_code();
    if (code == "TRYAGAIN")
      return fail(Errc::io_error,
                  fmt::format("{} is moving hash slot {} between nodes and can not run the call until the move is "
                              "done: {}",
                              cluster_name(), slot.value_or(0), reply.text),
                  std::chrono::milliseconds{50});
    if (code == "CLUSTERDOWN") {
      stale_->store(true, std::memory_order_relaxed);
      return fail(Errc::io_error, fmt::format("{} is down: {}", cluster_name(), reply.text));
    }
    return reply;
  }

  /// The one slot `keys` live in; none for a call without keys.
  static Result<std::optional<std::uint16_t>> slot_of(std::span<const std::string_view> keys) {
    if (keys.empty()) return std::optional<std::uint16_t>{};
    const std::uint16_t slot = key_slot(keys.front());
    for (const auto k : keys.subspan(1))
      if (const auto other = key_slot(k); other != slot)
        return fail(Errc::invalid_argument,
                    fmt::format("the keys of one script call lie in Redis Cluster hash slots {} and {}: a cluster runs "
                                "a script on one node only, so its keys must share a hash tag ({{…}})",
                                slot, other));
    return std::optional<std::uint16_t>{slot};
  }

  /// The node to send a call for `slot` to (any master for a call without keys), reading the
  /// map first when there is none yet or it is known to be out of date.
  Result<Route> node_for(std::optional<std::uint16_t> slot) {
    if (stale_->load(std::memory_order_relaxed) || !loaded_.load(std::memory_order_acquire)) {
      std::lock_guard lk(refresh_mutex_);
      // Another thread may have read it while this one waited for the lock.
      if (stale_->load(std::memory_order_relaxed) || !loaded_.load(std::memory_order_acquire)) {
        auto r = refresh_when_due();
        if (!r && !loaded_.load(std::memory_order_acquire)) return tl::unexpected(r.error());
      }
    }
    std::shared_lock lk(map_mutex_);
    const SlotMap& map = *map_;
    if (map.masters.empty())
      return fail(Errc::io_error, fmt::format("{} serves no hash slot yet", cluster_name()));
    if (!slot) return Route{map.masters.front(), map.version};
    if (map.owner[*slot] == unassigned) {
      // Perhaps a node that was just added: read the map again before the next call.
      stale_->store(true, std::memory_order_relaxed);
      return fail(Errc::io_error, fmt::format("no node of {} serves hash slot {}", cluster_name(), *slot));
    }
    return Route{map.masters[map.owner[*slot]], map.version};
  }

  /// Reads the map, at most once per `retry_min` once there is one or an attempt failed: while
  /// a node is down (or the whole cluster), calls fail at once instead of each asking every
  /// node for the map. Called with `refresh_mutex_` held.
  Result<void> refresh_when_due() {
    if (Client::clock::now() - last_attempt_ < options_.retry_min) {
      if (last_failure_) return tl::unexpected(*last_failure_);
      if (loaded_.load(std::memory_order_relaxed)) return {};
    }
    return refresh_locked(nullptr);
  }

  /// After a MOVED on a call routed by map version `seen`: reads the map again, first from the
  /// node that answered for the slot now, unless another call has done so since. Returns the
  /// version now current.
  std::uint64_t after_moved(std::uint64_t seen, const Redirect& redirect, const std::shared_ptr<Client>& owner) {
    std::lock_guard lk(refresh_mutex_);
    {
      std::shared_lock rl(map_mutex_);
      if (map_ && map_->version > seen) return map_->version;
    }
    if (refresh_locked(owner)) return versions_;
    // The map could not be read: at least the slot that moved goes where the cluster said.
    std::unique_lock wl(map_mutex_);
    auto next = map_ ? std::make_shared<SlotMap>(*map_) : std::make_shared<SlotMap>();
    if (!map_) next->owner.fill(unassigned);
    next->version = ++versions_;
    auto at = std::find(next->masters.begin(), next->masters.end(), owner);
    if (at == next->masters.end()) at = next->masters.insert(next->masters.end(), owner);
    next->owner[redirect.slot] = static_cast<std::uint16_t>(at - next->masters.begin());
    map_ = std::move(next);
    loaded_.store(true, std::memory_order_release);
    return versions_;
  }

  /// Asks `first`, then the current masters, then the seeds for CLUSTER SLOTS, and publishes
  /// the first answer. Called with `refresh_mutex_` held.
  Result<void> refresh_locked(const std::shared_ptr<Client>& first) {
    last_attempt_ = Client::clock::now();
    std::vector<std::shared_ptr<Client>> ask;
    const auto add = [&](const std::shared_ptr<Client>& c) {
      if (c && std::find(ask.begin(), ask.end(), c) == ask.end()) ask.push_back(c);
    };
    add(first);
    {
      std::shared_lock lk(map_mutex_);
      if (map_)
        for (const auto& m : map_->masters) add(m);
    }
    for (const auto& s : seeds_) add(s);
    Error last{Errc::io_error, fmt::format("no node of {} answered", cluster_name()), {}};
    for (const auto& c : ask) {
      auto reply = c->call({"CLUSTER", "SLOTS"});
      if (!reply) {
        last = reply.error();
        continue;
      }
      auto map = read_slots(*reply, *c);
      if (!map) {
        last = map.error();
        continue;
      }
      std::unique_lock lk(map_mutex_);
      (*map)->version = ++versions_;
      map_ = std::move(*map);
      lk.unlock();
      loaded_.store(true, std::memory_order_release);
      stale_->store(false, std::memory_order_relaxed);
      last_failure_.reset();
      refreshes_.fetch_add(1, std::memory_order_relaxed);
      return {};
    }
    last_failure_ = last;
    return tl::unexpected(std::move(last));
  }

  /// A map from `reply` to CLUSTER SLOTS sent to `asked`: [[first, last, [host, port, id, …],
  /// replicas…], …]. A null or empty host is the asked node's own; "?" (a node that does not
  /// know how it is reached) leaves its slots unassigned.
  Result<std::shared_ptr<SlotMap>> read_slots(const RespReply& reply, const Client& asked) {
    const auto bad = [&](std::string_view why) {
      return fail(Errc::parse_error,
                  fmt::format("Redis at {} answered CLUSTER SLOTS {}", asked.endpoint().describe(), why));
    };
    if (reply.is_error())
      return fail(Errc::rejected,
                  fmt::format("Redis at {} is not a cluster node, or refused CLUSTER SLOTS: {}",
                              asked.endpoint().describe(), reply.text));
    if (reply.type != RespReply::Type::array) return bad("with something else than an array");
    auto map = std::make_shared<SlotMap>();
    map->owner.fill(unassigned);
    for (const auto& range : reply.elements) {
      if (range.type != RespReply::Type::array || range.elements.size() < 3) return bad("with a malformed slot range");
      const auto& lo = range.elements[0];
      const auto& hi = range.elements[1];
      const auto& master = range.elements[2];
      if (lo.type != RespReply::Type::integer || hi.type != RespReply::Type::integer || lo.integer < 0 ||
          hi.integer < lo.integer || hi.integer >= cluster_slots)
        return bad("with a slot range out of bounds");
      if (master.type != RespReply::Type::array || master.elements.size() < 2 ||
          master.elements[1].type != RespReply::Type::integer || master.elements[1].integer <= 0 ||
          master.elements[1].integer > 65535)
        return bad("with a malformed node");
      const auto& host = master.elements[0];
      if (host.type != RespReply::Type::nil && host.type != RespReply::Type::string) return bad("with a malformed node");
      if (host.text == "?") continue;
      auto node = this->node(host.is_nil() || host.text.empty() ? asked.endpoint().host : host.text,
                             static_cast<std::uint16_t>(master.elements[1].integer));
      if (!node) return tl::unexpected(node.error());
      auto at = std::find(map->masters.begin(), map->masters.end(), *node);
      if (at == map->masters.end()) at = map->masters.insert(map->masters.end(), std::move(*node));
      std::fill(map->owner.begin() + lo.integer, map->owner.begin() + hi.integer + 1,
                static_cast<std::uint16_t>(at - map->masters.begin()));
    }
    return map;
  }

  /// The client of the node at `host:port`, made on first sight with the seeds' credentials
  /// and TLS (`seed`: the endpoint itself, for a seed). Clients outlive the maps that name
  /// them, so a node's connections survive a refresh.
  Result<std::shared_ptr<Client>> node(const std::string& host, std::uint16_t port, const Endpoint* seed = nullptr) {
    std::lock_guard lk(nodes_mutex_);
    const std::string name = fmt::format("{}:{}", host, port);
    if (auto at = nodes_.find(name); at != nodes_.end()) return at->second;
    Endpoint e;
    if (seed) {
      e = *seed;
    } else {
      e = seeds_.front()->endpoint();
      e.host = host;
      e.port = port;
    }
    auto c = Client::make(std::move(e), options_);
    if (!c) return tl::unexpected(c.error());
    nodes_.emplace(name, *c);
    return std::move(*c);
  }

  std::vector<std::shared_ptr<Client>> known_nodes() const {
    std::lock_guard lk(nodes_mutex_);
    std::vector<std::shared_ptr<Client>> out;
    out.reserve(nodes_.size());
    for (const auto& [name, c] : nodes_) out.push_back(c);
    return out;
  }

  /// `ASKING` and the script's call together on one connection of `node`: the node runs the
  /// call on a slot it is importing only right after ASKING, on the same connection. A script
  /// the node does not have is loaded and the pair sent again (ASKING lasts one command).
  static Result<RespReply> eval_asking(Client& node, const Script& script, std::span<const std::string_view> keys,
                                   std::span<const std::string_view> args) {
    return node.with_connection([&](Connection& c) -> Result<RespReply> {
      const std::string count = std::to_string(keys.size());
      std::vector<std::string_view> argv{"EVALSHA", script.sha1, count};
      argv.insert(argv.end(), keys.begin(), keys.end());
      argv.insert(argv.end(), args.begin(), args.end());
      std::string requests;
      format_command(requests, {"ASKING"});
      format_command(requests, argv);
      auto replies = c.pipeline(requests, 2);
      if (!replies) return tl::unexpected(replies.error());
      if ((*replies)[1].error_code() != "NOSCRIPT") return std::move((*replies)[1]);
      auto loaded = c.call({"SCRIPT", "LOAD", script.source});
      if (!loaded) return loaded;
      if (loaded->is_error())
        return fail(Errc::rejected,
                    fmt::format("Redis at {} refused a script: {}", node.endpoint().describe(), loaded->text));
      replies = c.pipeline(requests, 2);
      if (!replies) return tl::unexpected(replies.error());
      return std::move((*replies)[1]);
    });
  }

  /// The cluster in messages of its own.
  std::string cluster_name() const { return fmt::format("the Redis cluster at {}", seeds_text_); }

  ClientOptions options_;
  std::shared_ptr<std::atomic<bool>> stale_;
  std::vector<std::shared_ptr<Client>> seeds_{};
  std::string seeds_text_{};

  mutable std::mutex nodes_mutex_;
  std::map<std::string, std::shared_ptr<Client>> nodes_{};

  /// One reader of CLUSTER SLOTS at a time; taken before `map_mutex_`, never after.
  std::mutex refresh_mutex_;
  Client::clock::time_point last_attempt_{};
  std::optional<Error> last_failure_{};
  std::uint64_t versions_ = 0;

  mutable std::shared_mutex map_mutex_;
  std::shared_ptr<const SlotMap> map_{};
  std::atomic<bool> loaded_{false};  ///< map_ is set (read without the lock on every call)

  std::atomic<std::uint64_t> moved_{0}, asked_{0}, refreshes_{0}, tried_again_{0};
};

/// The limit-set backend (`StateConfig::shared`) on the Redis Cluster that `seed_urls` belong
/// to. Nothing is connected yet; see `redis::backend` for the options.
inline Result<std::shared_ptr<Backend>> cluster_backend(std::vector<std::string> seed_urls, BackendOptions options = {}) {
  if (auto bad = detail::check(options)) return tl::unexpected(std::move(*bad));
  // As redis::backend: errors in replies nobody waits for are told where the client tells its
  // other news.
  if (!options.client.connect.on_late_error && options.client.on_event)
    options.client.connect.on_late_error = [tell = options.client.on_event](std::string_view e) {
      tell(fmt::format("Redis refused an update of the shared limits: {}", e));
    };
  auto cluster = Cluster::make(std::move(seed_urls), options.client);
  if (!cluster) return tl::unexpected(cluster.error());
  return std::make_shared<Backend>(std::move(*cluster), std::move(options));
}

}  // namespace governed::redis
