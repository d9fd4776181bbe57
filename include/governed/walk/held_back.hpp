#pragma once
/// @file
/// `walk::HeldBack`: what kept a call's candidates from taking it for a while — a rate limit,
/// failures, an unreachable provider, or only the caller's deadline — and the error "nothing
/// left" then reports: by what, and when the first candidate is free again.

#include <governed/error.hpp>
#include <governed/providers/messages.hpp>
#include <governed/time.hpp>
#include <governed/walk/decide.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace governed::walk {

class HeldBack {
 public:
  /// A candidate could take the call again in `d` (a negative `d` reads as 0), held back by
  /// `why`; with `past_deadline`, the call would have waited for it but for its deadline.
  void remember(Duration d, Holdup why = Holdup::rate_limit, bool past_deadline = false) noexcept {
    if (d < Duration{0}) d = Duration{0};
    kinds_ |= static_cast<std::uint8_t>(why);
    (past_deadline ? by_deadline_ : otherwise_) = true;
    if (!soonest_ || d < *soonest_) {
      soonest_ = d;
      soonest_why_ = why;
    }
  }

  /// Whether any candidate was held back for a while.
  bool any() const noexcept { return soonest_.has_value(); }

  /// The error of a call whose every candidate is held back (`any()`). Only the deadline kept
  /// the call from waiting: it ran out of time (`timed_out`), nothing is limited. Else the
  /// message names what held the candidates, and the code follows what holds the soonest one:
  /// a rate limit (`all_rate_limited`), or failures (`io_error`: providers overloaded,
  /// failing or unreachable are not rate limits).
  Error error() const {
    if (by_deadline_ && !otherwise_)
      return Error{Errc::timed_out, providers::deadline_before_any_message(*soonest_), soonest_};
    const auto held = [&](Holdup h) { return (kinds_ & static_cast<std::uint8_t>(h)) != 0; };
    const bool limited = held(Holdup::rate_limit), failing = held(Holdup::failing);
    const bool unreachable = held(Holdup::unreachable);
    std::string message = limited && (failing || unreachable) ? providers::all_limited_or_failing_message(soonest_)
                          : limited                          ? providers::all_rate_limited_message(soonest_)
                          : failing                          ? providers::all_failing_message(soonest_)
                                                             : providers::none_reachable_message(soonest_);
    return Error{soonest_why_ == Holdup::rate_limit ? Errc::all_rate_limited : Errc::io_error, std::move(message),
                 soonest_};
  }

 private:
  std::optional<Duration> soonest_{};
  /// What held back the candidate free soonest, and every kind met (`Holdup` bits).
  Holdup soonest_why_ = Holdup::rate_limit;
  std::uint8_t kinds_ = 0;
  /// Whether a candidate was given up on only because of the caller's deadline, and whether
  /// any was held back otherwise (a wait longer than the call may wait, a cooldown).
  bool by_deadline_ = false, otherwise_ = false;
};

}  // namespace governed::walk
