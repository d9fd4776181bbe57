#pragma once
/// @file
/// Limit sets in Redis: every process that points its `State` at the same Redis (and
/// namespace) counts against one limit.
///
/// ```cpp
/// governed::StateConfig config;
/// config.shared = governed::redis::backend("redis://redis.internal:6379", {.replicas = 3}).value();
/// auto state = governed::State<>::create(std::move(config));   // call sites unchanged
/// ```
///
/// Each limit set is one Lua script call: GCRA on every rate dimension of the set, checked and
/// taken together — all or nothing — inside Redis, so no two processes ever interleave between
/// the check and the take. Time is the server's (`TIME`), so the processes' clocks never matter;
/// a State on a manual or scaled clock passes its own instants instead, so tests and the
/// time-scaled demo stay exact. The script runs by its SHA-1 (`EVALSHA`) and is loaded again
/// when a restarted or flushed server answers `NOSCRIPT`.
///
/// Keys: `governed:<namespace>:{<provider>|<account>|<group>}:<dimension>`, a hash of the
/// dimension's theoretical arrival time (`t`, µs), the time refunds have returned (`r`), the
/// instant it was created (`e`) and, while an oversized request waits, its barrier (`u`, `c`,
/// `a`, `n`: below), expiring once rested. The braces are a Redis Cluster hash tag:
/// one set's keys share a slot, different sets spread over the cluster. The account is named
/// by 12 hex digits of its SHA-1, never by its id.
///
/// Reconciliations (the real usage after a call) and provider header syncs are written at once
/// and their replies read with the next call's: they cost no round trip of their own.
///
/// A request above a dimension's burst but within its published limit (oversized) follows
/// `limiter::gcra`'s rule: admitted once the dimension has been rested for (n − burst)·T, by the
/// stored TAT; a key that has expired has rested at least that long, since each is kept that
/// much past resting.
///
/// Other processes sending at the sustained rate would keep the TAT from ever resting that
/// long — a process's wait line orders only its own calls — so a refused oversized request
/// leaves a barrier in the dimension's hash: the TAT cap `c` (the TAT it was refused at), the
/// instant `a` it is due (c + (n − burst)·T), its cells `n`, and the barrier's end `u`, a
/// second after `a`. Until `u`, a request within the burst is admitted only if its new TAT
/// stays at or below `c` (room a refund made), so the limit rests for the oversized one; an
/// oversized request of another size waits for the barrier to end; one of `n` cells is
/// admitted by the rule from `a` on and clears it. A requester that gave up (its caller's
/// patience was shorter, it crashed) holds the others back until `u`, then the barrier is
/// ignored and overwritten by the next. When the one that set it comes at `a` and a debt or a
/// provider's count has moved the TAT past the cap meanwhile, the barrier is set again from
/// that TAT. Every admission is one the plain rule admits too, so the window rule holds as
/// without barriers; a set that never sees an oversized request reads four more empty fields.
/// Two oversized requests of the same size can not be told apart: whichever comes first from
/// `a` on passes, and the other sets the next barrier.
///
/// A record
/// that an account's allowance is spent (`:health`, checked by every admission) is waited for,
/// and written back later if Redis could not be reached.
///
/// The same backend keeps the State's USD spend budget (redis/spend.hpp) and task budgets
/// (redis/tasks.hpp) in Redis, totals its statistics there (redis/stats.hpp), shares its
/// response cache (redis/cache.hpp), and tells every process the keys one found rejected and
/// the models one gave up on (redis/health.hpp).

#include <governed/saturating.hpp>
#include <governed/limit_key.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/redis/cache.hpp>
#include <governed/redis/client.hpp>
#include <governed/redis/health.hpp>
#include <governed/redis/spend.hpp>
#include <governed/redis/stats.hpp>
#include <governed/redis/tasks.hpp>
#include <governed/result.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// The adjustment script: refunds ('r': cells, stamp, epoch), debts ('c': cells) and provider
/// syncs ('s': remaining, reset µs, largest request), the same arithmetic as `limiter::gcra`'s `refund`,
/// `consume` and `sync`. KEYS: one hash per dimension; ARGV[1]: now or ""; then per key: op, a,
/// b, c, T (µs), burst, keep (ms).
inline const Script& adjust_script() {
  static const Script s{R"lua(-- governed: reconcile or sync a shared GCRA limit set
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
)lua"};
  return s;
}

/// The health script: KEYS[1] the set's health key, ARGV[1] until when (wall µs), ARGV[2] the
/// wall clock now (µs; "" for the server's TIME), ARGV[3] the field: 'x' the allowance is spent,
/// 'c' the target is cooling down. A later end than the recorded one wins; the key lives until
/// its last record ends (relative to the caller's clock, which under a manual clock is not the
/// server's).
inline const Script& health_script() {
  static const Script s{R"lua(-- governed: record a shared limit set's allowance spent, or its target cooling
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
)lua"};
  return s;
}

/// How a `State`'s limit sets use Redis.
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
  /// back. Worth it when one process makes many calls a second; 0 or 1: every admission is a
  /// round trip.
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

inline constexpr std::array<std::string_view, 6> dimension_keys{"rpm", "tpm", "itpm", "otpm", "rpd", "tpd"};

/// A name that can sit inside a key and its hash tag: no braces, no spaces, no control bytes.
inline std::string key_part(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out.push_back(c == '{' || c == '}' || static_cast<unsigned char>(c) <= 0x20 ? '_' : c);
  return out;
}

/// Fixed storage for the decimal numbers of one script call's arguments.
class Numbers {
 public:
  std::string_view add(std::int64_t v) {
    auto& slot = slots_[used_++];
    const auto r = std::to_chars(slot.data(), slot.data() + slot.size(), v);
    return {slot.data(), static_cast<std::size_t>(r.ptr - slot.data())};
  }

 private:
  std::array<std::array<char, 24>, 48> slots_{};
  std::size_t used_ = 0;
};

}  // namespace detail

/// One limit set's rate dimensions in Redis (see the file comment).
class SharedLimitSet final : public SharedLimits {
 public:
  SharedLimitSet(std::shared_ptr<ScriptRunner> redis, std::string prefix,
                 const std::array<std::optional<limiter::Limit>, 6>& plan, bool real_time, std::uint32_t lease = 0,
                 Duration lease_hold = std::chrono::milliseconds{100},
                 Duration reconnect_wait = std::chrono::milliseconds{100})
      : redis_(std::move(redis)),
        real_time_(real_time),
        health_key_(prefix + ":health"),
        reconnect_wait_(reconnect_wait),
        lease_calls_(lease),
        lease_hold_(lease_hold) {
    for (std::size_t i = 0; i < 6; ++i) {
      if (!plan[i]) continue;
      Dim& d = dims_[i];
      d.present = true;
      d.key = fmt::format("{}:{}", prefix, detail::dimension_keys[i]);
      // T rounded up to whole µs: never a faster rate than planned.
      const std::int64_t window_ns = std::max<std::int64_t>(1, plan[i]->window.count());
      const std::int64_t cells = static_cast<std::int64_t>(std::max<std::uint64_t>(1, plan[i]->cells));
      const std::int64_t per_ns = (window_ns + cells - 1) / cells;
      d.per_us = std::max<std::int64_t>(1, (per_ns + 999) / 1000);
      d.burst = static_cast<std::int64_t>(plan[i]->burst);
      d.largest = static_cast<std::int64_t>(std::min<std::uint64_t>(limiter::largest_request(*plan[i]), INT64_MAX));
      // Kept a whole window past resting, so a reconcile that comes late still finds the
      // incarnation its admission was stamped in, and at least as long as the largest request
      // waits for rest, so a key that has expired has rested enough for any.
      const auto lead_us = static_cast<governed::detail::i128>(d.largest - d.burst) * d.per_us;
      const std::int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(plan[i]->window).count();
      d.keep_ms = static_cast<std::int64_t>(
                      std::min<governed::detail::i128>(std::max<governed::detail::i128>(window_ms, lead_us / 1000 + 1),
                                                       governed::detail::i64_max / 4)) +
                  1000;
    }
  }

  ~SharedLimitSet() override {
    std::lock_guard lk(lease_mutex_);
    give_back_lease(Instant{});
  }

  Result<SharedDecision> admit(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall) override {
    if (lease_calls_ <= 1) return admit_remote(cells, now, wall);
    // Held across the round trip: the threads that find the lease spent wait for the one
    // refilling it rather than each taking a block.
    std::lock_guard lk(lease_mutex_);
    std::array<std::uint64_t, 6> block{};
    if (auto spent = spend_lease(cells, now, block)) return *spent;
    auto d = admit_remote(block, now, wall);
    if (!d || d->exhausted_until) return d;
    if (!d->admitted) return admit_remote(cells, now, wall);  // the block does not fit: this call alone
    return take_lease(*d, block, cells, now);
  }

  /// As `admit`, asking Redis on a pipelined connection of `executor`'s context (see
  /// `ScriptRunner::async_eval`). A call the current lease covers is answered at once; one that
  /// finds a refill already asked for goes to Redis for its own cells.
  void async_admit(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall,
                   boost::asio::any_io_executor executor, DecisionHandler done) override {
    if (lease_calls_ <= 1) return admit_remote_async(cells, now, wall, executor, std::move(done));
    std::array<std::uint64_t, 6> block{};
    {
      std::lock_guard lk(lease_mutex_);
      if (auto spent = spend_lease(cells, now, block)) {
        return boost::asio::post(executor, [d = std::move(*spent), done = std::move(done)]() mutable {
          std::move(done)(Result<SharedDecision>(std::move(d)));
        });
      }
      if (refilling_) block = cells;
      else refilling_ = block != cells;
    }
    if (block == cells) return admit_remote_async(cells, now, wall, executor, std::move(done));
    admit_remote_async(block, now, wall, executor,
                       [this, block, cells, now, wall, executor, done = std::move(done)](Result<SharedDecision> d) mutable {
                         std::unique_lock lk(lease_mutex_);
                         refilling_ = false;
                         if (d && d->admitted) return std::move(done)(take_lease(*d, block, cells, now));
                         lk.unlock();
                         if (!d || d->exhausted_until) return std::move(done)(std::move(d));
                         admit_remote_async(cells, now, wall, executor, std::move(done));  // the block does not fit
                       });
  }

 private:
  /// (Lease lock held.) The decision for `cells` out of the current lease, when it covers
  /// them; otherwise the lease goes back and `block` is what the next one should take:
  /// `lease_calls_` calls like this one, within each dimension's burst.
  std::optional<SharedDecision> spend_lease(const std::array<std::uint64_t, 6>& cells, Instant now,
                                            std::array<std::uint64_t, 6>& block) {
    if (lease_.active && now < lease_.expires && fits(cells)) {
      SharedDecision d = lease_.taken;
      for (std::size_t i = 0; i < 6; ++i) {
        lease_.left[i] -= cells[i];
        d.available[i] = dims_[i].present ? lease_.left[i] : UINT64_MAX;
      }
      return d;
    }
    give_back_lease(now);
    for (std::size_t i = 0; i < 6; ++i) {
      if (!dims_[i].present || cells[i] == 0) continue;
      const auto burst = static_cast<std::uint64_t>(dims_[i].burst);
      block[i] = std::max(cells[i], std::min(burst, cells[i] * lease_calls_));
    }
    return std::nullopt;
  }

  /// (Lease lock held.) Keeps what the admitted `block` holds beyond this call's `cells` as
  /// the new lease (a lease taken meanwhile goes back first).
  SharedDecision take_lease(const SharedDecision& d, const std::array<std::uint64_t, 6>& block,
                            const std::array<std::uint64_t, 6>& cells, Instant now) {
    give_back_lease(now);
    lease_.active = true;
    lease_.taken = d;
    lease_.expires = now + lease_hold_;
    for (std::size_t i = 0; i < 6; ++i) {
      lease_.size[i] = block[i];
      lease_.left[i] = block[i] - cells[i];
    }
    return d;
  }

 private:
  bool fits(const std::array<std::uint64_t, 6>& cells) const noexcept {
    for (std::size_t i = 0; i < 6; ++i)
      if (dims_[i].present && cells[i] > lease_.left[i]) return false;
    return true;
  }

  /// Returns the unspent cells of the current lease to Redis (refunds of the block's slots
  /// that are still ahead of now).
  void give_back_lease(Instant now) {
    if (!lease_.active) return;
    lease_.active = false;
    std::array<std::uint64_t, 6> was{}, is{};
    bool any = false;
    for (std::size_t i = 0; i < 6; ++i) {
      was[i] = lease_.left[i];
      any = any || lease_.left[i] > 0;
    }
    if (any) reconcile(lease_.taken, was, is, now == Instant{} ? lease_.expires : now);
  }

  /// One run of the admit script: its keys and arguments (views into `num`, so an `AdmitCall`
  /// stays where it was built), and which dimension each key is.
  struct AdmitCall {
    detail::Numbers num;
    std::array<std::string_view, 7> keys{};
    std::array<std::string_view, 2 + 6 * 4> args{};
    std::array<std::size_t, 6> which{};
    std::size_t k = 0, a = 0;
    std::span<const std::string_view> key_span() const { return {keys.data(), k + 1}; }
    std::span<const std::string_view> arg_span() const { return {args.data(), a}; }
  };

  void prepare(AdmitCall& c, const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall) const {
    c.args[c.a++] = time_arg(c.num, now);
    c.args[c.a++] = real_time_ ? std::string_view{} : c.num.add(wall.time_since_epoch().count() / 1000);
    for (std::size_t i = 0; i < 6; ++i) {
      const Dim& d = dims_[i];
      if (!d.present || cells[i] == 0) continue;
      c.which[c.k] = i;
      c.keys[c.k++] = d.key;
      c.args[c.a++] = c.num.add(static_cast<std::int64_t>(cells[i]));
      c.args[c.a++] = c.num.add(d.per_us);
      c.args[c.a++] = c.num.add(d.burst);
      c.args[c.a++] = c.num.add(d.keep_ms);
    }
    c.keys[c.k] = health_key_;
  }

  Result<SharedDecision> admit_remote(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall) {
    AdmitCall c;
    prepare(c, cells, now, wall);
    auto r = redis_->eval(admit_script(), c.key_span(), c.arg_span());
    if (!r) return tl::unexpected(r.error());
    write_back_pending(wall);
    return decide(*r, c.which, c.k);
  }

  /// As `admit_remote`, asked without blocking; `done(Result<SharedDecision>)` on `executor`.
  template <class Handler>
  void admit_remote_async(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall,
                          const boost::asio::any_io_executor& executor, Handler&& done) {
    AdmitCall c;
    prepare(c, cells, now, wall);
    redis_->async_eval(admit_script(), c.key_span(), c.arg_span(), executor,
                       [this, which = c.which, k = c.k, wall, done = std::forward<Handler>(done)](Result<RespReply> r) mutable {
                         if (!r) return std::move(done)(Result<SharedDecision>(tl::unexpected(r.error())));
                         // Rare (only after an outage), and then one blocking write.
                         write_back_pending(wall);
                         std::move(done)(decide(*r, which, k));
                       });
  }

  /// The admit script's reply `r` for keys of dimensions `which[0..k)`.
  Result<SharedDecision> decide(const RespReply& r, const std::array<std::size_t, 6>& which, std::size_t k) const {
    SharedDecision out;
    out.available.fill(UINT64_MAX);
    const auto bad = [&] {
      return fail(Errc::parse_error, fmt::format("Redis at {} answered the limit script with something else than "
                                                 "it returns{}{}",
                                                 redis_->describe(), r.is_error() ? ": " : "",
                                                 r.is_error() ? r.text : ""));
    };
    const auto& e = r.elements;
    if (r.type != RespReply::Type::array || e.size() < 2) return bad();
    for (const auto& x : e)
      if (x.type != RespReply::Type::integer) return bad();
    if (e[0].integer == 2) {
      if (e.size() != 3) return bad();
      out.exhausted_until = WallTime{std::chrono::duration_cast<Duration>(std::chrono::microseconds{e[2].integer})};
      return out;
    }
    if (e[0].integer == 3) {
      if (e.size() != 3 || e[2].integer < 0) return bad();
      out.bound = SharedDecision::target;
      out.retry_after = std::chrono::duration_cast<Duration>(std::chrono::microseconds{e[2].integer});
      return out;
    }
    if (e[0].integer == 1) {
      if (e.size() != 2 + 3 * k) return bad();
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
      return bad();
    out.bound = which[static_cast<std::size_t>(e[2].integer - 1)];
    out.retry_after = std::chrono::duration_cast<Duration>(std::chrono::microseconds{e[3].integer});
    for (std::size_t j = 0; j < k; ++j)
      out.available[which[j]] = static_cast<std::uint64_t>(std::max<std::int64_t>(0, e[4 + j].integer));
    return out;
  }

 public:
  void reconcile(const SharedDecision& admitted, const std::array<std::uint64_t, 6>& was,
                 const std::array<std::uint64_t, 6>& is, Instant now) override {
    detail::Numbers num;
    std::array<std::string_view, 6> keys{};
    std::array<std::string_view, 1 + 6 * 7> args{};
    std::size_t k = 0, a = 0;
    args[a++] = time_arg(num, now);
    for (std::size_t i = 0; i < 6; ++i) {
      const Dim& d = dims_[i];
      if (!d.present || was[i] == is[i]) continue;
      keys[k++] = d.key;
      if (is[i] < was[i]) {
        args[a++] = "r";
        args[a++] = num.add(static_cast<std::int64_t>(was[i] - is[i]));
        args[a++] = num.add(admitted.stamps[i]);
        args[a++] = num.add(admitted.epochs[i]);
      } else {
        args[a++] = "c";
        args[a++] = num.add(static_cast<std::int64_t>(is[i] - was[i]));
        args[a++] = "0";
        args[a++] = "0";
      }
      args[a++] = num.add(d.per_us);
      args[a++] = num.add(d.burst);
      args[a++] = num.add(d.keep_ms);
    }
    if (k == 0) return;
    // Lost with the connection if Redis is down: the estimate then stands, which only ever
    // over-counts (a debt not taken is the one case that under-counts, and it is bounded by
    // the call's own tokens).
    (void)redis_->eval_later(adjust_script(), std::span(keys.data(), k), std::span(args.data(), a));
  }

  void sync(std::size_t dim, std::uint64_t remaining, Duration reset_after, Instant now) override {
    if (dim >= 6 || !dims_[dim].present) return;
    const Dim& d = dims_[dim];
    detail::Numbers num;
    const std::array<std::string_view, 1> keys{d.key};
    const std::array<std::string_view, 8> args{
        time_arg(num, now),
        "s",
        num.add(static_cast<std::int64_t>(std::min<std::uint64_t>(remaining, INT64_MAX))),
        num.add(std::chrono::duration_cast<std::chrono::microseconds>(reset_after).count()),
        num.add(d.largest),
        num.add(d.per_us),
        num.add(d.burst),
        num.add(d.keep_ms)};
    (void)redis_->eval_later(adjust_script(), keys, args);
  }

  void exhaust(WallTime until, WallTime wall) override {
    if (!send_exhaust(until, wall)) {
      // Redis is out of reach: the State keeps the exhaustion locally meanwhile, and the next
      // admission that reaches Redis writes it back, so no other process misses it.
      std::lock_guard lk(pending_mutex_);
      if (!pending_exhaust_ || *pending_exhaust_ < until) pending_exhaust_ = until;
      has_pending_.store(true, std::memory_order_release);
    }
  }

 private:
  bool send_exhaust(WallTime until, WallTime wall) { return send_health(until, wall, "x"); }

  bool send_health(WallTime until, WallTime wall, std::string_view field) {
    // "Until topped up" (no reset time) is kept as far ahead as a µs count allows.
    constexpr std::int64_t far = std::int64_t{4'000'000'000'000'000};
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(until.time_since_epoch()).count();
    detail::Numbers num;
    const std::array<std::string_view, 1> keys{health_key_};
    const std::array<std::string_view, 3> args{
        num.add(std::min(us, far)),
        real_time_ ? std::string_view{}
                   : num.add(std::chrono::duration_cast<std::chrono::microseconds>(wall.time_since_epoch()).count()),
        field};
    // Waited for, unlike reconciliations: it is rare (a provider just refused a call), and a
    // write into a connection the server has already dropped would look sent and be lost.
    auto r = redis_->eval(health_script(), keys, args);
    return r && !r->is_error();
  }

  /// Writes back an exhaustion recorded while Redis was out of reach.
  void write_back_pending(WallTime wall) {
    if (!has_pending_.load(std::memory_order_acquire)) return;
    std::optional<WallTime> until;
    {
      std::lock_guard lk(pending_mutex_);
      until = std::exchange(pending_exhaust_, std::nullopt);
      has_pending_.store(false, std::memory_order_relaxed);
    }
    if (until) exhaust(*until, wall);
  }

 public:
  void cool(WallTime until, WallTime wall) override {
    // A cooldown only spares other processes a 429 or two: not worth keeping when Redis is down.
    (void)send_health(until, wall, "c");
  }

  /// The client's first reconnect backoff (`ClientOptions::retry_min`).
  Duration reconnect_wait() const noexcept override { return reconnect_wait_; }

  /// The Redis key of dimension `dim` (empty when the set has no such limit).
  std::string_view key(std::size_t dim) const noexcept { return dim < 6 ? std::string_view(dims_[dim].key) : ""; }

 private:
  struct Dim {
    bool present = false;
    std::string key{};
    std::int64_t per_us = 1;
    std::int64_t burst = 1;
    std::int64_t largest = 1;  // the largest request: the published limit
    std::int64_t keep_ms = 0;
  };

  std::string_view time_arg(detail::Numbers& num, Instant now) const {
    if (real_time_) return "";
    return num.add(now.time_since_epoch().count() / 1000);
  }

  std::shared_ptr<ScriptRunner> redis_;
  bool real_time_;
  std::string health_key_;
  Duration reconnect_wait_;
  std::array<Dim, 6> dims_{};
  /// Lease batching (see `BackendOptions::lease`): the cells taken in Redis and not spent yet.
  struct Lease {
    bool active = false;
    SharedDecision taken{};
    std::array<std::uint64_t, 6> size{}, left{};
    Instant expires{};
  };
  std::uint32_t lease_calls_ = 0;
  Duration lease_hold_{};
  std::mutex lease_mutex_;
  Lease lease_{};
  bool refilling_ = false;  ///< an asynchronous refill of the lease is in flight
  /// An exhaustion that could not be written (Redis was out of reach), to write back.
  std::mutex pending_mutex_;
  std::optional<WallTime> pending_exhaust_{};
  std::atomic<bool> has_pending_{false};
};

namespace detail {

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

/// Makes the Redis limit sets of a `State` (`StateConfig::shared`).
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

 public:

 private:
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
