#include <governed/transport/http_options.hpp>
#include <governed/wire/stream.hpp>

#include <catch2/catch.hpp>

// transport::http builds its stream reader from HttpOptions::limits; the depth a user leaves
// alone must be the reader's own, so a stream read over HTTP stops where a reader fed the
// same bytes directly does.

TEST_CASE("http options: a streamed event's depth limit defaults to the stream reader's 64 levels",
          "[transport][http][limits]") {
  const governed::transport::HttpOptions options;
  CHECK(options.limits.event_depth == governed::wire::StreamReader::default_max_event_depth);
  CHECK(options.limits.event_depth == 64);
  CHECK(options.limits.event_bytes == governed::wire::SseParser::default_max_event_bytes);
}
