// walk::HeldBack driven directly: what "nothing left" says, by what held the candidates back.
#include <governed/walk/held_back.hpp>

#include <catch2/catch.hpp>

using namespace governed;
using namespace std::chrono_literals;
using walk::Holdup;

TEST_CASE("walk::HeldBack: nothing remembered, nothing held", "[walk][held_back]") {
  walk::HeldBack h;
  CHECK_FALSE(h.any());
}

TEST_CASE("walk::HeldBack: rate limits give all_rate_limited with the soonest wait", "[walk][held_back]") {
  walk::HeldBack h;
  h.remember(40s);
  h.remember(12s);
  h.remember(-3s + 20s);
  REQUIRE(h.any());
  const Error e = h.error();
  CHECK(e.code == Errc::all_rate_limited);
  CHECK(e.retry_after == std::optional<Duration>(12s));
  CHECK(e.message == providers::all_rate_limited_message(12s));
}

TEST_CASE("walk::HeldBack: the code follows the soonest, the message every kind met", "[walk][held_back]") {
  walk::HeldBack h;
  h.remember(30s, Holdup::rate_limit);
  h.remember(5s, Holdup::failing);
  const Error e = h.error();
  CHECK(e.code == Errc::io_error);
  CHECK(e.retry_after == std::optional<Duration>(5s));
  CHECK(e.message == providers::all_limited_or_failing_message(5s));

  walk::HeldBack failing;
  failing.remember(5s, Holdup::failing);
  CHECK(failing.error().message == providers::all_failing_message(5s));

  walk::HeldBack unreachable;
  unreachable.remember(-1s, Holdup::unreachable);  // a negative wait reads as 0
  CHECK(unreachable.error().code == Errc::io_error);
  CHECK(unreachable.error().retry_after == std::optional<Duration>(0s));
  CHECK(unreachable.error().message == providers::none_reachable_message(0s));
}

TEST_CASE("walk::HeldBack: held only by the caller's deadline, the call timed out", "[walk][held_back]") {
  walk::HeldBack h;
  h.remember(8s, Holdup::rate_limit, true);
  CHECK(h.error().code == Errc::timed_out);
  CHECK(h.error().message == providers::deadline_before_any_message(8s));
  // Held otherwise too: the limits speak.
  h.remember(20s, Holdup::rate_limit, false);
  CHECK(h.error().code == Errc::all_rate_limited);
  CHECK(h.error().retry_after == std::optional<Duration>(8s));
}
