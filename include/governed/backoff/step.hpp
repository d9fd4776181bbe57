#pragma once
/// @file
/// `backoff::next_step`: the retry decision a call walk acts on — the provider's stated wait
/// over the curve, the attempts, and the total-wait cap.

#include <governed/backoff/concept.hpp>
#include <governed/backoff/retry_state.hpp>
#include <governed/saturating.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace governed::backoff {

/// The most a walk sleeps on one target before it falls back instead: 60 s, inclusive. The
/// default exponential curve (4 + 8 + 16 + 32 s) uses exactly all of it. The OpenAI SDKs take a
/// server's `retry-after` only up to 60 s for the same reason: past that, another model or
/// provider serves the user sooner than a sleep.
inline constexpr Duration default_wait_cap = std::chrono::seconds{60};

/// What to do after a failed attempt.
enum class Outcome : std::uint8_t {
  wait,            ///< sleep `Step::wait`, then try the same target again
  attempts_spent,  ///< the policy's attempts are used up: give up on this target
  over_cap,        ///< the next wait would carry the total past the cap: give up on it now
};

constexpr std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::wait: return "wait";
    case Outcome::attempts_spent: return "attempts_spent";
    case Outcome::over_cap: return "over_cap";
  }
  return "unknown";
}

struct Step {
  Outcome outcome = Outcome::attempts_spent;
  /// For `wait`, the sleep; for `over_cap`, the wait that did not fit (a fallback's error can
  /// quote it as retry-after); 0 for `attempts_spent`.
  Duration wait{0};
  /// The wait is the provider's own, not the curve's.
  bool hinted = false;

  constexpr bool retry() const noexcept { return outcome == Outcome::wait; }
  friend constexpr bool operator==(const Step&, const Step&) = default;
};

/// The decision after attempt `s.attempt` failed.
///
/// 1. The policy's attempts bound every retry, hinted or not: `none` never retries, and a
///    provider repeating "retry after 1 s" cannot hold a walk forever.
/// 2. A wait the provider stated (`hint`: retry-after-ms, retry-after, a body's retryDelay,
///    "try again in 20s") wins over the curve, as in the OpenAI SDKs and Polly's delay
///    generator: the provider knows when its window rolls over, and a shorter curve wait
///    would only earn another 429. A negative hint reads as 0 (retry now). The curve is not
///    consulted, so a hinted retry draws no random number.
/// 3. The cap is inclusive: with 28 s waited, a 32 s wait (total exactly 60 s) sleeps, and
///    32 s + 1 ns is `over_cap`. The sum saturates, so a hint of years cannot wrap it.
template <Backoff B>
Step next_step(const B& policy, const RetryState& s, std::optional<Duration> hint, Random& rng,
               Duration cap = default_wait_cap) noexcept {
  if (s.attempt >= policy.max_attempts()) return Step{Outcome::attempts_spent, Duration{0}, false};
  Duration wait{0};
  bool hinted = false;
  if (hint) {
    wait = *hint < Duration{0} ? Duration{0} : *hint;
    hinted = true;
  } else if (auto w = policy.next(s, rng)) {
    wait = *w;
  } else {
    return Step{Outcome::attempts_spent, Duration{0}, false};
  }
  const Duration waited = s.waited < Duration{0} ? Duration{0} : s.waited;
  const Duration total{governed::detail::sat_add(waited.count(), wait.count())};
  if (total > cap) return Step{Outcome::over_cap, wait, hinted};
  return Step{Outcome::wait, wait, hinted};
}

}  // namespace governed::backoff
