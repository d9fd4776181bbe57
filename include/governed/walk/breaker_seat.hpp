#pragma once
/// @file
/// `walk::BreakerSeat`: a call's place at the providers' circuit breakers (breaker.hpp). It
/// holds the pass of the attempt about to go out, and ends it with exactly one report: the
/// attempt's verdict, or a give-back for an attempt never sent.
///
/// How the walk meets the breakers: the provider's is asked before every attempt, when a
/// candidate is entered (walk/enter.hpp), and again when a retry or another key's attempt
/// begins its admission (walk/admit.hpp). An open breaker skips the candidate (and so every model of the provider) and
/// counts its end as the wait "nothing left" reports. Each attempt's pass ends with exactly
/// one report: its verdict (success; a network or 5xx failure; anything else gives it back),
/// or, for an attempt never sent, a give-back when the walk moves on or finishes. A network or
/// 5xx failure after which the provider's breaker is open — this failure opened it, or another
/// call's did — leaves the provider at once: no backoff sleep on a provider every call now
/// skips. The model is cooled only until the breaker's trial (and shared, so the other
/// processes of a shared backend, which have breakers of their own, skip it too), not for the
/// failure cooldown: the trial may go to it. A breaker that opens while the walk sleeps in a
/// backoff (the walk can not be woken early) is met when the retry asks it: the walk leaves
/// the provider without sending.

#include <governed/breaker.hpp>
#include <governed/providers/kind.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/table.hpp>
#include <governed/time.hpp>
#include <governed/walk/held_back.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace governed::walk {

class BreakerSeat {
 public:
  /// Asks the breaker of `provider` (its index in the table; none: a provider outside the
  /// table, which has no breaker) for an attempt at `t`, and holds the pass. When the breaker
  /// is open: nothing is held, and the answer is the instant it lets a trial through.
  std::optional<Instant> enter(ProviderBreakers& breakers, std::optional<std::size_t> provider, Instant t) {
    if (!provider) return std::nullopt;
    auto pass = breakers.enter(*provider, t);
    if (!pass || pass->allowed()) {
      if (pass) pass_ = *pass;
      return std::nullopt;
    }
    return pass->open_until();
  }

  /// Until when the breaker of `provider` is open at `t`, a failure just reported; none when
  /// it is not. Asked with `enter`, which costs one load on a closed breaker; a pass it hands
  /// out (the breaker turned half-open a moment ago) is given back at once: the retry asks
  /// again before it is sent.
  static std::optional<Instant> open_until(ProviderBreakers& breakers, std::optional<std::size_t> provider,
                                           Instant t) {
    if (!provider) return std::nullopt;
    auto pass = breakers.enter(*provider, t);
    if (!pass) return std::nullopt;
    if (pass->allowed()) {
      breakers.abandon(*pass);
      return std::nullopt;
    }
    return pass->open_until();
  }

  /// Whether a pass is held: the attempt it was asked for has not reported yet.
  bool holding() const noexcept { return pass_.allowed(); }

  /// Ends the held pass with the attempt's verdict `kind`: a success, a failure that counts
  /// against the breaker, or a give-back for any other verdict. The breaker's change, if the
  /// report opened or closed it.
  std::optional<BreakerTransition> report(ProviderBreakers& breakers, providers::Kind kind, Instant t) {
    std::optional<BreakerTransition> change;
    if (kind == providers::Kind::success) change = breakers.success(pass_, t);
    else if (counts_against_breaker(kind)) change = breakers.failure(pass_, t);
    else breakers.abandon(pass_);
    pass_ = BreakerPass{};
    return change;
  }

  /// Gives back a pass whose attempt was never sent (a no-op when none is held).
  void give_back(ProviderBreakers& breakers) {
    breakers.abandon(pass_);
    pass_ = BreakerPass{};
  }

 private:
  BreakerPass pass_{};
};

/// A candidate of provider `p` passed by because its breaker is open for `left` more: `held`
/// remembers the wait as one of failures, and `why` says so.
inline void skipped_for_breaker(HeldBack& held, std::string& why, const providers::Provider& p, Duration left) {
  held.remember(left, Holdup::failing);
  why = providers::breaker_skip_message(p.name, left);
}

/// Asks the breaker of `p` (its index in the table: `index`) for the attempt's pass at `t`,
/// held in `seat`; false when the breaker is open: the candidate is passed by
/// (`skipped_for_breaker`).
inline bool take_pass(BreakerSeat& seat, ProviderBreakers& breakers, std::optional<std::size_t> index,
                      const providers::Provider& p, Instant t, HeldBack& held, std::string& why) {
  const auto until = seat.enter(breakers, index, t);
  if (until) skipped_for_breaker(held, why, p, *until - t);
  return !until;
}

}  // namespace governed::walk
