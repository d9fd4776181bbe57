#pragma once
/// @file
/// `backoff::none`: never retry on the same target.

#include <governed/backoff/retry_state.hpp>
#include <governed/family.hpp>
#include <governed/random.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <cstdint>
#include <optional>

namespace governed::backoff {

/// One attempt, no wait: a failure moves the walk straight to the next key, model or
/// provider. For call sites that would rather fall back than sleep (an interactive request),
/// e.g. `g.with<backoff::none>()`.
struct none {
  using family = governed::family::backoff;

  constexpr std::uint32_t max_attempts() const noexcept { return 1; }

  std::optional<Duration> next(const RetryState& /*unused*/, Random& /*unused*/) const noexcept {
    return std::nullopt;
  }

  Result<void> validate() const { return {}; }
};

}  // namespace governed::backoff
