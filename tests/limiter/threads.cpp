// Many threads on one limit over a manual clock never admit more than the limit allows.
// Tagged [concurrency]: these run under ThreadSanitizer.
#include <governed/limiter.hpp>

#include <catch2/catch.hpp>

#include <governed/clock/manual.hpp>

#include <algorithm>
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

struct Taken {
  Instant at;
  std::uint64_t cells;
};

// `threads` threads try requests of 1 to `largest` cells (every fourth one in the upper half,
// and all in two seconds of every four in the top tenth: oversized for a burst below them) until the
// clock, advancing `steps` times by `step`, stops; returns every admission.
template <class L>
std::vector<Taken> hammer_mixed(L& l, int threads, std::uint64_t largest, Duration step, int steps) {
  governed::clock::manual clock{Instant{}, governed::clock::manual::default_wall_start, 0};
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> tried{0};
  std::vector<std::vector<Taken>> taken(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      auto& mine = taken[static_cast<std::size_t>(i)];
      std::uint64_t x = 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(i + 1);
      for (int k = 0; !done.load(); ++k) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const Instant t = clock.now();
        // Two seconds in four only the largest requests come, so the limit rests for them.
        const bool quiet = (t.time_since_epoch() / 1s) % 4 >= 2;
        const std::uint64_t n = quiet ? largest - x % (largest / 10)
                                : k % 4 == 0 ? largest - x % (largest / 2)
                                             : 1 + x % (largest / 10);
        if (l.try_acquire(n, t).admitted()) mine.push_back({t, n});
        ++tried;
        std::this_thread::yield();
      }
    });
  }
  for (int moved = 0; moved < steps; ++moved) {
    // Each instant gets a few attempts, however the threads are scheduled (a bounded wait).
    const std::uint64_t before = tried.load();
    for (int spin = 0; spin < 10000 && tried.load() < before + static_cast<std::uint64_t>(threads); ++spin)
      std::this_thread::yield();
    clock.advance(step);
  }
  done = true;
  for (auto& t : pool) t.join();
  std::vector<Taken> all;
  for (auto& v : taken) all.insert(all.end(), v.begin(), v.end());
  return all;
}

// The most cells admitted within any closed span of length `w`.
std::uint64_t busiest_span(std::vector<Taken> all, Duration w) {
  std::sort(all.begin(), all.end(), [](const Taken& a, const Taken& b) { return a.at < b.at; });
  std::uint64_t best = 0, sum = 0;
  std::size_t end = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    while (end < all.size() && all[end].at <= all[i].at + w) sum += all[end++].cells;
    best = std::max(best, sum);
    sum -= all[i].cells;
  }
  return best;
}

}  // namespace

TEMPLATE_TEST_CASE("threads mixing oversized requests with small ones never put more than the limit in a window",
                   "[limiter][concurrency][oversized]", gcra, token_bucket, sliding_window, sliding_window_approx,
                   fixed_window) {
  // 300 a second at 15 % headroom: the rate families plan a burst of 45, yet admit up to 300.
  auto planned = TestType::derive({300, 1s}, {0.15, 1});
  REQUIRE(planned);
  TestType l{*planned};
  const auto all = hammer_mixed(l, 4, 300, 1ms, 20000);
  std::size_t oversized = 0;
  for (const auto& t : all) oversized += t.cells > planned->burst ? 1 : 0;
  INFO(all.size() << " admitted, " << oversized << " above the burst");
  CHECK(oversized > 0);
  CHECK(busiest_span(all, 1s) <= 300);
}

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
