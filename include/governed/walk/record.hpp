#pragma once
/// @file
/// `walk::record_call`: counts a call that ended in the State's statistics and hands its
/// record to the call hook — once per call, whichever step ended it (a success, a failure, a
/// cached answer).

#include <governed/budget/standing.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/observe/call_record.hpp>
#include <governed/request.hpp>
#include <governed/time.hpp>
#include <governed/walk/call_facts.hpp>
#include <governed/walk/key_seat.hpp>
#include <governed/walk/outcome.hpp>

#include <string_view>

namespace governed::walk {

/// Counts the call of `req`, ended at `end` as `how`, in `state`'s statistics: into `where`'s
/// series when the call reached a candidate of the table (held by the State), else by the
/// names; and hands the whole record to the call hook when one is installed, with where the
/// budgets stand now. Once per call: a call already recorded is left as it is.
template <class StateT>
void record_call(StateT& state, Outcome& outcome, const Request& req, const CallFacts& call, const KeySeat& key,
                 Instant end, fallback::Candidate where, const CallEnd& how) {
  if (outcome.recorded()) return;
  CallRecord rec = call_record(how, outcome.counts(), req.task, end - call.started, call.started_wall,
                               key.chosen() ? state.keys().fingerprint(key.key()) : std::string_view{});
  const bool targeted = where.provider && where.model;
  outcome.record(rec, state.stats(), targeted ? &state.model_series(*where.provider, *where.model) : nullptr,
                 targeted ? &state.provider_series(*where.provider) : nullptr, state.call_hook(), [&](CallRecord& r) {
                   add_hook_details(
                       r, CallAsked{req.provider, req.model, req.task, req.task_id}, call.trace, outcome.counts(),
                       outcome.cancelled(),
                       budget_standing(state.spend(), state.tasks(), req.task_id, state.clock().wall_now()));
                 });
}

}  // namespace governed::walk
