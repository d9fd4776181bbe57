// Each dialect's two directions against each other: a request governed encodes is read back by
// governed-sim's reader (`dialect::decode_request`) as the same call, and a stream a home writes
// (`dialect::encode_stream`, what governed-sim sends) is read back by governed's stream reader
// as the same pieces and usage.
#include <governed/dialect/request.hpp>

#include <governed/dialect/format.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/dialect/route.hpp>
#include <governed/sim/stream.hpp>

#include <catch2/catch.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

using namespace governed;
namespace gp = governed::providers;

namespace {

/// A conversation every dialect carries without reshaping it: the one system message first,
/// then user and assistant turns.
Request round_trip_chat() {
  Request r;
  r.messages = {{"system", "Be brief."}, {"user", "Hello"}, {"assistant", "Hi."}, {"user", "Again, in French."}};
  r.max_tokens = 77;
  r.n = 2;
  return r;
}

struct RoundTripCase {
  gp::Dialect dialect;
  const char* base;
  const char* model;
  dialect::Format route;  ///< the API governed-sim routes the request to
};

constexpr RoundTripCase round_trip_cases[] = {
    {gp::Dialect::openai, "https://api.openai.com/v1", "gpt-4o", dialect::Format::openai},
    {gp::Dialect::groq, "https://api.groq.com/openai/v1", "llama-3.3-70b-versatile", dialect::Format::openai},
    {gp::Dialect::mistral, "https://api.mistral.ai/v1", "mistral-small-latest", dialect::Format::openai},
    {gp::Dialect::azure, "https://res.openai.azure.com/openai", "my-deployment", dialect::Format::azure},
    // Azure's v1 API is chat completions at the base URL, model in the body.
    {gp::Dialect::azure, "https://res.openai.azure.com/openai/v1", "gpt-4o", dialect::Format::openai},
    {gp::Dialect::anthropic, "https://api.anthropic.com/v1", "claude-sonnet-4-5", dialect::Format::anthropic},
    {gp::Dialect::gemini, "https://generativelanguage.googleapis.com/v1beta", "gemini-2.5-flash",
     dialect::Format::gemini},
};

/// The pieces and usage of one streamed answer, as the simulator holds it.
sim::Stream round_trip_stream() {
  sim::Stream s;
  s.pieces = {"Bonjour", ", ", "encore", " une fois."};
  s.usage = gp::Usage{.input_tokens = 12, .output_tokens = 9};
  return s;
}

/// The stream written by the home of `d` as far as it was sent, read whole by governed's reader of `d`.
dialect::StreamReader read_back(const sim::Stream& s, gp::Dialect d, std::vector<std::string>& shown) {
  const dialect::StreamFrame frame{
      .dialect = d, .id = "stream-7", .model = "model", .n = 1, .include_usage = true, .usage = s.usage, .complete = !s.broken_after};
  const dialect::FramedStream framed = dialect::encode_stream(std::span(s.pieces).first(s.sent()), frame);
  dialect::StreamReader reader{d};
  for (const auto& e : framed.events) reader.feed(e, [&](std::string_view piece) { shown.emplace_back(piece); });
  return reader;
}

}  // namespace

TEST_CASE("round trip: a request each dialect encodes is read by governed-sim as the same call",
          "[dialect][round_trip]") {
  const Request req = round_trip_chat();
  for (const auto& c : round_trip_cases) {
    for (const bool stream : {false, true}) {
      INFO(c.base << (stream ? " stream" : ""));
      const auto encoded = dialect::encode_request({req, "provider", c.model, c.base, "k"}, c.dialect, {}, stream);
      REQUIRE(encoded);
      const auto route = dialect::route_of(encoded->target);
      REQUIRE(route);
      CHECK(route->format == c.route);
      const auto call = dialect::decode_request(encoded->body, *route);
      REQUIRE(call);
      CHECK(call->model == c.model);
      CHECK(call->roles == std::vector<std::string>{"system", "user", "assistant", "user"});
      CHECK(call->contents == std::vector<std::string>{"Be brief.", "Hello", "Hi.", "Again, in French."});
      CHECK(call->max_tokens == 77);
      // Anthropic's messages have no `n`: one answer per call.
      CHECK(call->n == (c.dialect == gp::Dialect::anthropic ? 1u : 2u));
      CHECK(call->stream == stream);
      // Every dialect's stream reports usage; Mistral's without being asked.
      if (stream && c.dialect != gp::Dialect::mistral) CHECK(call->include_usage);
    }
  }
}

TEST_CASE("round trip: the key each format writes reads back with key_of, and no key when keyless",
          "[dialect][round_trip]") {
  const Request req = round_trip_chat();
  for (const auto& c : round_trip_cases) {
    for (const std::string key : {"sk-round-trip-0001", ""}) {
      INFO(c.base << (key.empty() ? " keyless" : ""));
      const auto encoded = dialect::encode_request({req, "provider", c.model, c.base, key}, c.dialect, {}, false);
      REQUIRE(encoded);
      auto route = dialect::route_of(encoded->target);
      REQUIRE(route);
      // Read in the format that wrote it: Azure's v1 API routes as chat completions but keeps
      // its `api-key` header.
      route->format = dialect::format_of(c.dialect);
      const auto header = [&](std::string_view name) { return encoded->header(name); };
      CHECK(dialect::key_of(header, *route) == key);
    }
  }
}

TEST_CASE("round trip: a stream governed-sim writes in each dialect reads back as its pieces and usage",
          "[dialect][round_trip]") {
  const sim::Stream s = round_trip_stream();
  for (const gp::Dialect d : {gp::Dialect::openai, gp::Dialect::groq, gp::Dialect::mistral, gp::Dialect::azure,
                              gp::Dialect::anthropic, gp::Dialect::gemini}) {
    INFO(dialect::to_string(dialect::format_of(d)) << " " << int(d));
    std::vector<std::string> shown;
    const dialect::StreamReader reader = read_back(s, d, shown);
    CHECK(reader.problem() == dialect::StreamReader::Problem::none);
    CHECK(reader.complete());
    CHECK(shown == s.pieces);
    CHECK(reader.streamed().content == s.text());
    REQUIRE(reader.streamed().usage);
    CHECK(reader.streamed().usage->input_tokens == 12);
    CHECK(reader.streamed().usage->output_tokens == 9);
  }
}

TEST_CASE("round trip: a stream governed-sim breaks off reads back as incomplete, with what was sent",
          "[dialect][round_trip]") {
  sim::Stream s = round_trip_stream();
  s.broken_after = 2;
  for (const gp::Dialect d : {gp::Dialect::openai, gp::Dialect::anthropic, gp::Dialect::gemini}) {
    INFO(dialect::to_string(dialect::format_of(d)));
    std::vector<std::string> shown;
    const dialect::StreamReader reader = read_back(s, d, shown);
    CHECK(reader.problem() == dialect::StreamReader::Problem::none);
    CHECK(shown == std::vector<std::string>{"Bonjour", ", "});
    // Gemini has no end marker: a cut stream reads as whole, and the transport's body end decides.
    if (d != gp::Dialect::gemini) CHECK_FALSE(reader.complete());
  }
}

TEST_CASE("round trip: a stream each home writes in n choices keeps the cache's tokens in its usage",
          "[dialect][round_trip]") {
  const std::vector<std::string> pieces{"One", " two"};
  const gp::Usage usage{.input_tokens = 100, .cached_input_tokens = 30, .cache_write_tokens = 20, .output_tokens = 7};
  for (const gp::Dialect d : {gp::Dialect::openai, gp::Dialect::anthropic, gp::Dialect::gemini}) {
    INFO(dialect::to_string(dialect::format_of(d)));
    const dialect::StreamFrame frame{.dialect = d, .id = "s-1", .model = "model", .n = 3, .include_usage = true, .usage = usage};
    dialect::StreamReader reader{d};
    std::string shown;
    for (const auto& e : dialect::encode_stream(pieces, frame).events) reader.feed(e, [&](std::string_view p) { shown += p; });
    CHECK(reader.complete());
    CHECK(shown == "One two");  // the first choice's text, once
    REQUIRE(reader.streamed().usage);
    CHECK(reader.streamed().usage->input_tokens == 100);
    CHECK(reader.streamed().usage->output_tokens == 7);
    if (d == gp::Dialect::anthropic) CHECK(*reader.streamed().usage == usage);  // only Anthropic's stream says the cache's share
  }
}
