#pragma once
/// @file
/// Findings about keys and models in Redis (`SharedHealth`): a key one process found rejected
/// (401) and a model it gave up on after its backoff (overloaded, 5xx) are skipped by every
/// process of the namespace, without each paying a 401 or a backoff to learn it.
///
/// Keys (`<p>` = `governed:<namespace>:health:{<namespace>|health}`):
///   `<p>`        hash: one field per finding — `k\x1f<provider>\x1f<fingerprint>` (a rejected
///                key, value empty) or `m\x1f<provider>\x1f<model>` (a cooling model, value the
///                friendly reason) —
///   `<p>:ends`   sorted set: the same fields, scored by when each ends (wall µs).
/// Both share a hash tag, so one script reaches both on one Redis Cluster node. A key is named
/// by its fingerprint (keys/fingerprint.hpp), never by the key. A cooldown ends when the
/// provider's wait (or `StateConfig::failure_cooldown`) does, a rejected key's record after
/// `BackendOptions::finding_ttl` (24 h), and no record lives longer than that: each write first
/// drops what has ended and sets both keys to expire when the last record ends, so the
/// namespace holds only what is in force. Times are the tellers' wall clocks, as in
/// redis/spend.hpp (a manual clock in tests moves them exactly).
///
/// Why a background refresh and not the admission's answer. The admission script already
/// answers `exhausted_until` for the limit set it runs on, but a finding is not about one set:
/// a model cools for every account, including accounts only other processes hold, and a key is
/// rejected whatever model it was used for. One admission script call must keep to its set's
/// slot (Redis Cluster refuses keys of two slots in one script), so the namespace's findings can
/// not ride along; writing each into every set's record would need every process's accounts.
/// So a thread of the store's own sends what this process found as soon as it is told (the
/// caller only queues it) and reads the whole record every `BackendOptions::health_refresh`
/// (1 s), handing it to the State, which marks keys invalid and cools models. A call reads
/// only its pool and cooldowns, as before: no round trip and no wait is added to it, and a
/// finding reaches the others within about one refresh. The thread stays away from a server
/// the client has marked unreachable (the calls' own probe finds out when it is back); a
/// finding told meanwhile waits, at most `max_pending` of them, and goes out with the next
/// refresh that reaches Redis.

#include <governed/redis/client.hpp>
#include <governed/result.hpp>
#include <governed/shared_health.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace governed::redis {

/// KEYS: the findings' hash and their ends. ARGV: the teller's wall clock (µs), the field, its
/// end (wall µs), its value. Drops the findings that have ended, records this one unless a
/// later end is recorded already, and keeps both keys until the last end. Replies 1 when it
/// recorded, 0 when not.
inline const Script& health_tell_script() {
  static const Script s{R"lua(-- governed: record a finding about a key or a model for every process
local wall, stop = tonumber(ARGV[1]), tonumber(ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', wall)
for _, f in ipairs(gone) do redis.call('HDEL', KEYS[1], f) end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', wall) end
if stop <= wall then return 0 end
local recorded = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[2]))
if recorded and recorded >= stop then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[2], stop, ARGV[2])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local ttl = math.ceil((tonumber(last[2]) - wall) / 1000) + 1000
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
)lua"};
  return s;
}

/// KEYS: the findings' hash and their ends. ARGV[1]: at most this many. Replies {field, end
/// (wall µs), value, …}, the latest to end first (what has ended sorts last, so a bounded read
/// drops it first).
inline const Script& health_read_script() {
  static const Script s{R"lua(-- governed: read the findings about keys and models
local fields = redis.call('ZREVRANGEBYSCORE', KEYS[2], '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for i = 1, #fields, 2 do
  local v = redis.call('HGET', KEYS[1], fields[i])
  if v then
    out[#out + 1] = fields[i]
    out[#out + 1] = math.floor(tonumber(fields[i + 1]))
    out[#out + 1] = v
  end
end
return out
)lua"};
  return s;
}

/// The findings' store in Redis (see the file comment).
class RedisHealth final : public SharedHealth {
 public:
  /// Findings that wait for Redis at most (told while it is out of reach); more stay in the
  /// process that found them.
  static constexpr std::size_t max_pending = 256;
  /// Findings read at most in one refresh, the latest to end first.
  static constexpr std::size_t max_read = 512;
  /// Longest reason kept, in bytes; a field longer than `max_field` is not one this writes.
  static constexpr std::size_t max_reason = 512;
  static constexpr std::size_t max_field = 512;

  /// `prefix`: `governed:<namespace>:health:{<namespace>|health}`. `refresh`: how often the
  /// thread reads (0: no thread; only `sync` sends and reads). `keep`: a rejected key's record
  /// lives this long, and no record longer.
  RedisHealth(std::shared_ptr<ScriptRunner> redis, std::string prefix, Duration refresh, Duration keep)
      : redis_(std::move(redis)), keys_{prefix, prefix + ":ends"}, refresh_(refresh), keep_(keep) {
    if (refresh_ > Duration{0}) thread_ = std::thread([this] { run(); });
  }

  RedisHealth(const RedisHealth&) = delete;
  RedisHealth& operator=(const RedisHealth&) = delete;

  /// Stops the thread (waiting out an exchange under way, bounded by the client's timeouts),
  /// then sends what is still waiting, unless Redis is known to be out of reach.
  ~RedisHealth() override {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    wake_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (!redis_->unreachable()) {
      std::lock_guard ex(exchange_mutex_);
      (void)send_pending();
    }
  }

  void key_invalid(std::string_view provider, std::string_view fingerprint, WallTime wall) noexcept override {
    queue('k', provider, fingerprint, saturating_add(wall, keep_), {}, wall);
  }

  void model_cooling(std::string_view provider, std::string_view model, WallTime until, std::string_view reason,
                     WallTime wall) noexcept override {
    queue('m', provider, model, std::min(until, saturating_add(wall, keep_)),
          reason.substr(0, std::min(reason.size(), max_reason)), wall);
  }

  void listen(Listener listener) override {
    std::lock_guard lk(listener_mutex_);
    listener_ = std::move(listener);
  }

  Result<void> sync() override { return exchange(); }

  /// Findings told and not yet in Redis.
  std::size_t pending() const {
    std::lock_guard lk(m_);
    return pending_.size();
  }

  /// The hash of findings and the sorted set of their ends.
  const std::array<std::string, 2>& keys() const noexcept { return keys_; }

 private:
  struct Told {
    std::int64_t until_us = 0;
    std::string value{};
    std::int64_t wall_us = 0;
  };

  static std::int64_t micros(WallTime t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  }

  static WallTime saturating_add(WallTime t, Duration d) noexcept {
    return d >= WallTime::max() - t ? WallTime::max() : t + d;
  }

  /// A name inside a field: the separator is taken out (no provider, model or fingerprint has it).
  static std::string part(std::string_view s) {
    std::string out(s);
    std::replace(out.begin(), out.end(), '\x1f', '_');
    return out;
  }

  /// Queues one finding for the thread, keeping the later end of two for one field.
  void queue(char kind, std::string_view provider, std::string_view subject, WallTime until, std::string_view value,
             WallTime wall) noexcept {
    try {
      std::string field = fmt::format("{}\x1f{}\x1f{}", kind, part(provider), part(subject));
      if (field.size() > max_field || until <= wall) return;
      {
        std::lock_guard lk(m_);
        Told told{std::min(micros(until), far_us), std::string(value), micros(wall)};
        auto it = pending_.find(field);
        if (it != pending_.end()) {
          if (it->second.until_us < told.until_us) it->second = std::move(told);
        } else if (pending_.size() < max_pending) {
          pending_.emplace(std::move(field), std::move(told));
        }
        wake_ = true;
      }
      wake_cv_.notify_one();
    } catch (...) {
      // Out of memory: the finding stays in this process.
    }
  }

  /// The thread: sends at once what it is told, reads every `refresh_`.
  void run() {
    std::unique_lock lk(m_);
    while (!stop_) {
      wake_cv_.wait_for(lk, refresh_, [&] { return stop_ || wake_; });
      if (stop_) return;
      wake_ = false;
      lk.unlock();
      // A server the client has marked down is left to the calls' probe.
      if (!redis_->unreachable()) (void)exchange();
      lk.lock();
    }
  }

  Result<void> exchange() {
    std::lock_guard ex(exchange_mutex_);
    if (auto sent = send_pending(); !sent) return sent;
    return read_and_tell();
  }

  /// (Exchange lock held.) Writes every queued finding; what could not be written waits again.
  Result<void> send_pending() {
    std::map<std::string, Told> sending;
    {
      std::lock_guard lk(m_);
      sending.swap(pending_);
    }
    Result<void> result;
    for (auto it = sending.begin(); it != sending.end(); ++it) {
      const std::string until = std::to_string(it->second.until_us), wall = std::to_string(it->second.wall_us);
      const std::array<std::string_view, 2> keys{keys_[0], keys_[1]};
      const std::array<std::string_view, 4> args{wall, it->first, until, it->second.value};
      auto r = redis_->eval(health_tell_script(), keys, args);
      if (r && !r->is_error()) continue;
      if (r) {
        // Refused by the server (out of memory, a script error): telling it again would not help.
        result = fail(Errc::rejected, fmt::format("Redis at {} refused a finding about keys and models: {}",
                                                  redis_->describe(), r->text));
        continue;
      }
      // Out of reach: this one and the rest wait for the next exchange.
      std::lock_guard lk(m_);
      for (auto rest = it; rest != sending.end(); ++rest) {
        auto [at, added] = pending_.try_emplace(rest->first, rest->second);
        if (!added && at->second.until_us < rest->second.until_us) at->second = rest->second;
      }
      return tl::unexpected(r.error());
    }
    return result;
  }

  /// (Exchange lock held.) Reads the findings and hands them to the listener.
  Result<void> read_and_tell() {
    {
      std::lock_guard lk(listener_mutex_);
      if (!listener_) return {};
    }
    const std::array<std::string_view, 2> keys{keys_[0], keys_[1]};
    const std::string limit = std::to_string(max_read);
    const std::array<std::string_view, 1> args{limit};
    auto r = redis_->eval(health_read_script(), keys, args);
    if (!r) return tl::unexpected(r.error());
    if (r->type != RespReply::Type::array || r->elements.size() % 3 != 0 || r->elements.size() / 3 > max_read)
      return fail(Errc::parse_error,
                  fmt::format("Redis at {} answered the findings script with something else than it returns{}{}",
                              redis_->describe(), r->is_error() ? ": " : "", r->is_error() ? r->text : ""));
    std::vector<SharedFinding> found;
    found.reserve(r->elements.size() / 3);
    for (std::size_t i = 0; i < r->elements.size(); i += 3)
      if (auto f = finding(r->elements[i], r->elements[i + 1], r->elements[i + 2])) found.push_back(std::move(*f));
    std::lock_guard lk(listener_mutex_);
    if (listener_) listener_(found);
    return {};
  }

  /// One record read back; none when it is not one this writes (another version's kind, a
  /// damaged field), which is skipped.
  static std::optional<SharedFinding> finding(const RespReply& field, const RespReply& end, const RespReply& value) {
    if (field.type != RespReply::Type::string || end.type != RespReply::Type::integer || value.type != RespReply::Type::string)
      return std::nullopt;
    const std::string_view f = field.text;
    if (f.size() > max_field || f.size() < 2 || f[1] != '\x1f') return std::nullopt;
    const auto sep = f.find('\x1f', 2);
    if (sep == std::string_view::npos || sep == 2 || sep + 1 == f.size()) return std::nullopt;
    if (f.find('\x1f', sep + 1) != std::string_view::npos) return std::nullopt;
    SharedFinding out;
    if (f[0] == 'k') out.kind = SharedFinding::Kind::key_invalid;
    else if (f[0] == 'm') out.kind = SharedFinding::Kind::model_cooling;
    else return std::nullopt;
    out.provider = std::string(f.substr(2, sep - 2));
    (out.kind == SharedFinding::Kind::key_invalid ? out.fingerprint : out.model) = std::string(f.substr(sep + 1));
    if (end.integer <= 0 || end.integer > far_us) return std::nullopt;
    out.until = WallTime{std::chrono::duration_cast<Duration>(std::chrono::microseconds{end.integer})};
    out.reason = value.text.substr(0, std::min(value.text.size(), max_reason));
    return out;
  }

  /// The latest end recorded (µs): within what a Redis score (a double) holds exactly and a
  /// `WallTime` in nanoseconds represents (year 2096).
  static constexpr std::int64_t far_us = std::int64_t{4'000'000'000'000'000};

  std::shared_ptr<ScriptRunner> redis_;
  std::array<std::string, 2> keys_;
  Duration refresh_;
  Duration keep_;
  /// Held for one exchange (send, then read): the thread's and `sync`'s never interleave.
  std::mutex exchange_mutex_;
  std::mutex listener_mutex_;
  Listener listener_{};
  mutable std::mutex m_;
  std::condition_variable wake_cv_;
  std::map<std::string, Told> pending_{};
  bool wake_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: it runs on the members above
};

}  // namespace governed::redis
