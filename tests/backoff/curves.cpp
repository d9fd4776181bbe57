// The deterministic curves: exact sequences, attempts, bad parameters and overflow.
#include <governed/backoff.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <optional>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Random;
using namespace governed::backoff;

namespace {

// Every wait the policy gives, retry after retry, until its attempts are spent.
template <class B>
std::vector<Duration> sequence(const B& b, std::uint64_t seed = 1) {
  Random rng{seed};
  std::vector<Duration> out;
  RetryState s;
  while (auto w = b.next(s, rng)) {
    out.push_back(*w);
    s = s.after(*w);
    if (out.size() > 10'000) break;  // a runaway policy fails the test instead of hanging it
  }
  return out;
}

constexpr Duration i64_max{std::numeric_limits<std::int64_t>::max()};

}  // namespace

// The policies are literal values: a call site can hold one as a constexpr constant.
static_assert(exponential{}.max_attempts() == 5);
static_assert(none{}.max_attempts() == 1);
static_assert(exponential{.base = 1s, .attempts = 3}.max_attempts() == 3);

TEST_CASE("exponential: the defaults wait 4, 8, 16, 32 s, then give up", "[backoff]") {
  CHECK(sequence(exponential{}) == std::vector<Duration>{4s, 8s, 16s, 32s});
}

TEST_CASE("exponential: base · factor^k clamped to [min, max]", "[backoff]") {
  // OpenAI SDK shape: 0.5 s · 2^k capped at 8 s, no floor.
  const exponential openai{.base = 500ms, .factor = 2, .min = 0s, .max = 8s, .attempts = 7};
  CHECK(sequence(openai) == std::vector<Duration>{1s, 2s, 4s, 8s, 8s, 8s});
  // The floor lifts the early retries: base 1 s, min 5 s.
  const exponential floor{.base = 1s, .factor = 2, .min = 5s, .max = 60s, .attempts = 6};
  CHECK(sequence(floor) == std::vector<Duration>{5s, 5s, 8s, 16s, 32s});
  // A fractional factor: 2 s · 1.5^k.
  const exponential gentle{.base = 2s, .factor = 1.5, .min = 0s, .max = 60s, .attempts = 4};
  CHECK(sequence(gentle) == std::vector<Duration>{3s, 4500ms, 6750ms});
}

TEST_CASE("exponential: huge exponents and maxima saturate at max", "[backoff]") {
  Random rng{1};
  const exponential e{.max = 60s, .attempts = std::numeric_limits<std::uint32_t>::max()};
  CHECK(e.next(RetryState{.attempt = 1000}, rng) == 60s);
  CHECK(e.next(RetryState{.attempt = 4'000'000'000u}, rng) == 60s);
  // No ceiling to speak of: 2 s · 2^1000 is infinite in double and lands on int64 max, not UB.
  const exponential open{.max = i64_max, .attempts = 2000};
  CHECK(open.next(RetryState{.attempt = 1000}, rng) == i64_max);
  CHECK(open.next(RetryState{.attempt = 62}, rng) == i64_max);  // 2e9 · 2^62 > 2^63
  CHECK(open.next(RetryState{.attempt = 20}, rng) == 2s * (1 << 20));
  // A huge factor at k = 1.
  const exponential steep{.factor = 1e300, .max = i64_max};
  CHECK(steep.next(RetryState{}, rng) == i64_max);
}

TEST_CASE("exponential: odd parameters still give a wait within [0, max]", "[backoff]") {
  Random rng{1};
  // min above max: max wins, it is the promise to the caller.
  CHECK(exponential{.min = 90s, .max = 60s}.next(RetryState{}, rng) == 60s);
  // Negative spans read as 0.
  CHECK(exponential{.base = -5s, .min = -1s}.next(RetryState{}, rng) == 0s);
  CHECK(exponential{.max = -1s}.next(RetryState{}, rng) == 0s);
  // NaN and infinite factors never escape the bounds.
  CHECK(exponential{.factor = std::numeric_limits<double>::quiet_NaN()}.next(RetryState{}, rng) == 60s);
  CHECK(exponential{.factor = std::numeric_limits<double>::infinity()}.next(RetryState{}, rng) == 60s);
  CHECK(exponential{.factor = 0}.next(RetryState{}, rng) == 4s);
  // A zero base never grows, even by an infinite factor (0 · ∞ is NaN in double).
  CHECK(exponential{.base = 0s, .factor = std::numeric_limits<double>::infinity(), .min = 0s}
            .next(RetryState{}, rng) == 0s);
  // Attempt 0 (nothing failed yet) reads as attempt 1.
  CHECK(exponential{}.next(RetryState{.attempt = 0}, rng) == 4s);
}

TEST_CASE("exponential: validate names the parameter that can not work", "[backoff]") {
  CHECK(exponential{}.validate());
  auto check = [](const exponential& e, const char* word) {
    auto r = e.validate();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == governed::Errc::invalid_argument);
    CHECK_THAT(r.error().message, Catch::Contains(word) && Catch::Contains("backoff::exponential"));
  };
  check(exponential{.base = -1s}, "base");
  check(exponential{.factor = 0.5}, "factor");
  check(exponential{.factor = std::numeric_limits<double>::quiet_NaN()}, "factor");
  check(exponential{.min = 90s, .max = 60s}, "above max");
  check(exponential{.attempts = 0}, "attempts");
}

TEST_CASE("attempts: N attempts give N - 1 waits; 0 and 1 give none", "[backoff]") {
  CHECK(sequence(exponential{.attempts = 1}).empty());
  CHECK(sequence(exponential{.attempts = 0}).empty());
  CHECK(sequence(exponential{.attempts = 2}) == std::vector<Duration>{4s});
  CHECK(sequence(exponential{.attempts = 8}) == std::vector<Duration>{4s, 8s, 16s, 32s, 60s, 60s, 60s});
  CHECK(sequence(constant{.attempts = 3}).size() == 2);
  CHECK(sequence(linear{.attempts = 1}).empty());
}

TEST_CASE("linear: first + step · (k - 1), capped", "[backoff]") {
  CHECK(sequence(linear{}) == std::vector<Duration>{4s, 8s, 12s, 16s});
  CHECK(sequence(linear{.first = 1s, .step = 20s, .max = 30s, .attempts = 5}) ==
        std::vector<Duration>{1s, 21s, 30s, 30s});
  // Overflow-safe: a step of a century for four billion retries saturates at max.
  Random rng{1};
  const linear huge{.first = i64_max, .step = i64_max, .max = i64_max, .attempts = std::numeric_limits<std::uint32_t>::max()};
  CHECK(huge.next(RetryState{.attempt = 4'000'000'000u}, rng) == i64_max);
  CHECK(linear{.first = -3s, .step = 1s}.next(RetryState{}, rng) == 0s);
  CHECK(linear{}.validate());
  CHECK_FALSE(linear{.step = -1s}.validate());
}

TEST_CASE("constant: the same wait every retry", "[backoff]") {
  CHECK(sequence(constant{}) == std::vector<Duration>{4s, 4s, 4s, 4s});
  CHECK(sequence(constant{.wait = 250ms, .attempts = 3}) == std::vector<Duration>{250ms, 250ms});
  Random rng{1};
  CHECK(constant{.wait = -1s}.next(RetryState{}, rng) == 0s);
  CHECK_FALSE(constant{.wait = -1s}.validate());
  CHECK_FALSE(constant{.attempts = 0}.validate());
}

TEST_CASE("none: never a retry", "[backoff]") {
  Random rng{1};
  CHECK_FALSE(none{}.next(RetryState{}, rng));
  CHECK_FALSE(none{}.next(RetryState{.attempt = 0}, rng));
  CHECK(none{}.validate());
}

TEST_CASE("RetryState::after counts attempts and time, saturating", "[backoff]") {
  const RetryState s = RetryState{}.after(4s).after(8s);
  CHECK(s == RetryState{3, 8s, 12s});
  CHECK(RetryState{}.after(-5s) == RetryState{2, 0s, 0s});
  const RetryState far = RetryState{std::numeric_limits<std::uint32_t>::max(), 0s, i64_max}.after(i64_max);
  CHECK(far.attempt == std::numeric_limits<std::uint32_t>::max());
  CHECK(far.waited == i64_max);
}
