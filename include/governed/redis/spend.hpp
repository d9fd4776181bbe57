#pragma once
/// @file
/// USD spend budgets in Redis: every process whose `State` points at the same Redis (and
/// namespace) charges one daily and one monthly budget, so a $10 day is $10 across the fleet.
///
/// Keys (`<p>` = `governed:<namespace>:budget:{<namespace>|spend}`):
///   `<p>:day:2026-12-02`, `<p>:month:2026-12`  hash: `spent` and `held` (nano-dollars),
///                                               `h:<hold>` (each hold's amount), `a:<threshold>`
///                                               (an alert raised)
///   `<p>:day:2026-12-02:holds`, `…:holds`       sorted set: hold names scored by when they expire
/// Every key of a budget shares the hash tag, so a script's keys sit in one Redis Cluster slot.
/// Each period's keys expire `BackendOptions::budget_keep` after the period ends (PEXPIRE,
/// renewed by each write), so old days clean themselves away. The period id is the local date
/// the period starts on, in the budget's time zone: every process must configure the same zone.
///
/// Two scripts: `reserve` checks spent + held + need against the limit of every configured
/// period and holds `need` in all of them or none — in Redis, so processes never interleave
/// between the check and the hold; `settle` drops a hold and charges the real cost, raising a
/// threshold's alert with HSETNX, so exactly one process (the one whose charge crosses it)
/// reports it per period. Release (a call that never went out) is `settle` charging nothing,
/// sent without waiting for its reply.
///
/// Holds of a process that dies between reserve and settle: each hold is scored with an
/// expiry (the caller's wall clock + `BackendOptions::hold_ttl`), and every reserve first drops
/// the holds whose expiry has passed, giving their amount back. The expiry is per hold, not a
/// TTL on a shared counter, because one counter's TTL would be renewed by every live call and
/// never let a dead one's share go; a sorted set finds the expired ones in O(log n). A call
/// that outlives its hold (a stream longer than `hold_ttl`) is still charged in full at settle:
/// only the worst case it held was given back early. Times are the callers' wall clocks, like
/// the periods themselves (a manual clock in tests moves them exactly); clocks a few seconds
/// apart only move an expiry by that much.
///
/// Money is integer nano-dollars, as in memory; Lua compares them as doubles, exact below
/// 2^53 nano-dollars ($9 million).

#include <governed/budget/spend.hpp>
#include <governed/redis/client.hpp>
#include <governed/result.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::redis {

/// KEYS: day hash, day holds, month hash, month holds. ARGV: now (wall µs), need ("" to only
/// read), hold, hold expiry (wall µs), then per period its limit (-1: none) and key TTL (ms).
/// Replies {admitted, day spent, day held, month spent, month held}, the totals before the hold.
inline const Script& spend_reserve_script() {
  static const Script s{R"lua(-- governed: reserve on a shared spend budget, every period or none
local now = tonumber(ARGV[1])
local need = tonumber(ARGV[2])
local spent, held = {}, {}
for w = 0, 1 do
  local h, z = KEYS[1 + 2 * w], KEYS[2 + 2 * w]
  -- holds whose owner never settled them (it died) give their amount back once expired
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  for _, id in ipairs(gone) do
    local amount = redis.call('HGET', h, 'h:' .. id)
    if amount then
      redis.call('HDEL', h, 'h:' .. id)
      redis.call('HINCRBY', h, 'held', -tonumber(amount))
    end
  end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
  local v = redis.call('HMGET', h, 'spent', 'held')
  spent[w + 1] = tonumber(v[1]) or 0
  held[w + 1] = tonumber(v[2]) or 0
end
local out = {0, spent[1], held[1], spent[2], held[2]}
if not need then return out end
for w = 1, 2 do
  local limit = tonumber(ARGV[3 + 2 * w])
  if limit >= 0 and spent[w] + held[w] + need > limit then return out end
end
for w = 0, 1 do
  local h, z, ttl = KEYS[1 + 2 * w], KEYS[2 + 2 * w], ARGV[6 + 2 * w]
  redis.call('HSET', h, 'h:' .. ARGV[3], ARGV[2])
  redis.call('HINCRBY', h, 'held', ARGV[2])
  redis.call('ZADD', z, ARGV[4], ARGV[3])
  redis.call('PEXPIRE', h, ttl)
  redis.call('PEXPIRE', z, ttl)
end
out[1] = 1
return out
)lua"};
  return s;
}

/// KEYS: the hold's day hash and holds, its month hash and holds, then the hashes of the day
/// and month to charge. ARGV: hold ("": none), cost ("": release only), the two charged keys'
/// TTLs (ms), then per charged period a count n and n pairs (threshold name, spend that reaches
/// it). Replies {period (1 day, 2 month), threshold, spent, …} for each threshold this charge
/// crossed first.
inline const Script& spend_settle_script() {
  static const Script s{R"lua(-- governed: settle or release a hold on a shared spend budget
local id = ARGV[1]
if id ~= '' then
  for w = 0, 1 do
    local h, z = KEYS[1 + 2 * w], KEYS[2 + 2 * w]
    local amount = redis.call('HGET', h, 'h:' .. id)
    if amount then
      redis.call('HDEL', h, 'h:' .. id)
      redis.call('HINCRBY', h, 'held', -tonumber(amount))
    end
    redis.call('ZREM', z, id)
  end
end
local out = {}
if ARGV[2] == '' then return out end
local a = 5
for w = 1, 2 do
  local h = KEYS[4 + w]
  local spent = redis.call('HINCRBY', h, 'spent', ARGV[2])
  redis.call('PEXPIRE', h, ARGV[2 + w])
  local n = tonumber(ARGV[a])
  a = a + 1
  for i = 1, n do
    local name, at = ARGV[a], tonumber(ARGV[a + 1])
    a = a + 2
    if spent >= at and redis.call('HSETNX', h, 'a:' .. name, 1) == 1 then
      out[#out + 1] = w
      out[#out + 1] = name
      out[#out + 1] = spent
    end
  end
end
return out
)lua"};
  return s;
}

/// A spend budget's store in Redis (see the file comment).
class RedisSpend final : public SharedSpend {
 public:
  /// `prefix`: what every key of the budget starts with, hash tag included.
  RedisSpend(std::shared_ptr<ScriptRunner> redis, std::string prefix, unsigned replicas, SharedFailure on_failure,
             Duration hold_ttl, Duration keep)
      : redis_(std::move(redis)),
        prefix_(std::move(prefix)),
        replicas_(replicas),
        on_failure_(on_failure),
        hold_ttl_(hold_ttl),
        keep_(keep),
        token_(std::random_device{}() * std::uint64_t{0x100000000} + std::random_device{}()) {}

  Result<SharedSpendDecision> reserve(const std::array<SpendWindow, 2>& windows, std::optional<std::int64_t> need,
                                      std::string_view hold, WallTime now) override {
    const std::array<std::string, 4> keys{key(windows[0]), holds(windows[0]), key(windows[1]), holds(windows[1])};
    const std::array<std::string, 8> args{micros(now),
                                          need ? std::to_string(*need) : std::string{},
                                          std::string(hold),
                                          micros(now + hold_ttl_),
                                          std::to_string(windows[0].limit.value_or(-1)),
                                          ttl_ms(windows[0], now),
                                          std::to_string(windows[1].limit.value_or(-1)),
                                          ttl_ms(windows[1], now)};
    auto r = redis_->eval(spend_reserve_script(), views(keys), views(args));
    if (!r) return tl::unexpected(r.error());
    const auto& e = r->elements;
    if (r->type != RespReply::Type::array || e.size() != 5) return bad(*r);
    for (const auto& x : e)
      if (x.type != RespReply::Type::integer) return bad(*r);
    SharedSpendDecision d;
    d.admitted = e[0].integer == 1;
    d.totals = {SpendTotals{e[1].integer, e[2].integer}, SpendTotals{e[3].integer, e[4].integer}};
    return d;
  }

  Result<std::vector<SharedSpendAlert>> settle(std::string_view hold, const std::array<std::string, 2>& held_in,
                                               const std::array<SpendWindow, 2>& windows, std::int64_t actual,
                                               const std::array<std::vector<SpendThreshold>, 2>& thresholds,
                                               WallTime now) override {
    const auto keys = settle_keys(hold, held_in, windows);
    std::vector<std::string> args{std::string(hold), std::to_string(actual), ttl_ms(windows[0], now),
                                  ttl_ms(windows[1], now)};
    for (const auto& list : thresholds) {
      args.push_back(std::to_string(list.size()));
      for (const auto& t : list) {
        args.push_back(t.name);
        args.push_back(std::to_string(t.at));
      }
    }
    auto r = redis_->eval(spend_settle_script(), views(keys), views(args));
    if (!r) return tl::unexpected(r.error());
    const auto& e = r->elements;
    if (r->type != RespReply::Type::array || e.size() % 3 != 0) return bad(*r);
    std::vector<SharedSpendAlert> out;
    for (std::size_t i = 0; i < e.size(); i += 3) {
      if (e[i].type != RespReply::Type::integer || e[i].integer < 1 || e[i].integer > 2 ||
          e[i + 1].type != RespReply::Type::string || e[i + 2].type != RespReply::Type::integer)
        return bad(*r);
      out.push_back({static_cast<std::size_t>(e[i].integer - 1), e[i + 1].text, e[i + 2].integer});
    }
    return out;
  }

  void release(std::string_view hold, const std::array<std::string, 2>& held_in) noexcept override {
    try {
      // The periods it was held in are also the ones "charged" (with nothing): any key will do.
      const std::array<SpendWindow, 2> windows{SpendWindow{Period::day, held_in[0]},
                                               SpendWindow{Period::month, held_in[1]}};
      const auto keys = settle_keys(hold, held_in, windows);
      const std::array<std::string, 4> args{std::string(hold), std::string{}, "0", "0"};
      // Lost if Redis is out of reach: the hold then expires with its `hold_ttl`.
      (void)redis_->eval_later(spend_settle_script(), views(keys), views(args));
    } catch (...) {
      // A release runs in destructors; out of memory, the hold expires instead.
    }
  }

  std::string next_hold() override {
    return fmt::format("{:016x}-{}", token_, counter_.fetch_add(1, std::memory_order_relaxed));
  }

  unsigned replicas() const noexcept override { return replicas_; }
  SharedFailure on_failure() const noexcept override { return on_failure_; }

  /// The hash of `w`'s period.
  std::string key(const SpendWindow& w) const {
    return fmt::format("{}:{}:{}", prefix_, w.period == Period::day ? "day" : "month", w.id);
  }
  /// The sorted set of `w`'s holds.
  std::string holds(const SpendWindow& w) const { return key(w) + ":holds"; }

 private:
  std::array<std::string, 6> settle_keys(std::string_view, const std::array<std::string, 2>& held_in,
                                         const std::array<SpendWindow, 2>& windows) const {
    const SpendWindow hd{Period::day, held_in[0]}, hm{Period::month, held_in[1]};
    return {key(hd), holds(hd), key(hm), holds(hm), key(windows[0]), key(windows[1])};
  }

  template <std::size_t N>
  static std::array<std::string_view, N> views(const std::array<std::string, N>& s) {
    std::array<std::string_view, N> v;
    for (std::size_t i = 0; i < N; ++i) v[i] = s[i];
    return v;
  }
  static std::vector<std::string_view> views(const std::vector<std::string>& s) {
    return {s.begin(), s.end()};
  }

  static std::string micros(WallTime t) {
    return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
  }

  /// How long a period's keys live from `now`: until it ends, and `keep_` more.
  std::string ttl_ms(const SpendWindow& w, WallTime now) const {
    const auto left = std::max(Duration{0}, w.end - now) + keep_;
    return std::to_string(std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
  }

  tl::unexpected<Error> bad(const RespReply& r) const {
    return tl::unexpected(Error{Errc::parse_error,
                                fmt::format("Redis at {} answered the spend budget script with something else than it "
                                            "returns{}{}",
                                            redis_->describe(), r.is_error() ? ": " : "", r.is_error() ? r.text : "")});
  }

  std::shared_ptr<ScriptRunner> redis_;
  std::string prefix_;
  unsigned replicas_;
  SharedFailure on_failure_;
  Duration hold_ttl_;
  Duration keep_;
  std::uint64_t token_;  // sets this process's hold names apart from every other's
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace governed::redis
