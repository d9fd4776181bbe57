// W3C trace context: what a caller's `traceparent` may be, and the header a call sends.
#include <governed/trace.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using governed::parse_traceparent;

TEST_CASE("a traceparent is read into its trace id, parent id and flags, and written back the same",
          "[trace]") {
  const std::string_view header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto c = parse_traceparent(header);
  REQUIRE(c);
  CHECK(c->trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(c->parent_id.hex() == "00f067aa0ba902b7");
  CHECK(c->flags == 0x01);
  const auto out = c->header();
  CHECK(std::string_view(out.data(), out.size()) == header);

  // Every byte value survives the hex round trip.
  governed::TraceContext all;
  for (std::size_t i = 0; i < 16; ++i) all.trace_id.bytes[i] = static_cast<std::uint8_t>(i * 17);
  for (std::size_t i = 0; i < 8; ++i) all.parent_id.bytes[i] = static_cast<std::uint8_t>(0xff - i * 31);
  all.flags = 0xa5;
  const auto written = all.header();
  auto read = parse_traceparent(std::string_view(written.data(), written.size()));
  REQUIRE(read);
  CHECK(read->trace_id == all.trace_id);
  CHECK(read->parent_id == all.parent_id);
  CHECK(read->flags == 0xa5);
}

TEST_CASE("a malformed traceparent is refused saying what is wrong", "[trace]") {
  const auto why = [](std::string_view s) {
    auto c = parse_traceparent(s);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == governed::Errc::invalid_argument);
    return c.error().message;
  };
  CHECK_THAT(why(""), Catch::Contains("too short"));
  CHECK_THAT(why("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"), Catch::Contains("too short"));
  CHECK_THAT(why("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), Catch::Contains("trace id"));
  CHECK_THAT(why("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), Catch::Contains("all zeros"));
  CHECK_THAT(why("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"), Catch::Contains("all zeros"));
  CHECK_THAT(why("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), Catch::Contains("version ff"));
  CHECK_THAT(why("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"), Catch::Contains("separated"));
  CHECK_THAT(why("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"), Catch::Contains("exactly 55"));
  CHECK_THAT(why("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz"), Catch::Contains("flags"));
  // A later version may carry more after the flags, behind a '-'.
  CHECK(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later"));
  CHECK_THAT(why("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01later"), Catch::Contains("follow a '-'"));
}

TEST_CASE("a random trace id is never all zeros, even from a source that draws zeros first", "[trace]") {
  int draws = 0;
  governed::TraceId id;
  governed::random_id(id, [&]() -> std::uint64_t { return ++draws <= 2 ? 0 : 0x0123456789abcdefULL; });
  CHECK(id.valid());
  CHECK(draws == 4);  // the all-zero id (two draws) was drawn again
}
