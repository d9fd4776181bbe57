#include <governed/sim/time_text.hpp>

#include <governed/providers/wait.hpp>

#include <catch2/catch.hpp>

using namespace governed;
using namespace std::chrono_literals;

TEST_CASE("Go durations as OpenAI and Groq print them, read back exactly", "[sim][wire]") {
  CHECK(sim::time_text::go_duration(0s) == "0s");
  CHECK(sim::time_text::go_duration(-3s) == "0s");
  CHECK(sim::time_text::go_duration(644ms) == "644ms");
  CHECK(sim::time_text::go_duration(1ns) == "1ms");  // rounded up, never early
  CHECK(sim::time_text::go_duration(5289ms) == "5.289s");
  CHECK(sim::time_text::go_duration(6min) == "6m0s");
  CHECK(sim::time_text::go_duration(22min + 46s + 848ms) == "22m46.848s");
  CHECK(sim::time_text::go_duration(1h + 2min + 3s) == "1h2m3s");
  for (Duration d : {Duration{644ms}, Duration{5289ms}, Duration{22min + 46s + 848ms}, Duration{26h}})
    CHECK(providers::parse_go_duration(sim::time_text::go_duration(d)) == d);
}

TEST_CASE("retry-after, dates and protobuf durations", "[sim][wire]") {
  CHECK(sim::time_text::ceil_seconds(120ms) == 1);
  CHECK(sim::time_text::ceil_seconds(2s) == 2);
  CHECK(sim::time_text::ceil_seconds(-1s) == 0);
  CHECK(sim::time_text::proto_duration(26s) == "26s");
  CHECK(sim::time_text::proto_duration(250ms) == "0.25s");
  const WallTime t{std::chrono::seconds{1711483199} + 400ms};
  CHECK(sim::time_text::http_date(t) == "Tue, 26 Mar 2024 19:59:59 GMT");
  CHECK(sim::time_text::rfc3339(t) == "2024-03-26T20:00:00Z");
  CHECK(providers::parse_http_date(sim::time_text::http_date(t)) == WallTime{std::chrono::seconds{1711483199}});
  CHECK(sim::time_text::epoch_ms(t) == 1711483199400);
}
