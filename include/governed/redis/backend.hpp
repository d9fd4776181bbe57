#pragma once
/// @file
/// The Redis backend of a `State` (`StateConfig::shared`): `redis::backend(url, options)` for
/// one server (`redis::cluster_backend`, redis/cluster.hpp, for Redis Cluster), how it is set up
/// (`redis::BackendOptions`), and `redis::Backend`, which makes every part of a State that
/// processes share through Redis, all on one client and under one namespace.
///
/// ```cpp
/// governed::StateConfig config;
/// config.shared = governed::redis::backend("redis://redis.internal:6379", {.replicas = 3}).value();
/// auto state = governed::State<>::create(std::move(config));   // call sites unchanged
/// ```
///
/// It makes the State's limit sets (redis/limits.hpp), keeps its USD spend budget
/// (redis/spend.hpp) and task budgets (redis/tasks.hpp) in Redis, totals its statistics there
/// (redis/stats.hpp), shares its response cache (redis/cache.hpp), and tells every process the
/// keys one found rejected and the models one gave up on (redis/health.hpp). Every key starts
/// with `governed:<namespace>:`; a limit set's keys go on with its hash tag
/// `{<provider>|<account digest>|<group>}` (`Backend::prefix`).

#include <governed/error.hpp>
#include <governed/limit_key.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/redis/cache.hpp>
#include <governed/redis/client.hpp>
#include <governed/redis/health.hpp>
#include <governed/redis/limits.hpp>
#include <governed/redis/script.hpp>
#include <governed/redis/spend.hpp>
#include <governed/redis/stats.hpp>
#include <governed/redis/tasks.hpp>
#include <governed/result.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace governed::redis {

/// How a `State` uses Redis: the namespace, the client, and how long what it keeps there lives.
struct BackendOptions {
  /// Sets apart the keys of unrelated applications on one server.
  std::string name_space = "default";
  /// How many processes share the limits; while Redis can not be reached, each admits against
  /// 1/N of every limit (fail-open).
  unsigned replicas = 1;
  SharedFailure on_failure = SharedFailure::fail_open;
  ClientOptions client{};
  /// Lease batching: with `lease` > 1, an admission that goes to Redis takes the cells of that
  /// many calls like it at once, and the next calls of this process spend them without a round
  /// trip. Cells are counted in Redis before they are spent, so the limit still holds exactly;
  /// what a lease has not spent after `lease_hold` (or when a call does not fit it) is given
  /// back (redis/lease.hpp). Worth it when one process makes many calls a second; 0 or 1: every
  /// admission is a round trip.
  std::uint32_t lease = 0;
  Duration lease_hold = std::chrono::milliseconds{100};
  /// How long a spend budget's hold outlives a process that died before settling it. Longer
  /// than any call's wait and generation together (a call outliving it is still charged in
  /// full, but its worst case stops being held); shorter is what a crash may keep from others.
  Duration hold_ttl = std::chrono::minutes{15};
  /// How long a budget's period is kept after it ends (its keys' expiry).
  Duration budget_keep = std::chrono::hours{1};
  /// How long a task's counts are kept after its last call when nobody ends it.
  Duration task_ttl = std::chrono::hours{24};
  /// How often a State reads what the other processes found about keys and models (see
  /// redis/health.hpp): about this long after one process meets a key's 401, or gives up on a
  /// failing model, the others skip it too. What this process finds goes out at once. 0: no
  /// reading or telling in the background, only with `SharedHealthLink::sync`.
  Duration health_refresh = std::chrono::seconds{1};
  /// How long such a finding is kept in Redis at most: a rejected key's record lives this long
  /// (a process started later tries the key again), a model's cooldown until it ends, and no
  /// longer than this.
  Duration finding_ttl = std::chrono::hours{24};
};

namespace detail {

/// A name that can sit inside a key and its hash tag: no braces, no spaces, no control bytes.
inline std::string key_part(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out.push_back(c == '{' || c == '}' || static_cast<unsigned char>(c) <= 0x20 ? '_' : c);
  return out;
}

/// What is wrong with `options`, if anything.
inline std::optional<Error> check(const BackendOptions& options) {
  if (options.replicas == 0) return Error{Errc::invalid_argument, "replicas must be at least 1"};
  if (options.name_space.empty()) return Error{Errc::invalid_argument, "the Redis namespace must not be empty"};
  if (options.hold_ttl <= Duration{0}) return Error{Errc::invalid_argument, "a spend hold's expiry must be positive"};
  if (options.task_ttl <= Duration{0}) return Error{Errc::invalid_argument, "a task's expiry must be positive"};
  if (options.budget_keep < Duration{0})
    return Error{Errc::invalid_argument, "how long a budget period is kept must not be negative"};
  if (options.health_refresh < Duration{0})
    return Error{Errc::invalid_argument, "how often findings about keys and models are read must not be negative"};
  if (options.finding_ttl <= Duration{0})
    return Error{Errc::invalid_argument, "how long a finding about a key or a model is kept must be positive"};
  return std::nullopt;
}

}  // namespace detail

/// Makes what a `State` shares through Redis (`StateConfig::shared`): its limit sets, spend and
/// task budgets, statistics, response cache and findings about keys and models.
class Backend final : public SharedBackend {
 public:
  Backend(std::shared_ptr<ScriptRunner> redis, BackendOptions options)
      : redis_(std::move(redis)), options_(std::move(options)) {}

  Result<std::unique_ptr<SharedLimits>> limits(const LimitKey& key, const std::array<std::optional<limiter::Limit>, 6>& plan,
                                               bool real_time) override {
    return std::unique_ptr<SharedLimits>(
        std::make_unique<SharedLimitSet>(redis_, prefix(key), plan, real_time, options_.lease, options_.lease_hold,
                                         options_.client.retry_min));
  }

  unsigned replicas() const noexcept override { return options_.replicas; }
  SharedFailure on_failure() const noexcept override { return options_.on_failure; }

  std::shared_ptr<SharedSpend> spend() override {
    return std::make_shared<RedisSpend>(redis_, fmt::format("governed:{}:budget:{{{}|spend}}", ns(), ns()),
                                        options_.replicas, options_.on_failure, options_.hold_ttl,
                                        options_.budget_keep);
  }

  std::shared_ptr<SharedTasks> tasks() override {
    return std::make_shared<RedisTasks>(redis_, fmt::format("governed:{}:task:", ns()), ns(), options_.on_failure,
                                        options_.task_ttl);
  }

  std::shared_ptr<SharedCache> cache() override {
    return std::make_shared<RedisCache>(redis_, fmt::format("governed:{}:cache:", ns()), ns());
  }

  std::shared_ptr<SharedStats> stats() override {
    return std::make_shared<RedisStats>(redis_, fmt::format("governed:{}:stats:{{{}|stats}}", ns(), ns()));
  }

  std::shared_ptr<SharedHealth> health() override {
    return std::make_shared<RedisHealth>(redis_, fmt::format("governed:{}:health:{{{}|health}}", ns(), ns()),
                                         options_.health_refresh, options_.finding_ttl);
  }

  /// The server (or cluster) the limit sets run on.
  ScriptRunner& redis() noexcept { return *redis_; }
  const BackendOptions& options() const noexcept { return options_; }

  /// `governed:<namespace>:{<provider>|<account digest>|<group>}`: what every key of the set
  /// `key` starts with.
  std::string prefix(const LimitKey& key) const {
    const std::string account = key.account.empty() ? "-" : Script::digest(key.account).substr(0, 12);
    return fmt::format("governed:{}:{{{}|{}|{}}}", detail::key_part(options_.name_space), detail::key_part(key.provider),
                       account, detail::key_part(key.group));
  }

 private:
  std::string ns() const { return detail::key_part(options_.name_space); }

  std::shared_ptr<ScriptRunner> redis_;
  BackendOptions options_;
};

/// The backend for the Redis at `url` (`redis://[[user]:password@]host[:port][/db]`, or
/// `rediss://` for TLS). Nothing is connected yet: a State made with it starts while Redis is
/// down, and its limit sets follow `options.on_failure` until Redis answers.
inline Result<std::shared_ptr<Backend>> backend(std::string_view url, BackendOptions options = {}) {
  if (auto bad = detail::check(options)) return tl::unexpected(std::move(*bad));
  // Replies nobody waits for (reconciliations, syncs, exhaustion records) are still checked:
  // an error among them is told where the client tells its other news.
  if (!options.client.connect.on_late_error && options.client.on_event)
    options.client.connect.on_late_error = [tell = options.client.on_event](std::string_view e) {
      tell(fmt::format("Redis refused an update of the shared limits: {}", e));
    };
  auto client = Client::make(url, options.client);
  if (!client) return tl::unexpected(client.error());
  return std::make_shared<Backend>(std::move(*client), std::move(options));
}

}  // namespace governed::redis
