#include <governed/wire/sse.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace governed;

namespace {

struct Sse {
  std::string event, data, id;
  friend bool operator==(const Sse&, const Sse&) = default;
};

std::vector<Sse> parse_in_pieces(std::string_view text, std::size_t piece) {
  wire::SseParser p;
  std::vector<Sse> out;
  for (std::size_t i = 0; i < text.size(); i += piece)
    REQUIRE(p.feed(text.substr(i, piece), [&](const wire::SseEvent& e) {
      out.push_back({std::string(e.event), std::string(e.data), std::string(e.id)});
    }) == wire::SseParser::Status::ok);
  return out;
}

}  // namespace

TEST_CASE("sse: the same events whatever the split of the bytes", "[wire][sse]") {
  const std::string text =
      "\xEF\xBB\xBF: a comment\r\n"
      "event: message_start\r\n"
      "data: {\"a\":1}\r\n"
      "\r\n"
      "data: line one\n"
      "data: line two\n"
      "id: 7\n"
      "\n"
      "data:no space\r"
      "\r"
      "event: only-event\n"
      "\n"
      "data: [DONE]\n\n";
  const std::vector<Sse> want = {{"message_start", "{\"a\":1}", ""},
                                   {"message", "line one\nline two", "7"},
                                   {"message", "no space", "7"},
                                   {"message", "[DONE]", "7"}};
  for (std::size_t piece = 1; piece <= text.size(); ++piece) {
    INFO("pieces of " << piece << " bytes");
    CHECK(parse_in_pieces(text, piece) == want);
  }
}

TEST_CASE("sse: a CRLF split between reads is one line end", "[wire][sse]") {
  wire::SseParser p;
  std::vector<std::string> data;
  auto on = [&](const wire::SseEvent& e) { data.emplace_back(e.data); };
  p.feed("data: a\r", on);
  p.feed("\n\r", on);
  CHECK(data == std::vector<std::string>{"a"});
  p.feed("\ndata: b\r\n\r\n", on);
  CHECK(data == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(p.pending());
  p.feed("data: c", on);
  CHECK(p.pending());
}

TEST_CASE("sse: a line longer than the limit is an error, not a growing buffer", "[wire][sse]") {
  wire::SseParser p(1024);
  auto none = [](const wire::SseEvent&) { FAIL("no event expected"); };
  CHECK(p.feed(std::string(1000, 'x'), none) == wire::SseParser::Status::ok);
  CHECK(p.feed(std::string(100, 'x'), none) == wire::SseParser::Status::too_large);
  CHECK(p.feed("\n\n", none) == wire::SseParser::Status::too_large);

  wire::SseParser q(64);
  int events = 0;
  std::string many;
  for (int i = 0; i < 10; ++i) many += "data: 0123456789\n";
  CHECK(q.feed(many + "\n", [&](const wire::SseEvent&) { ++events; }) == wire::SseParser::Status::too_large);
  CHECK(events == 0);
}
