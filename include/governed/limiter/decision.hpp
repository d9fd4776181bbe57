#pragma once
/// @file
/// What a limiter answers: admitted, not yet (with the wait), or never (more than it holds).

#include <governed/time.hpp>

#include <cstdint>
#include <string_view>

namespace governed::limiter {

/// A limiter's answer to a request for cells (`Decision::answer`).
enum class Answer : std::uint8_t {
  admitted,          ///< the cells were taken
  not_yet,           ///< refused now; `retry_after` says when the same request would pass
  exceeds_capacity,  ///< more cells than the limiter ever admits (`Limit::largest`): no wait can ever admit them
};

constexpr std::string_view to_string(Answer v) noexcept {
  switch (v) {
    case Answer::admitted: return "admitted";
    case Answer::not_yet: return "not_yet";
    case Answer::exceeds_capacity: return "exceeds_capacity";
  }
  return "unknown";
}

/// A refusal is a value: callers read `retry_after` and decide to wait, fall back or fail.
struct Decision {
  Answer answer = Answer::admitted;
  /// `not_yet`: from the decision's instant until the request would be admitted if nothing
  /// else took cells first. Zero otherwise.
  Duration retry_after{0};
  /// Cells that could still be taken at once after this decision.
  std::uint64_t remaining = 0;
  /// Admitted: identifies this admission to `refund`. For the rate families (GCRA, token
  /// bucket) it is the instant the limit would be rested again right after it — a refund can
  /// only give back the part of its cells still ahead of that instant, since cells that have
  /// drained already made room for others. For the window families it is when the cells were
  /// counted.
  Instant stamp{};

  constexpr bool admitted() const noexcept { return answer == Answer::admitted; }
  constexpr explicit operator bool() const noexcept { return admitted(); }
};

/// Cells taken now and valid from `ready_at`. A caller waits until then and goes, or gives the
/// cells back with the limiter's `cancel(reservation, now)` (a cancelled wait loses nothing).
struct Reservation {
  Instant ready_at{};
  std::uint64_t cells = 0;
  /// As `Decision::stamp`: what `cancel` needs to give exactly these cells back.
  Instant stamp{};

  /// How long to wait from `now` (zero when already valid).
  constexpr Duration wait(Instant now) const noexcept {
    return ready_at > now ? ready_at - now : Duration{0};
  }
};

}  // namespace governed::limiter
