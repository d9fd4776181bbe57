// walk::AdmissionSeat driven directly, over a limit set whose answers the test chooses: an
// admitted call sends at once; a wait within the call's patience is waited at the head of the
// set's line; a longer one gives the candidate up and says how long; a call behind the head
// waits for it; the seat never outlives its place in the line.
#include <governed/walk/admission_seat.hpp>

#include <catch2/catch.hpp>

#include <deque>

using namespace governed;
using namespace std::chrono_literals;

namespace {

const Instant seat_at = Instant{} + 500s;
const walk::LineRules seat_rules{0, 4, 50ms};
const walk::LineRules seat_one_waiter{0, 1, 50ms};

/// A limit set that answers what the test queued, in order (admitted once the queue is empty).
struct ScriptedSet {
  detail::WaitLine waiters;
  bool is_shared = false;
  std::deque<Result<Admission>> answers;
  int asked = 0;

  detail::WaitLine& line() noexcept { return waiters; }
  bool shared() const noexcept { return is_shared; }
  Result<Admission> admit(const Cost&, Instant, WallTime) {
    ++asked;
    if (answers.empty()) return admitted();
    auto a = std::move(answers.front());
    answers.pop_front();
    return a;
  }

  static Admission admitted() {
    Admission a;
    a.admitted = true;
    return a;
  }
  static Admission wait_for(Duration d) {
    Admission a;
    a.bound = Dimension::requests_per_minute;
    a.retry_after = d;
    return a;
  }
};

walk::Patience seat_patience(Duration p, std::optional<Instant> deadline = std::nullopt) {
  return walk::patience(seat_at, std::nullopt, p, deadline);
}

}  // namespace

TEST_CASE("walk::AdmissionSeat: an admitted call sends at once and holds its admission", "[walk][admission]") {
  ScriptedSet set;
  walk::AdmissionSeat<ScriptedSet> seat;
  const auto step = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules);
  CHECK(step.next == walk::Admit::send);
  CHECK(seat.admission().admitted);
  CHECK(set.waiters.empty());
  seat.release();
  CHECK_FALSE(seat.admission().admitted);
}

TEST_CASE("walk::AdmissionSeat: a wait within the patience is waited at the head of the line, then admitted",
          "[walk][admission]") {
  ScriptedSet set;
  set.answers.push_back(ScriptedSet::wait_for(2s));  // asked before joining
  set.answers.push_back(ScriptedSet::wait_for(2s));  // asked again as the head
  walk::AdmissionSeat<ScriptedSet> seat;
  const auto first = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules);
  REQUIRE(first.next == walk::Admit::wait);
  CHECK(first.at == seat_at + 2s);
  CHECK(set.waiters.size() == 1);
  CHECK(set.waiters.head_wake() == seat_at + 2s);  // those behind sleep until the head tries

  seat.wait_until(first.at, [] { return seat_at; });
  const auto then = seat.step(set, first.at, {}, Cost{}, seat_patience(60s), seat_rules);
  CHECK(then.next == walk::Admit::send);
  CHECK(set.waiters.empty());  // admitted: the line is left
  CHECK(seat.stop_waiting([&] { return first.at; }) == 2s);
  CHECK_FALSE(seat.stop_waiting([]() -> Instant { FAIL("not waiting: the clock is not read"); return {}; }));
}

TEST_CASE("walk::AdmissionSeat: a wait longer than the patience gives the candidate up and says how long",
          "[walk][admission]") {
  ScriptedSet set;
  set.answers.push_back(ScriptedSet::wait_for(90s));
  walk::AdmissionSeat<ScriptedSet> seat;
  seat.begin(seat_at);
  const auto step = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules);
  CHECK(step.next == walk::Admit::refused);
  CHECK(step.wait == 90s);
  CHECK_FALSE(step.past_deadline);
  CHECK(set.waiters.empty());

  // Within the patience, but past the caller's deadline: only the deadline gave it up.
  set.answers.push_back(ScriptedSet::wait_for(20s));
  const auto late = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s, seat_at + 10s), seat_rules);
  CHECK(late.next == walk::Admit::refused);
  CHECK(late.wait == 20s);
  CHECK(late.past_deadline);
}

TEST_CASE("walk::AdmissionSeat: a call behind the head of the line waits for the head, never past its patience",
          "[walk][admission]") {
  ScriptedSet set;
  auto head = set.waiters.join(0, 4).value();
  set.waiters.set_head_wake(head, seat_at + 3s);
  walk::AdmissionSeat<ScriptedSet> seat;
  const auto step = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules);
  CHECK(step.next == walk::Admit::wait);
  CHECK(step.at == seat_at + 3s);
  CHECK(set.asked == 0);  // only the head asks the set
  CHECK(set.waiters.size() == 2);

  const auto impatient = seat.step(set, seat_at, {}, Cost{}, seat_patience(1s), seat_rules);
  CHECK(impatient.next == walk::Admit::refused);
  CHECK(impatient.wait == 3s);
  seat.leave_line();
  CHECK(set.waiters.size() == 1);
  set.waiters.leave(head);
}

TEST_CASE("walk::AdmissionSeat: a seat destroyed while waiting leaves the line", "[walk][admission]") {
  ScriptedSet set;
  auto head = set.waiters.join(0, 4).value();
  {
    walk::AdmissionSeat<ScriptedSet> seat;
    REQUIRE(seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules).next == walk::Admit::wait);
    CHECK(set.waiters.size() == 2);
  }
  CHECK(set.waiters.size() == 1);
  set.waiters.leave(head);
}

TEST_CASE("walk::AdmissionSeat: a full wait line ends the call with queue_full", "[walk][admission]") {
  ScriptedSet set;
  auto head = set.waiters.join(0, 1).value();
  walk::AdmissionSeat<ScriptedSet> seat;
  const auto step = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_one_waiter);
  CHECK(step.next == walk::Admit::failed);
  CHECK(seat.take_error().code == Errc::queue_full);
  set.waiters.leave(head);
}

TEST_CASE("walk::AdmissionSeat: a set that can not admit the call refuses it outright, with its reason",
          "[walk][admission]") {
  ScriptedSet set;
  set.answers.push_back(tl::unexpected(Error{Errc::invalid_argument, "the prompt is over the token limit", {}}));
  walk::AdmissionSeat<ScriptedSet> seat;
  const auto step = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules);
  CHECK(step.next == walk::Admit::refused);
  CHECK_FALSE(step.wait);
  CHECK(seat.take_error().message == "the prompt is over the token limit");
  CHECK_FALSE(seat.store_refused());

  // A shared store out of reach refuses too, and the call remembers it: it ends so.
  set.answers.push_back(tl::unexpected(Error{Errc::io_error, "the store is unreachable", {}}));
  CHECK(seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules).next == walk::Admit::refused);
  REQUIRE(seat.store_refused());
  CHECK(seat.store_refused()->code == Errc::io_error);
}

TEST_CASE("walk::AdmissionSeat: an account spent in another process is skipped without waiting",
          "[walk][admission]") {
  ScriptedSet set;
  Admission spent;
  spent.exhausted_until = WallTime{} + 3600s;
  set.answers.push_back(std::move(spent));
  walk::AdmissionSeat<ScriptedSet> seat;
  const auto step = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules);
  CHECK(step.next == walk::Admit::spent_elsewhere);
  CHECK(step.spent_until == WallTime{} + 3600s);
  CHECK(set.waiters.empty());
}

TEST_CASE("walk::AdmissionSeat: asked to, a shared set is asked without blocking and its answer used",
          "[walk][admission]") {
  ScriptedSet set;
  set.is_shared = true;
  walk::AdmissionSeat<ScriptedSet> seat;
  seat.ask_asynchronously();
  const auto ask = seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules);
  CHECK(ask.next == walk::Admit::ask);
  CHECK(seat.asked_at() == seat_at);
  CHECK(set.asked == 0);
  seat.answer(ScriptedSet::admitted());
  CHECK(seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules).next == walk::Admit::send);
  CHECK(set.asked == 0);  // the store's answer, not a blocking ask

  // A set in this process answers at once, asked so or not.
  ScriptedSet local;
  walk::AdmissionSeat<ScriptedSet> other;
  other.ask_asynchronously();
  CHECK(other.step(local, seat_at, {}, Cost{}, seat_patience(60s), seat_rules).next == walk::Admit::send);
}

TEST_CASE("walk::AdmissionSeat: a retry begins its patience when its backoff ends", "[walk][admission]") {
  ScriptedSet set;
  walk::AdmissionSeat<ScriptedSet> seat;
  REQUIRE(seat.step(set, seat_at, {}, Cost{}, seat_patience(60s), seat_rules).next == walk::Admit::send);
  seat.retry_at(seat_at + 5s);
  CHECK(seat.wake_at() == seat_at + 5s);
  CHECK(seat.began() == seat_at + 5s);
  CHECK_FALSE(seat.admission().admitted);
}
