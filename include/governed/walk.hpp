#pragma once
/// @file
/// `Walk`: one governed call, as a state machine that does no I/O of its own.
///
/// budget → cache → plan → for each candidate: key → admit → send → classify → act. The walk
/// says what it needs next — sleep until an instant, send one attempt, or ask a shared store —
/// and the driver does it: `Governed::send` sleeps on the clock and calls the transport;
/// `async_send` waits on the clock's timer and the transport's asynchronous send. One walk, so
/// the blocking and the asynchronous call can not drift apart, and a test can drive it step by
/// step.
///
/// The walk is the loop that orders the steps of walk/ (docs/architecture.md, "The call
/// walk"): the start (walk/start.hpp), candidate entry (walk/enter.hpp), admission
/// (walk/admit.hpp), the reply (walk/reply.hpp) and the end (walk/finish.hpp). Each owns one
/// concern, acts on the parts of the call passed to it in a scene (references gathered per
/// step), and answers what the loop does next; the loop switches on the answer. The walk holds
/// one value of each seat (members, not heap objects: a warm call allocates nothing for them).
/// Everything it holds — its place in a wait line, its limit admission, its budget holds, a
/// breaker's pass — is released when it is destroyed, so a cancelled call leaks nothing. How
/// the walk meets the providers' circuit breakers is walk/breaker_seat.hpp's to say.
///
/// The alerts (observe/alerts.hpp) are fed by the steps: each 429, each call's cost (a
/// success's, or a broken-off stream's), and each call's end — once, after its last attempt. A
/// cache hit reached no provider and a cancelled call ended by the caller's choice: neither
/// says anything about the providers, so neither counts towards the error-rate alert.

#include <governed/continuation.hpp>
#include <governed/error.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/limit_set.hpp>
#include <governed/providers/redact.hpp>
#include <governed/random.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>
#include <governed/trace.hpp>
#include <governed/transport/concept.hpp>
#include <governed/walk/admission_seat.hpp>
#include <governed/walk/admit.hpp>
#include <governed/walk/breaker_seat.hpp>
#include <governed/walk/call_facts.hpp>
#include <governed/walk/candidates.hpp>
#include <governed/walk/enter.hpp>
#include <governed/walk/finish.hpp>
#include <governed/walk/key_seat.hpp>
#include <governed/walk/outcome.hpp>
#include <governed/walk/reply.hpp>
#include <governed/walk/settle.hpp>
#include <governed/walk/start.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace governed {

/// What a walk needs next.
enum class WalkStep : std::uint8_t {
  wait,  ///< sleep until `wake_at()`, then `resume()`
  send,  ///< send `attempt()`, then `on_reply(reply)`
  done,  ///< `take_result()`
  /// Only after `admit_asynchronously()`: the limit set lives in a shared store; call
  /// `ask_shared(done)`, and `on_answer(result)` with what the continuation `done` receives.
  ask,
};

template <class StateT, class Backoff, class Keys, class Fallback>
class Walk {
 public:
  using Set = typename StateT::Set;

  /// `keys` is the call site's key policy (shared: round robin's turn spans calls).
  Walk(StateT& state, const Backoff& backoff, Keys& keys, const Fallback& fallback, Request request)
      : s_(state), backoff_(backoff), keys_(keys), fallback_(fallback), owned_(std::move(request)), req_(*owned_),
        rng_(state.next_random()), outcome_(state.observers(), state.secrets(), req_.task) {}

  /// A walk over a request the caller keeps alive until the walk ends (the blocking call's,
  /// which need not be copied). Always inlined, as the steps of a warm call are (walk/enter.hpp):
  /// GCC at -O2 left it out of line once the call's facts grew by the call's needs.
  [[gnu::always_inline]] Walk(StateT& state, const Backoff& backoff, Keys& keys, const Fallback& fallback, std::reference_wrapper<const Request> request)
      : s_(state), backoff_(backoff), keys_(keys), fallback_(fallback), req_(request.get()),
        rng_(state.next_random()), outcome_(state.observers(), state.secrets(), req_.task) {}

  Walk(const Walk&) = delete;
  Walk& operator=(const Walk&) = delete;

  /// Begins the call (walk/start.hpp): its trace, its estimate, its task budget, the cache,
  /// its plan.
  WalkStep start() {
    auto begun = walk::begin_call(
        walk::StartScene<StateT>{s_, req_, call_, outcome_, key_seat_, rng_, traceparent_.data()}, fallback_,
        candidates_);
    if (!begun) return finish(std::move(begun.error()));
    if (*begun == walk::Begun::answered) return WalkStep::done;
    seat_.begin(call_.started);
    return advance_from(call_.started);
  }

  /// After the wait `wake_at()` asked for.
  WalkStep resume() { return advance(); }

  /// After the attempt `attempt()` described, with its reply decoded (`Reply::completion`,
  /// `Reply::error`: see transport/concept.hpp). Taken by reference: the answer's text is
  /// moved out of it, and the reply itself never moved.
  WalkStep on_reply(transport::Reply&& reply) {
    switch (reply_.carry_out(reply, reply_scene(), keys_, backoff_, rng_)) {
      case walk::AfterReply::answered: return WalkStep::done;
      case walk::AfterReply::wait: phase_ = Phase::admit; return WalkStep::wait;
      case walk::AfterReply::other_key: phase_ = Phase::key; return advance();  // the same model, at once
      case walk::AfterReply::next_candidate: next_candidate(); return advance();
      case walk::AfterReply::fail: break;
    }
    return finish(reply_.take_error());
  }

  Instant wake_at() const noexcept { return seat_.wake_at(); }

  /// Admissions on limit sets kept in a shared store are asked for without blocking: the walk
  /// stops at `WalkStep::ask` instead of waiting for the store's answer on this thread. For
  /// drivers that run on an executor (the asynchronous call).
  void admit_asynchronously() noexcept { seat_.ask_asynchronously(); }

  /// After `WalkStep::ask`: asks the limit set's shared store; `done` runs with the answer on
  /// its executor, to hand to `on_answer`.
  void ask_shared(Continuation<Result<Admission>> done) {
    set_->async_admit(walk::limit_cost(call_.estimate.prompt, call_.estimate.completion), seat_.asked_at(),
                      wall_at(seat_.asked_at()), std::move(done));
  }

  /// The answer `ask_shared` got: the walk goes on from where it asked.
  WalkStep on_answer(Result<Admission> answer) {
    seat_.answer(std::move(answer));
    return advance();
  }

  /// The attempt to send; valid after `WalkStep::send` until `on_reply`.
  transport::Attempt attempt() const noexcept {
    return transport::Attempt{req_, cand().provider->name, cand().model->name, base_url(),
                              s_.keys().secret(key_seat_.key()), std::string_view(traceparent_.data(), traceparent_.size()),
                              cand().provider->dialect};
  }

  /// The outcome; valid once after `WalkStep::done`.
  Result<Response> take_result() { return outcome_.take_result(); }

  /// Has the walk build its outcome in `out` instead of keeping it for `take_result()`: a
  /// driver that returns `out` (named return value) hands the Response to its caller without
  /// moving it. `out` is a default-constructed Result (an empty Response), outlives the walk's
  /// last step, and holds the outcome once the walk is done.
  void deliver_into(Result<Response>& out) noexcept { outcome_.deliver_into(out); }

  /// Gives up: the call ends with `error` (cancellation, a failed timer).
  WalkStep abort(Error error) {
    if (error.code == Errc::cancelled) outcome_.cancel();
    return finish(std::move(error));
  }

  /// The caller cancelled the attempt `attempt()` described, and the transport ended it with
  /// `reply`: the call ends with `error`, never retried. When the attempt was a stream that
  /// had already shown pieces, the provider billed what it generated, so that is charged as
  /// for a stream that broke off.
  WalkStep cancel(const transport::Reply& reply, Error error) {
    outcome_.cancel();
    if (reply.streamed && reply.streamed->chunks > 0 && set_ && seat_.admission().admitted) {
      const Instant t = now();
      walk::ReplyStep::charge_partial(*reply.streamed, reply_scene(), t, wall_at(t));
    }
    return finish(std::move(error));
  }

 private:
  enum class Phase : std::uint8_t { candidate, key, admit };

  const fallback::Candidate& cand() const noexcept { return candidates_.current(); }
  Instant now() const noexcept { return s_.clock().now(); }
  /// The wall time at monotonic `t` of this call: one reading of each clock serves the walk.
  WallTime wall_at(Instant t) const noexcept { return call_.wall_at(t); }

  std::string_view base_url() const noexcept {
    const auto& st = s_.settings(*cand().provider);
    return st.base_url ? std::string_view(*st.base_url) : std::string_view(cand().provider->base_url);
  }

  WalkStep advance() { return advance_from(now()); }

  /// The loop, its first pass at `t`: a time the caller read a moment ago (a call's start reads
  /// the clock once for both), each later pass at a fresh reading.
  WalkStep advance_from(Instant t) {
    for (;; t = now()) {
      if (req_.deadline && t >= *req_.deadline)
        return finish(Error{Errc::timed_out, "The call's deadline passed before a provider could answer it.", {}});
      switch (phase_) {
        case Phase::candidate: {
          auto entry = walk::enter_candidate(entry_scene(), keys_, t);
          if (entry.next == walk::Enter::admit) reply_.new_candidate();  // its backoff starts over
          if (auto step = after_entry(std::move(entry), t)) return *step;
          break;
        }
        case Phase::key:  // the same candidate, another key (the last one failed)
          if (auto step = after_entry(walk::take_other_key(entry_scene(), keys_, t), t)) return *step;
          break;
        case Phase::admit: break;
      }
      if (phase_ == Phase::admit)
        if (auto step = after_admission(walk::admit(admit_scene(), keys_, t))) return *step;
    }
  }

  /// Does what a candidate entry at `t` answered (walk/enter.hpp): on to admission, on to the
  /// next candidate, or the end. Always inlined, as the steps of a warm call are (walk/enter.hpp).
  [[gnu::always_inline]] std::optional<WalkStep> after_entry(walk::Entry<Set>&& entry, Instant t) {
    switch (entry.next) {
      case walk::Enter::admit:
        set_ = entry.set;
        phase_ = Phase::admit;
        seat_.begin(t);
        return std::nullopt;
      case walk::Enter::skip:
      case walk::Enter::skip_stated: return std::nullopt;
      case walk::Enter::leave: next_candidate(); return std::nullopt;
      case walk::Enter::nothing_left: return finish(nothing_left());
      case walk::Enter::cap_reached: return finish(walk::fallback_cap_reached(nothing_left(), entry.cap));
      case walk::Enter::fail: break;
    }
    return finish(std::move(*entry.error));
  }

  /// Does what an admission step answered (walk/admit.hpp): send, wait or ask, or try another
  /// key or candidate at once, or the end. Always inlined, as the steps of a warm call are.
  [[gnu::always_inline]] std::optional<WalkStep> after_admission(walk::AdmitAnswer&& a) {
    switch (a.next) {
      case walk::AfterAdmit::send: return WalkStep::send;
      case walk::AfterAdmit::wait: return WalkStep::wait;
      case walk::AfterAdmit::ask: return WalkStep::ask;
      case walk::AfterAdmit::other_key: phase_ = Phase::key; return std::nullopt;
      case walk::AfterAdmit::next_candidate: next_candidate(a.left_because); return std::nullopt;
      case walk::AfterAdmit::fail: break;
    }
    return finish(seat_.take_error());
  }

  /// Leaves the current candidate for the next; for the call hook, because of `why`, else the
  /// message of the last event said of it (cooled, failed, key_exhausted …), else why it could
  /// not serve.
  void next_candidate(std::string_view why = {}) {
    if (s_.call_hook().active() && candidates_.on_candidate())
      outcome_.left_target(cand().provider->name, cand().model->name, why,
                           providers::redact(unservable_reason_, s_.secrets()));
    seat_.leave_line();
    seat_.release();
    candidates_.leave();
    phase_ = Phase::candidate;
  }

  /// What the call answers when nothing is left to try (walk/finish.hpp): unsupported when no
  /// candidate could carry it, else what stopped the last.
  Error nothing_left() const {
    if (auto none_carries = walk::unsupported(candidates_.planned(), call_.stated_skips, call_.needs)) [[unlikely]]
      return std::move(*none_carries);
    return walk::nothing_left(seat_.store_refused(), outcome_.held_back(), reply_.refused_keyless(),
                              reply_.last_verdict(), candidates_.last_provider(), unservable_reason_, s_.secrets());
  }

  /// Ends the call with `e` (walk/finish.hpp).
  WalkStep finish(Error e) {
    walk::end_call(walk::EndScene<StateT>{s_, req_, candidates_.on_candidate() ? &cand() : nullptr, call_, key_seat_,
                                          seat_, breaker_, outcome_},
                   std::move(e));
    return WalkStep::done;
  }

  /// The call as an admission step finds it, on the current candidate.
  walk::AdmitScene<StateT> admit_scene() noexcept {
    return {s_, req_, cand(), call_, key_seat_, *set_, seat_, breaker_, outcome_, unservable_reason_};
  }

  /// The call as a candidate entry finds it.
  walk::EntryScene<StateT, Fallback> entry_scene() noexcept {
    return {s_, req_, fallback_, candidates_, call_, key_seat_, breaker_, outcome_, rng_, unservable_reason_};
  }

  /// The call as the reply step finds it, on the current candidate.
  walk::ReplyScene<StateT> reply_scene() noexcept {
    return {s_, req_, cand(), call_, key_seat_, set_, seat_, breaker_, outcome_, unservable_reason_};
  }

  StateT& s_;
  Backoff backoff_;
  Keys& keys_;
  const Fallback& fallback_;
  std::optional<Request> owned_{};
  const Request& req_;
  Random rng_;

  /// When the call began, its estimate, its budget holds, its cache key and its trace.
  walk::CallFacts call_;
  // The steps are default-initialized (no `{}`): each sets its own members, and a value-
  // initialized one would first be zeroed whole — the cursor's 48 candidates, on every call.
  /// Where the call stands in its plan.
  walk::CandidateCursor<Fallback> candidates_;
  Phase phase_ = Phase::candidate;

  /// The key the call's attempts go out with.
  walk::KeySeat key_seat_;
  Set* set_ = nullptr;
  /// The call's place at the current candidate's limit set.
  walk::AdmissionSeat<Set> seat_;
  /// Carries out what each reply means; keeps the backoff's place on the target.
  walk::ReplyStep reply_;
  /// The current attempt's pass from its provider's breaker; not allowed when none is held.
  walk::BreakerSeat breaker_{};

  /// The call's trace as sent to the provider (`call_.trace`, a fixed array: no allocation).
  std::array<char, traceparent_size> traceparent_;  // written by begin_call() before any use
  std::string unservable_reason_{};
  /// What the call said, counted and took on its way, and where its outcome goes.
  walk::Outcome outcome_;
};

}  // namespace governed
