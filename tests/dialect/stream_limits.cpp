#include <governed/dialect/stream.hpp>

#include <governed/dialect/error.hpp>
#include <governed/providers/error_body.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

// The stream readers transport::http reads a provider's answer with, fed what a hostile or
// broken server may send: events nested far deeper than any provider's, and errors whose
// JSON would have to be written out again. Reachable without sockets: the reader takes bytes.

using namespace governed;
namespace gp = governed::providers;

namespace {

std::string deep_arrays(std::size_t n) { return std::string(n, '['); }

std::string deep_objects(std::size_t n) {
  std::string s;
  s.reserve(n * 5);
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  return s;
}

/// `levels` nested objects, closed: valid JSON with a value at the bottom.
std::string closed_objects(std::size_t levels) { return deep_objects(levels) + "1" + std::string(levels, '}'); }

std::string sse_event(std::string_view data, std::string_view event = {}) {
  std::string s;
  if (!event.empty()) s.append("event: ").append(event).append("\n");
  return s.append("data: ").append(data).append("\n\n");
}

}  // namespace

TEST_CASE("stream: an event nested 100 000 deep stops the stream as too deep, in every dialect, without a crash",
          "[dialect][stream][limits]") {
  for (gp::Dialect d : {gp::Dialect::openai, gp::Dialect::groq, gp::Dialect::anthropic, gp::Dialect::gemini}) {
    // Open and closed: a closed one is valid JSON, which the reader once parsed and then
    // wrote out again as the error body, recursing 100 000 deep.
    for (const std::string& data : {deep_arrays(100'000), deep_objects(100'000), "{\"error\":" + deep_objects(100'000),
                                    "{\"type\":\"error\",\"error\":" + closed_objects(100'000) + "}"}) {
      dialect::StreamReader r{d};
      std::string text;
      CHECK(r.feed(sse_event("{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}"), [&](std::string_view p) { text += p; }));
      CHECK_FALSE(r.feed(sse_event(data, d == gp::Dialect::anthropic ? "error" : ""), [&](std::string_view p) { text += p; }));
      CHECK(r.problem() == dialect::StreamReader::Problem::too_deep);
      CHECK(r.error_body().empty());
      CHECK_FALSE(r.complete());
      // What came before the deep event stays the caller's.
      if (d != gp::Dialect::anthropic && d != gp::Dialect::gemini) CHECK(text == "Hi");
    }
  }
}

TEST_CASE("stream: the event depth limit is the reader's option, 64 levels by default", "[dialect][stream][limits]") {
  CHECK(dialect::StreamReader::default_max_event_depth == 64);
  const std::string at_limit = "{\"error\":" + closed_objects(63) + "}";  // 64 levels
  const std::string past_limit = "{\"error\":" + closed_objects(64) + "}";

  dialect::StreamReader defaults{gp::Dialect::openai};
  CHECK_FALSE(defaults.feed(sse_event(at_limit), [](std::string_view) {}));
  CHECK(defaults.problem() == dialect::StreamReader::Problem::error_event);

  dialect::StreamReader strict{gp::Dialect::openai, wire::SseParser::default_max_event_bytes, 8};
  CHECK(strict.max_event_depth() == 8);
  CHECK_FALSE(strict.feed(sse_event(at_limit), [](std::string_view) {}));
  CHECK(strict.problem() == dialect::StreamReader::Problem::too_deep);

  dialect::StreamReader past{gp::Dialect::openai};
  CHECK_FALSE(past.feed(sse_event(past_limit), [](std::string_view) {}));
  CHECK(past.problem() == dialect::StreamReader::Problem::too_deep);
}

TEST_CASE("stream: an error event is kept as the server sent it, never written out again", "[dialect][stream][limits]") {
  // Within the limit but deep: the old reader dumped the parsed tree, recursing on its depth.
  const std::string openai = R"({"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded","x":)" +
                             closed_objects(60) + "}}";
  const std::string anthropic = R"({"type": "error",  "error": {"type": "overloaded_error", "message": "Overloaded"}})";
  const std::string gemini = R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})";
  struct Case {
    gp::Dialect dialect;
    std::string data;
    std::string_view event;
  };
  for (const auto& [d, data, event] : {Case{gp::Dialect::openai, openai, ""}, Case{gp::Dialect::anthropic, anthropic, "error"},
                                       Case{gp::Dialect::gemini, gemini, ""}}) {
    dialect::StreamReader r{d};
    CHECK_FALSE(r.feed(sse_event(data, event), [](std::string_view) {}));
    CHECK(r.problem() == dialect::StreamReader::Problem::error_event);
    CHECK(r.error_body() == data);  // byte for byte, the spacing included
  }
}

TEST_CASE("stream: an error event kept as sent reads as the provider's error", "[dialect][stream][limits]") {
  dialect::StreamReader r{gp::Dialect::anthropic};
  CHECK_FALSE(r.feed(sse_event(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", "error"),
                     [](std::string_view) {}));
  const gp::ErrorBody e = governed::dialect::decode_error(r.error_body());
  CHECK(e.json);
  CHECK(e.type == "overloaded_error");
  CHECK(e.message == "Overloaded");
}
