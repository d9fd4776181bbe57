#pragma once
/// @file
/// The walk's reply step: what a reply means, carried out. `walk::ReplyStep::carry_out`
/// classifies the reply, frees the attempt's concurrency slot, adopts the provider's limit
/// readings, reports the verdict to the provider's breaker, and then acts: a success is settled
/// (usage reconciled, cost charged, the answer cached and recorded); any other verdict is
/// decided (walk/decide.hpp) and carried out — a retry after a wait, the model cooled, the
/// provider left while its breaker is open, the account found spent, the key refused, the
/// candidate given up, or the call ended. It answers with what the walk's loop does next
/// (`AfterReply`); what it acts on — the State, the request, the target, the seats and the
/// call's facts — comes in a `ReplyScene`. tests/walk/reply.cpp drives it over a State.

#include <governed/attempt.hpp>
#include <governed/backoff/retry_state.hpp>
#include <governed/backoff/step.hpp>
#include <governed/breaker.hpp>
#include <governed/budget/spend.hpp>
#include <governed/cooldowns.hpp>
#include <governed/error.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/keys/exhaustion.hpp>
#include <governed/observe/alerts.hpp>
#include <governed/observe/event.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/usage.hpp>
#include <governed/random.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>
#include <governed/walk/admission.hpp>
#include <governed/walk/admission_seat.hpp>
#include <governed/walk/breaker_seat.hpp>
#include <governed/walk/call_facts.hpp>
#include <governed/walk/decide.hpp>
#include <governed/walk/key_seat.hpp>
#include <governed/walk/outcome.hpp>
#include <governed/walk/record.hpp>
#include <governed/walk/settle.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace governed::walk {

/// What the walk's loop does once a reply was carried out.
enum class AfterReply : std::uint8_t {
  answered,        ///< the call has its Response: it is done
  wait,            ///< the same target again, once the admission seat's `wake_at()` comes
  other_key,       ///< the same candidate at once, with another key
  next_candidate,  ///< the candidate is given up: the next one at once
  fail,            ///< the call ends with `ReplyStep::take_error()`
};

/// The call as a reply finds it: references into the walk, gathered for one reply.
template <class StateT>
struct ReplyScene {
  using Set = typename StateT::Set;

  StateT& state;
  const Request& request;
  /// The candidate the attempt went to.
  const fallback::Candidate& target;
  CallFacts& call;
  KeySeat& key;
  /// The target's limit set for the key's account.
  Set* set;
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

  /// An alert the call tripped at `w`: to the observers, and among the call's events.
  void raise(const std::optional<Alert>& alert, WallTime w) const {
    if (alert) [[unlikely]]
      outcome.note(alert->kind, alert->provider, alert->model, alert->message, w);
  }

  /// A provider's breaker opened or closed at `w`, on the attempt's report.
  void note_transition(const BreakerTransition& change, WallTime w) const {
    const std::string_view name = state.table().providers()[change.provider].name;
    outcome.note(change.kind, name, {}, friendly_message(change.kind, name, {}, change.wait, state.secrets()), w,
                 change.wait);
  }

  /// The target could take the call again in `d`, held back by `why`.
  void remember_wait(Duration d, Holdup why = Holdup::rate_limit, bool past_deadline = false) const {
    outcome.held_back().remember(d, why, past_deadline);
  }

  std::string redact(std::string_view s) const { return providers::redact(s, state.secrets()); }
  std::string_view fingerprint() const { return state.keys().fingerprint(key.key()); }
};

class ReplyStep {
 public:
  /// A new candidate: its backoff starts over.
  void new_candidate() noexcept { retry_ = backoff::RetryState{}; }

  /// Carries out what `reply` means for the attempt `s.target` was sent, deciding with the
  /// call site's key `policy` and backoff `curve` (drawing jitter from `rng`).
  template <class StateT, class Keys, class Backoff>
  AfterReply carry_out(transport::Reply& reply, const ReplyScene<StateT>& s, Keys& policy, const Backoff& curve,
                       Random& rng) {
    ++s.outcome.counts().attempts;
    const Instant t = s.state.clock().now();
    const WallTime w = s.call.wall_at(t);
    const auto& c = s.target;
    if (reply.streamed && reply.streamed->chunks > 0 && (reply.failure || reply.status < 200 || reply.status >= 300)) {
      // The caller has already shown part of the answer: a retry or another model would
      // start it again, so the failure is returned as it is.
      charge_partial(*reply.streamed, s, t, w);
      return fail(Error{Errc::io_error, providers::broke_off_message(c.provider->name, c.model->name), {}});
    }
    const providers::Verdict v = classify(reply, c, s.request.cacheable, w);
    s.admission.admission().lease.release();  // the call is over: its concurrency slot is free
    sync_limits(s.set, v.limits, t);
    if (const auto change = s.breaker.report(s.state.breakers(), v.kind, t)) [[unlikely]]
      s.note_transition(*change, w);
    if (!reply.failure && reply.status == 429) [[unlikely]]
      s.raise(s.state.alerts().rate_limited(c.provider->name, c.model->name, t), w);
    if (v.kind == providers::Kind::success) return succeed(reply, s, t, w);
    last_verdict_ = v;  // what "nothing left" reports: a success ends the walk first
    last_refused_keyless_ =
        v.kind == providers::Kind::auth && s.state.keys().keyless(s.key.key()) ? c.provider : nullptr;
    const Situation now = situation(v, reply.failure ? 0 : reply.status, s, curve, rng, t, w);
    return follow(decide(v, now), v, s, policy, t, w);
  }

  /// A stream that ended after some of it reached the caller (broken off, or cancelled) at
  /// `t`: what was generated was billed, so the limits, the task's tokens, the spend budget —
  /// and the statistics, when the walk finishes — count it, as for a success.
  template <class StateT>
  static void charge_partial(const transport::Streamed& streamed, const ReplyScene<StateT>& s, Instant t, WallTime w) {
    const auto& c = s.target;
    const providers::Usage used = stream_usage(streamed, *c.model, s.call.estimate.prompt);
    const double cost = providers::cost_of(c.model->price, used).total_cost;
    charge(*s.set, s.admission.admission(), s.call.task_ticket, s.call.spend_hold, used, cost, t, w,
           [&](const BudgetAlert& alert) { s.note(EventKind::budget_alert, alert.message); });
    s.raise(s.state.alerts().spent(cost, t), w);
    s.admission.admission().lease.release();
    s.outcome.charged(used, cost);
  }

  /// The error of a reply whose answer was `AfterReply::fail`; once.
  Error take_error() noexcept { return std::move(error_); }

  /// The last verdict that did not end in success, for "nothing left" to report.
  const std::optional<providers::Verdict>& last_verdict() const noexcept { return last_verdict_; }
  /// The provider of the last verdict when it was a keyless provider's 401: its server takes a key.
  const providers::Provider* refused_keyless() const noexcept { return last_refused_keyless_; }

 private:
  // Inlined into the reply step: out of line, its call costs a warm send() about 50 instructions.
  [[gnu::always_inline]] static providers::Verdict classify(const transport::Reply& reply,
                                                            const fallback::Candidate& c, bool cacheable, WallTime w) {
    if (reply.failure) return providers::classify_network_failure(*reply.failure, cacheable);
    const auto headers = reply.header_view();
    const providers::HeaderView view(headers);
    // An error's fields were read from its body before the walk sees it (by the transport, or
    // by `Governed` for one that hands back bytes); a success has none.
    const providers::ErrorBody& body =
        reply.error && providers::reads_error_body(reply.status) ? *reply.error : providers::no_error_body;
    return providers::classify(c.provider, c.provider->dialect, reply.status, view, body, w);
  }

  /// Adopts the provider's own counts where they are more conservative than the limit set's.
  template <class Set>
  static void sync_limits(Set* set, const providers::HeaderSnapshot& h, Instant t) {
    if (!set || h.empty()) return;
    providers::for_each_limit_reading(
        h, [&](Dimension d, std::uint64_t remaining, Duration reset_after) { set->sync(d, remaining, reset_after, t); });
  }

  /// What the walk knows for deciding on `v`: the breaker and the backoff are asked only
  /// when the verdict needs them (walk/decide.hpp).
  template <class StateT, class Backoff>
  Situation situation(const providers::Verdict& v, int status, const ReplyScene<StateT>& s, const Backoff& curve,
                      Random& rng, Instant t, WallTime w) const {
    Situation now;
    now.now = t;
    now.deadline = s.request.deadline;
    now.status = status;
    now.last_wait = retry_.last_wait;
    now.failure_cooldown = s.state.config().failure_cooldown;
    now.provider = s.target.provider;
    now.wall = w;
    if (asks_breaker(v))
      now.breaker_open_until =
          BreakerSeat::open_until(s.state.breakers(), s.state.table().index_of(*s.target.provider), t);
    if (asks_backoff(v, now.breaker_open_until))
      now.backoff = backoff::next_step(curve, retry_, v.wait, rng,
                                       total_wait_cap(s.request.max_total_wait, s.state.config().max_total_wait));
    return now;
  }

  /// Does what `decide` chose after the verdict `v`.
  template <class StateT, class Keys>
  AfterReply follow(const Action& a, const providers::Verdict& v, const ReplyScene<StateT>& s, Keys& policy, Instant t,
                    WallTime w) {
    const auto& c = s.target;
    if (a.rate_limited) ++s.outcome.counts().rate_limited;
    switch (a.move) {
      case Move::settle: break;  // a success was settled before deciding
      case Move::retry: return retry_after(v, a.wait, s, t);
      case Move::past_deadline:
        s.remember_wait(a.wait, a.holdup, true);
        s.note(EventKind::failed,
               providers::retry_past_deadline_message(c.provider->name, c.model->name, a.wait, s.state.secrets()),
               a.wait);
        return AfterReply::next_candidate;
      case Move::cool: cool_target(v, a, s, t); return AfterReply::next_candidate;
      case Move::leave_provider: leave_skipped_provider(a.until, s, t); return AfterReply::next_candidate;
      case Move::exhaust_account: exhaust(a, s, policy, w); return AfterReply::other_key;
      case Move::invalidate_key: invalidate_key(s, policy, w); return AfterReply::other_key;
      case Move::next_candidate:
        s.note(EventKind::failed, providers::describe(v, c.provider->name, c.model->name, s.state.secrets()));
        return AfterReply::next_candidate;
      case Move::end:
        return fail(Error{a.error, s.redact(providers::describe(v, c.provider->name, c.model->name)), {}});
    }
    return fail(Error{Errc::rejected, "unclassifiable reply", {}});
  }

  AfterReply fail(Error e) {
    error_ = std::move(e);
    return AfterReply::fail;
  }

  /// Sleeps `wait` from `t`, then tries the same target again.
  template <class StateT>
  AfterReply retry_after(const providers::Verdict& v, Duration wait, const ReplyScene<StateT>& s, Instant t) {
    const auto& c = s.target;
    ++s.outcome.counts().retries;
    s.outcome.counts().backed_off += wait;
    s.note(EventKind::retried,
           providers::retrying_message(providers::describe(v, c.provider->name, c.model->name, s.state.secrets()),
                                       wait),
           wait);
    retry_ = retry_.after(wait);
    s.admission.retry_at(t + wait);
    return AfterReply::wait;
  }

  /// Gives up on the target: cooled for `a.wait` (for the key's account, or for every call
  /// site), before the walk moves on.
  template <class StateT>
  static void cool_target(const providers::Verdict& v, const Action& a, const ReplyScene<StateT>& s, Instant t) {
    const auto& c = s.target;
    const Duration cool = a.wait;
    const std::string_view account = a.per_account ? s.state.keys().account(s.key.key()) : std::string_view{};
    // Says what failed, and words the wait as the provider's only when the provider stated it.
    const auto source = a.stated_by_provider ? providers::WaitSource::provider : providers::WaitSource::governed;
    const std::string why =
        providers::cooled_message(v.kind, c.provider->name, c.model->name, cool, source, s.state.secrets());
    s.state.cooldowns().cool(CooldownKey{c.provider->name, c.model->name, account}, t + cool, why, t);
    const WallTime w = s.call.wall_at(t);
    // Other processes sharing this limit set wait it out too instead of each meeting the 429.
    if (s.set && a.per_account) s.set->cool(w + cool, w);
    // A failing model is skipped by every process, for every account, instead of each backing off.
    if (!a.per_account) s.state.shared_health().model_cooling(c.provider->name, c.model->name, w + cool, why, w);
    s.remember_wait(cool, a.holdup);
    s.note(EventKind::cooled, why, cool);
  }

  /// A network or 5xx failure on a provider whose breaker is open until `until`: the call
  /// leaves it at once, without backing off (see walk/breaker_seat.hpp). The model is cooled for the same
  /// span, and shared as any failing model is: the breaker is this process's, and the
  /// cooldown carries the finding to the other processes of a shared backend. It ends with the
  /// breaker's cool-off, so the trial call may go to the model.
  template <class StateT>
  static void leave_skipped_provider(Instant until, const ReplyScene<StateT>& s, Instant t) {
    const auto& c = s.target;
    skipped_for_breaker(s.outcome.held_back(), s.unservable_reason, *c.provider, until - t);
    const std::string why =
        providers::left_failing_provider_message(c.provider->name, c.model->name, s.unservable_reason);
    s.state.cooldowns().cool(CooldownKey{c.provider->name, c.model->name, {}}, until, why, t);
    s.state.shared_health().model_cooling(c.provider->name, c.model->name, s.call.wall_at(until), why,
                                          s.call.wall_at(t));
    s.note(EventKind::failed, why + " Trying alternatives\u2026");
  }

  /// A daily, monthly or billing allowance is spent: the account (or, where the provider
  /// limits per model, the account's use of this model) is out until `a.exhausted_until`.
  template <class StateT, class Keys>
  static void exhaust(const Action& a, const ReplyScene<StateT>& s, Keys& policy, WallTime w) {
    const auto& c = s.target;
    const WallTime until = a.exhausted_until;
    s.key.spent(s.state, policy, c, a.one_model, until, w);
    const std::string_view fingerprint = s.fingerprint();
    if (a.one_model) {
      // Cooled for this account and model only, in memory and in the health file: a restart
      // keeps skipping it until the reset, and the account's other models stay in use.
      const Duration left = until - w;
      s.remember_wait(left);
      s.note(EventKind::key_exhausted, providers::model_day_spent_message(c.provider->name, c.model->name, left),
             left, fingerprint);
    } else {
      if (until != keys::until_reset) s.remember_wait(until - w);
      s.note(EventKind::key_exhausted,
             until == keys::until_reset ? providers::credit_spent_message(c.provider->name)
                                        : providers::quota_spent_message(c.provider->name, until - w),
             until == keys::until_reset ? std::nullopt : std::optional<Duration>(until - w), fingerprint);
    }
    // Every process sharing the limit set skips the account at its next call.
    if (s.set) s.set->exhaust(until, w);
  }

  /// The key was refused: never used again, here or (by fingerprint) by the other processes.
  template <class StateT, class Keys>
  static void invalidate_key(const ReplyScene<StateT>& s, Keys& policy, WallTime w) {
    const auto& c = s.target;
    s.key.invalidate(s.state, policy, *c.provider, w);
    s.note(EventKind::key_invalid,
           s.state.keys().keyless(s.key.key()) ? refused_without_key(*c.provider) + "."
                                               : providers::key_rejected_message(c.provider->name),
           std::nullopt, s.fingerprint());
  }

  /// The attempt was answered: its usage reconciled and charged, the answer kept for the
  /// cache and the Response, the call recorded.
  template <class StateT>
  static AfterReply succeed(transport::Reply& reply, const ReplyScene<StateT>& s, Instant t, WallTime w) {
    const auto& c = s.target;
    // Built where the driver returns it from (`deliver_into`), or where take_result() moves
    // it from: no move of the Response, or one.
    Response& r = s.outcome.fresh_response();
    const Used used = read_answer(reply, *c.model, c.provider->dialect, s.call.estimate.prompt, s.request.keep_raw_body, r);
    const providers::Usage& usage = used.usage;
    if (used.counted_by_provider) calibrate(s, *c.model, usage);
    r.usage = usage;
    r.cost = providers::cost_of(c.model->price, usage);
    // Real usage replaces the estimate in the token dimensions.
    charge(*s.set, s.admission.admission(), s.call.task_ticket, s.call.spend_hold, usage, r.cost.total_cost, t, w,
           [&](const BudgetAlert& alert) { s.note(EventKind::budget_alert, alert.message); });
    r.provider = c.provider->name;
    r.model = c.model->name;
    r.key_fingerprint = std::string(s.fingerprint());
    r.attempts = s.outcome.counts().attempts;
    r.trace_id = s.call.trace.trace_id;
    r.latency = t - s.call.started;
    if (s.call.cache_key) keep_in_cache(s, r, t);
    // Before the events go to the Response: an alert this call tripped is among them.
    s.raise(s.state.alerts().spent(r.cost.total_cost, t), w);
    s.raise(s.state.alerts().call_ended(false, t), w);
    s.outcome.answered(r);
    record_call(s.state, s.outcome, s.request, s.call, s.key, t, c,
                CallEnd{r.provider, r.model, true, false, usage, r.cost.total_cost, {}, {}});
    return AfterReply::answered;
  }

  /// Keeps a copy of the answer `r` (without the call's events) for identical calls.
  template <class StateT>
  static void keep_in_cache(const ReplyScene<StateT>& s, const Response& r, Instant t) {
    Response cached = r;
    cached.events.clear();
    cached.raw_body.clear();  // the body belongs to the call that asked for it, not to its hits
    std::size_t bytes = cached.content.size() + 256;
    if (cached.detail)
      for (const auto& c : cached.detail->tool_calls) bytes += c.id.size() + c.name.size() + c.arguments.size();
    for (const auto& c : cached.more_choices) bytes += c.content.size() + 64;
    s.state.cache().insert(*s.call.cache_key, std::move(cached), bytes, t);
  }

  /// Teaches `answered`'s calibration what the provider counted for the prompt's text (less
  /// what was counted by rule; nothing from a call that is mostly images: `text_sample`). The
  /// estimate was made with the origin model's parameters: a model estimated otherwise
  /// (another tokenizer) learns nothing from it. When another call is teaching the same model
  /// at this moment, this reply is skipped rather than waited for (see
  /// `ModelCalibration::try_observe`).
  template <class StateT>
  static void calibrate(const ReplyScene<StateT>& s, const providers::Model& answered, const providers::Usage& usage) {
    if (!estimated_alike(answered, *s.call.origin_model)) return;
    auto* cal = s.state.calibration(answered);
    if (!cal) return;
    const auto sample = providers::text_sample({s.call.raw_prompt, s.call.prompt_by_rule}, usage.input_tokens);
    if (sample) (void)cal->try_observe(sample->estimated, sample->actual);
  }

  backoff::RetryState retry_{};
  std::optional<providers::Verdict> last_verdict_{};
  const providers::Provider* last_refused_keyless_ = nullptr;
  Error error_{Errc::rejected, {}, {}};
};

}  // namespace governed::walk
