// Exact admission schedules of every limiter family against hand-computed ones.
#include <governed/limiter.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Instant;
using namespace governed::limiter;

namespace {

// Tries `cells` every `step` from t = 0 to `until`; returns the instants admitted.
template <class L>
std::vector<Instant> attempts(L& l, std::uint64_t cells, Duration step, Duration until) {
  std::vector<Instant> admitted;
  for (Instant t{}; t <= Instant{until}; t += step) {
    if (l.try_acquire(cells, t).admitted()) admitted.push_back(t);
  }
  return admitted;
}

// Launches `cells` as soon as allowed, following each refusal's retry_after exactly.
template <class L>
std::vector<Instant> eager(L& l, std::uint64_t cells, int launches) {
  std::vector<Instant> at;
  Instant t{};
  while (static_cast<int>(at.size()) < launches) {
    const Decision d = l.try_acquire(cells, t);
    REQUIRE(d.answer != Answer::exceeds_capacity);
    if (d.admitted()) {
      at.push_back(t);
    } else {
      REQUIRE(d.retry_after > Duration{0});
      t += d.retry_after;
    }
  }
  return at;
}

std::vector<Instant> seconds(std::initializer_list<long> s) {
  std::vector<Instant> v;
  for (long x : s) v.push_back(Instant{std::chrono::seconds{x}});
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("60 RPM with burst 1 admits at t = 0, 1, 2 … s", "[limiter][schedule]", gcra,
                   token_bucket) {
  TestType l{Limit{60, 1min, 1}};
  CHECK(attempts(l, 1, 100ms, 4500ms) == seconds({0, 1, 2, 3, 4}));
}

TEST_CASE("gcra tells a refused request exactly when it would pass", "[limiter][gcra][schedule]") {
  gcra l{Limit{60, 1min, 1}};
  REQUIRE(l.try_acquire(1, Instant{}).admitted());
  const Decision d = l.try_acquire(1, Instant{250ms});
  CHECK(d.answer == Answer::not_yet);
  CHECK(d.retry_after == 750ms);
  CHECK(d.remaining == 0);
  CHECK_FALSE(l.try_acquire(1, Instant{999999999ns}).admitted());
  CHECK(l.try_acquire(1, Instant{1s}).admitted());
}

TEST_CASE("gcra at 25 500 TPM with burst 7 000 launches 7 000-token requests 16.47 s apart",
          "[limiter][gcra][schedule]") {
  // The 30 000 TPM limit of the original application, aimed at 85 %.
  gcra l{Limit{25500, 1min, 7000}};
  const auto at = eager(l, 7000, 5);
  // T = ⌈60 s / 25 500⌉ = 2 352 942 ns; 7 000 · T = 16.470594 s.
  for (std::size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] == 16470594000ns);
}

TEMPLATE_TEST_CASE("30 000 TPM at 15 % headroom admits a 7 000-token request on its 4 500 burst after 5.88 s of rest",
                   "[limiter][schedule][oversized]", gcra, token_bucket) {
  // Nothing declared: burst 4 500, 25 500 a minute. GCRA moves one cell every
  // T = ⌈60 s / 25 500⌉ = 2 352 942 ns; the bucket refills exactly 25 500 a minute, so its
  // instants come up to n · 0.82 ns earlier.
  auto planned = TestType::derive({30000, 1min}, {0.15, 1});
  REQUIRE(planned);
  TestType l{*planned};
  const Duration T = 2352942ns;
  const auto near = [](Duration a, Duration cells_of_T) {
    const auto exact = cells_of_T / 2352942 * 60'000'000'000 / 25500;
    return a >= exact && a <= cells_of_T;
  };
  REQUIRE(l.try_acquire(7000, Instant{}).admitted());
  // The next 7 000 needs the limit rested (7 000 − 4 500)·T after the first's 7 000·T.
  const Decision again = l.peek(7000, Instant{});
  REQUIRE(again.answer == Answer::not_yet);
  CHECK(near(again.retry_after, 9500 * T));  // 22.35 s
  // A request within the burst only waits for the first to drain: 7 000·T = 16.47 s.
  const Decision small = l.peek(4500, Instant{});
  REQUIRE(small.answer == Answer::not_yet);
  CHECK(near(small.retry_after, 7000 * T));
  // After a rest of 2 500·T = 5.88 s past the drain, the 7 000 passes.
  CHECK(l.try_acquire(7000, Instant{} + 9500 * T).admitted());
}

TEST_CASE("token bucket at 25 500 TPM refills 7 000 tokens in 16.47 s", "[limiter][token_bucket][schedule]") {
  token_bucket l{Limit{25500, 1min, 7000}};
  const auto at = eager(l, 7000, 5);
  // 7 000 · 60 s / 25 500 = 16.470588235… s: each wait is rounded up to the nanosecond and the
  // fraction carried over, so the spacing alternates within a nanosecond of the exact value.
  for (std::size_t i = 1; i < at.size(); ++i) {
    CHECK(at[i] - at[i - 1] >= 16470588235ns);
    CHECK(at[i] - at[i - 1] <= 16470588236ns);
  }
  CHECK(at.back() - at.front() <= 4 * 16470588236ns);
}

TEST_CASE("fixed_window at 25 500 tokens a minute admits exactly three 7 000-token launches a minute",
          "[limiter][fixed_window][schedule]") {
  // 30 000 TPM with 15 % headroom = 25 500 per window: 3 × 7 000 = 21 000 fit, a fourth does not.
  fixed_window l{Limit{25500, 1min, 25500}};
  CHECK(attempts(l, 7000, 1s, 179s) == seconds({0, 1, 2, 60, 61, 62, 120, 121, 122}));
  // The fourth is told to wait for the next window.
  fixed_window m{Limit{25500, 1min, 25500}};
  for (int i = 0; i < 3; ++i) REQUIRE(m.try_acquire(7000, Instant{10s}).admitted());
  const Decision d = m.try_acquire(7000, Instant{10s});
  CHECK(d.answer == Answer::not_yet);
  CHECK(d.retry_after == 50s);
  CHECK(d.remaining == 4500);
}

TEST_CASE("sliding_window admits again only when the oldest entry leaves the window",
          "[limiter][sliding_window][schedule]") {
  sliding_window l{Limit{25500, 1min, 25500}};
  const auto at = attempts(l, 7000, 1s, 125s);
  // 0, 1, 2 s fill 21 000; each entry leaves W + 1 ns after it was logged, so 3 s … 60 s
  // are refused and t = 61 s (t = 0's entry has left) admits, then 62, 63 s.
  CHECK(at == seconds({0, 1, 2, 61, 62, 63, 122, 123, 124}));
  sliding_window m{Limit{25500, 1min, 25500}};
  for (int i = 0; i < 3; ++i) REQUIRE(m.try_acquire(7000, Instant{std::chrono::seconds{i}}).admitted());
  const Decision d = m.try_acquire(7000, Instant{30s});
  CHECK(d.retry_after == 30s + 1ns);
}

TEST_CASE("sliding_window_approx weighs the previous window by the share still inside",
          "[limiter][sliding_window_approx][schedule]") {
  sliding_window_approx l{Limit{25500, 1min, 25500}};
  for (int i = 0; i < 3; ++i) REQUIRE(l.try_acquire(7000, Instant{std::chrono::seconds{i}}).admitted());
  // At t = 60 s the previous window (21 000) counts fully: 21 000 + 7 000 > 25 500.
  const Decision d = l.try_acquire(7000, Instant{60s});
  CHECK(d.answer == Answer::not_yet);
  // 21 000 · (1 − e/60 s) ≤ 18 500  ⇔  e ≥ 60 s · 2 500 / 21 000 = 7.142857142… s
  CHECK(d.retry_after == 7142857143ns);
  CHECK_FALSE(l.try_acquire(7000, Instant{67142857142ns}).admitted());
  CHECK(l.try_acquire(7000, Instant{67142857143ns}).admitted());
}

TEST_CASE("none admits everything", "[limiter][none]") {
  none l;
  for (int i = 0; i < 1000; ++i) REQUIRE(l.try_acquire(1'000'000, Instant{}).admitted());
  CHECK(l.available(Instant{}) == none::unlimited);
}

TEST_CASE("stagger keeps launches at least the spacing apart", "[limiter][stagger]") {
  stagger s{15s};
  CHECK(s.try_acquire(Instant{}).admitted());
  const Decision d = s.try_acquire(Instant{5s});
  CHECK(d.answer == Answer::not_yet);
  CHECK(d.retry_after == 10s);
  CHECK(s.try_acquire(Instant{15s}).admitted());
  CHECK_FALSE(s.try_acquire(Instant{29s}).admitted());
  stagger off{0s};
  for (int i = 0; i < 10; ++i) CHECK(off.try_acquire(Instant{}).admitted());
}
