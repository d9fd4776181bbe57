#include <governed/transport/http_options.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/transport/http.hpp>

#include "../dialect/chat.hpp"
#include "test_server.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using namespace governed;
using governed_test::chat;
namespace gp = governed::providers;

// transport::http builds its stream reader from HttpOptions::limits; the depth a user leaves
// alone must be the reader's own, so a stream read over HTTP stops where a reader fed the
// same bytes directly does.

TEST_CASE("http options: a streamed event's depth limit defaults to the stream reader's 64 levels",
          "[transport][http][limits]") {
  const governed::transport::HttpOptions options;
  CHECK(options.limits.event_depth == governed::dialect::StreamReader::default_max_event_depth);
  CHECK(options.limits.event_depth == 64);
  CHECK(options.limits.event_bytes == governed::wire::SseParser::default_max_event_bytes);
}

// A hostile server's event far deeper than the limit ends the call; it is never parsed.
TEST_CASE("stream: a server's event nested 100 000 deep ends the call with a failure naming the depth limit",
          "[transport][http][limits]") {
  const std::string deep(100'000, '[');
  httptest::Server server([&](const httptest::Seen& seen) {
    // A stream request answered with a whole body as deep: read as no text, not a crash.
    if (seen.target.starts_with("/whole")) return httptest::Script{httptest::write(httptest::response(200, deep))};
    return httptest::sse({"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n", "data: " + deep + "\n\n"});
  });
  transport::http t{transport::HttpOptions{}};
  const Request req = chat();
  std::string shown;
  auto deep_event = t.stream({req, "openai", "gpt-4o", server.url("/v1"), "k"}, [&](std::string_view p) { shown += p; });
  REQUIRE(deep_event.failure);
  CHECK(*deep_event.failure == gp::NetworkFailure::closed_early);
  CHECK(deep_event.failure_detail == "an event of the stream nests deeper than 64 levels");
  CHECK(shown == "Hi");  // what was shown before stays shown

  auto whole = t.stream({req, "openai", "gpt-4o", server.url("/whole"), "k"}, [&](std::string_view p) { shown += p; });
  CHECK_FALSE(whole.failure);
  REQUIRE(whole.streamed);
  CHECK(whole.streamed->chunks == 0);
  CHECK(whole.body.size() == deep.size());
}
