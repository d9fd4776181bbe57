#pragma once
/// @file
/// `walk::AdmissionSeat`: a call's place at the limit set of the candidate it tries — its
/// ticket in the set's wait line, the admission it holds, how long it has waited, and, for a
/// set kept in a shared store and a driver on an executor, the question it is to ask the
/// store without blocking. Each admission step says what the call does next: send, wait until
/// an instant, ask the store, or give up on the candidate (and why). The arithmetic is
/// walk/admission.hpp's. The seat leaves the line when it is destroyed, so a cancelled call
/// holds no place. tests/walk/admission_seat.cpp drives it.

#include <governed/error.hpp>
#include <governed/limit_set.hpp>
#include <governed/limiter/detail/wait_line.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>
#include <governed/walk/admission.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace governed::walk {

/// What an admission step asks of the call.
enum class Admit : std::uint8_t {
  send,             ///< admitted: send the attempt
  wait,             ///< wait until `AdmitStep::at`, then step again
  ask,              ///< ask the shared store (`AdmissionSeat::asked_at`), step again with its answer
  refused,          ///< give the candidate up: it can not admit the call in the call's patience
  spent_elsewhere,  ///< another process found the account's allowance spent until `spent_until`
  failed,           ///< the call ends with `AdmissionSeat::take_error()` (the wait line is full)
};

struct AdmitStep {
  Admit next = Admit::send;
  /// `wait`: when to step again.
  Instant at{};
  /// `refused`: how long the set would have had the call wait; none when it can not admit the
  /// call here at all (`AdmissionSeat::take_error()` says why). With `past_deadline`, only the
  /// caller's deadline came before the wait's end.
  std::optional<Duration> wait{};
  bool past_deadline = false;
  /// `spent_elsewhere`: until when the account is spent.
  WallTime spent_until{};
};

/// The rules of a State's wait lines: a waiter's priority, how many may wait, and how often
/// a waiter for a concurrency slot (which frees when another call ends) asks again.
struct LineRules {
  int priority = 0;
  std::size_t max_waiters = 0;
  Duration poll{};
};

template <class Set>
class AdmissionSeat {
 public:
  AdmissionSeat() = default;
  AdmissionSeat(const AdmissionSeat&) = delete;
  AdmissionSeat& operator=(const AdmissionSeat&) = delete;
  ~AdmissionSeat() { leave_line(); }

  /// Admissions on sets kept in a shared store are to be asked for without blocking
  /// (`Admit::ask`).
  void ask_asynchronously() noexcept { ask_async_ = true; }

  /// The call begins trying a candidate (or the same one again) at `t`: its patience counts
  /// from there.
  void begin(Instant t) noexcept { began_ = t; }
  Instant began() const noexcept { return began_; }

  /// A retry after a backoff: the call sleeps until `at`, and tries again from there.
  void retry_at(Instant at) noexcept {
    release();
    began_ = at;
    wake_ = at;
  }

  /// One admission step at `t` (`w`, its wall time) for `cost` on `set`, within `patience`.
  AdmitStep step(Set& set, Instant t, WallTime w, const Cost& cost, const Patience& patience, const LineRules& rules) {
    auto& line = set.line();
    if (!ticket_) {
      if (line.empty() || answer_) {
        // Admitted, or refused, at once; a wait is waited in the line.
        if (const AdmitStep first = ask_set(set, t, w, cost, patience, rules.poll); first.next != Admit::wait)
          return first;
      }
      auto joined = line.join(rules.priority, rules.max_waiters);
      if (!joined) {
        error_ = std::move(joined.error());
        return AdmitStep{Admit::failed};
      }
      ticket_ = *joined;
      line_set_ = &set;
    }
    if (!line.is_head(ticket_)) {
      const Instant wake = wake_behind(line.head_wake(), t);
      if (patience.too_late(wake)) return refused(wake - t, !patience.exceeded_by(wake));
      return AdmitStep{Admit::wait, wake};
    }
    const AdmitStep head = ask_set(set, t, w, cost, patience, rules.poll);
    if (head.next == Admit::send) leave_line();
    else if (head.next == Admit::wait) line.set_head_wake(ticket_, head.at);
    return head;
  }

  /// After `Admit::ask`: the instant the call asks the store at.
  Instant asked_at() const noexcept { return ask_at_; }
  /// The store's answer: the next step goes on with it.
  void answer(Result<Admission> a) { answer_ = std::move(a); }

  /// The call waits until `at` (as a step said), from `now()` when it was not waiting yet.
  template <class Now>
  void wait_until(Instant at, Now&& now) {
    if (!waiting_since_) waiting_since_ = now();
    wake_ = at;
  }
  Instant wake_at() const noexcept { return wake_; }

  /// Ends a wait for admission at `now()`: how long it lasted; none when the call was not
  /// waiting (and `now` is not called).
  template <class Now>
  std::optional<Duration> stop_waiting(Now&& now) {
    if (!waiting_since_) return std::nullopt;
    const Duration waited = now() - *waiting_since_;
    waiting_since_.reset();
    return waited;
  }

  /// The admission the call holds (empty before `Admit::send`).
  Admission& admission() noexcept { return admission_; }
  const Admission& admission() const noexcept { return admission_; }
  /// Gives the admission up: the call moves on, retries, or ends.
  void release() noexcept { admission_ = Admission{}; }

  /// Why the last step refused the candidate outright, or why the call ends (`Admit::failed`).
  Error take_error() { return error_ ? std::move(*std::exchange(error_, std::nullopt)) : Error{}; }
  /// Set when a shared store could not be reached and refused (fail-closed): the call ends so.
  const std::optional<Error>& store_refused() const noexcept { return store_refused_; }

  void leave_line() noexcept {
    if (ticket_ && line_set_) line_set_->line().leave(ticket_);
    ticket_ = governed::detail::WaitLine::Ticket{};
    line_set_ = nullptr;
  }

 private:
  static AdmitStep refused(std::optional<Duration> wait, bool past_deadline = false) {
    AdmitStep s{Admit::refused};
    s.wait = wait;
    s.past_deadline = past_deadline;
    return s;
  }

  /// Asks `set` at `t`, or takes the store's answer: admitted, ask the store, spent elsewhere,
  /// refused, or a wait within `patience` (`Admit::wait`, until `at`).
  AdmitStep ask_set(Set& set, Instant t, WallTime w, const Cost& cost, const Patience& patience, Duration poll) {
    if (!answer_ && ask_async_ && set.shared()) {
      ask_at_ = t;
      return AdmitStep{Admit::ask};
    }
    auto a = answer_ ? std::move(*std::exchange(answer_, std::nullopt)) : set.admit(cost, t, w);
    if (!a) {
      if (a.error().code == Errc::io_error || a.error().code == Errc::timed_out) store_refused_ = a.error();
      error_ = std::move(a.error());
      return refused(std::nullopt);
    }
    if (a->exhausted_until) {
      AdmitStep s{Admit::spent_elsewhere};
      s.spent_until = *a->exhausted_until;
      return s;
    }
    const auto needed = admission_wait(*a, poll);
    if (!needed) {
      admission_ = std::move(*a);
      return AdmitStep{Admit::send};
    }
    if (patience.too_late(t + *needed)) return refused(*needed, !patience.exceeded_by(t + *needed));
    return AdmitStep{Admit::wait, t + *needed};
  }

  governed::detail::WaitLine::Ticket ticket_{};
  Set* line_set_ = nullptr;  ///< the set whose line `ticket_` is in
  Admission admission_{};
  Instant began_{};
  std::optional<Instant> waiting_since_{};
  Instant wake_{};
  // Asynchronous admission on a shared store (see `ask_asynchronously`): whether to ask, at
  // which instant the call asked, and the answer to go on with.
  bool ask_async_ = false;
  Instant ask_at_{};
  std::optional<Result<Admission>> answer_{};
  std::optional<Error> error_{};
  std::optional<Error> store_refused_{};
};

}  // namespace governed::walk
