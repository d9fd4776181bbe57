#pragma once
/// @file
/// The interface every backoff policy shares.

#include <governed/backoff/retry_state.hpp>
#include <governed/family.hpp>
#include <governed/random.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <concepts>
#include <cstdint>
#include <optional>

namespace governed::backoff {

/// A backoff policy: a small value (constexpr-constructible, copyable, its parameters public)
/// that answers how long to wait after a failed attempt, or nothing once its attempts are
/// spent. It keeps no state between calls — everything it needs is in `RetryState` — so one
/// policy object serves every thread; the `Random` is the call walk's own.
///
/// `next` is defined for any parameter values (a negative span reads as 0, a minimum above
/// the maximum yields the maximum, huge factors and attempt numbers saturate at the maximum);
/// `validate` names the parameter that makes a configuration meaningless.
template <class B>
concept Backoff =
    std::same_as<typename B::family, family::backoff> && std::default_initializable<B> &&
    std::copyable<B> && requires(const B& b, const RetryState& s, Random& r) {
      { b.next(s, r) } noexcept -> std::same_as<std::optional<Duration>>;
      { b.max_attempts() } noexcept -> std::same_as<std::uint32_t>;
      { b.validate() } -> std::same_as<Result<void>>;
    };

}  // namespace governed::backoff
