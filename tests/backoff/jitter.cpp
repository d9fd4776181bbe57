// The jittered curves: bounds of every draw, spread, and the same waits for the same seed.
#include <governed/backoff.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Random;
using namespace governed::backoff;

namespace {

constexpr Duration jitter_i64_max{std::numeric_limits<std::int64_t>::max()};

template <class B>
std::vector<Duration> seeded_sequence(const B& b, std::uint64_t seed) {
  Random rng{seed};
  std::vector<Duration> out;
  RetryState s;
  while (auto w = b.next(s, rng)) {
    out.push_back(*w);
    s = s.after(*w);
  }
  return out;
}

// Draws `n` waits for retry k and reports their range and mean (in seconds).
struct Spread {
  Duration lo = jitter_i64_max;
  Duration hi{0};
  double mean_s = 0;
};

template <class B>
Spread spread(const B& b, const RetryState& s, int n, std::uint64_t seed = 7) {
  Random rng{seed};
  Spread r;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const Duration w = *b.next(s, rng);
    r.lo = std::min(r.lo, w);
    r.hi = std::max(r.hi, w);
    sum += std::chrono::duration<double>(w).count();
  }
  r.mean_s = sum / n;
  return r;
}

}  // namespace

TEST_CASE("full_jitter: uniform in [0, curve], mean half the curve", "[backoff][jitter]") {
  const full_jitter b{};
  const Duration curve[] = {4s, 8s, 16s, 32s};
  for (std::uint32_t k = 1; k <= 4; ++k) {
    const auto sp = spread(b, RetryState{.attempt = k}, 20'000);
    CHECK(sp.lo >= 0s);
    CHECK(sp.hi <= curve[k - 1]);
    // The draws fill the interval: within 1 % of both ends, and the mean within 2 % of e/2.
    CHECK(sp.lo < curve[k - 1] / 100);
    CHECK(sp.hi > curve[k - 1] * 99 / 100);
    const double half = std::chrono::duration<double>(curve[k - 1]).count() / 2;
    CHECK(sp.mean_s == Approx(half).epsilon(0.02));
  }
  CHECK_FALSE(b.next(RetryState{.attempt = 5}, *std::make_unique<Random>(1)));
}

TEST_CASE("equal_jitter: in [curve/2, curve], mean three quarters", "[backoff][jitter]") {
  const equal_jitter b{};
  const Duration curve[] = {4s, 8s, 16s, 32s};
  for (std::uint32_t k = 1; k <= 4; ++k) {
    const auto sp = spread(b, RetryState{.attempt = k}, 20'000);
    CHECK(sp.lo >= curve[k - 1] / 2);
    CHECK(sp.hi <= curve[k - 1]);
    const double e = std::chrono::duration<double>(curve[k - 1]).count();
    CHECK(sp.mean_s == Approx(0.75 * e).epsilon(0.02));
  }
  // An odd number of nanoseconds still reaches the full curve and never passes it.
  const equal_jitter odd{.base = 3ns, .factor = 1, .min = 0s, .max = 3ns};
  const auto sp = spread(odd, RetryState{}, 1000);
  CHECK(sp.lo == 1ns);
  CHECK(sp.hi == 3ns);
}

TEST_CASE("decorrelated_jitter: in [min, 3 · previous], never above max", "[backoff][jitter]") {
  const decorrelated_jitter b{};
  // First retry: previous reads as min, so [4 s, 12 s].
  auto sp = spread(b, RetryState{}, 20'000);
  CHECK(sp.lo >= 4s);
  CHECK(sp.hi <= 12s);
  CHECK(sp.mean_s == Approx(8.0).epsilon(0.02));
  // After a 10 s wait: [4 s, 30 s].
  sp = spread(b, RetryState{.attempt = 2, .last_wait = 10s, .waited = 14s}, 20'000);
  CHECK(sp.lo >= 4s);
  CHECK(sp.hi <= 30s);
  CHECK(sp.hi > 29s);
  // After a 40 s wait the upper end (120 s) passes max: clipped to 60 s, and often exactly 60 s.
  sp = spread(b, RetryState{.attempt = 3, .last_wait = 40s}, 20'000);
  CHECK(sp.hi == 60s);
  CHECK(sp.lo >= 4s);
  // A huge previous wait saturates 3 · previous instead of wrapping.
  Random rng{3};
  const decorrelated_jitter open{.max = jitter_i64_max, .attempts = 10};
  const auto w = open.next(RetryState{.attempt = 2, .last_wait = jitter_i64_max}, rng);
  REQUIRE(w);
  CHECK(*w >= 4s);
  CHECK(decorrelated_jitter{.min = 90s, .max = 60s}.next(RetryState{}, rng) == 60s);
  CHECK_FALSE(decorrelated_jitter{.min = 90s, .max = 60s}.validate());
}

TEST_CASE("jitter: the same seed gives the same waits; another seed, others", "[backoff][jitter]") {
  CHECK(seeded_sequence(full_jitter{}, 42) == seeded_sequence(full_jitter{}, 42));
  CHECK(seeded_sequence(equal_jitter{}, 42) == seeded_sequence(equal_jitter{}, 42));
  CHECK(seeded_sequence(decorrelated_jitter{}, 42) == seeded_sequence(decorrelated_jitter{}, 42));
  CHECK(seeded_sequence(full_jitter{}, 42) != seeded_sequence(full_jitter{}, 43));
  CHECK(seeded_sequence(decorrelated_jitter{}, 42) != seeded_sequence(decorrelated_jitter{}, 43));
  CHECK(seeded_sequence(full_jitter{}, 42).size() == 4);
  CHECK(seeded_sequence(decorrelated_jitter{.attempts = 3}, 42).size() == 2);
}

TEST_CASE("jitter: a degenerate curve of zero draws zero", "[backoff][jitter]") {
  Random rng{1};
  CHECK(full_jitter{.base = 0s, .min = 0s}.next(RetryState{}, rng) == 0s);
  CHECK(equal_jitter{.max = 0s}.next(RetryState{}, rng) == 0s);
  CHECK(decorrelated_jitter{.min = 0s, .max = 0s}.next(RetryState{}, rng) == 0s);
  CHECK(full_jitter{}.validate());
  CHECK_FALSE(full_jitter{.factor = 0.9}.validate());
  CHECK_FALSE(equal_jitter{.base = -1s}.validate());
}
