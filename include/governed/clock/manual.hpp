#pragma once
/// @file
/// `clock::manual`: time that moves only when told to, for deterministic tests.

#include <governed/family.hpp>
#include <governed/time.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <type_traits>
#include <mutex>
#include <utility>
#include <vector>

namespace governed::clock {

/// A clock driven by the test: `advance(d)`, `set(t)` (which may move backwards, to test that
/// limiters survive it) and `set_wall(w)`. Thread safe; `now()` is one atomic load.
///
/// Waiting is virtual. `sleep_until` blocks and `async_wait_until` parks a handler until time
/// reaches the deadline. With `participants` = N > 0, once N waiters are parked at the same
/// time — every thread or task the test runs is blocked — the clock jumps to the earliest
/// deadline and wakes that waiter. So a backoff of 4, 8, 16, 32 s runs in microseconds, and
/// in the same order every time. With N = 0 only `advance` and `set` move time. Threads that
/// finish `leave()`, so the ones still running keep the quorum.
///
/// The wall clock moves with the monotonic one: `wall_now() = wall_start + (now() - start)`.
class manual {
 public:
  using family = governed::family::clock;
  /// Its time is the test's, not the world's (see `real_time_v`).
  static constexpr bool is_real_time = false;

  /// 2025-01-01T00:00:00Z: a fixed default so tests that print wall times are reproducible.
  static constexpr WallTime default_wall_start{std::chrono::seconds{1735689600}};

  explicit manual(Instant start = Instant{}, WallTime wall_start = default_wall_start,
                  std::size_t participants = 1)
      : now_ns_(start.time_since_epoch().count()),
        wall_offset_ns_((wall_start.time_since_epoch() - start.time_since_epoch()).count()),
        participants_(participants) {}

  manual(const manual&) = delete;
  manual& operator=(const manual&) = delete;

  ~manual() {
    // Parked async handlers are destroyed without being called: their operations are abandoned
    // with the clock, as Asio abandons the handlers of a destroyed io_context.
    for (auto& [key, w] : waiters_) {
      if (w->async) delete w;
    }
  }

  Instant now() const noexcept { return Instant{Duration{now_ns_.load(std::memory_order_acquire)}}; }

  WallTime wall_now() const noexcept {
    return WallTime{Duration{now_ns_.load(std::memory_order_acquire) +
                             wall_offset_ns_.load(std::memory_order_acquire)}};
  }

  /// Moves time forward by `d` (a negative `d` moves it back) and wakes every due waiter.
  void advance(Duration d) { move_to([d](std::int64_t n) { return n + d.count(); }); }

  /// Sets monotonic time to `t`, forwards or backwards, and wakes every due waiter.
  void set(Instant t) { move_to([t](std::int64_t) { return t.time_since_epoch().count(); }); }

  /// Sets what `wall_now()` reads now, without moving monotonic time.
  void set_wall(WallTime w) {
    wall_offset_ns_.store(w.time_since_epoch().count() - now_ns_.load(std::memory_order_acquire),
                          std::memory_order_release);
  }

  /// How many waiters must be parked before time jumps to the earliest deadline (0: never).
  void set_participants(std::size_t n) {
    std::vector<Fired> fired;
    {
      std::lock_guard lk(m_);
      participants_ = n;
      auto_advance_locked(fired);
    }
    complete(fired);
  }

  /// A participant joins (a thread or task starts driving the test) or leaves (it finished):
  /// leaving may complete the quorum of sleepers and move time.
  void join() { set_participants_by(+1); }
  void leave() { set_participants_by(-1); }

  /// Number of waiters parked now (blocking and asynchronous).
  std::size_t waiters() const {
    std::lock_guard lk(m_);
    return waiters_.size();
  }

  /// Blocks until `now() >= t`; returns at once when it already is.
  void sleep_until(Instant t) {
    std::vector<Fired> fired;
    std::unique_lock lk(m_);
    if (now() >= t) return;
    Waiter w{t, false};
    waiters_.emplace(Key{t, next_seq_++}, &w);
    auto_advance_locked(fired);
    if (!fired.empty()) {
      lk.unlock();
      complete(fired);
      lk.lock();
    }
    cv_.wait(lk, [&] { return w.fired; });
  }

  /// Completes with `void(boost::system::error_code)` once `now() >= t` (at once, through the
  /// handler's executor, when it already is). Cancellation through the handler's slot removes
  /// the waiter and completes with `operation_aborted`. A parked wait counts as outstanding
  /// work on `ex`, so `io_context::run()` does not return while it waits. Defined in
  /// clock/async_wait.hpp, which a caller that waits asynchronously includes: this header
  /// stays free of Asio.
  template <class Executor, class Token>
  auto async_wait_until(const Executor& ex, Instant t, Token&& token);
  /// As above, with the executor's default completion token.
  template <class Executor>
  auto async_wait_until(const Executor& ex, Instant t);

 private:
  using Key = std::pair<Instant, std::uint64_t>;  // deadline, then arrival order

  struct Waiter {
    explicit Waiter(Instant d, bool a) : deadline(d), async(a) {}
    virtual ~Waiter() = default;
    // Asynchronous waiters hand their handler to its executor; never called under the lock.
    // `aborted`: the wait was cancelled rather than reached.
    virtual void complete(bool /*aborted*/) {}
    virtual void listen_for_cancel(manual&, Key) {}

    Instant deadline;
    bool async;
    bool fired = false;  // blocking waiters: set under m_, then cv_ is notified
  };

  /// A parked asynchronous wait: the handler, and work on its executor (clock/async_wait.hpp).
  template <class Handler>
  struct AsyncWaiter;

  struct Fired {
    std::unique_ptr<Waiter> waiter;
    bool aborted = false;
  };

  void set_participants_by(int delta) {
    std::vector<Fired> fired;
    {
      std::lock_guard lk(m_);
      if (delta < 0 && participants_ == 0) return;
      participants_ = delta < 0 ? participants_ - 1 : participants_ + 1;
      auto_advance_locked(fired);
    }
    complete(fired);
  }

  void park(std::unique_ptr<Waiter> w) {
    std::vector<Fired> fired;
    {
      std::lock_guard lk(m_);
      if (now() >= w->deadline) {
        fired.push_back(Fired{std::move(w), false});
      } else {
        const Key key{w->deadline, next_seq_++};
        w->listen_for_cancel(*this, key);
        waiters_.emplace(key, w.release());
        auto_advance_locked(fired);
      }
    }
    complete(fired);
  }

  void cancel(Key key) {
    std::vector<Fired> fired;
    {
      std::lock_guard lk(m_);
      auto it = waiters_.find(key);
      if (it == waiters_.end()) return;  // already fired
      fired.push_back(Fired{std::unique_ptr<Waiter>(it->second), true});
      waiters_.erase(it);
    }
    complete(fired);
  }

  template <class F>
  void move_to(F next) {
    std::vector<Fired> fired;
    {
      std::lock_guard lk(m_);
      now_ns_.store(next(now_ns_.load(std::memory_order_relaxed)), std::memory_order_release);
      fire_due_locked(fired);
    }
    complete(fired);
  }

  // Removes every waiter whose deadline has come. Blocking ones are flagged and woken;
  // asynchronous ones are handed back to be completed outside the lock.
  void fire_due_locked(std::vector<Fired>& fired) {
    const Instant t = now();
    bool woke_blocking = false;
    while (!waiters_.empty() && waiters_.begin()->first.first <= t) {
      Waiter* w = waiters_.begin()->second;
      waiters_.erase(waiters_.begin());
      if (w->async) {
        fired.push_back(Fired{std::unique_ptr<Waiter>(w), false});
      } else {
        w->fired = true;
        woke_blocking = true;
      }
    }
    if (woke_blocking) cv_.notify_all();
  }

  void auto_advance_locked(std::vector<Fired>& fired) {
    if (participants_ == 0 || waiters_.size() < participants_) return;
    const Instant earliest = waiters_.begin()->first.first;
    if (earliest > now()) now_ns_.store(earliest.time_since_epoch().count(), std::memory_order_release);
    fire_due_locked(fired);
  }

  // Completes asynchronous waiters outside the lock: a handler that waits again must not
  // re-enter it.
  static void complete(std::vector<Fired>& fired) {
    for (auto& f : fired) f.waiter->complete(f.aborted);
    fired.clear();
  }

  std::atomic<std::int64_t> now_ns_;
  std::atomic<std::int64_t> wall_offset_ns_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::map<Key, Waiter*> waiters_;  // owned when async; blocking waiters live on their stack
  std::uint64_t next_seq_ = 0;
  std::size_t participants_;
};

}  // namespace governed::clock
