#pragma once
/// @file
/// `limiter::token_bucket`: the classic bucket — a level and the time it was last refilled.

#include <governed/detail/saturating.hpp>
#include <governed/family.hpp>
#include <governed/limiter/decision.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace governed::limiter {

/// A bucket of `burst` cells refilled at `cells` per `window`. Two values change together (the
/// level and the refill time), so a mutex guards them; prefer `gcra` where contention matters —
/// it admits on the same schedule with one atomic.
///
/// The level is kept exactly, in cell·nanoseconds (cells × window length), so refills of a
/// fraction of a cell are never rounded away and the rate is never exceeded. It may go below
/// zero: a reservation or a usage above its estimate is a debt that later requests wait out.
///
/// A request above the burst but within `Limit::largest` (oversized) follows `gcra`'s rule on
/// the same schedule: the bucket must have been full for as long as the excess takes to refill
/// — the bucket also remembers since when it is full —, and taking it leaves burst − n, a debt
/// the next requests wait out. So no window holds more than `gcra` would let it.
class token_bucket {
 public:
  using family = governed::family::limiter;
  static constexpr std::string_view name = "token_bucket";

  explicit token_bucket(const Limit& limit) noexcept
      : limit_(limit),
        window_(std::max<std::int64_t>(limit.window.count(), 1)),
        rate_(std::max<std::uint64_t>(limit.cells, 1)),
        capacity_(static_cast<Wide>(std::max<std::uint64_t>(limit.burst, 1)) * window_),
        largest_(std::max<std::uint64_t>(largest_request(limit), 1)),
        level_(capacity_) {}

  token_bucket(const token_bucket&) = delete;
  token_bucket& operator=(const token_bucket&) = delete;

  static Result<Limit> derive(const PublishedLimit& p, const Headroom& h) {
    return derive_rate(p, h);
  }

  Decision try_acquire(std::uint64_t n, Instant now) {
    if (n > largest_) return {Verdict::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    refill(now);
    const Wide need = static_cast<Wide>(n) * window_;
    const Wide have = n > limit_.burst ? rested(now) : level_;
    if (have >= need) {
      level_ = n > limit_.burst ? capacity_ - need : level_ - need;
      return {Verdict::admitted, Duration{0}, whole(level_), full_at(now)};
    }
    return {Verdict::not_yet, time_to(need - have), whole(level_)};
  }

  Decision peek(std::uint64_t n, Instant now) const {
    if (n > largest_) return {Verdict::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    const Wide level = refilled(now);
    const Wide need = static_cast<Wide>(n) * window_;
    const Wide have = n > limit_.burst ? rested(now) : level;
    if (have >= need) return {Verdict::admitted, Duration{0}, whole(level)};
    return {Verdict::not_yet, time_to(need - have), whole(level)};
  }

  Result<Reservation> reserve(std::uint64_t n, Instant now) {
    if (n > largest_)
      return fail(Errc::exceeds_capacity,
                  fmt::format("{} cells can never be admitted by a bucket that admits at most {} at once", n,
                              largest_));
    std::lock_guard lk(m_);
    refill(now);
    const Wide need = static_cast<Wide>(n) * window_;
    Instant ready = now;
    if (n > limit_.burst) {
      // Taken at `ready`, leaving burst − n then: as much less now as refills until then.
      const Wide have = rested(now);
      const Duration wait = have >= need ? Duration{0} : time_to(need - have);
      ready = Instant{Duration{governed::detail::sat_add(now.time_since_epoch().count(), wait.count())}};
      level_ = capacity_ - need - static_cast<Wide>(wait.count()) * static_cast<Wide>(rate_);
    } else {
      level_ -= need;
      if (level_ < 0)
        ready = Instant{Duration{governed::detail::sat_add(now.time_since_epoch().count(), time_to(-level_).count())}};
    }
    // A waiting reservation sends at its promised time however much room refunds make
    // meanwhile, so refunds never raise the level above what that promise assumed.
    if (ready > now) floor_ = std::max<Wide>(floor_, real_full_at(now));
    return Reservation{ready, n, full_at(now)};
  }

  /// Gives a reservation's cells back (a cancelled wait, or an admission undone at once): one
  /// neither refunded nor cancelled before. The latest reservation returns its cells at once;
  /// one with others queued behind it keeps them until they refill (those behind will send at
  /// the times they were promised). The latest oversized one also gives back the rest it
  /// waited for, as `gcra::cancel` does.
  void cancel(const Reservation& r, Instant now) {
    {
      std::lock_guard lk(m_);
      refill(now);
      const Wide end = static_cast<Wide>(r.stamp.time_since_epoch().count()) - returned_;
      const Wide need = static_cast<Wide>(r.cells) * window_;
      // The rest an oversized reservation waited for, in cell·ns.
      const Wide lead = r.cells > limit_.burst ? need - capacity_ : 0;
      const Wide r_ = static_cast<Wide>(rate_);
      if (floor_ == end) floor_ = end - (need + lead) / r_;
      if (lead > 0 && end == real_full_at(now)) {
        // Nothing was taken after it: as rested as before it came, or as the floor allows.
        Wide back = level_ + need + lead;
        const Wide waiting = floor_ - now.time_since_epoch().count();
        if (waiting > 0) back = std::min(back, capacity_ - waiting * r_);
        if (back > level_) set_rested(back, now);
        return;
      }
    }
    refund(r.cells, r.stamp, now);
  }

  /// Gives back `n` cells of the admission stamped `stamp` (the instant the bucket would have
  /// been full again right after it, plus the refill time refunds had returned by then). Only
  /// the part not yet refilled by `now` returns: what has been refilled since already made
  /// room, as in `gcra::refund`.
  void refund(std::uint64_t n, Instant stamp, Instant now) {
    std::lock_guard lk(m_);
    refill(now);
    const Wide end = static_cast<Wide>(stamp.time_since_epoch().count()) - returned_;
    const Wide unrefilled = end - now.time_since_epoch().count();
    if (unrefilled <= 0) return;
    const Wide back = std::min(static_cast<Wide>(n) * window_, unrefilled * static_cast<Wide>(rate_));
    const Wide before = level_;
    Wide ceiling = capacity_;
    const Wide waiting = floor_ - now.time_since_epoch().count();
    if (waiting > 0) ceiling = std::min(ceiling, capacity_ - waiting * static_cast<Wide>(rate_));
    if (level_ + back <= before || before >= ceiling) return;
    const bool last = end >= real_full_at(now);
    level_ = std::min(ceiling, level_ + back);
    if (level_ >= capacity_) full_since_ = now.time_since_epoch().count();
    // Later admissions' refills come sooner, unless these cells were the last taken. Rounded
    // up: stamps read against it then end earlier, which only ever returns less.
    const Wide r = static_cast<Wide>(rate_);
    if (!last) returned_ += (level_ - before + r - 1) / r;
  }

  void consume(std::uint64_t n, Instant now) {
    std::lock_guard lk(m_);
    refill(now);
    level_ -= static_cast<Wide>(n) * window_;
  }

  void sync(std::uint64_t remaining, Duration reset_after, Instant now) {
    std::lock_guard lk(m_);
    refill(now);
    Wide ceiling;
    if (remaining == 0) {
      // One cell becomes available exactly `reset_after` from now.
      const Wide wait = std::min<Wide>(std::max<std::int64_t>(reset_after.count(), 0), fill_time());
      ceiling = window_ - wait * static_cast<Wide>(rate_);
    } else {
      ceiling = static_cast<Wide>(remaining) * window_;
    }
    if (ceiling < level_) return set_rested(ceiling, now);
    // Room for the burst, but an oversized request above `remaining` must wait.
    if (remaining < largest_ && rested(now) > ceiling) set_rested(ceiling, now);
  }

  std::uint64_t available(Instant now) const {
    std::lock_guard lk(m_);
    return whole(refilled(now));
  }

  const Limit& limit() const noexcept { return limit_; }

 private:
  using Wide = governed::detail::i128;  // cell·ns: a day's window times 10¹² cells still fits

  // When the bucket will be full again at the refill rate.
  Wide real_full_at(Instant now) const noexcept {
    return level_ >= capacity_ ? static_cast<Wide>(now.time_since_epoch().count())
                               : static_cast<Wide>(now.time_since_epoch().count()) +
                                     time_to(capacity_ - level_).count();
  }

  // The stamp of an admission just made: when the bucket will be full again, in the
  // coordinates of the refill time refunds have returned so far.
  Instant full_at(Instant now) const noexcept {
    const Wide stamp = real_full_at(now) + returned_;
    constexpr Wide cap = static_cast<Wide>(governed::detail::i64_max);
    return Instant{Duration{static_cast<std::int64_t>(std::min(stamp, cap))}};
  }

  Wide fill_time() const noexcept { return capacity_ / static_cast<Wide>(rate_) + 1; }

  // The level at `now` as if the bucket had no top — full, plus what refilled since it was
  // full —, up to the largest request: what an oversized request draws on.
  Wide rested(Instant now) const noexcept {
    Wide full = full_since_;
    if (level_ < capacity_) {
      const Wide level = refilled(now);
      if (level < capacity_) return level;
      full = full_after_refill();
    }
    const Wide most = static_cast<Wide>(largest_) * window_;
    const Wide since = static_cast<Wide>(now.time_since_epoch().count()) - full;
    if (since <= 0) return capacity_;
    if (since >= (most - capacity_) / static_cast<Wide>(rate_) + 1) return std::max(most, capacity_);
    return capacity_ + since * static_cast<Wide>(rate_);
  }

  // When refilling from `level_` at `last_` reaches the top (rounded up: a later start only
  // ever waits more).
  Wide full_after_refill() const noexcept {
    return static_cast<Wide>(last_.time_since_epoch().count()) + time_to(capacity_ - level_).count();
  }

  // Makes `rested` answer `v` at `now`: a level, or a full bucket and how long it has been.
  void set_rested(Wide v, Instant now) noexcept {
    if (v <= capacity_) {
      level_ = v;
      if (v == capacity_) full_since_ = now.time_since_epoch().count();
      return;
    }
    level_ = capacity_;
    full_since_ = static_cast<Wide>(now.time_since_epoch().count()) - (v - capacity_) / static_cast<Wide>(rate_);
  }

  Wide refilled(Instant now) const noexcept {
    if (!started_ || now <= last_) return level_;  // a clock that steps back refills nothing
    const Wide gap = capacity_ - level_;
    if (gap <= 0) return level_;
    const Wide elapsed = std::min<Wide>(
        static_cast<Wide>(now.time_since_epoch().count()) - last_.time_since_epoch().count(),
        gap / static_cast<Wide>(rate_) + 1);
    return std::min(capacity_, level_ + elapsed * static_cast<Wide>(rate_));
  }

  void refill(Instant now) noexcept {
    if (!started_) {
      started_ = true;
      last_ = now;
    } else if (now > last_) {
      const Wide level = refilled(now);
      if (level_ < capacity_ && level >= capacity_) full_since_ = full_after_refill();
      level_ = level;
      last_ = now;
    }
  }

  std::uint64_t whole(Wide level) const noexcept {
    return level <= 0 ? 0 : static_cast<std::uint64_t>(level / window_);
  }

  // Time until `deficit` cell·ns have been refilled, rounded up.
  Duration time_to(Wide deficit) const noexcept {
    const Wide r = static_cast<Wide>(rate_);
    Wide t = deficit / r + (deficit % r != 0 ? 1 : 0);
    constexpr Wide cap = static_cast<Wide>(governed::detail::i64_max);
    return Duration{static_cast<std::int64_t>(std::min(t, cap))};
  }

  Limit limit_;
  Wide window_;
  std::uint64_t rate_;
  Wide capacity_;
  std::uint64_t largest_;  // the largest request admitted: the burst, or more (oversized)
  mutable std::mutex m_;
  Wide level_;
  Instant last_{};
  bool started_ = false;
  // Since when the bucket is full (meaningful while it is): far in the past at first.
  Wide full_since_ = static_cast<Wide>(governed::detail::i64_min) * 4;
  Wide returned_ = 0;  // refill time given back by refunds: the coordinate of every stamp
  Wide floor_ = 0;     // when the bucket is full again after the latest waiting reservation
};

}  // namespace governed::limiter
