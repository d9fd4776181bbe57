// Many threads on one limit over a manual clock never admit more than the limit allows.
// Tagged [concurrency]: these run under ThreadSanitizer.
#include <governed/limiter.hpp>

#include <catch2/catch.hpp>

#include <governed/clock/manual.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Instant;
using namespace governed::limiter;

namespace {

// `threads` × `attempts` try_acquire(1) on one limiter while the clock advances in steps.
// Returns how many were admitted and how far the clock moved.
template <class L>
std::pair<std::uint64_t, Duration> hammer(L& l, int threads, int attempts, Duration step, int steps) {
  governed::clock::manual clock{Instant{}, governed::clock::manual::default_wall_start, 0};
  std::atomic<std::uint64_t> admitted{0};
  std::atomic<int> running{threads};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      std::uint64_t mine = 0;
      for (int k = 0; k < attempts; ++k) {
        if (l.try_acquire(1, clock.now()).admitted()) ++mine;
      }
      admitted += mine;
      --running;
    });
  }
  int moved = 0;
  while (running.load() > 0 && moved < steps) {
    clock.advance(step);
    ++moved;
    std::this_thread::yield();
  }
  for (auto& t : pool) t.join();
  return {admitted.load(), clock.now() - Instant{}};
}

}  // namespace

TEST_CASE("8 threads × 100 000 attempts on one gcra never exceed burst + elapsed / T",
          "[limiter][gcra][concurrency]") {
  gcra l{Limit{1000, 1s, 50}};  // T = 1 ms, burst 50
  const auto [admitted, elapsed] = hammer(l, 8, 100000, 100us, 2000);
  const std::uint64_t bound = 50 + static_cast<std::uint64_t>(elapsed / 1ms);
  INFO("admitted " << admitted << " in " << elapsed.count() << " ns, bound " << bound);
  CHECK(admitted <= bound);
  CHECK(admitted >= 50);
}

TEMPLATE_TEST_CASE("threads sharing a limiter of any family never exceed its bound",
                   "[limiter][concurrency]", token_bucket, sliding_window, sliding_window_approx,
                   fixed_window) {
  TestType l{Limit{1000, 1s, 50}};
  const auto [admitted, elapsed] = hammer(l, 8, 20000, 100us, 2000);
  // Rate families: burst + elapsed · rate; window families: cells per window for each window
  // touched (elapsed / W + 1), the approximation at most that as well.
  const auto windows = static_cast<std::uint64_t>(elapsed / 1s) + 1;
  const std::uint64_t bound = std::max<std::uint64_t>(50 + static_cast<std::uint64_t>(elapsed / 1ms),
                                                      1000 * windows);
  INFO("admitted " << admitted << " in " << elapsed.count() << " ns, bound " << bound);
  CHECK(admitted <= bound);
  CHECK(admitted >= 1);
}

TEST_CASE("concurrency hands out at most N leases across threads", "[limiter][concurrency]") {
  concurrency c{3};
  std::atomic<int> inside{0};
  std::atomic<int> worst{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&] {
      for (int k = 0; k < 2000; ++k) {
        auto lease = c.acquire();
        const int now = ++inside;
        int w = worst.load();
        while (now > w && !worst.compare_exchange_weak(w, now)) {
        }
        --inside;
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(worst.load() <= 3);
  CHECK(worst.load() >= 1);
  CHECK(c.in_flight() == 0);
}
