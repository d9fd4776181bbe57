#pragma once
/// @file
/// The walk's end in failure. `walk::unsupported` is what a call answers when every candidate
/// was skipped for lacking what it needs; `walk::nothing_left` what it answers when no candidate
/// is left to try otherwise, by what stopped it, the most telling first; `walk::fallback_cap_reached`
/// the same for a call that may not move once more, saying so. `walk::end_call` ends a call
/// with an error, whichever step found it: every place it held given back (its wait line,
/// its admission, an unsent attempt's breaker pass), the failure said and counted by the
/// alerts, the call recorded once. What it acts on comes in an `EndScene`.
/// tests/walk/finish.cpp drives them.

#include <governed/error.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/observe/call_record.hpp>
#include <governed/observe/event.hpp>
#include <governed/providers/kind.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/table.hpp>
#include <governed/request.hpp>
#include <governed/request_needs.hpp>
#include <governed/time.hpp>
#include <governed/walk/admission_seat.hpp>
#include <governed/walk/admit.hpp>
#include <governed/walk/breaker_seat.hpp>
#include <governed/walk/call_facts.hpp>
#include <governed/walk/held_back.hpp>
#include <governed/walk/key_seat.hpp>
#include <governed/walk/outcome.hpp>
#include <governed/walk/record.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace governed::walk {

/// The error of a call with nothing left to try: the refusal of a shared store that could not
/// be reached (`store_refused`: fail-closed); else what held the candidates back for a while
/// (`held`: when the first is free again); else that the server of a keyless provider
/// (`refused_keyless`) wants a key; else the last verdict of a provider (`last_verdict`, on
/// `last_provider`), redacted of `secrets`; else why a candidate could not serve
/// (`unservable_reason`); else all rate limited, with no wait to say.
inline Error nothing_left(const std::optional<Error>& store_refused, const HeldBack& held,
                          const providers::Provider* refused_keyless,
                          const std::optional<providers::Verdict>& last_verdict, std::string_view last_provider,
                          const std::string& unservable_reason, std::span<const std::string> secrets) {
  if (store_refused) return *store_refused;
  if (held.any()) return held.error();
  if (refused_keyless) return Error{Errc::rejected, refused_without_key(*refused_keyless), std::nullopt};
  if (last_verdict)
    return Error{Errc::rejected, providers::redact(providers::describe(*last_verdict, last_provider, {}), secrets),
                 std::nullopt};
  if (!unservable_reason.empty()) return Error{Errc::invalid_argument, unservable_reason, std::nullopt};
  return Error{Errc::all_rate_limited, providers::all_rate_limited_message(std::nullopt), std::nullopt};
}

/// The error of a call none of whose `planned` candidates can carry it — each of them was
/// skipped (`stated_skips` counts them) for lacking some of `needs` — naming each model and
/// what it lacks; none when a candidate could. "No candidate can carry this call:
/// claude-3-5-haiku-20241022 lacks json_schema_strict; gemini-2.5-flash lacks documents."
inline std::optional<Error> unsupported(std::span<const fallback::Candidate> planned, std::uint32_t stated_skips,
                                        const Needs& needs) {
  if (stated_skips == 0 || stated_skips < planned.size()) return std::nullopt;
  std::string said;
  for (const auto& c : planned) {
    said += said.empty() ? "" : "; ";
    said += fmt::format("{} lacks {}", c.model->name, to_string(c.model->capabilities.missing(needs.required)));
  }
  return Error{Errc::unsupported, fmt::format("No candidate can carry this call: {}.", said), std::nullopt};
}

/// The error of a call that may not move once more, `cap` moves made: it ends as if nothing
/// were left (`left`), and says why.
inline Error fallback_cap_reached(Error left, std::uint32_t cap) {
  left.message += providers::fallback_cap_sentence(cap);
  return left;
}

/// The call as its end finds it: references into the walk.
template <class StateT, class Set = typename StateT::Set>
struct EndScene {
  StateT& state;
  const Request& request;
  /// The candidate the call is on; none before its first or past its last.
  const fallback::Candidate* target;
  const CallFacts& call;
  const KeySeat& key;
  AdmissionSeat<Set>& admission;
  BreakerSeat& breaker;
  Outcome& outcome;
};

/// Ends the call with `e`: its wait line, its admission and an unsent attempt's breaker pass
/// given back, its failure said (redacted of the State's secrets) and counted by the alerts
/// (unless the caller cancelled it), and the call recorded, by its target's names, or else by
/// the names it asked for.
template <class StateT, class Set>
void end_call(const EndScene<StateT, Set>& s, Error e) {
  s.admission.leave_line();
  stop_waiting(s.admission, s.outcome.counts(), [&] { return s.state.clock().now(); });
  s.admission.release();
  s.breaker.give_back(s.state.breakers());  // an attempt admitted but never sent (deadline, cancellation)
  e.message = providers::redact(e.message, s.state.secrets());
  // Said of the target, or before any candidate by the names the call asked for.
  const std::string_view provider = s.target ? s.target->provider->name : s.request.provider;
  const std::string_view model = s.target ? s.target->model->name : s.request.model;
  s.outcome.note(EventKind::failed, provider, model, e.message, s.state.clock().wall_now(), e.retry_after);
  const Instant end = s.state.clock().now();
  if (!s.outcome.cancelled())
    if (const auto alert = s.state.alerts().call_ended(true, end)) [[unlikely]]
      s.outcome.note(alert->kind, alert->provider, alert->model, alert->message, s.call.wall_at(end));
  record_call(s.state, s.outcome, s.request, s.call, s.key, end, s.target ? *s.target : fallback::Candidate{},
              s.outcome.failure(provider, model, e.code, e.message));
  s.outcome.failed(std::move(e));
}

}  // namespace governed::walk
