#pragma once
/// @file
/// The Lua scripts a shared limit set (redis/limits.hpp) runs in Redis, each a constant text
/// beside a function that gives it with its SHA-1, so it runs by `EVALSHA` and is loaded again
/// when a restarted or flushed server answers `NOSCRIPT`:
///
/// - `admit_lua` (`admit_script`): one admission. GCRA on every rate dimension of the set,
///   checked and taken together — all or nothing — after the set's health record (allowance
///   spent, target cooling) is read; and the barrier a refused oversized request leaves so the
///   other processes let the limit rest for it (the file comment of redis/limits.hpp says why).
///   `read_admit_reply` reads its answer, and refuses any other.
/// - `adjust_lua` (`adjust_script`): what follows an admission without a round trip of its own —
///   refunds and debts once the real usage is known, and a provider's limit headers synced into
///   a dimension.
/// - `health_lua` (`health_script`): the record that a set's allowance is spent, or its target
///   cooling down, until an instant; `admit_lua` reads it.
///
/// GCRA's arithmetic is written twice, and the two must agree: `admit_lua`'s `gcra_step`,
/// `gcra_burst_step`, `gcra_oversized_step` and `gcra_remaining` mirror the pure step function
/// of limiter/gcra_step.hpp line for line, with the same names in the same order, in whole µs
/// instead of ns; `adjust_lua`'s refund, debt and sync are `limiter::gcra`'s `refund`, `consume`
/// and `sync`. One table of vectors, tests/data/gcra_vectors.hpp, is checked against both:
/// tests/limiter/gcra_vectors.cpp runs it through the C++ step and the limiter,
/// tests/redis/gcra_vectors.cpp through `admit_script` on a real redis-server. A change to one
/// side is a change to the other, and that table says whether they still agree.

#include <governed/redis/reply.hpp>
#include <governed/redis/script.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace governed::redis {

/// The admission script. KEYS: one hash per rate dimension taking part, then the set's health
/// key. ARGV[1]: now in µs, or "" for the server's TIME; ARGV[2]: the wall clock in µs, or ""
/// for TIME; then per dimension: cells, emission interval T (µs), burst (cells), and how long
/// past resting the key is kept (ms). Replies {1, now, stamp, epoch, available, …} when
/// admitted, {0, now, refusing key (1-based), wait µs, available, …} when not, {2, now, until}
/// when the set's allowance is recorded spent until `until` (wall µs), and {3, now, wait µs}
/// while a process that met the provider's 429 has the set cooling down.
///
/// Its `gcra_step`, `gcra_burst_step`, `gcra_oversized_step` and `gcra_remaining` are those of
/// limiter/gcra_step.hpp line for line, in whole µs; tests/redis/gcra_vectors.cpp runs the
/// vectors the C++ step is checked against through this script.
inline constexpr std::string_view admit_lua = R"lua(-- governed: admit on a shared GCRA limit set, all dimensions or none
-- GCRA's arithmetic, line for line as limiter::gcra_step (limiter/gcra_step.hpp), in microseconds
-- and Lua numbers: exact while instants and products stay below 2^53 (285 years past 1970).
-- A TAT never written, or expired after resting, is the far past, as limiter::gcra_rested.
local rested = -math.huge
-- Cells that could be taken at once at now when the TAT is tat.
local function gcra_remaining(tat, now, interval, horizon)
  local level = tat > now and tat - now or 0
  local span = horizon - level
  if span <= 0 then return 0 end
  return math.floor(span / interval)
end
-- Above the burst: admitted once rested (cells - burst) T by the TAT it finds, its cells then run
-- from now. The capacity check (above the largest request) is made before Redis is asked.
local function gcra_oversized_step(tat, cells, now, interval, burst)
  local wait = tat + (cells - burst) * interval - now
  local next_tat = now + cells * interval
  return wait, next_tat
end
-- Within the burst: each cell moves the TAT T past max(TAT, now); refused while that leaves it
-- more than the horizon (burst T) ahead of now.
local function gcra_burst_step(tat, cells, now, interval, burst)
  local horizon = burst * interval
  local next_tat = math.max(tat, now) + cells * interval
  local ahead = next_tat - now
  local wait = ahead - horizon
  return wait, next_tat
end
-- Returns the wait (> 0: refused) and the TAT an admission leaves (written only when every
-- dimension admits).
local function gcra_step(tat, cells, now, interval, burst)
  if cells > burst then return gcra_oversized_step(tat, cells, now, interval, burst) end
  return gcra_burst_step(tat, cells, now, interval, burst)
end
local now, wall
if ARGV[1] == '' or ARGV[2] == '' then
  local t = redis.call('TIME')
  local server = tonumber(t[1]) * 1000000 + tonumber(t[2])
  now = tonumber(ARGV[1]) or server
  wall = tonumber(ARGV[2]) or server
else
  now = tonumber(ARGV[1])
  wall = tonumber(ARGV[2])
end
local health = redis.call('HMGET', KEYS[#KEYS], 'x', 'c')
local spent, cooled = tonumber(health[1]), tonumber(health[2])
if spent and spent > wall then return {2, now, spent} end
if cooled and cooled > wall then return {3, now, cooled - wall} end
local k = #KEYS - 1
-- How long past its due instant an oversized request's barrier holds: time for its retry to
-- arrive, and the most an abandoned one delays the others beyond the rest it asked for.
local grace = 1000000
local tat, ret, ep, nxt, per, burst, cells, keep, hold, held = {}, {}, {}, {}, {}, {}, {}, {}, {}, {}
local bound, worst = 0, 0
local function barrier(i, stored, n)
  -- Holds the TAT at most where it is until the oversized request is due, and a grace after.
  local due = stored + (n - burst[i]) * per[i]
  hold[i] = {due + grace, stored, due, n}
  redis.call('HSET', KEYS[i], 'u', due + grace, 'c', stored, 'a', due, 'n', n)
  redis.call('PEXPIRE', KEYS[i], math.ceil((due + grace - now) / 1000) + keep[i])
end
for i = 1, k do
  local b = 2 + (i - 1) * 4
  local n = tonumber(ARGV[b + 1])
  cells[i] = n
  per[i] = tonumber(ARGV[b + 2])
  burst[i] = tonumber(ARGV[b + 3])
  keep[i] = tonumber(ARGV[b + 4])
  local v = redis.call('HMGET', KEYS[i], 't', 'r', 'e', 'u', 'c', 'a', 'n')
  local stored = tonumber(v[1])
  tat[i] = stored or rested
  ret[i] = tonumber(v[2]) or 0
  ep[i] = tonumber(v[3])
  local ends = tonumber(v[4])
  held[i] = ends ~= nil
  -- An oversized request's barrier, while it holds: {end, TAT cap, due, its cells}.
  if ends and ends > now then hold[i] = {ends, tonumber(v[5]), tonumber(v[6]), tonumber(v[7])} end
  local over
  over, nxt[i] = gcra_step(tat[i], n, now, per[i], burst[i])
  if n > burst[i] then
    -- Oversized: a refusal leaves a barrier so the other processes let the limit rest for it
    -- (a missing key has rested longer than it needs: no refusal, no barrier).
    local h = hold[i]
    if not h then
      if over > 0 then barrier(i, stored, n) end
    elseif h[4] ~= n then
      -- Another request's barrier: its rest is not this one's; wait until it is cleared.
      over = math.max(over, h[1] - now)
    elseif over > 0 and now >= h[3] then
      -- Due, yet a debt or a provider's count moved the TAT past the cap: hold again from it.
      barrier(i, stored, n)
    else
      over = math.max(over, h[3] - now)
    end
  elseif hold[i] and nxt[i] > hold[i][2] then
    -- Under a barrier, only cells that keep the TAT at or below its cap.
    over = math.max(over, hold[i][1] - now)
  end
  if over > 0 and (bound == 0 or over > worst) then
    bound = i
    worst = over
  end
end
-- What remains of dimension i at a TAT t: none while a barrier holds the rest for an
-- oversized request.
local function available(i, t)
  if hold[i] then return 0 end
  return gcra_remaining(t, now, per[i], burst[i] * per[i])
end
if bound > 0 then
  local out = {0, now, bound, worst}
  for i = 1, k do out[#out + 1] = available(i, tat[i]) end
  return out
end
local out = {1, now}
for i = 1, k do
  if ep[i] then
    redis.call('HSET', KEYS[i], 't', nxt[i])
  else
    ep[i] = now
    ret[i] = 0
    redis.call('HSET', KEYS[i], 't', nxt[i], 'r', 0, 'e', now)
  end
  if cells[i] > burst[i] and held[i] then
    -- The oversized request a barrier held for (or one after it ended) clears it.
    redis.call('HDEL', KEYS[i], 'u', 'c', 'a', 'n')
    hold[i] = nil
  end
  local last = hold[i] and math.max(nxt[i], hold[i][1]) or nxt[i]
  redis.call('PEXPIRE', KEYS[i], math.ceil((last - now) / 1000) + keep[i])
  out[#out + 1] = nxt[i] + ret[i]
  out[#out + 1] = ep[i]
  out[#out + 1] = available(i, nxt[i])
end
return out
)lua";

/// `admit_lua` with its SHA-1, for EVALSHA; made once, on first use.
inline const Script& admit_script() {
  static const Script s{std::string(admit_lua)};
  return s;
}

/// A µs count from the script as a `Duration`, clamped to what nanoseconds hold: the reply is a
/// server's bytes, and a count near the int64 range must not overflow the conversion.
inline Duration script_micros(std::int64_t us) noexcept {
  constexpr std::int64_t limit = std::numeric_limits<Duration::rep>::max() / 1000;
  return std::chrono::duration_cast<Duration>(std::chrono::microseconds{std::clamp(us, -limit, limit)});
}

/// `admit_lua`'s reply `r`, read: for keys of the dimensions `which[0..k)` (the script's KEYS
/// in order, before the health key), the decision it answers — admitted with each dimension's
/// stamp, epoch and what remains; refused by the dimension with the longest wait; the set's
/// allowance recorded spent until an instant; or its target cooling down. Nothing when `r` is
/// not a reply the script gives (an error, another shape, an index or a wait out of range).
inline std::optional<SharedDecision> read_admit_reply(const RespReply& r, const std::array<std::size_t, 6>& which,
                                                      std::size_t k) {
  SharedDecision out;
  out.available.fill(UINT64_MAX);
  const auto& e = r.elements;
  if (r.type != RespReply::Type::array || e.size() < 2) return std::nullopt;
  for (const auto& x : e)
    if (x.type != RespReply::Type::integer) return std::nullopt;
  if (e[0].integer == 2) {
    if (e.size() != 3) return std::nullopt;
    out.exhausted_until = WallTime{script_micros(e[2].integer)};
    return out;
  }
  if (e[0].integer == 3) {
    if (e.size() != 3 || e[2].integer < 0) return std::nullopt;
    out.bound = SharedDecision::target;
    out.retry_after = script_micros(e[2].integer);
    return out;
  }
  if (e[0].integer == 1) {
    if (e.size() != 2 + 3 * k) return std::nullopt;
    out.admitted = true;
    for (std::size_t j = 0; j < k; ++j) {
      out.stamps[which[j]] = e[2 + 3 * j].integer;
      out.epochs[which[j]] = e[3 + 3 * j].integer;
      out.available[which[j]] = static_cast<std::uint64_t>(std::max<std::int64_t>(0, e[4 + 3 * j].integer));
    }
    return out;
  }
  if (e[0].integer != 0 || e.size() != 4 + k || e[2].integer < 1 || static_cast<std::size_t>(e[2].integer) > k ||
      e[3].integer < 0)
    return std::nullopt;
  out.bound = which[static_cast<std::size_t>(e[2].integer - 1)];
  out.retry_after = script_micros(e[3].integer);
  for (std::size_t j = 0; j < k; ++j)
    out.available[which[j]] = static_cast<std::uint64_t>(std::max<std::int64_t>(0, e[4 + j].integer));
  return out;
}

/// The adjustment script: refunds ('r': cells, stamp, epoch), debts ('c': cells) and provider
/// syncs ('s': remaining, reset µs, largest request), the same arithmetic as `limiter::gcra`'s `refund`,
/// `consume` and `sync`. KEYS: one hash per dimension; ARGV[1]: now or ""; then per key: op, a,
/// b, c, T (µs), burst, keep (ms).
inline constexpr std::string_view adjust_lua = R"lua(-- governed: reconcile or sync a shared GCRA limit set
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
for i = 1, #KEYS do
  local b = 1 + (i - 1) * 7
  local op = ARGV[b + 1]
  local a, s, e = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  local per, burst, keep = tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7])
  local v = redis.call('HMGET', KEYS[i], 't', 'r', 'e', 'u')
  local tat, ret, ep = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3])
  -- An oversized request's barrier keeps the key until it ends.
  local ends = tonumber(v[4]) or 0
  local new
  if op == 'r' then
    -- Only slots still ahead of now go back, and only to the incarnation that took them.
    if tat and ep == e and tat > now then
      local stop = s - ret
      local ahead = stop - now
      if ahead > 0 then
        new = math.max(tat - math.min(a * per, ahead), now)
        if new >= tat then
          new = nil
        elseif stop < tat then
          redis.call('HSET', KEYS[i], 'r', ret + tat - new)
        end
      end
    end
  elseif op == 'c' then
    new = math.max(tat or 0, now) + a * per
  elseif op == 's' then
    local floor
    if a == 0 then
      floor = now + math.max(s, 0) + (burst - 1) * per
    elseif a < burst then
      floor = now + (burst - a) * per
    elseif a < e then
      -- Room for the burst, but an oversized request above what remains must wait.
      floor = now - (a - burst) * per
    end
    if floor and (not tat or tat < floor) then new = floor end
  end
  if new then
    if ep then
      redis.call('HSET', KEYS[i], 't', new)
    else
      redis.call('HSET', KEYS[i], 't', new, 'r', 0, 'e', now)
    end
    redis.call('PEXPIRE', KEYS[i], math.ceil((math.max(new, ends) - now) / 1000) + keep)
  end
end
return #KEYS
)lua";

/// `adjust_lua` with its SHA-1, for EVALSHA; made once, on first use.
inline const Script& adjust_script() {
  static const Script s{std::string(adjust_lua)};
  return s;
}

/// The health script: KEYS[1] the set's health key, ARGV[1] until when (wall µs), ARGV[2] the
/// wall clock now (µs; "" for the server's TIME), ARGV[3] the field: 'x' the allowance is spent,
/// 'c' the target is cooling down. A later end than the recorded one wins; the key lives until
/// its last record ends (relative to the caller's clock, which under a manual clock is not the
/// server's).
inline constexpr std::string_view health_lua = R"lua(-- governed: record a shared limit set's allowance spent, or its target cooling
local stop = tonumber(ARGV[1])
local wall = tonumber(ARGV[2])
if not wall then
  local t = redis.call('TIME')
  wall = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
if stop <= wall then return 0 end
local recorded = tonumber(redis.call('HGET', KEYS[1], ARGV[3]))
if recorded and recorded >= stop then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], stop)
local ttl = math.ceil((stop - wall) / 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
)lua";

/// `health_lua` with its SHA-1, for EVALSHA; made once, on first use.
inline const Script& health_script() {
  static const Script s{std::string(health_lua)};
  return s;
}

}  // namespace governed::redis
