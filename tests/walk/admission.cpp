// The walk's admission arithmetic driven directly: how long a call may wait for a candidate,
// what a limit set's answer asks of it, and when a call behind the head of a line wakes.
#include <governed/walk/admission.hpp>

#include <catch2/catch.hpp>

using namespace governed;
using namespace std::chrono_literals;

namespace {

const Instant admit_t0 = Instant{} + 100s;

}  // namespace

TEST_CASE("walk::patience: the call's max_wait, else the total-wait cap; negative reads as 0", "[walk][admission]") {
  CHECK(walk::patience(admit_t0, 5s, 60s, std::nullopt).until == admit_t0 + 5s);
  CHECK(walk::patience(admit_t0, std::nullopt, 60s, std::nullopt).until == admit_t0 + 60s);
  CHECK(walk::patience(admit_t0, -3s, 60s, std::nullopt).until == admit_t0);
}

TEST_CASE("walk::Patience: the cap is inclusive to the microsecond, the deadline exact", "[walk][admission]") {
  const auto p = walk::patience(admit_t0, std::nullopt, 60s, std::nullopt);
  CHECK_FALSE(p.too_late(admit_t0 + 60s));
  // A 1 RPM limit admits its second request 60 s + 1 ns after the first: still within 60 s.
  CHECK_FALSE(p.too_late(admit_t0 + 60s + 1ns));
  CHECK_FALSE(p.too_late(admit_t0 + 60s + 999ns));
  CHECK(p.too_late(admit_t0 + 60s + 1us));
  CHECK(p.exceeded_by(admit_t0 + 61s));

  const auto d = walk::patience(admit_t0, std::nullopt, 60s, admit_t0 + 10s);
  CHECK_FALSE(d.too_late(admit_t0 + 10s));
  CHECK(d.too_late(admit_t0 + 10s + 1ns));     // the deadline is exact
  CHECK_FALSE(d.exceeded_by(admit_t0 + 11s));  // past the deadline, not past the patience
}

TEST_CASE("walk::admission_wait: admitted, a rate's wait, a concurrency poll, or no use waiting",
          "[walk][admission]") {
  Admission a;
  a.admitted = true;
  CHECK_FALSE(walk::admission_wait(a, 50ms));

  Admission rate;
  rate.bound = Dimension::requests_per_minute;
  rate.retry_after = 3s;
  CHECK(walk::admission_wait(rate, 50ms) == std::optional<Duration>(3s));

  Admission slot;
  slot.bound = Dimension::concurrency;
  slot.retry_after = 0s;
  CHECK(walk::admission_wait(slot, 50ms) == std::optional<Duration>(50ms));

  Admission spent;
  spent.exhausted_until = WallTime{} + 5h;
  CHECK(walk::admission_wait(spent, 50ms) == std::optional<Duration>(Duration::max()));
}

TEST_CASE("walk::wake_behind: when the head tries next, or a millisecond on when it is due", "[walk][admission]") {
  CHECK(walk::wake_behind(admit_t0 + 2s, admit_t0) == admit_t0 + 2s);
  CHECK(walk::wake_behind(admit_t0, admit_t0) == admit_t0 + 1ms);
  CHECK(walk::wake_behind(std::nullopt, admit_t0) == admit_t0 + 1ms);
}
