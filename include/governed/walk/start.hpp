#pragma once
/// @file
/// The walk's start: what happens before the first candidate. `begin_call` reads the clocks
/// once for the whole call, joins the caller's trace or starts one (`begin_trace`), refuses a
/// request it can not walk, finds where the call would go (its origin) and estimates it (and
/// what it needs of a model: more cache breakpoints than a provider takes is refused), takes
/// the task's call budget, answers from the cache when an identical call was answered a moment
/// ago, and plans the candidates. What it acts on comes in a `StartScene`.
/// tests/walk/start.cpp drives it over a State.

#include <governed/cache.hpp>
#include <governed/error.hpp>
#include <governed/observe/call_record.hpp>
#include <governed/observe/event.hpp>
#include <governed/providers/messages.hpp>
#include <governed/random.hpp>
#include <governed/request.hpp>
#include <governed/request_needs.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>
#include <governed/trace.hpp>
#include <governed/walk/call_facts.hpp>
#include <governed/walk/candidates.hpp>
#include <governed/walk/key_seat.hpp>
#include <governed/walk/outcome.hpp>
#include <governed/walk/plan.hpp>
#include <governed/walk/record.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace governed::walk {

/// How a call's start ended, when it did not fail.
enum class Begun : std::uint8_t {
  planned,   ///< the candidates are planned: on to the first
  answered,  ///< the cache answered: the call is done
};

/// The call as its start finds it: references into the walk.
template <class StateT>
struct StartScene {
  StateT& state;
  const Request& request;
  CallFacts& call;
  Outcome& outcome;
  /// The call's key seat, for its record: no key is chosen before the first candidate.
  const KeySeat& key;
  Random& rng;
  /// Where the `traceparent_size` characters of the header the attempts carry are written.
  char* traceparent;

  /// Says `kind` of the call now, by the names it asked for: no candidate is taken yet.
  void note(EventKind kind, std::string_view message) const {
    outcome.note(kind, request.provider, request.model, message, state.clock().wall_now());
  }
};

/// Joins the caller's trace (`req.traceparent`) or starts one, and draws the call's own span
/// id from `rng` into `trace`; writes the header the attempts carry at `header`. A malformed
/// traceparent is refused. Always inlined: every call begins so, and out of line its call and
/// result cost more than its test (BM_Governed_Send_Success in callgrind instructions).
[[gnu::always_inline]] inline Result<void> begin_trace(const Request& req, Random& rng, TraceContext& trace,
                                                   char* header) {
  if (!req.traceparent.empty()) {
    auto parent = parse_traceparent(req.traceparent);
    if (!parent) return tl::unexpected(std::move(parent.error()));
    trace.trace_id = parent->trace_id;
    trace.flags = parent->flags;
  } else {
    random_id(trace.trace_id, rng);
  }
  random_id(trace.parent_id, rng);
  trace.write_header(header);
  return {};
}

namespace detail {

/// The call's estimate, made with the parameters of the model it asked for (`origin`) and
/// corrected by what that model's replies reported (one relaxed load).
template <class StateT>
void estimate_origin(const StartScene<StateT>& s, const Origin& origin) {
  s.call.origin_model = origin.model;
  const Estimate e = estimate_call(*origin.model, s.request, s.state.calibration(*origin.model),
                                   s.state.settings(*origin.provider).est_tokens_per_call);
  s.call.estimate = e.tokens;
  s.call.raw_prompt = e.raw_prompt;
  s.call.needs = e.needs;
  s.call.prompt_by_rule = e.prompt_by_rule;
}

/// More prompt-cache breakpoints than any provider takes is refused before anything is
/// admitted: Anthropic answers a 400 for a fifth, and dropping one would change what is cached.
inline Result<void> check_cache_marks(const Needs& needs) {
  if (needs.cache_marks <= max_cache_marks) [[likely]] return {};
  return fail(Errc::invalid_argument,
              fmt::format("at most {} cache breakpoints; this call has {}", max_cache_marks, needs.cache_marks));
}

/// The task's call budget: counted once per call, whatever the walk then does. For a call of
/// a task only: a call of no task has none, and holds an empty ticket.
template <class StateT>
Result<void> take_task_budget(const StartScene<StateT>& s) {
  const Request& req = s.request;
  auto ticket = s.state.tasks().begin_call(req.task_id, req.task, s.call.estimate.total());
  if (!ticket) {
    s.note(EventKind::budget_exhausted, ticket.error().message);
    return tl::unexpected(ticket.error());
  }
  s.call.task_ticket = std::move(*ticket);
  return {};
}

/// Answers a cacheable call from the cache when an identical call was answered a moment ago
/// (true); else remembers the call's key, for its answer to be kept.
template <class StateT>
bool answer_from_cache(const StartScene<StateT>& s, const Origin& origin) {
  auto key = cache_key_of(origin.provider->name, origin.model->name, s.request);
  if (!key) return false;
  if (auto hit = s.state.cache().find(*key, s.call.started)) {
    Response r = *hit;
    r.from_cache = true;
    r.attempts = 0;
    r.cost = {};
    r.trace_id = s.call.trace.trace_id;
    r.latency = s.state.clock().now() - s.call.started;
    s.note(EventKind::cache_hit, providers::cache_hit_message(r.provider, r.model));
    s.call.task_ticket.settle(0);
    // By name: the cached answer may come from a model the call fell back to.
    record_call(s.state, s.outcome, s.request, s.call, s.key, s.call.started, {},
                CallEnd{r.provider, r.model, true, true, {}, 0, {}, {}});
    s.outcome.answered_with(std::move(r));
    return true;
  }
  s.call.cache_key.emplace(std::move(*key));
  return false;
}

}  // namespace detail

/// Begins the call: its start and trace, its estimate, its task budget, the cache, and the
/// plan the `fallback` policy orders into `candidates` (the task's route first, for a request
/// with no model). An error ends the call before any candidate.
template <class StateT, class Fallback>
Result<Begun> begin_call(const StartScene<StateT>& s, const Fallback& fallback, CandidateCursor<Fallback>& candidates) {
  s.call.started = s.state.clock().now();
  s.call.started_wall = s.state.wall_at(s.call.started);
  const Request& req = s.request;
  if (auto r = begin_trace(req, s.rng, s.call.trace, s.traceparent); !r) return tl::unexpected(std::move(r.error()));
  if (req.max_total_wait && *req.max_total_wait < Duration{0})
    return fail(Errc::invalid_argument, "Request::max_total_wait must not be negative");
  // A task with a route and no model of its own goes where its kind is routed.
  const auto route = req.model.empty() ? s.state.routing().chain(req.task) : std::span<const ModelChoice>{};
  auto origin = find_origin(s.state.table(), route, req);
  if (!origin) return tl::unexpected(std::move(origin.error()));
  detail::estimate_origin(s, *origin);
  if (auto marks = detail::check_cache_marks(s.call.needs); !marks) return tl::unexpected(std::move(marks.error()));
  // A call of no task has no budget to take: tested here, so the common call makes no call for it.
  if (!req.task_id.empty())
    if (auto budget = detail::take_task_budget(s); !budget) return tl::unexpected(std::move(budget.error()));
  if (req.cacheable && detail::answer_from_cache(s, *origin)) return Begun::answered;
  if (!candidates.plan(fallback, s.state.table(), route, *origin, plan_input(*origin, s.call.estimate))) {
    const auto& in = candidates.input();
    return fail(Errc::invalid_argument,
                providers::nothing_fits_message(in.total(), in.prompt_tokens, in.max_output_tokens));
  }
  return Begun::planned;
}

}  // namespace governed::walk
