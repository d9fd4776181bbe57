#include <governed/wire/time.hpp>

#include <catch2/catch.hpp>

#include <date/date.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;

namespace {

WallTime utc_at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return WallTime{date::sys_days{date::year{y} / mo / d}.time_since_epoch()} + std::chrono::hours{h} +
         std::chrono::minutes{mi} + std::chrono::seconds{s};
}

/// `d` rounded up to the millisecond, as every writer of a wait rounds it.
Duration up_to_ms(Duration d) { return std::chrono::ceil<std::chrono::milliseconds>(d); }

/// Waits from a nanosecond to `max_usable_wait`, each unit's edges and odd values between.
std::vector<Duration> wait_sweep() {
  std::vector<Duration> out{1ns, 999us, 1ms, 999ms + 999us, 1s, 59s + 999ms, 1min, 59min + 59s + 999ms, 1h,
                            23h + 59min + 59s + 1ms, 24h + 1ns, wire::max_usable_wait - 1ms, wire::max_usable_wait};
  // A geometric sweep: each step half again as long, with a remainder that is not whole.
  for (Duration d = 7ns; d <= wire::max_usable_wait; d = d + d / 2 + 13ns) out.push_back(d);
  return out;
}

}  // namespace

TEST_CASE("Go durations from reset headers", "[wire][time]") {
  CHECK(wire::parse_go_duration("6m0s") == Duration{6min});
  CHECK(wire::parse_go_duration("1.5s") == Duration{1500ms});
  CHECK(wire::parse_go_duration("20ms") == Duration{20ms});
  CHECK(wire::parse_go_duration("2m59.56s") == Duration{179560ms});
  CHECK(wire::parse_go_duration("50.597142857s") == Duration{50'597'142'857ns});
  CHECK(wire::parse_go_duration("1h2m3s") == Duration{3723s});
  CHECK(wire::parse_go_duration("7") == Duration{7s});
  CHECK(wire::parse_go_duration("300us") == Duration{300us});
  CHECK(wire::parse_go_duration("0") == Duration{0s});
  for (const char* bad : {"", "s", "-1s", "5x", "1.s", "5m3", "abc", "1e9s", "9999999999h", "1..5s"})
    CHECK_FALSE(wire::parse_go_duration(bad));
}

TEST_CASE("retry-after: seconds, HTTP-dates, nonsense", "[wire][time]") {
  const WallTime now = utc_at(2023, 9, 29, 16, 26, 37);
  CHECK(wire::parse_retry_after("2", std::nullopt, now) == Duration{2s});
  CHECK(wire::parse_retry_after(" 0.5 ", std::nullopt, now) == Duration{500ms});
  CHECK_FALSE(wire::parse_retry_after("-10", std::nullopt, now));
  CHECK_FALSE(wire::parse_retry_after("99999999999999999999999999999999999", std::nullopt, now));
  CHECK_FALSE(wire::parse_retry_after("soon", std::nullopt, now));
  // An HTTP-date is read against the reply's own date, so local clock skew does not matter.
  const auto reply_date = wire::parse_http_date("Fri, 29 Sep 2023 16:26:37 GMT");
  REQUIRE(reply_date == now);
  CHECK(wire::parse_retry_after("Fri, 29 Sep 2023 16:27:07 GMT", reply_date, now + 1h) == Duration{30s});
  CHECK_FALSE(wire::parse_retry_after("Fri, 29 Sep 2023 16:00:00 GMT", reply_date, now));
  CHECK(wire::parse_http_date("Friday, 29-Sep-23 16:26:37 GMT") == now);
  CHECK(wire::parse_http_date("Fri Sep 29 16:26:37 2023") == now);
  CHECK_FALSE(wire::parse_http_date("Fri, 31 Feb 2023 16:26:37 GMT"));
  CHECK_FALSE(wire::parse_http_date("yesterday"));
}

TEST_CASE("RFC 3339 reset times", "[wire][time]") {
  CHECK(wire::parse_rfc3339("2024-03-26T20:00:00Z") == utc_at(2024, 3, 26, 20));
  CHECK(wire::parse_rfc3339("2024-03-26T20:00:00.250Z") == utc_at(2024, 3, 26, 20) + 250ms);
  CHECK(wire::parse_rfc3339("2024-03-26T22:00:00+02:00") == utc_at(2024, 3, 26, 20));
  CHECK_FALSE(wire::parse_rfc3339("2024-03-26T20:00:00"));
  CHECK_FALSE(wire::parse_rfc3339("2024-13-26T20:00:00Z"));
  CHECK_FALSE(wire::parse_rfc3339("2024-03-26"));
}

TEST_CASE("Go durations as OpenAI and Groq print them, read back exactly", "[wire][time]") {
  CHECK(wire::go_duration(0s) == "0s");
  CHECK(wire::go_duration(-3s) == "0s");
  CHECK(wire::go_duration(644ms) == "644ms");
  CHECK(wire::go_duration(1ns) == "1ms");  // rounded up, never early
  CHECK(wire::go_duration(5289ms) == "5.289s");
  CHECK(wire::go_duration(6min) == "6m0s");
  CHECK(wire::go_duration(22min + 46s + 848ms) == "22m46.848s");
  CHECK(wire::go_duration(1h + 2min + 3s) == "1h2m3s");
  for (Duration d : {Duration{644ms}, Duration{5289ms}, Duration{22min + 46s + 848ms}, Duration{26h}})
    CHECK(wire::parse_go_duration(wire::go_duration(d)) == d);
}

TEST_CASE("retry-after, dates and protobuf durations", "[wire][time]") {
  CHECK(wire::delay_seconds(120ms) == 1);
  CHECK(wire::delay_seconds(2s) == 2);
  CHECK(wire::delay_seconds(-1s) == 0);
  CHECK(wire::proto_duration(26s) == "26s");
  CHECK(wire::proto_duration(250ms) == "0.25s");
  const WallTime t{std::chrono::seconds{1711483199} + 400ms};
  CHECK(wire::http_date(t) == "Tue, 26 Mar 2024 19:59:59 GMT");
  CHECK(wire::rfc3339(t) == "2024-03-26T20:00:00Z");
  CHECK(wire::parse_http_date(wire::http_date(t)) == WallTime{std::chrono::seconds{1711483199}});
  CHECK(wire::epoch_ms(t) == 1711483199400);
}

TEST_CASE("a wait written as a Go duration reads back as the wait rounded up to the millisecond", "[wire][time]") {
  for (const Duration d : wait_sweep()) {
    INFO(d.count() << " ns written as " << wire::go_duration(d));
    CHECK(wire::parse_go_duration(wire::go_duration(d)) == up_to_ms(d));
  }
}

TEST_CASE("a wait written as a protobuf duration reads back as the wait rounded up to the millisecond",
          "[wire][time]") {
  for (const Duration d : wait_sweep()) {
    INFO(d.count() << " ns written as " << wire::proto_duration(d));
    CHECK(wire::parse_go_duration(wire::proto_duration(d)) == up_to_ms(d));
  }
}

TEST_CASE("retry-after and retry-after-ms read back as the wait rounded up, never shorter", "[wire][time]") {
  for (const Duration d : wait_sweep()) {
    INFO(d.count() << " ns");
    const auto seconds = wire::parse_number_wait(std::to_string(wire::delay_seconds(d)));
    REQUIRE(seconds);
    CHECK(*seconds == std::chrono::ceil<std::chrono::seconds>(d));
    CHECK(*seconds >= d);
    const auto ms = wire::parse_number_wait(std::to_string(wire::delay_ms(d)), 1ms);
    REQUIRE(ms);
    CHECK(*ms == up_to_ms(d));
  }
  // retry-after as a client reads it, whole: the same wait.
  const WallTime now = utc_at(2024, 3, 26, 19, 59, 59);
  CHECK(wire::parse_retry_after(std::to_string(wire::delay_seconds(1500ms)), std::nullopt, now) == Duration{2s});
}

TEST_CASE("HTTP-dates and RFC 3339 read back at whole seconds", "[wire][time]") {
  const WallTime first = utc_at(1970, 1, 1), last = utc_at(2199, 12, 31, 23, 59, 59);
  // Every day of a leap year and then a step of a prime number of seconds across two centuries.
  std::vector<WallTime> times;
  for (int day = 0; day < 366; ++day) times.push_back(utc_at(2024, 1, 1) + day * 24h + 12h + 34min + 56s);
  for (WallTime t = first; t <= last; t += 9'999'991s) times.push_back(t);
  for (const WallTime t : times) {
    const WallTime whole = std::chrono::floor<std::chrono::seconds>(t);
    INFO(wire::http_date(t));
    CHECK(wire::parse_http_date(wire::http_date(t)) == whole);
    CHECK(wire::parse_rfc3339(wire::rfc3339(t)) == whole);
    // A time between seconds: the date is the second it is in, the RFC 3339 reset the next one.
    const WallTime between = whole + 400ms;
    CHECK(wire::parse_http_date(wire::http_date(between)) == whole);
    CHECK(wire::parse_rfc3339(wire::rfc3339(between)) == whole + 1s);
  }
}

TEST_CASE("epoch milliseconds are the time rounded up to the millisecond", "[wire][time]") {
  const WallTime t = utc_at(2024, 3, 26, 19, 59, 59) + 400ms + 1ns;
  CHECK(wire::epoch_ms(t) == 1711483199401);
  CHECK(WallTime{std::chrono::milliseconds{wire::epoch_ms(t)}} >= t);
  CHECK(wire::epoch_ms(utc_at(1970, 1, 1)) == 0);
}
