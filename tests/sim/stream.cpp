#include <governed/sim/stream.hpp>

#include "helpers.hpp"

#include <governed/transport/simulated.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace simtest;
namespace gp = governed::providers;

static_assert(transport::StreamingTransport<transport::simulated<clock::manual>>);

namespace {

Request stream_hello_request(std::string model) {
  Request r;
  r.model = std::move(model);
  r.messages = {{"user", "Say hello."}};
  r.max_tokens = 64;
  return r;
}

sim::ProviderReply stream_call(sim::Provider& p, const clock::manual& c, std::string_view key, std::string_view model) {
  return p.handle(sim::Call{model, key, hello(), 64, 1, true}, c.now(), c.wall_now());
}

}  // namespace

TEST_CASE("sim: split_pieces cuts words with the whitespace after them", "[transport][sim][stream]") {
  using V = std::vector<std::string>;
  CHECK(sim::split_pieces("This is a simulated completion.") == V{"This ", "is ", "a ", "simulated ", "completion."});
  CHECK(sim::split_pieces("  lead  and\ntrail \n") == V{"  lead  ", "and\n", "trail \n"});
  CHECK(sim::split_pieces("one") == V{"one"});
  CHECK(sim::split_pieces("").empty());
  for (std::string_view text : {"a  b", " x", "héllo wörld ", "\n\n"}) {
    std::string joined;
    for (const auto& p : sim::split_pieces(text)) {
      CHECK_FALSE(p.empty());
      joined += p;
    }
    CHECK(joined == text);
  }
}

TEST_CASE("sim: an accepted stream is pieces and a final usage; refusals answer as any call", "[transport][sim][stream]") {
  clock::manual c;
  auto p = make({.provider = "anthropic", .keys = {{.key = "sk-ant-test-a", .account = "ws-a"}}, .limits = {.rpm = 1}});
  const sim::ProviderReply r = stream_call(*p, c, "sk-ant-test-a", "claude-sonnet-4-5");
  REQUIRE(r.status == 200);
  CHECK(r.body.empty());
  CHECK(r.header("content-type") == std::optional<std::string_view>("text/event-stream"));
  CHECK(r.header("anthropic-ratelimit-requests-remaining"));
  REQUIRE(r.stream);
  CHECK(r.stream->text() == p->config().completion_text);
  CHECK(r.stream->sent() == r.stream->pieces.size());
  REQUIRE(r.stream->usage);
  CHECK(r.stream->usage->output_tokens == 64);
  CHECK(r.stream->usage->input_tokens == p->log()[0].input_tokens);

  // The limit counts a stream as a call: the next one is refused with the dialect's 429.
  const sim::ProviderReply limited = stream_call(*p, c, "sk-ant-test-a", "claude-sonnet-4-5");
  CHECK(limited.status == 429);
  CHECK_FALSE(limited.stream);
  CHECK(classify(*p, limited, c.wall_now()).kind == gp::Kind::rate_limit_requests);
  // A bad key: 401, no stream.
  CHECK(stream_call(*p, c, "nope", "claude-sonnet-4-5").status == 401);
}

TEST_CASE("sim: break_stream cuts the next stream of a model after k pieces, once", "[transport][sim][stream]") {
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1", .account = "org-a"}}});
  p->break_stream("gpt-4o", 2);
  // Another model's stream and a plain call do not use it up.
  CHECK_FALSE(stream_call(*p, c, "sk-test-a1", "gpt-4o-mini").stream->broken_after);
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o").status == 200);

  const sim::ProviderReply broken = stream_call(*p, c, "sk-test-a1", "gpt-4o");
  REQUIRE(broken.stream);
  CHECK(broken.stream->broken_after == 2u);
  CHECK(broken.stream->sent() == 2);
  CHECK_FALSE(broken.stream->usage);
  CHECK(p->log().back().outcome == sim::Outcome::broken);
  CHECK(p->log().back().output_tokens == 64);  // generated and counted before the drop

  const sim::ProviderReply whole = stream_call(*p, c, "sk-test-a1", "gpt-4o");
  REQUIRE(whole.stream);
  CHECK_FALSE(whole.stream->broken_after);
  CHECK(whole.stream->usage);
}

TEST_CASE("sim: stream_usage false ends a stream without usage", "[transport][sim][stream]") {
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}, .stream_usage = false});
  const sim::ProviderReply r = stream_call(*p, c, "sk-test-a1", "gpt-4o");
  REQUIRE(r.stream);
  CHECK_FALSE(r.stream->usage);
  CHECK(r.stream->text() == p->config().completion_text);
}

TEST_CASE("sim: a canned success answering a stream is streamed from its body", "[transport][sim][stream]") {
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}});
  p->push_reply("gpt-4o", sim::ProviderReply{200, {},
                                     R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Two words"}}],)"
                                     R"("usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})",
                                     {}});
  const sim::ProviderReply r = stream_call(*p, c, "sk-test-a1", "gpt-4o");
  REQUIRE(r.stream);
  CHECK(r.stream->pieces == std::vector<std::string>{"Two ", "words"});
  REQUIRE(r.stream->usage);
  CHECK(r.stream->usage->input_tokens == 9);
  CHECK(r.stream->usage->output_tokens == 2);
}

TEST_CASE("simulated: stream hands the pieces over in order and reports what was shown", "[transport][simulated][stream]") {
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}});
  transport::simulated t{c, {p}};
  const Request req = stream_hello_request("gpt-4o");
  std::vector<std::string> seen;
  transport::ChunkSink sink = [&](std::string_view piece) { seen.emplace_back(piece); };

  transport::Reply r = t.stream({req, "openai", "gpt-4o", "", "sk-test-a1"}, sink);
  CHECK(r.status == 200);
  CHECK_FALSE(r.failure);
  REQUIRE(r.streamed);
  CHECK(seen == std::vector<std::string>{"This ", "is ", "a ", "simulated ", "completion."});
  CHECK(r.streamed->chunks == 5);
  CHECK(r.streamed->content == "This is a simulated completion.");
  REQUIRE(r.streamed->usage);
  CHECK(r.streamed->usage->output_tokens == 64);

  // Broken after one piece: a failure after output.
  seen.clear();
  p->break_stream("gpt-4o", 1);
  transport::Reply broken = t.stream({req, "openai", "gpt-4o", "", "sk-test-a1"}, sink);
  REQUIRE(broken.failure);
  CHECK(*broken.failure == gp::NetworkFailure::closed_early);
  CHECK(broken.streamed->chunks == 1);
  CHECK(seen == std::vector<std::string>{"This "});
  CHECK_FALSE(broken.streamed->usage);

  // Refused before it began: nothing shown, the error body to classify.
  seen.clear();
  transport::Reply refused = t.stream({req, "openai", "gpt-4o", "", "wrong"}, sink);
  CHECK(refused.status == 401);
  REQUIRE(refused.streamed);
  CHECK(refused.streamed->chunks == 0);
  CHECK_FALSE(refused.body.empty());
  CHECK(seen.empty());

  // Nobody simulates it: a refused connection.
  transport::Reply none = t.stream({req, "anthropic", "claude", "", "k"}, sink);
  REQUIRE(none.failure);
  CHECK(*none.failure == gp::NetworkFailure::connect_refused);
}

TEST_CASE("simulated: async_stream posts the pieces and the completion together", "[transport][simulated][stream]") {
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}});
  boost::asio::io_context io;
  transport::simulated t{c, {p}, io.get_executor()};
  std::vector<std::string> seen;
  std::optional<transport::Reply> got;
  {
    // The attempt's request is borrowed only for the call.
    const Request req = stream_hello_request("gpt-4o");
    t.async_stream({req, "openai", "gpt-4o", "", "sk-test-a1"}, [&](std::string_view piece) { seen.emplace_back(piece); },
                   [&](transport::Reply r) {
                     CHECK(seen.size() == 5);
                     got = std::move(r);
                   });
  }
  CHECK(seen.empty());  // posted, never inline
  CHECK(p->log().size() == 1);  // but answered at once
  io.run();
  REQUIRE(got);
  CHECK(got->streamed->chunks == 5);
  CHECK(seen.size() == 5);

  io.restart();
  const Request req = stream_hello_request("gpt-4o");
  auto f = t.async_stream({req, "openai", "gpt-4o", "", "wrong"}, {}, boost::asio::use_future);
  io.run();
  CHECK(f.get().status == 401);
}
