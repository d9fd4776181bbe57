#pragma once
/// @file
/// Limit sets in Redis (`redis::SharedLimitSet`): every process that points its `State` at the
/// same Redis (and namespace) counts against one limit. A State gets them from its backend
/// (`redis::backend`, redis/backend.hpp), one per limit set it keeps.
///
/// Each limit set is one Lua script call: GCRA on every rate dimension of the set, checked and
/// taken together — all or nothing — inside Redis, so no two processes ever interleave between
/// the check and the take. Time is the server's (`TIME`), so the processes' clocks never matter;
/// a State on a manual or scaled clock passes its own instants instead, so tests and the
/// time-scaled demo stay exact. The script runs by its SHA-1 (`EVALSHA`) and is loaded again
/// when a restarted or flushed server answers `NOSCRIPT`; the scripts, and how their GCRA
/// mirrors `limiter::gcra_step`, are in redis/limit_scripts.hpp.
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
/// A record that an account's allowance is spent (`:health`, checked by every admission) is
/// waited for, and written back later if Redis could not be reached.

#include <governed/asio_continuation.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/redis/client.hpp>
#include <governed/redis/lease.hpp>
#include <governed/redis/limit_scripts.hpp>
#include <governed/redis/reply.hpp>
#include <governed/result.hpp>
#include <governed/saturating.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace governed::redis {

namespace detail {

inline constexpr std::array<std::string_view, 6> dimension_keys{"rpm", "tpm", "itpm", "otpm", "rpd", "tpd"};

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
        reconnect_wait_(reconnect_wait) {
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
    lease_ = Lease(lease, lease_hold, lease_bursts());
  }

  ~SharedLimitSet() override {
    std::lock_guard lk(lease_mutex_);
    give_back_lease(Instant{});
  }

  Result<SharedDecision> admit(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall) override {
    if (!lease_.batching()) return admit_remote(cells, now, wall);
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

  /// As `admit`, asking Redis on a pipelined connection of the context of `done`'s executor
  /// (see `ScriptRunner::async_eval`), the caller's. A call the current lease covers is
  /// answered at once; one that finds a refill already asked for goes to Redis for its own
  /// cells. A continuation on an executor other than Asio's is answered by a blocking `admit`.
  void async_admit(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall,
                   DecisionHandler done) override {
    const auto* on = done.executor().get<boost::asio::any_io_executor>();
    if (!on) return std::move(done).post(admit(cells, now, wall));
    boost::asio::any_io_executor executor = *on;
    if (!lease_.batching()) return admit_remote_async(cells, now, wall, executor, std::move(done));
    std::array<std::uint64_t, 6> block{};
    {
      std::lock_guard lk(lease_mutex_);
      if (auto spent = spend_lease(cells, now, block)) return std::move(done).post(std::move(*spent));
      if (refilling_) block = cells;
      else refilling_ = block != cells;
    }
    if (block == cells) return admit_remote_async(cells, now, wall, executor, std::move(done));
    admit_remote_async(block, now, wall, executor,
                       [this, block, cells, now, wall, executor, done = std::move(done)](Result<SharedDecision> d) mutable {
                         std::unique_lock lk(lease_mutex_);
                         refilling_ = false;
                         if (d && d->admitted) d = take_lease(*d, block, cells, now);
                         // Unlocked first: on the caller's executor the call goes on inline, and
                         // may come back to this set.
                         lk.unlock();
                         if (d && d->admitted) return std::move(done)(std::move(d));
                         if (!d || d->exhausted_until) return std::move(done)(std::move(d));
                         admit_remote_async(cells, now, wall, executor, std::move(done));  // the block does not fit
                       });
  }

 private:
  /// (Lease lock held.) The decision for `cells` out of the current lease, when it covers
  /// them; otherwise the lease goes back and `block` is what the next one should take.
  std::optional<SharedDecision> spend_lease(const std::array<std::uint64_t, 6>& cells, Instant now,
                                            std::array<std::uint64_t, 6>& block) {
    if (auto d = lease_.spend(cells, now)) return d;
    give_back_lease(now);
    block = lease_.block_for(cells);
    return std::nullopt;
  }

  /// (Lease lock held.) Keeps what the admitted `block` holds beyond this call's `cells` as
  /// the new lease (a lease taken meanwhile goes back first).
  SharedDecision take_lease(const SharedDecision& d, const std::array<std::uint64_t, 6>& block,
                            const std::array<std::uint64_t, 6>& cells, Instant now) {
    give_back_lease(now);
    lease_.take(d, block, cells, now);
    return d;
  }

  /// Returns the unspent cells of the current lease to Redis (refunds of the block's slots
  /// that are still ahead of now).
  void give_back_lease(Instant now) {
    if (auto unspent = lease_.end(now)) reconcile(unspent->taken, unspent->cells, {}, unspent->at);
  }

  /// Each dimension's burst, for the lease (none where the set has no such dimension).
  Lease::Bursts lease_bursts() const noexcept {
    Lease::Bursts out{};
    for (std::size_t i = 0; i < 6; ++i)
      if (dims_[i].present) out[i] = static_cast<std::uint64_t>(dims_[i].burst);
    return out;
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

  /// The admit script's reply `r` for keys of dimensions `which[0..k)`, or an error naming the
  /// server when it is not a reply the script gives.
  Result<SharedDecision> decide(const RespReply& r, const std::array<std::size_t, 6>& which, std::size_t k) const {
    if (auto d = read_admit_reply(r, which, k)) return *d;
    return fail(Errc::parse_error, fmt::format("Redis at {} answered the limit script with something else than it "
                                               "returns{}{}",
                                               redis_->describe(), r.is_error() ? ": " : "", r.is_error() ? r.text : ""));
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
  /// Lease batching (see redis/lease.hpp): the cells taken in Redis and not spent yet.
  std::mutex lease_mutex_;
  Lease lease_{};
  bool refilling_ = false;  ///< an asynchronous refill of the lease is in flight
  /// An exhaustion that could not be written (Redis was out of reach), to write back.
  std::mutex pending_mutex_;
  std::optional<WallTime> pending_exhaust_{};
  std::atomic<bool> has_pending_{false};
};

}  // namespace governed::redis
