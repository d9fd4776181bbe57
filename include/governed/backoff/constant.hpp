#pragma once
/// @file
/// `backoff::constant`: the same wait after every failure.

#include <governed/backoff/curve.hpp>
#include <governed/backoff/retry_state.hpp>
#include <governed/family.hpp>
#include <governed/random.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace governed::backoff {

/// wait_k = wait. The defaults (4 s, 5 attempts) wait 4, 4, 4, 4 s. Suits a provider whose
/// limit rolls over on a short fixed window, where waiting longer buys nothing.
struct constant {
  using family = governed::family::backoff;

  Duration wait = std::chrono::seconds{4};
  std::uint32_t attempts = 5;

  constexpr std::uint32_t max_attempts() const noexcept { return detail::at_least_one(attempts); }

  std::optional<Duration> next(const RetryState& s, Random& /*unused*/) const noexcept {
    if (s.attempt >= max_attempts()) return std::nullopt;
    return std::max(wait, Duration{0});
  }

  Result<void> validate() const {
    if (auto r = detail::check_span("constant", "wait", wait); !r) return r;
    return detail::check_bounds("constant", Duration{0}, Duration{0}, attempts);
  }
};

}  // namespace governed::backoff
