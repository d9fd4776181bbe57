#pragma once
/// @file
/// `detail::WaitLine`: the calls waiting for one limit set, served first come, first served
/// within a priority class, and bounded.
///
/// Without a line, a waiter that wakes when cells come back races every newcomer for them, and
/// a steady stream of newcomers can starve it for as long as the stream lasts. With one, only
/// the call at the head of the line tries the set; the others wait behind it, and a newcomer
/// that finds anybody waiting joins the back instead of trying at once.
///
/// The line never blocks: it answers where a ticket stands, and the caller sleeps on its
/// clock. That keeps every wait a clock wait — the manual clock sees every waiting call as
/// parked and can jump time — and the same line serves the blocking and the asynchronous walk.
///
/// The empty check is one atomic load, so a set nobody waits for costs nothing more than its
/// admission. A newcomer that checks an instant before another call joins can overtake that
/// call once; the line orders waiters, not the race at its very end.

#include <governed/error.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace governed::detail {

class WaitLine {
 public:
  /// A place in the line; `seq` 0 is no place.
  struct Ticket {
    std::uint64_t seq = 0;
    int priority = 0;
    explicit operator bool() const noexcept { return seq != 0; }
  };

  WaitLine() = default;
  WaitLine(const WaitLine&) = delete;
  WaitLine& operator=(const WaitLine&) = delete;

  /// Whether nobody waits. One acquire load.
  bool empty() const noexcept { return count_.load(std::memory_order_acquire) == 0; }

  std::size_t size() const noexcept { return count_.load(std::memory_order_acquire); }

  /// Joins behind every waiter of the same or a higher priority. `queue_full` when
  /// `max_waiters` already wait: the caller learns at once rather than after a wait.
  Result<Ticket> join(int priority, std::size_t max_waiters) {
    std::lock_guard lk(m_);
    if (waiters_.size() >= max_waiters)
      return fail(Errc::queue_full,
                  fmt::format("{} calls already wait for this limit; the wait queue is full", waiters_.size()));
    const Ticket t{next_seq_++, priority};
    // Sorted by priority (higher first), then by arrival.
    const auto at = std::upper_bound(waiters_.begin(), waiters_.end(), t, [](const Ticket& a, const Ticket& b) {
      return a.priority != b.priority ? a.priority > b.priority : a.seq < b.seq;
    });
    const bool new_head = at == waiters_.begin();
    waiters_.insert(at, t);
    if (new_head) head_wake_.reset();
    count_.store(waiters_.size(), std::memory_order_release);
    return t;
  }

  /// Whether `t` is at the head: the one call that may try the set now.
  bool is_head(const Ticket& t) const {
    std::lock_guard lk(m_);
    return !waiters_.empty() && waiters_.front().seq == t.seq;
  }

  /// The head says when it tries next; those behind it sleep until then.
  void set_head_wake(const Ticket& t, Instant at) {
    std::lock_guard lk(m_);
    if (!waiters_.empty() && waiters_.front().seq == t.seq) head_wake_ = at;
  }

  /// When the head tries next, if it said.
  std::optional<Instant> head_wake() const {
    std::lock_guard lk(m_);
    return head_wake_;
  }

  /// Leaves the line (admitted, gave up, or cancelled). Safe on a ticket that is not in it.
  void leave(Ticket& t) noexcept {
    if (!t) return;
    std::lock_guard lk(m_);
    const auto it = std::find_if(waiters_.begin(), waiters_.end(), [&](const Ticket& w) { return w.seq == t.seq; });
    if (it != waiters_.end()) {
      if (it == waiters_.begin()) head_wake_.reset();
      waiters_.erase(it);
    }
    count_.store(waiters_.size(), std::memory_order_release);
    t = Ticket{};
  }

 private:
  mutable std::mutex m_;
  std::vector<Ticket> waiters_;
  std::optional<Instant> head_wake_;
  std::uint64_t next_seq_ = 1;
  std::atomic<std::size_t> count_{0};
};

}  // namespace governed::detail
