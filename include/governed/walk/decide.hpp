#pragma once
/// @file
/// `walk::decide`: what a call does after a reply, as a pure function of the reply's verdict
/// and what the call knows at that moment (its `Situation`). The walk classifies a reply,
/// gathers the situation, decides, and carries the `Action` out; the table of verdicts and
/// situations to actions is tested row by row (tests/walk/decide.cpp) without a provider, a
/// State or a clock.
///
/// | verdict                                   | situation                         | action            |
/// |-------------------------------------------|-----------------------------------|-------------------|
/// | rate limit (per minute), retryable        | the backoff steps                 | `retry`           |
/// |                                           | the step ends past the deadline   | `past_deadline`   |
/// |                                           | retries spent, or over the cap    | `cool` (account)  |
/// | rate limit larger than the limit          |                                   | `next_candidate`  |
/// | overloaded, 5xx, retryable network error  | the provider's breaker is open    | `leave_provider`  |
/// |                                           | otherwise as a rate limit         | `retry` … `cool`  |
/// | network error that must not be repeated   |                                   | `end` (io_error)  |
/// | daily, monthly or billing allowance spent |                                   | `exhaust_account` |
/// | auth                                      |                                   | `invalidate_key`  |
/// | permission denied, context too long       |                                   | `next_candidate`  |
/// | bad request, content filter               |                                   | `end` (rejected)  |
///
/// Two facts cost something to learn — the breaker's state (a pass taken and given back) and
/// the backoff's next step (a random draw for a jittered curve) — so the walk asks for them
/// only when the verdict needs them: `asks_breaker`, then `asks_backoff`.

#include <governed/backoff/step.hpp>
#include <governed/error.hpp>
#include <governed/keys/exhaustion.hpp>
#include <governed/providers/kind.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace governed::walk {

/// What held a candidate back for a while, for "nothing left" to say: a limit (a rate limit,
/// a quota, the account's cooldown), failures (overloaded, server errors), or a provider that
/// could not be reached. Bits: a call remembers every kind it met.
enum class Holdup : std::uint8_t { rate_limit = 1, failing = 2, unreachable = 4 };

constexpr Holdup holdup_of(providers::Kind kind) noexcept {
  using providers::Kind;
  if (kind == Kind::overloaded || kind == Kind::server_error) return Holdup::failing;
  if (kind == Kind::network_error) return Holdup::unreachable;
  return Holdup::rate_limit;
}

/// What the walk knows about the call when a verdict comes in.
struct Situation {
  Instant now{};
  /// The caller's deadline, if any.
  std::optional<Instant> deadline{};
  /// The reply's HTTP status; 0 for an attempt that got no reply.
  int status = 0;
  /// The provider's circuit breaker is open until then (asked when `asks_breaker`).
  std::optional<Instant> breaker_open_until{};
  /// The backoff's next step on this target (asked when `asks_backoff`).
  std::optional<backoff::Step> backoff{};
  /// The last wait slept on this target: a rate limit given up on cools it at least as long.
  Duration last_wait{0};
  /// How long a failing model is cooled when nobody said how long.
  Duration failure_cooldown{std::chrono::minutes{1}};
  /// The provider answering, and the wall time of its reply: an allowance's reset is its.
  const providers::Provider* provider = nullptr;
  WallTime wall{};
};

/// What the walk does next.
enum class Move : std::uint8_t {
  settle,           ///< a success: reconcile usage and cost, answer
  retry,            ///< sleep `wait`, then the same target again
  past_deadline,    ///< the retry's wait `wait` ends past the deadline: next candidate, nothing cooled
  cool,             ///< cool the model for `wait` (for this account when `per_account`), fall back
  leave_provider,   ///< the provider's breaker is open until `until`: cool the model so long, fall back
  exhaust_account,  ///< the account (with `one_model`, its use of the model) is out until `exhausted_until`;
                    ///< another account's key at once
  invalidate_key,   ///< the key was refused: never used again; another key at once
  next_candidate,   ///< this model can not take the call (permission, context, too large): the next at once
  end,              ///< the call ends with `error`
};

struct Action {
  Move move = Move::end;
  /// `retry`, `past_deadline`, `cool`: the wait.
  Duration wait{0};
  /// `leave_provider`: the breaker's trial.
  Instant until{};
  /// `exhaust_account`: when the allowance comes back (`keys::until_reset` for billing).
  WallTime exhausted_until{};
  /// `cool`: for the key's account only (a rate limit), else for every account (a failure).
  bool per_account = false;
  /// `cool`: the wait is the one the provider stated.
  bool stated_by_provider = false;
  /// `exhaust_account`: only the account's use of this model is spent.
  bool one_model = false;
  /// `past_deadline`, `cool`: what held the target back, for "nothing left".
  Holdup holdup = Holdup::rate_limit;
  /// `end`: the error's code.
  Errc error = Errc::rejected;
  /// The reply counts as the provider limiting the call (the call record's `rate_limited`).
  bool rate_limited = false;

  friend constexpr bool operator==(const Action&, const Action&) = default;
};

namespace detail {

constexpr bool per_minute_limit(providers::Kind k) noexcept {
  using providers::Kind;
  return k == Kind::rate_limit_requests || k == Kind::rate_limit_tokens || k == Kind::rate_limit_unspecified;
}

constexpr bool allowance_spent(providers::Kind k) noexcept {
  using providers::Kind;
  return k == Kind::rate_limit_requests_daily || k == Kind::rate_limit_tokens_daily || k == Kind::quota_daily ||
         k == Kind::quota_monthly || k == Kind::insufficient_quota_billing;
}

/// A failure the provider's breaker counts, retried like a rate limit when the breaker lets it.
constexpr bool failing(const providers::Verdict& v) noexcept {
  using providers::Kind;
  return v.kind == Kind::overloaded || v.kind == Kind::server_error || (v.kind == Kind::network_error && v.retryable);
}

/// Retry, move past the deadline, or cool: what the backoff's step means for this target.
constexpr Action after_backoff(const providers::Verdict& v, const Situation& s, bool rate_limit) noexcept {
  const backoff::Step step = s.backoff.value_or(backoff::Step{});
  Action a;
  a.holdup = holdup_of(v.kind);
  if (step.retry()) {
    // The caller's deadline is this call's, not a fact about the model: the call moves on and
    // other call sites keep using the model (nothing is cooled).
    a.move = s.deadline && s.now + step.wait > *s.deadline ? Move::past_deadline : Move::retry;
    a.wait = step.wait;
    return a;
  }
  // Given up on: a rate limit cools the target for this account (another account has its own
  // limit); an overloaded or failing model is cooled for everyone.
  Duration cool = v.wait                                         ? *v.wait
                  : step.outcome == backoff::Outcome::over_cap ? step.wait
                  : rate_limit ? std::max<Duration>(s.last_wait, std::chrono::minutes{1})
                               : s.failure_cooldown;
  if (cool <= Duration{0}) cool = std::chrono::seconds{1};
  a.move = Move::cool;
  a.wait = cool;
  a.per_account = rate_limit;
  a.stated_by_provider = v.wait && cool == *v.wait;
  return a;
}

}  // namespace detail

/// Whether deciding on `v` needs the provider's breaker state.
constexpr bool asks_breaker(const providers::Verdict& v) noexcept { return detail::failing(v); }

/// Whether deciding on `v` needs the backoff's next step, the breaker's state (when asked)
/// being `breaker_open_until`.
constexpr bool asks_backoff(const providers::Verdict& v, std::optional<Instant> breaker_open_until) noexcept {
  if (detail::per_minute_limit(v.kind)) return v.retryable;
  return detail::failing(v) && !breaker_open_until;
}

/// What to do after a reply whose verdict is `v`, in situation `s`.
inline Action decide(const providers::Verdict& v, const Situation& s) {
  using providers::Kind;
  Action a;
  switch (v.kind) {
    case Kind::success: a.move = Move::settle; return a;
    case Kind::rate_limit_requests:
    case Kind::rate_limit_tokens:
    case Kind::rate_limit_unspecified:
      if (!v.retryable) a.move = Move::next_candidate;  // larger than the limit: no wait helps here
      else a = detail::after_backoff(v, s, true);
      a.rate_limited = true;
      return a;
    case Kind::overloaded:
    case Kind::server_error:
    case Kind::network_error:
      if (v.kind == Kind::network_error && !v.retryable) {
        a.error = Errc::io_error;
        return a;
      }
      // A failure after which the provider's breaker is open leaves the provider at once: no
      // backoff sleep on a provider every call now skips.
      if (s.breaker_open_until) {
        a.move = Move::leave_provider;
        a.until = *s.breaker_open_until;
      } else {
        a = detail::after_backoff(v, s, false);
      }
      a.rate_limited = v.kind != Kind::network_error && (s.status == 529 || s.status == 503);
      return a;
    case Kind::rate_limit_requests_daily:
    case Kind::rate_limit_tokens_daily:
    case Kind::quota_daily:
    case Kind::quota_monthly:
    case Kind::insufficient_quota_billing:
      a.move = Move::exhaust_account;
      if (s.provider) {
        a.exhausted_until = keys::exhausted_until(v, *s.provider, s.wall);
        a.one_model = keys::exhausts_one_model(v.kind, *s.provider);
      }
      a.rate_limited = true;
      return a;
    case Kind::auth: a.move = Move::invalidate_key; return a;
    case Kind::permission_denied:
    case Kind::context_length_exceeded: a.move = Move::next_candidate; return a;
    case Kind::bad_request:
    case Kind::content_filter: return a;  // end, rejected
  }
  return a;
}

}  // namespace governed::walk
