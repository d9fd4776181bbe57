#pragma once
/// @file
/// The walk's admission step: whether the attempt on the current candidate may go out now.
/// `walk::admit` asks the provider's breaker for a pass (a retry, or another key's attempt,
/// asks again: the last pass was reported), then the candidate's limit set through the
/// admission seat (walk/admission_seat.hpp), within the call's patience. It answers what the
/// walk's loop does next (`AfterAdmit`): send, wait, ask a shared store, try another key of the
/// candidate (another process found the account spent), give the candidate up (its breaker is
/// open, or its limits hold the call longer than it may wait), or end the call (the wait line
/// is full). What it acts on comes in an `AdmitScene`. tests/walk/admit.cpp drives it.

#include <governed/fallback/candidates.hpp>
#include <governed/keys/exhaustion.hpp>
#include <governed/observe/call_record.hpp>
#include <governed/observe/event.hpp>
#include <governed/providers/messages.hpp>
#include <governed/request.hpp>
#include <governed/time.hpp>
#include <governed/walk/admission.hpp>
#include <governed/walk/admission_seat.hpp>
#include <governed/walk/breaker_seat.hpp>
#include <governed/walk/call_facts.hpp>
#include <governed/walk/key_seat.hpp>
#include <governed/walk/outcome.hpp>
#include <governed/walk/settle.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed::walk {

/// What the walk's loop does after an admission step.
enum class AfterAdmit : std::uint8_t {
  send,            ///< admitted: send the attempt
  wait,            ///< sleep until the admission seat's `wake_at()`, then step again
  ask,             ///< ask the limit set's shared store (`AdmissionSeat::asked_at`), step again with its answer
  other_key,       ///< the key's account is spent: the same candidate at once, with another key
  next_candidate,  ///< the candidate is given up: the next one at once
  fail,            ///< the call ends with `AdmissionSeat::take_error()` (the wait line is full)
};

struct AdmitAnswer {
  AfterAdmit next = AfterAdmit::send;
  /// `next_candidate`: why the candidate was left, for the call hook (empty while none is
  /// installed: nobody reads it).
  std::string left_because{};
};

/// The call as an admission step finds it: references into the walk, gathered per step.
template <class StateT, class Set = typename StateT::Set>
struct AdmitScene {
  StateT& state;
  const Request& request;
  /// The candidate the attempt is for, and its limit set for the key's account.
  const fallback::Candidate& target;
  const CallFacts& call;
  KeySeat& key;
  Set& set;
  AdmissionSeat<Set>& admission;
  BreakerSeat& breaker;
  Outcome& outcome;
  /// Why the candidate could not serve, for "nothing left" and the call hook.
  std::string& unservable_reason;

  /// Says `kind` of the target now: to the observers, and among the call's events.
  void note(EventKind kind, std::string_view message, std::optional<Duration> wait = std::nullopt,
            std::string_view fingerprint = {}) const {
    outcome.note(kind, target.provider->name, target.model->name, message, state.clock().wall_now(), wait,
                 fingerprint);
  }
};

// The parts of an admission every call takes are always inlined: a warm call must cost what it
// did when they were members of Walk (BM_Governed_Send_Success in callgrind instructions), and
// GCC at -O2 left them out of line, each call passing the scene on.

/// Ends the call's wait for admission, if it was waiting, counting it in `counts`; `now()`
/// is read only then.
template <class Set, class Now>
void stop_waiting(AdmissionSeat<Set>& seat, CallCounts& counts, Now&& now) {
  if (const auto waited = seat.stop_waiting(now)) counts.waited += *waited;
}

namespace detail {

/// The candidate is left because of `why`, which the call hook hears while one is installed.
template <class StateT, class Set>
AdmitAnswer leave_candidate(const AdmitScene<StateT, Set>& s, std::string_view why) {
  if (!s.state.call_hook().active()) return AdmitAnswer{AfterAdmit::next_candidate};
  return AdmitAnswer{AfterAdmit::next_candidate, std::string(why)};
}

/// Admitted at `t`: the wait it took, if any, is counted and said.
template <class StateT, class Set>
[[gnu::always_inline]] inline AdmitAnswer admitted(const AdmitScene<StateT, Set>& s, Instant t) {
  const auto& c = s.target;
  // To observers only: the plain path's Response::events holds nothing, and allocates nothing.
  s.state.observers().emit_lazy([&] {
    return Event::of(EventKind::admitted, c.provider->name, c.model->name, s.request.task, std::nullopt,
                     s.call.wall_at(t), s.state.secrets());
  });
  if (const auto waited = s.admission.stop_waiting([t] { return t; })) {
    s.outcome.counts().waited += *waited;
    if (*waited > Duration{0})
      s.note(EventKind::waited, providers::waited_message(*waited, c.provider->name, c.model->name), *waited);
  }
  return AdmitAnswer{AfterAdmit::send};
}

/// Another process sharing this limit set found its account's allowance spent until `until`:
/// this process records it too (as if the provider had said so here), and the call tries
/// another account's key at once, without having spent a call to learn it.
template <class StateT, class Set, class Keys>
AdmitAnswer skip_spent_account(const AdmitScene<StateT, Set>& s, Keys& policy, WallTime until, Instant t) {
  s.admission.leave_line();
  stop_waiting(s.admission, s.outcome.counts(), [&] { return s.state.clock().now(); });
  const auto& c = s.target;
  const WallTime w = s.call.wall_at(t);
  s.key.spent(s.state, policy, c, c.provider->limits_per_model, until, w);
  const bool comes_back = until != keys::until_reset && until > w;
  if (comes_back) s.outcome.held_back().remember(until - w);
  s.note(EventKind::key_exhausted, providers::spent_elsewhere_message(c.provider->name, c.model->name),
         comes_back ? std::optional<Duration>(until - w) : std::nullopt, s.state.keys().fingerprint(s.key.key()));
  return AdmitAnswer{AfterAdmit::other_key};
}

/// The candidate can not admit the call in time: it could in `wait` (none: not at all here,
/// and `s.unservable_reason` says why); with `past_deadline`, only the caller's deadline comes
/// before `wait` ends.
template <class StateT, class Set>
AdmitAnswer refuse_candidate(const AdmitScene<StateT, Set>& s, std::optional<Duration> wait, bool past_deadline) {
  if (wait) s.outcome.held_back().remember(*wait, Holdup::rate_limit, past_deadline);
  stop_waiting(s.admission, s.outcome.counts(), [&] { return s.state.clock().now(); });
  if (!s.state.call_hook().active()) return AdmitAnswer{AfterAdmit::next_candidate};
  const auto& c = s.target;
  return AdmitAnswer{AfterAdmit::next_candidate,
                     !wait ? providers::not_admitted_message(c.provider->name, c.model->name,
                                                             providers::redact(s.unservable_reason, s.state.secrets()))
                           : providers::limit_holds_message(c.provider->name, c.model->name, *wait, past_deadline)};
}

}  // namespace detail

/// One admission step at `t` for the attempt on `s.target`, with the call site's key `policy`
/// (told when an account is found spent).
template <class StateT, class Set, class Keys>
[[gnu::always_inline]] inline AdmitAnswer admit(const AdmitScene<StateT, Set>& s, Keys& policy, Instant t) {
  const Request& req = s.request;
  if (!s.breaker.holding() &&
      !take_pass(s.breaker, s.state.breakers(), s.state.table().index_of(*s.target.provider), *s.target.provider, t,
                 s.outcome.held_back(), s.unservable_reason))
    return detail::leave_candidate(s, s.unservable_reason);
  const Patience patience = walk::patience(
      s.admission.began(), req.max_wait, total_wait_cap(req.max_total_wait, s.state.config().max_total_wait),
      req.deadline);
  const LineRules rules{req.priority, s.state.config().max_waiters, s.state.config().concurrency_poll};
  const Cost cost = limit_cost(s.call.estimate.prompt, s.call.estimate.completion);
  const AdmitStep a = s.admission.step(s.set, t, s.call.wall_at(t), cost, patience, rules);
  switch (a.next) {
    case Admit::send: return detail::admitted(s, t);
    case Admit::wait:
      s.admission.wait_until(a.at, [&] { return s.state.clock().now(); });
      return AdmitAnswer{AfterAdmit::wait};
    case Admit::ask: return AdmitAnswer{AfterAdmit::ask};
    case Admit::spent_elsewhere: return detail::skip_spent_account(s, policy, a.spent_until, t);
    case Admit::refused:
      if (!a.wait) s.unservable_reason = s.admission.take_error().message;
      return detail::refuse_candidate(s, a.wait, a.past_deadline);
    case Admit::failed: break;
  }
  return AdmitAnswer{AfterAdmit::fail};
}

}  // namespace governed::walk
