#pragma once
/// @file
/// Task budgets in Redis: the calls and tokens of each task instance counted in one place, so
/// an agent run whose calls land on several replicas stops at its limit, not at N times it.
///
/// Key: `governed:<namespace>:task:{<namespace>|task|<digest>}`, a hash of `calls`, `tokens`
/// (settled), `held` (reserved by calls in flight) and the limits and kind the task's first
/// call fixed (`limit`, `token_limit`, `kind`). The task id is named by 16 hex digits of its
/// SHA-1: ids are the caller's and may hold anything. One key per task, so a task's script
/// touches one slot of a Redis Cluster and tasks spread over all of them. The key expires
/// `BackendOptions::task_ttl` after the task's last call: a task nobody ends (`end_task`) is
/// forgotten then, and tokens held by a call whose process died go with it.
///
/// A call is one script (count and hold, all or nothing, after checking both limits); settling
/// or releasing it is sent without waiting for the reply, so it adds no round trip.

#include <governed/budget/task.hpp>
#include <governed/redis/client.hpp>
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

/// KEYS[1]: the task's hash. ARGV: call limit, token limit (-1: none), tokens to hold, kind,
/// TTL (ms). Replies {verdict (1 counted, 0 no calls left, 2 tokens do not fit), calls, tokens,
/// held, call limit, token limit, kind}, the counts as found.
inline const Script& task_begin_script() {
  static const Script s{R"lua(-- governed: count one call of a shared task budget
redis.call('HSETNX', KEYS[1], 'limit', ARGV[1])
redis.call('HSETNX', KEYS[1], 'token_limit', ARGV[2])
redis.call('HSETNX', KEYS[1], 'kind', ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'calls', 'tokens', 'held', 'limit', 'token_limit', 'kind')
local calls, tokens, held = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
local limit, tlimit, need = tonumber(v[4]), tonumber(v[5]), tonumber(ARGV[3])
local verdict = 1
if calls >= limit then
  verdict = 0
elseif tlimit >= 0 and tokens + held + need > tlimit then
  verdict = 2
else
  redis.call('HINCRBY', KEYS[1], 'calls', 1)
  redis.call('HINCRBY', KEYS[1], 'held', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {verdict, calls, tokens, held, limit, tlimit, v[6]}
)lua"};
  return s;
}

/// KEYS[1]: the task's hash. ARGV: tokens held to give back, tokens used ("": none, the call
/// never went out), or ARGV[1] = "read": replies the counts as `task_begin_script` does (verdict
/// 1), or {} when the task is unknown; ARGV[1] = "end": forgets the task. A task already ended
/// settles into nothing.
inline const Script& task_finish_script() {
  static const Script s{R"lua(-- governed: settle a call of a shared task budget, or read a task's counts
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
if ARGV[1] == 'read' then
  local v = redis.call('HMGET', KEYS[1], 'calls', 'tokens', 'held', 'limit', 'token_limit', 'kind')
  return {1, tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0,
          tonumber(v[5]) or -1, v[6] or ''}
end
if ARGV[1] == 'end' then
  redis.call('DEL', KEYS[1])
  return {}
end
local held = tonumber(redis.call('HGET', KEYS[1], 'held')) or 0
redis.call('HSET', KEYS[1], 'held', math.max(0, held - tonumber(ARGV[1])))
if ARGV[2] ~= '' then redis.call('HINCRBY', KEYS[1], 'tokens', ARGV[2]) end
return {}
)lua"};
  return s;
}

/// The task budgets' store in Redis (see the file comment).
class RedisTasks final : public SharedTasks {
 public:
  /// `prefix`: `governed:<namespace>:task:`, to which each task's hash tag is added.
  RedisTasks(std::shared_ptr<ScriptRunner> redis, std::string prefix, std::string name_space, SharedFailure on_failure,
             Duration ttl)
      : redis_(std::move(redis)),
        prefix_(std::move(prefix)),
        ns_(std::move(name_space)),
        on_failure_(on_failure),
        ttl_ms_(std::to_string(std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(ttl).count()))) {}

  Result<SharedTaskDecision> begin_call(std::string_view task, std::string_view kind, std::int64_t call_limit,
                                        std::optional<std::int64_t> token_limit, std::int64_t tokens) override {
    const std::string k = key(task);
    const std::array<std::string, 5> args{std::to_string(call_limit), std::to_string(token_limit.value_or(-1)),
                                          std::to_string(tokens), std::string(kind), ttl_ms_};
    const std::array<std::string_view, 1> keys{k};
    const std::array<std::string_view, 5> argv{args[0], args[1], args[2], args[3], args[4]};
    auto r = redis_->eval(task_begin_script(), keys, argv);
    if (!r) return tl::unexpected(r.error());
    auto d = read(*r);
    if (!d || !*d) return tl::unexpected(bad(*r));
    return std::move(**d);
  }

  void finish(std::string_view task, std::int64_t reserved, std::optional<std::int64_t> actual) noexcept override {
    try {
      const std::string k = key(task);
      const std::string held = std::to_string(reserved), used = actual ? std::to_string(*actual) : std::string{};
      const std::array<std::string_view, 1> keys{k};
      const std::array<std::string_view, 2> argv{held, used};
      // Lost if Redis is out of reach: the tokens stay held until the task's key expires.
      (void)redis_->eval_later(task_finish_script(), keys, argv);
    } catch (...) {
      // Runs in destructors; out of memory, the hold goes with the key's expiry.
    }
  }

  Result<std::optional<TaskUsage>> usage(std::string_view task) override {
    const std::string k = key(task);
    const std::array<std::string_view, 1> keys{k};
    const std::array<std::string_view, 1> argv{"read"};
    auto r = redis_->eval(task_finish_script(), keys, argv);
    if (!r) return tl::unexpected(r.error());
    auto d = read(*r);
    if (!d) return tl::unexpected(bad(*r));
    if (!*d) return std::optional<TaskUsage>{};
    return std::optional<TaskUsage>{(*d)->usage};
  }

  void end(std::string_view task) noexcept override {
    try {
      const std::string k = key(task);
      const std::array<std::string_view, 1> keys{k};
      const std::array<std::string_view, 1> argv{"end"};
      (void)redis_->eval_later(task_finish_script(), keys, argv);
    } catch (...) {
      // The key expires with its TTL instead.
    }
  }

  SharedFailure on_failure() const noexcept override { return on_failure_; }

  /// The hash of task `task`: its id by digest, in a hash tag of its own.
  std::string key(std::string_view task) const {
    return fmt::format("{}{{{}|task|{}}}", prefix_, ns_, Script::digest(task).substr(0, 16));
  }

 private:
  /// The decision in `r`; an empty optional for an unknown task; an error for anything else.
  static std::optional<std::optional<SharedTaskDecision>> read(const RespReply& r) {
    if (r.type != RespReply::Type::array) return std::nullopt;
    const auto& e = r.elements;
    if (e.empty()) return std::optional<SharedTaskDecision>{};
    if (e.size() != 7) return std::nullopt;
    for (std::size_t i = 0; i < 6; ++i)
      if (e[i].type != RespReply::Type::integer) return std::nullopt;
    if (e[6].type != RespReply::Type::string && e[6].type != RespReply::Type::nil) return std::nullopt;
    SharedTaskDecision d;
    d.admitted = e[0].integer == 1;
    d.usage.calls = e[1].integer;
    d.usage.tokens = e[2].integer;
    d.usage.tokens_reserved = e[3].integer;
    d.usage.call_limit = e[4].integer;
    if (e[5].integer >= 0) d.usage.token_limit = e[5].integer;
    d.kind = e[6].text.empty() ? "default" : e[6].text;
    return std::optional<SharedTaskDecision>{std::move(d)};
  }

  Error bad(const RespReply& r) const {
    return Error{Errc::parse_error,
                 fmt::format("Redis at {} answered the task budget script with something else than it returns{}{}",
                             redis_->describe(), r.is_error() ? ": " : "", r.is_error() ? r.text : "")};
  }

  std::shared_ptr<ScriptRunner> redis_;
  std::string prefix_;
  std::string ns_;
  SharedFailure on_failure_;
  std::string ttl_ms_;
};

}  // namespace governed::redis
