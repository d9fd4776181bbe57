#pragma once
/// @file
/// `limiter::concurrency`: at most N calls in flight, each holding an RAII lease.

#include <atomic>
#include <cstdint>
#include <limits>
#include <utility>

namespace governed::limiter {

/// Counts calls in flight. `try_acquire()` returns a lease (empty when N are out); the lease
/// gives its slot back when destroyed or `release()`d, so an early return or an exception
/// never leaks a slot. `acquire()` blocks until a slot is free. N = 0 means unbounded.
///
/// A dimension of a limit set rather than a limiter family: providers bound concurrent
/// requests (and long generations hold a slot for seconds) independently of the rate.
class concurrency {
 public:
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)) {}
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        release();
        owner_ = std::exchange(o.owner_, nullptr);
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { release(); }

    explicit operator bool() const noexcept { return owner_ != nullptr; }
    bool held() const noexcept { return owner_ != nullptr; }

    void release() noexcept {
      if (auto* o = std::exchange(owner_, nullptr)) o->give_back();
    }

   private:
    friend class concurrency;
    explicit Lease(concurrency* owner) noexcept : owner_(owner) {}
    concurrency* owner_ = nullptr;
  };

  explicit concurrency(std::uint32_t max_in_flight) noexcept
      : max_(max_in_flight == 0 ? std::numeric_limits<std::uint32_t>::max() : max_in_flight) {}

  concurrency(const concurrency&) = delete;
  concurrency& operator=(const concurrency&) = delete;

  /// A lease if fewer than N are out, else an empty one. Lock-free.
  Lease try_acquire() noexcept {
    std::uint32_t cur = in_flight_.load(std::memory_order_relaxed);
    do {
      if (cur >= max_) return Lease{};
    } while (!in_flight_.compare_exchange_weak(cur, cur + 1, std::memory_order_acquire,
                                               std::memory_order_relaxed));
    return Lease{this};
  }

  /// Blocks until a slot is free (futex wait, no spinning).
  Lease acquire() noexcept {
    for (;;) {
      if (auto l = try_acquire()) return l;
      const std::uint32_t seen = in_flight_.load(std::memory_order_relaxed);
      if (seen >= max_) in_flight_.wait(seen, std::memory_order_relaxed);
    }
  }

  std::uint32_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
  std::uint32_t max() const noexcept { return max_; }
  bool unbounded() const noexcept { return max_ == std::numeric_limits<std::uint32_t>::max(); }

 private:
  void give_back() noexcept {
    in_flight_.fetch_sub(1, std::memory_order_release);
    in_flight_.notify_one();
  }

  std::uint32_t max_;
  std::atomic<std::uint32_t> in_flight_{0};
};

}  // namespace governed::limiter
