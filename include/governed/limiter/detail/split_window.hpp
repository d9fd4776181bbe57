#pragma once
/// @file
/// The machinery shared by `fixed_window` and `sliding_window_approx`: counts per aligned
/// window, reservations into later windows, first come first served.

#include <governed/saturating.hpp>
#include <governed/limiter/decision.hpp>
#include <governed/limiter/detail/oversized_cap.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>

namespace governed::detail {

/// Windows are aligned on the monotonic epoch: window k is [k·W, (k+1)·W). Counts are kept for
/// the previous window, the current one and reservations up to `span − 2` windows ahead, in a
/// fixed ring (no allocation). `Approximate` selects the admission rule:
/// - false (fixed window): count[k] + n ≤ C.
/// - true (two-window estimate): count[k−1]·(1 − e/W) + count[k] + n ≤ C, where e is the time
///   elapsed in window k — the previous window's count is assumed spread evenly over it.
///
/// A closed window of length W overlaps at most two neighbouring counted windows, so with
/// C ≤ L/2 none ever holds more than L. A request above C but within `Limit::largest`
/// (oversized; L when derived) is counted in window k when count[k] + n ≤ L and it leaves
/// each pair it joins within L: count[k−1] + count[k] + n ≤ L and count[k] + n + count[k+1]
/// ≤ L. Every admission checks both pairs (with C ≤ L/2 they only bind next to an oversized
/// request), so the windows beside one take only what leaves their pair within L. At 30 000
/// a minute (C = 15 000), a 20 000-token request waits for a window whose neighbours hold at
/// most 10 000 each, and the next window then takes 10 000 at most.
template <bool Approximate>
class split_window {
 public:
  static constexpr std::int64_t span = 64;

  explicit split_window(const limiter::Limit& limit) noexcept
      : limit_(limit),
        window_(std::max<std::int64_t>(limit.window.count(), 1)),
        capacity_(std::max<std::uint64_t>(limit.cells, 1)),
        largest_(std::max(capacity_, limit.largest)),
        pair_(limit.largest == 0 ? sat_mul_u(capacity_, 2) : largest_) {}

  split_window(const split_window&) = delete;
  split_window& operator=(const split_window&) = delete;

  limiter::Decision try_acquire(std::uint64_t n, Instant now) {
    if (n > largest_) return {limiter::Answer::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const Slot s = find_slot(n, t);
    if (s.found && s.at <= t) {
      take(s, n);
      return {limiter::Answer::admitted, Duration{0}, remaining(t), Instant{Duration{t}}};
    }
    return {limiter::Answer::not_yet, wait_of(s, t, now), remaining(t)};
  }

  limiter::Decision peek(std::uint64_t n, Instant now) const {
    if (n > largest_) return {limiter::Answer::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const Slot s = find_slot(n, t);
    if (s.found && s.at <= t) return {limiter::Answer::admitted, Duration{0}, remaining(t)};
    return {limiter::Answer::not_yet, wait_of(s, t, now), remaining(t)};
  }

  Result<limiter::Reservation> reserve(std::uint64_t n, Instant now) {
    if (n > largest_)
      return fail(Errc::exceeds_capacity,
                  fmt::format("{} cells can never fit a window that holds at most {}", n, largest_));
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const Slot s = find_slot(n, t);
    if (!s.found)
      return fail(Errc::too_far_ahead,
                  fmt::format("a reservation of {} cells would land more than {} windows ahead", n,
                              span - 2));
    take(s, n);
    return limiter::Reservation{Instant{Duration{s.at}}, n, Instant{Duration{s.at}}};
  }

  void cancel(const limiter::Reservation& r, Instant now) { refund(r.cells, r.stamp, now); }

  /// Returns cells to the window they were counted in (`stamp`, the admission's time), if it
  /// is still tracked; a window that has passed needs nothing back.
  void refund(std::uint64_t n, Instant stamp, Instant now) {
    std::lock_guard lk(m_);
    observe(now);
    const std::int64_t k = index(stamp.time_since_epoch().count());
    if (!tracked(k)) return;
    auto& c = cell(k);
    c -= std::min(c, n);
  }

  void consume(std::uint64_t n, Instant now) {
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    auto& c = cell(index(t));
    c = c > UINT64_MAX - n ? UINT64_MAX : c + n;
  }

  /// With nothing remaining, nothing passes before now + reset_after; otherwise the current
  /// window counts at least capacity − remaining, and an oversized request above `remaining`
  /// waits for the reset.
  void sync(std::uint64_t remaining_cells, Duration reset_after, Instant now) {
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const std::int64_t reset = sat_add(t, std::max<std::int64_t>(reset_after.count(), 0));
    if (remaining_cells == 0) {
      block_until_ = std::max(block_until_, reset);
      return;
    }
    cap_.lower(remaining_cells, t, reset);
    if (remaining_cells < capacity_) {
      auto& c = cell(index(t));
      c = std::max(c, capacity_ - remaining_cells);
    }
  }

  std::uint64_t available(Instant now) const {
    std::lock_guard lk(m_);
    return remaining(observe(now));
  }

  const limiter::Limit& limit() const noexcept { return limit_; }

 private:
  struct Slot {
    bool found = false;
    std::int64_t window = 0;
    std::int64_t at = 0;
  };

  std::int64_t index(std::int64_t t) const noexcept {
    return t >= 0 ? t / window_ : -((-(t + 1)) / window_) - 1;
  }
  std::int64_t start(std::int64_t k) const noexcept {
    i128 s = static_cast<i128>(k) * window_;
    return s > i64_max ? i64_max : s < i64_min ? i64_min : static_cast<std::int64_t>(s);
  }
  bool tracked(std::int64_t k) const noexcept { return k >= base_ && k < base_ + span; }
  std::uint64_t& cell(std::int64_t k) const noexcept { return counts_[static_cast<std::size_t>(((k % span) + span) % span)]; }
  std::uint64_t count(std::int64_t k) const noexcept {
    return tracked(k) ? counts_[static_cast<std::size_t>(((k % span) + span) % span)] : 0;
  }

  // The time the limiter works at: never earlier than it has already seen, so a clock that
  // steps back can not reopen a window. Drops windows older than the previous one.
  // Observing is not a change of state a caller can see, so the const queries do it too.
  std::int64_t observe(Instant now) const noexcept {
    seen_ = std::max(seen_, now.time_since_epoch().count());
    const std::int64_t base = index(seen_) - 1;
    if (base > base_) {
      if (base - base_ >= span) {
        counts_.fill(0);
      } else {
        for (std::int64_t k = base_; k < base; ++k) cell(k) = 0;
      }
      base_ = base;
    }
    return seen_;
  }

  // The earliest instant at or after t at which n cells fit. Counts are per window, so a small
  // request may land in a window an earlier, larger one did not fit: the limit holds either
  // way, and the State's wait queue is what serves waiters first come, first served.
  Slot find_slot(std::uint64_t n, std::int64_t t) const noexcept {
    const bool oversized = n > capacity_;
    std::int64_t from = std::max(t, block_until_);
    if (oversized) from = std::max(from, cap_.until(n, from));
    for (std::int64_t k = index(from); k < base_ + span; ++k) {
      if (k < base_ + 1) continue;
      const std::int64_t at = std::max(from, start(k));
      const std::uint64_t cur = count(k);
      if (!within(cur, n, oversized ? largest_ : capacity_)) continue;
      if (!within(count(k - 1), cur, n, pair_) || !within(cur, n, count(k + 1), pair_)) continue;
      if (oversized) return {true, k, at};  // the pairs bound it; no estimate can fit it
      if constexpr (!Approximate) {
        return {true, k, at};
      } else {
        const std::uint64_t prev = count(k - 1);
        if (prev == 0) return {true, k, at};
        // prev · (W − e) ≤ (C − n − cur) · W  ⇔  e ≥ W − ⌊(C − n − cur) · W / prev⌋
        const i128 room = static_cast<i128>(capacity_ - cur - n) * window_;
        const i128 keep = room / prev;
        const std::int64_t e_min = keep >= window_ ? 0 : window_ - static_cast<std::int64_t>(keep);
        const std::int64_t earliest = std::max(at, sat_add(start(k), e_min));
        if (earliest < start(k + 1)) return {true, k, earliest};
      }
    }
    return {false, 0, std::max(from, start(base_ + span))};
  }

  // a + b (+ c) ≤ limit, without overflow.
  static bool within(std::uint64_t a, std::uint64_t b, std::uint64_t limit) noexcept {
    return static_cast<i128>(a) + b <= limit;
  }
  static bool within(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t limit) noexcept {
    return static_cast<i128>(a) + b + c <= limit;
  }
  static std::uint64_t sat_mul_u(std::uint64_t a, std::uint64_t b) noexcept {
    return a > UINT64_MAX / b ? UINT64_MAX : a * b;
  }

  void take(const Slot& s, std::uint64_t n) noexcept {
    cell(s.window) += n;
  }

  Duration wait_of(const Slot& s, std::int64_t t, Instant now) const noexcept {
    const std::int64_t base = now.time_since_epoch().count();
    return Duration{std::max<std::int64_t>(sat_sub(std::max(s.at, t), base), 0)};
  }

  std::uint64_t remaining(std::int64_t t) const noexcept {
    const std::int64_t k = index(t);
    const std::uint64_t cur = count(k);
    std::uint64_t used = cur;
    if constexpr (Approximate) {
      const std::int64_t e = t - start(k);
      const i128 prev_share =
          static_cast<i128>(count(k - 1)) * (window_ - e) / window_;
      used = cur + static_cast<std::uint64_t>(prev_share);
    }
    if (block_until_ > t) return 0;
    return used >= capacity_ ? 0 : capacity_ - used;
  }

  limiter::Limit limit_;
  std::int64_t window_;
  std::uint64_t capacity_;
  std::uint64_t largest_;  // the largest request: C, or more (oversized)
  std::uint64_t pair_;     // the most two neighbouring windows hold together: L, or 2·C by hand
  mutable std::mutex m_;
  mutable std::array<std::uint64_t, span> counts_{};
  mutable std::int64_t base_ = i64_min / 2;  // window index of counts_'s oldest entry
  mutable std::int64_t seen_ = i64_min;      // latest instant observed
  std::int64_t block_until_ = i64_min;  // nothing passes before: a provider said so (sync)
  OversizedCap cap_;                    // what a provider said remains, for oversized requests
};

}  // namespace governed::detail
