#pragma once
/// @file
/// `limiter::token_bucket`: the classic bucket — a level and the time it was last refilled.

#include <governed/saturating.hpp>
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
/// the same schedule: the bucket must have been full for as long as the excess takes to refill,
/// and taking it leaves burst − n, a debt the next requests wait out. So no window holds more
/// than `gcra` would let it. To know how long it has been full, the level goes on rising past
/// the burst (up to the largest request): requests within the burst see at most the burst, an
/// oversized one sees the whole level.
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
        top_(static_cast<Wide>(largest_) * window_),
        level_(top_) {}

  token_bucket(const token_bucket&) = delete;
  token_bucket& operator=(const token_bucket&) = delete;

  static Result<Limit> derive(const PublishedLimit& p, const Headroom& h) {
    return derive_rate(p, h);
  }

  Decision try_acquire(std::uint64_t n, Instant now) {
    if (n > largest_) return {Answer::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    refill(now);
    const Wide need = static_cast<Wide>(n) * window_;
    const Wide have = n > limit_.burst ? level_ : bucket(level_);
    if (have >= need) {
      // Oversized: the rest beyond the burst is spent on it too.
      level_ = bucket(level_) - need;
      return {Answer::admitted, Duration{0}, whole(level_), full_at(now)};
    }
    return {Answer::not_yet, time_to(need - have), whole(level_)};
  }

  Decision peek(std::uint64_t n, Instant now) const {
    if (n > largest_) return {Answer::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    const Wide level = refilled(now);
    const Wide need = static_cast<Wide>(n) * window_;
    const Wide have = n > limit_.burst ? level : bucket(level);
    if (have >= need) return {Answer::admitted, Duration{0}, whole(level)};
    return {Answer::not_yet, time_to(need - have), whole(level)};
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
      const Duration wait = level_ >= need ? Duration{0} : time_to(need - level_);
      ready = Instant{Duration{governed::detail::sat_add(now.time_since_epoch().count(), wait.count())}};
      level_ = capacity_ - need - static_cast<Wide>(wait.count()) * static_cast<Wide>(rate_);
    } else {
      level_ = bucket(level_) - need;
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
        Wide back = std::min(top_, level_ + need + lead);
        const Wide waiting = floor_ - now.time_since_epoch().count();
        if (waiting > 0) back = std::min(back, capacity_ - waiting * r_);
        level_ = std::max(level_, back);
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
    // Later admissions' refills come sooner, unless these cells were the last taken. Rounded
    // up: stamps read against it then end earlier, which only ever returns less.
    const Wide r = static_cast<Wide>(rate_);
    if (!last) returned_ += (level_ - before + r - 1) / r;
  }

  void consume(std::uint64_t n, Instant now) {
    std::lock_guard lk(m_);
    refill(now);
    level_ = bucket(level_) - static_cast<Wide>(n) * window_;
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
    // Above the burst this caps only the rest: an oversized request above `remaining` waits.
    level_ = std::min(level_, ceiling);
  }

  std::uint64_t available(Instant now) const {
    std::lock_guard lk(m_);
    return whole(bucket(refilled(now)));
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

  // What requests within the burst see of `level`: the bucket, without the rest above it.
  Wide bucket(Wide level) const noexcept { return std::min(level, capacity_); }

  Wide refilled(Instant now) const noexcept {
    if (!started_ || now <= last_) return level_;  // a clock that steps back refills nothing
    const Wide gap = top_ - level_;
    if (gap <= 0) return level_;
    const Wide elapsed = std::min<Wide>(
        static_cast<Wide>(now.time_since_epoch().count()) - last_.time_since_epoch().count(),
        gap / static_cast<Wide>(rate_) + 1);
    return std::min(top_, level_ + elapsed * static_cast<Wide>(rate_));
  }

  void refill(Instant now) noexcept {
    if (!started_) {
      started_ = true;
      last_ = now;
    } else if (now > last_) {
      level_ = refilled(now);
      last_ = now;
    }
  }

  // Whole cells a request within the burst could take at `level`.
  std::uint64_t whole(Wide level) const noexcept {
    level = bucket(level);
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
  Wide top_;               // the level rises to the largest request, the burst at least
  mutable std::mutex m_;
  Wide level_;             // above `capacity_`: rest an oversized request may draw on
  Instant last_{};
  bool started_ = false;
  Wide returned_ = 0;  // refill time given back by refunds: the coordinate of every stamp
  Wide floor_ = 0;     // when the bucket is full again after the latest waiting reservation
};

}  // namespace governed::limiter
