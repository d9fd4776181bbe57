#pragma once
/// @file
/// `backoff::linear`: waits that grow by a fixed step.

#include <governed/backoff/curve.hpp>
#include <governed/backoff/retry_state.hpp>
#include <governed/saturating.hpp>
#include <governed/family.hpp>
#include <governed/random.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace governed::backoff {

/// wait_k = min(max, first + step · (k − 1)). The defaults (first 4 s, step 4 s, max 60 s,
/// 5 attempts) wait 4, 8, 12, 16 s: 40 s in all, so every retry fits the 60 s cap with room for
/// a provider's hint. Polly's linear backoff is the case first = step.
struct linear {
  using family = governed::family::backoff;

  Duration first = std::chrono::seconds{4};
  Duration step = std::chrono::seconds{4};
  Duration max = std::chrono::seconds{60};
  std::uint32_t attempts = 5;

  constexpr std::uint32_t max_attempts() const noexcept { return detail::at_least_one(attempts); }

  std::optional<Duration> next(const RetryState& s, Random& /*unused*/) const noexcept {
    if (s.attempt >= max_attempts()) return std::nullopt;
    const std::uint32_t k = s.attempt == 0 ? 1 : s.attempt;
    // 128-bit: a step of years times four billion retries does not wrap.
    using governed::detail::i128;
    const i128 w = i128{first.count()} + i128{step.count()} * i128{k - 1};
    const detail::Bounds b{Duration{0}, max};
    if (w >= i128{b.hi.count()}) return b.hi;
    if (w <= 0) return Duration{0};
    return Duration{static_cast<std::int64_t>(w)};
  }

  Result<void> validate() const {
    if (auto r = detail::check_span("linear", "first", first); !r) return r;
    if (auto r = detail::check_span("linear", "step", step); !r) return r;
    return detail::check_bounds("linear", Duration{0}, max, attempts);
  }
};

}  // namespace governed::backoff
