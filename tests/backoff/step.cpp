// next_step: the provider's wait over the curve, attempts, and the inclusive total-wait cap.
#include <governed/backoff/step.hpp>

#include <governed/backoff.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Random;
using namespace governed::backoff;

namespace {

constexpr Duration step_i64_max{std::numeric_limits<std::int64_t>::max()};

// Runs a whole walk on one target with no hints: the waits slept, and how it ended.
template <class B>
std::pair<std::vector<Duration>, Step> walk(const B& b, Duration cap = default_wait_cap) {
  Random rng{1};
  std::vector<Duration> slept;
  RetryState s;
  for (;;) {
    const Step st = next_step(b, s, std::nullopt, rng, cap);
    if (!st.retry()) return {slept, st};
    slept.push_back(st.wait);
    s = s.after(st.wait);
  }
}

}  // namespace

TEST_CASE("next_step: the default curve uses the 60 s cap exactly, then attempts are spent", "[backoff]") {
  auto [slept, end] = walk(exponential{});
  CHECK(slept == std::vector<Duration>{4s, 8s, 16s, 32s});
  CHECK(end == Step{Outcome::attempts_spent, 0s, false});
}

TEST_CASE("next_step: the cap is inclusive", "[backoff]") {
  Random rng{1};
  const exponential b{};
  // 28 s waited + 32 s = exactly 60 s: sleep.
  CHECK(next_step(b, RetryState{4, 16s, 28s}, std::nullopt, rng) == Step{Outcome::wait, 32s, false});
  // One nanosecond more already waited: the same 32 s would pass the cap.
  CHECK(next_step(b, RetryState{4, 16s, 28s + 1ns}, std::nullopt, rng) == Step{Outcome::over_cap, 32s, false});
  // A hint that lands exactly on the cap sleeps; one that passes it falls back.
  CHECK(next_step(b, RetryState{2, 4s, 4s}, 56s, rng) == Step{Outcome::wait, 56s, true});
  CHECK(next_step(b, RetryState{2, 4s, 4s}, 56s + 1ms, rng) == Step{Outcome::over_cap, 56s + 1ms, true});
  // A smaller cap ends the default curve early: 4 + 8 = 12 fits in 20 s, 12 + 16 does not.
  auto [slept, end] = walk(b, 20s);
  CHECK(slept == std::vector<Duration>{4s, 8s});
  CHECK(end == Step{Outcome::over_cap, 16s, false});
  // A cap of 0 allows only immediate retries.
  CHECK(next_step(b, RetryState{}, 0s, rng, 0s) == Step{Outcome::wait, 0s, true});
  CHECK(next_step(b, RetryState{}, std::nullopt, rng, 0s).outcome == Outcome::over_cap);
}

TEST_CASE("next_step: a provider's stated wait wins over the curve", "[backoff]") {
  Random rng{1};
  const exponential b{};
  // The curve says 4 s; the provider says 1.5 s (retry-after-ms: 1500), or 20 s.
  CHECK(next_step(b, RetryState{}, 1500ms, rng) == Step{Outcome::wait, 1500ms, true});
  CHECK(next_step(b, RetryState{}, 20s, rng) == Step{Outcome::wait, 20s, true});
  // Groq's "try again in 22m46.848s": far past the cap, so the walk falls back at once.
  const Duration groq = 22min + 46848ms;
  CHECK(next_step(b, RetryState{}, groq, rng) == Step{Outcome::over_cap, groq, true});
  // A negative hint (clock skew in an HTTP date) means "now".
  CHECK(next_step(b, RetryState{}, -3s, rng) == Step{Outcome::wait, 0s, true});
  // A hint of centuries saturates the total instead of wrapping to a negative one.
  CHECK(next_step(b, RetryState{2, 4s, 4s}, step_i64_max, rng).outcome == Outcome::over_cap);
  // A hinted retry draws no random number: the jittered curve's next draw is unchanged.
  Random a{9}, c{9};
  (void)next_step(full_jitter{}, RetryState{}, 2s, a);
  CHECK(a() == c());
}

TEST_CASE("next_step: attempts bound hinted retries too", "[backoff]") {
  Random rng{1};
  CHECK(next_step(exponential{}, RetryState{5, 32s, 60s}, 1s, rng) == Step{Outcome::attempts_spent, 0s, false});
  CHECK(next_step(none{}, RetryState{}, 1s, rng).outcome == Outcome::attempts_spent);
  CHECK(next_step(none{}, RetryState{}, std::nullopt, rng).outcome == Outcome::attempts_spent);
  // A provider that keeps saying "retry after 1 s" gets exactly attempts - 1 retries.
  RetryState s;
  int retries = 0;
  for (;;) {
    const Step st = next_step(constant{.attempts = 3}, s, 1s, rng);
    if (!st.retry()) break;
    ++retries;
    s = s.after(st.wait);
  }
  CHECK(retries == 2);
}

TEST_CASE("next_step: jittered walks stay within the cap", "[backoff][jitter]") {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Random rng{seed};
    RetryState s;
    for (;;) {
      const Step st = next_step(decorrelated_jitter{.attempts = 20}, s, std::nullopt, rng);
      if (!st.retry()) {
        CHECK(st.outcome != Outcome::wait);
        break;
      }
      s = s.after(st.wait);
    }
    CHECK(s.waited <= default_wait_cap);
  }
  CHECK(to_string(Outcome::over_cap) == "over_cap");
}
