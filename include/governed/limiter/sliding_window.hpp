#pragma once
/// @file
/// `limiter::sliding_window`: the exact sliding window, a bounded log of admissions.

#include <governed/saturating.hpp>
#include <governed/family.hpp>
#include <governed/limiter/decision.hpp>
#include <governed/limiter/detail/oversized_cap.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>
#include <string_view>

namespace governed::limiter {

/// Remembers every admission of the last window (time, cells) and admits n cells at t when the
/// cells logged in [t − W, t] plus n stay within `cells` — the rule a provider that counts a
/// sliding window applies, so the whole published limit (less headroom) can be used.
///
/// A request above `cells` but within `Limit::largest` (oversized; up to the published limit L
/// when derived) is admitted at t when the cells logged in [t − W, t] plus n stay within L —
/// every window it can share with earlier cells then holds at most L. Later requests need no
/// rule of their own: while it is in their window it alone is more than `cells`, so nothing
/// else passes until W after it.
///
/// The log is a ring of `max_entries` (default 4 096) allocated once. When it is full the newest
/// entry absorbs the next admission: its cells stay counted until the later entry's time, which
/// errs on the side of refusing. Exact while admissions in one window number fewer than
/// `max_entries`.
class sliding_window {
 public:
  using family = governed::family::limiter;
  static constexpr std::string_view name = "sliding_window";
  static constexpr std::size_t default_max_entries = 4096;

  explicit sliding_window(const Limit& limit, std::size_t max_entries = default_max_entries)
      : limit_(limit),
        window_(std::max<std::int64_t>(limit.window.count(), 1)),
        capacity_(std::max<std::uint64_t>(limit.cells, 1)),
        largest_(std::max(capacity_, limit.largest)),
        ring_(std::max<std::size_t>(max_entries, 2)) {}

  sliding_window(const sliding_window&) = delete;
  sliding_window& operator=(const sliding_window&) = delete;

  /// Any closed window of length W holds at most the planned cells, C = ⌊(1 − h)·L⌋, or one
  /// oversized request and what it was admitted beside, at most L.
  static Result<Limit> derive(const PublishedLimit& p, const Headroom& h) {
    if (auto ok = check_published(p, h); !ok) return tl::unexpected(ok.error());
    const std::uint64_t c = sustained(p.limit, h.share);
    return Limit{c, planned_window(p, h), c, p.limit};
  }

  Decision try_acquire(std::uint64_t n, Instant now) {
    if (n > largest_) return {Answer::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const std::int64_t at = find_slot(n, t);
    if (at <= t) {
      append(t, n);
      return {Answer::admitted, Duration{0}, remaining(), Instant{Duration{t}}};
    }
    return {Answer::not_yet, Duration{governed::detail::sat_sub(at, now.time_since_epoch().count())}, remaining()};
  }

  Decision peek(std::uint64_t n, Instant now) const {
    if (n > largest_) return {Answer::exceeds_capacity, Duration{0}, 0};
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const std::int64_t at = find_slot(n, t);
    if (at <= t) return {Answer::admitted, Duration{0}, remaining()};
    return {Answer::not_yet, Duration{governed::detail::sat_sub(at, now.time_since_epoch().count())}, remaining()};
  }

  Result<Reservation> reserve(std::uint64_t n, Instant now) {
    if (n > largest_)
      return fail(Errc::exceeds_capacity,
                  fmt::format("{} cells can never fit a window that holds at most {}", n, largest_));
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const std::int64_t at = std::max(find_slot(n, t), t);
    append(at, n);
    return Reservation{Instant{Duration{at}}, n, Instant{Duration{at}}};
  }

  void cancel(const Reservation& r, Instant now) { refund(r.cells, r.stamp, now); }

  /// Takes `n` cells off the entry logged at `stamp` (the admission's time); an entry that has
  /// left the window needs nothing back.
  void refund(std::uint64_t n, Instant stamp, Instant now) {
    std::lock_guard lk(m_);
    observe(now);
    const std::int64_t a = stamp.time_since_epoch().count();
    for (std::size_t i = size_; i-- > 0;) {
      Entry& e = at(i);
      if (e.time < a) return;
      if (e.time == a) {
        const std::uint64_t back = std::min(e.cells, n);
        e.cells -= back;
        sum_ -= back;
        // An emptied reservation at the tail no longer holds later requests behind it.
        while (size_ && at(size_ - 1).cells == 0) --size_;
        return;
      }
    }
  }

  void consume(std::uint64_t n, Instant now) {
    std::lock_guard lk(m_);
    append(std::max(observe(now), last_time()), n);
  }

  /// With nothing remaining, nothing passes before now + reset_after; otherwise at most
  /// `remaining` more now (the shortfall is logged as a cell entry at now), and an oversized
  /// request above `remaining` waits for the reset.
  void sync(std::uint64_t remaining_cells, Duration reset_after, Instant now) {
    std::lock_guard lk(m_);
    const std::int64_t t = observe(now);
    const std::int64_t reset = governed::detail::sat_add(t, std::max<std::int64_t>(reset_after.count(), 0));
    if (remaining_cells == 0) {
      block_until_ = std::max(block_until_, reset);
      return;
    }
    cap_.lower(remaining_cells, t, reset);
    const std::uint64_t free = sum_ >= capacity_ ? 0 : capacity_ - sum_;
    if (remaining_cells < free) append(std::max(t, last_time()), free - remaining_cells);
  }

  std::uint64_t available(Instant now) const {
    std::lock_guard lk(m_);
    observe(now);
    return remaining();
  }

  const Limit& limit() const noexcept { return limit_; }

 private:
  struct Entry {
    std::int64_t time;
    std::uint64_t cells;
  };

  Entry& at(std::size_t i) const noexcept { return ring_[(head_ + i) % ring_.size()]; }
  std::int64_t last_time() const noexcept { return size_ ? at(size_ - 1).time : governed::detail::i64_min; }

  // Drops entries that left the window ([t − W, t] is counted); never moves time backwards.
  std::int64_t observe(Instant now) const noexcept {
    seen_ = std::max(seen_, now.time_since_epoch().count());
    const std::int64_t oldest = governed::detail::sat_sub(seen_, window_);
    while (size_ && at(0).time < oldest) {
      sum_ -= at(0).cells;
      head_ = (head_ + 1) % ring_.size();
      --size_;
    }
    return seen_;
  }

  // The earliest instant ≥ t (and ≥ every earlier reservation) at which n more cells keep
  // the window within capacity (within L for an oversized n): entries leave one by one,
  // W + 1 ns after they were logged.
  std::int64_t find_slot(std::uint64_t n, std::int64_t t) const noexcept {
    const std::uint64_t capacity = n > capacity_ ? largest_ : capacity_;
    std::int64_t at_time = std::max({t, last_time(), block_until_});
    if (n > capacity_) at_time = std::max(at_time, cap_.until(n, at_time));
    std::uint64_t in_window = sum_;  // observe() left only entries of [seen − W, …]
    std::size_t first = 0;
    if (at_time > seen_) {
      const std::int64_t oldest = governed::detail::sat_sub(at_time, window_);
      for (; first < size_ && at(first).time < oldest; ++first) in_window -= at(first).cells;
    }
    for (std::size_t i = first; (in_window > capacity || capacity - in_window < n) && i < size_; ++i) {
      in_window -= at(i).cells;
      at_time = std::max(at_time, governed::detail::sat_add(governed::detail::sat_add(at(i).time, window_), 1));
    }
    return at_time;
  }

  void append(std::int64_t time, std::uint64_t n) {
    sum_ += n;
    if (size_ && at(size_ - 1).time >= time) {
      at(size_ - 1).cells += n;  // same instant (or a merge when full): one entry
      return;
    }
    if (size_ == ring_.size()) {
      Entry& last = at(size_ - 1);
      last.time = time;
      last.cells += n;
      return;
    }
    at(size_) = Entry{time, n};
    ++size_;
  }

  std::uint64_t remaining() const noexcept {
    if (block_until_ > seen_ || last_time() > seen_) return 0;
    return sum_ >= capacity_ ? 0 : capacity_ - sum_;
  }

  Limit limit_;
  std::int64_t window_;
  std::uint64_t capacity_;
  std::uint64_t largest_;  // the most a window may hold with an oversized request in it
  mutable std::mutex m_;
  mutable std::vector<Entry> ring_;
  mutable std::size_t head_ = 0;
  mutable std::size_t size_ = 0;
  mutable std::uint64_t sum_ = 0;  // cells of every logged entry
  mutable std::int64_t seen_ = governed::detail::i64_min;
  std::int64_t block_until_ = governed::detail::i64_min;
  governed::detail::OversizedCap cap_;
};

}  // namespace governed::limiter
