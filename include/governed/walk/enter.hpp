#pragma once
/// @file
/// The walk's candidate entry: whether the call takes up the candidate its cursor offers, and
/// with which key. `walk::enter_candidate` first skips, saying so, a candidate whose model
/// lacks what the call needs (request_needs.hpp): nothing is sent to fail there, nothing
/// cools and no key is picked. It passes over, without a word, a candidate nothing
/// can be tried on — a model the tier does not offer, no key usable now, its provider's
/// breaker open (asked last: a half-open breaker hands this call its one trial, which only a
/// candidate that can be sent to should take) — stops the call at its fallback cap, says a
/// move to another model or provider, holds the spend budget's worst case (or, at the spend
/// limit with `downgrade`, brings the cheapest candidate that still fits forward), and takes
/// the key's limit set. `walk::take_other_key` does the last for another key of the same
/// candidate. Both answer what the walk's loop does next (`Enter`): admit, pass over, leave,
/// or end (and why). What they act on comes in an `EntryScene`. tests/walk/enter.cpp drives
/// them over a State.

#include <governed/budget/spend.hpp>
#include <governed/error.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/observe/event.hpp>
#include <governed/providers/messages.hpp>
#include <governed/random.hpp>
#include <governed/request.hpp>
#include <governed/time.hpp>
#include <governed/walk/breaker_seat.hpp>
#include <governed/walk/call_facts.hpp>
#include <governed/walk/candidates.hpp>
#include <governed/walk/key_seat.hpp>
#include <governed/walk/outcome.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace governed::walk {

/// What the walk's loop does after a candidate entry.
enum class Enter : std::uint8_t {
  admit,         ///< the candidate is taken up with a key and its limit set (`Entry::set`): on to admission
  skip,          ///< passed over without a word (nothing was tried on it): the next candidate at once
  skip_stated,   ///< its model lacks what the call needs, as a `skipped` event says: the next candidate at once
  leave,         ///< given up on: the next candidate at once, and the one after is a move
  nothing_left,  ///< the plan is spent: the call ends as "nothing left" says
  cap_reached,   ///< the call may not move once more (`Entry::cap`): it ends as "nothing left", saying so
  fail,          ///< the call ends with `Entry::error` (the spend budget is spent)
};

template <class Set>
struct Entry {
  Enter next = Enter::admit;
  /// `admit`: the candidate's limit set for the key's account.
  Set* set = nullptr;
  /// `cap_reached`: the moves the call was allowed.
  std::uint32_t cap = 0;
  std::optional<Error> error{};
};

/// The call as a candidate entry finds it: references into the walk, gathered per entry.
template <class StateT, class Fallback>
struct EntryScene {
  StateT& state;
  const Request& request;
  const Fallback& fallback;
  CandidateCursor<Fallback>& candidates;
  CallFacts& call;
  KeySeat& key;
  BreakerSeat& breaker;
  Outcome& outcome;
  Random& rng;
  /// Why the candidate could not serve, for "nothing left" and the call hook.
  std::string& unservable_reason;

  const fallback::Candidate& target() const noexcept { return candidates.current(); }

  /// Says `kind` of the cursor's candidate now: to the observers, and among the call's events.
  void note(EventKind kind, std::string_view message, std::optional<Duration> wait = std::nullopt,
            std::string_view fingerprint = {}) const {
    const auto& c = target();
    outcome.note(kind, c.provider->name, c.model->name, message, state.clock().wall_now(), wait, fingerprint);
  }
};

/// The moves to another target a call may make: its own cap, else the configured one (none:
/// no cap).
inline std::optional<std::uint32_t> fallback_cap(std::optional<std::uint32_t> requested,
                                                 std::optional<std::uint32_t> configured) noexcept {
  return requested ? requested : configured;
}

// The parts of an entry every call takes are always inlined: a warm call must cost what it did
// when they were members of Walk (BM_Governed_Send_Success in callgrind instructions), and GCC
// at -O2 left them out of line, each call passing the scene on.

namespace detail {

/// The key the call site's `policy` picks for the candidate at `t` (walk/key_seat.hpp); none
/// when no key is usable (remembering when the first comes back, or why none ever will).
template <class StateT, class Fallback, class Keys>
[[gnu::always_inline]] inline std::optional<std::size_t> choose_key(const EntryScene<StateT, Fallback>& s, Keys& policy,
                                                                   Instant t) {
  return s.key.choose(s.state, policy, s.target(), t, s.call.wall_at(t), s.rng, s.outcome.held_back(),
                      s.unservable_reason);
}

/// The candidate's attempts go out with key `picked`, on its limit set for the key's account:
/// entered, or left when the set can not be had.
template <class StateT, class Fallback>
[[gnu::always_inline]] inline auto use_key(const EntryScene<StateT, Fallback>& s, std::size_t picked)
    -> Entry<typename StateT::Set> {
  const auto& c = s.target();
  if (s.key.use(picked, s.outcome.counts().attempts, s.state.keys(), c.provider->name))
    s.note(EventKind::key_rotated, providers::key_rotated_message(c.provider->name), std::nullopt,
           s.state.keys().fingerprint(picked));
  if (s.state.call_hook().active()) s.outcome.used_key(s.state.keys().fingerprint(picked));
  auto set = s.state.limit_set(*c.provider, *c.model, picked);
  if (!set) {
    s.unservable_reason = set.error().message;
    return {Enter::leave};
  }
  return {Enter::admit, *set};
}

/// Whether the candidate can be tried now: a model the tier offers, a key usable now
/// (`picked`), and a pass from its provider's breaker.
template <class StateT, class Fallback, class Keys>
[[gnu::always_inline]] inline bool can_try(const EntryScene<StateT, Fallback>& s, Keys& policy, Instant t,
                                           std::optional<std::size_t>& picked) {
  const auto& c = s.target();
  if (!s.state.offers(*c.provider, *c.model)) {
    s.unservable_reason = s.state.not_offered_reason(*c.provider, *c.model);
    return false;
  }
  picked = choose_key(s, policy, t);
  return picked && take_pass(s.breaker, s.state.breakers(), s.state.table().index_of(*c.provider), *c.provider, t,
                             s.outcome.held_back(), s.unservable_reason);
}

/// Whether the candidate's model lacks what the call needs; if so it is skipped, saying what
/// it lacks, and counted for the error of a call none can carry (walk/finish.hpp). One AND
/// for a call that needs nothing beyond text.
template <class StateT, class Fallback>
[[gnu::always_inline]] inline bool skip_if_lacking(const EntryScene<StateT, Fallback>& s) {
  const auto& c = s.target();
  const auto lacking = c.model->capabilities.missing(s.call.needs.required);
  if (lacking.empty()) [[likely]] return false;
  s.note(EventKind::skipped, providers::skipped_message(c.provider->name, c.model->name, to_string(lacking)));
  ++s.call.stated_skips;
  s.candidates.skip();
  return true;
}

/// At the spend limit with `downgrade`: the cheapest remaining candidate whose worst case
/// still fits is brought forward to be the next, and the current one is left; false when none
/// fits.
template <class StateT, class Fallback>
bool downgrade(const EntryScene<StateT, Fallback>& s, SpendBudget& spend) {
  const fallback::Candidate* cheapest = s.candidates.bring_forward_cheapest(
      s.fallback, s.state.table(), s.call.estimate, spend.remaining(s.state.clock().wall_now()));
  if (!cheapest) return false;
  s.note(EventKind::budget_alert, providers::spend_downgrade_message(cheapest->provider->name, cheapest->model->name));
  return true;
}

/// The spend budget holds the candidate's worst case (its prices) until the call settles:
/// none when there is no spend budget or it holds; else what the entry answers.
template <class StateT, class Fallback>
[[gnu::always_inline]] inline auto hold_spend(const EntryScene<StateT, Fallback>& s, Instant t)
    -> std::optional<Entry<typename StateT::Set>> {
  SpendBudget* spend = s.state.spend();
  if (!spend) return std::nullopt;
  s.call.spend_hold = SpendReservation{};
  auto hold = spend->reserve(s.target().model->price, s.call.estimate, s.call.wall_at(t));
  if (!hold) {
    if (spend->downgrades() && downgrade(s, *spend)) return Entry<typename StateT::Set>{Enter::leave};
    s.note(EventKind::budget_exhausted, hold.error().message);
    Entry<typename StateT::Set> spent{Enter::fail};
    spent.error = std::move(hold.error());
    return spent;
  }
  s.call.spend_hold = std::move(*hold);
  return std::nullopt;
}

}  // namespace detail

/// Enters the cursor's candidate at `t` with a key the call site's `policy` picks, or says
/// why not.
template <class StateT, class Fallback, class Keys>
[[gnu::always_inline]] inline auto enter_candidate(const EntryScene<StateT, Fallback>& s, Keys& policy, Instant t)
    -> Entry<typename StateT::Set> {
  using E = Entry<typename StateT::Set>;
  if (!s.candidates.more(s.fallback, s.state.table())) return E{Enter::nothing_left};
  // The candidate left was never sent to under its pass (a sent attempt reported it).
  s.breaker.give_back(s.state.breakers());
  s.key.new_candidate();
  if (detail::skip_if_lacking(s)) return E{Enter::skip_stated};
  std::optional<std::size_t> picked;
  if (!detail::can_try(s, policy, t, picked)) {
    // Nothing was tried on it, so nothing switched.
    s.candidates.skip();
    return E{Enter::skip};
  }
  const auto& c = s.target();
  if (const Reached reached = s.candidates.reached(); reached != Reached::first) {
    if (const auto cap = fallback_cap(s.request.max_fallbacks, s.state.config().max_fallbacks);
        cap && s.outcome.counts().fallbacks >= *cap) {
      E stop{Enter::cap_reached};
      stop.cap = *cap;
      return stop;
    }
    s.note(reached == Reached::other_provider ? EventKind::switched_provider : EventKind::switched_model,
           providers::switching_message(c.provider->name, c.model->name, s.state.secrets()));
    s.outcome.moved();  // the target left is now a hop
  }
  s.outcome.entered_target();
  s.candidates.enter();
  if (auto held = detail::hold_spend(s, t)) return std::move(*held);
  return detail::use_key(s, *picked);
}

/// Another key for the candidate the call is on (the last one failed) at `t`: entered with
/// it, or left when none is usable.
template <class StateT, class Fallback, class Keys>
auto take_other_key(const EntryScene<StateT, Fallback>& s, Keys& policy, Instant t) -> Entry<typename StateT::Set> {
  if (const auto picked = detail::choose_key(s, policy, t)) return detail::use_key(s, *picked);
  return {Enter::leave};
}

}  // namespace governed::walk
