// Blocking attempts run on the calling thread: their chunk callbacks run there, a thread
// running the transport's own executor may block on one, and the keep-alive pool is one for
// every thread — a connection made by one thread (or by the transport's I/O thread) serves the
// next, and the bound on idle connections holds however many threads send at once.
#include <governed/transport/http.hpp>

#include "test_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace governed;
using namespace httptest;

namespace {

transport::HttpOptions blocking_options() {
  transport::HttpOptions o;
  o.ca_pem = pki().ca.cert;
  o.proxy = transport::ProxySettings::none();
  o.timeouts.connect = 2s;
  o.timeouts.tls_handshake = 2s;
  o.timeouts.first_byte = 5s;
  o.timeouts.total = 5s;
  return o;
}

Request blocking_hello() {
  Request r;
  r.messages = {{"user", "Say hello."}};
  r.max_tokens = 16;
  return r;
}

const std::string blocking_ok = R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},)"
                                R"("finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}})";

/// An OpenAI stream of two pieces, "Hel" and "lo", with its usage and end.
Script blocking_stream() {
  return sse({"data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n",
              "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
              "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2}}\n\n",
              "data: [DONE]\n\n"});
}

}  // namespace

TEST_CASE("http blocking: a stream's pieces reach the callback on the calling thread", "[http][blocking][stream]") {
  Server server([](const Seen& s) {
    if (s.target.starts_with("/stream")) return blocking_stream();
    return Script{write(response(200, blocking_ok))};
  });
  transport::http t{blocking_options()};
  const Request req = blocking_hello();
  const auto me = std::this_thread::get_id();
  std::vector<std::string> pieces;
  bool elsewhere = false;
  std::optional<transport::Reply> inner;
  const auto r = t.stream({req, "openai", "gpt-4o", server.url("/stream/v1"), "k"}, [&](std::string_view p) {
    pieces.emplace_back(p);
    elsewhere = elsewhere || std::this_thread::get_id() != me;
    // A blocking attempt from inside the callback runs on this thread too, to its end.
    if (!inner) inner = t.send({req, "openai", "gpt-4o", server.url("/v1"), "k"});
  });
  REQUIRE_FALSE(r.failure);
  CHECK(pieces == std::vector<std::string>{"Hel", "lo"});
  CHECK_FALSE(elsewhere);
  REQUIRE(inner);
  CHECK_FALSE(inner->failure);
  CHECK(inner->status == 200);
}

TEST_CASE("http blocking: a thread running the transport's executor can send and wait", "[http][blocking][async]") {
  Server server([](const Seen&) { return Script{write(response(200, blocking_ok))}; });
  boost::asio::io_context io;
  transport::http t{io.get_executor(), blocking_options()};
  const Request req = blocking_hello();
  std::optional<transport::Reply> got;
  // The only thread running `io` blocks on an attempt: it runs on that thread, not on `io`.
  boost::asio::post(io, [&] { got = t.send({req, "openai", "gpt-4o", server.url("/v1"), "k"}); });
  io.run();
  REQUIRE(got);
  CHECK_FALSE(got->failure);
  CHECK(got->status == 200);
}

TEST_CASE("http blocking: one kept-alive connection serves one thread after another, and async_send",
          "[http][blocking][pool][concurrency]") {
  Server server([](const Seen&) { return Script{write(response(200, blocking_ok))}; }, Server::Tls::on);
  transport::http t{blocking_options()};
  const Request req = blocking_hello();
  const std::string base = server.url("/v1");
  const transport::Attempt a{req, "openai", "gpt-4o", base, "k"};
  auto on_a_thread = [&] {
    int status = 0;
    std::thread([&] { status = t.send(a).status; }).join();  // the thread has ended after it
    return status;
  };
  CHECK(on_a_thread() == 200);
  CHECK(t.idle_connections(base) == 1);
  CHECK(on_a_thread() == 200);                          // made on a thread that is gone
  CHECK(t.send(a).status == 200);                       // on this one
  CHECK(t.async_send(a, boost::asio::use_future).get().status == 200);  // on the transport's I/O thread
  CHECK(on_a_thread() == 200);                          // and back from there
  CHECK(server.connections() == 1);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 5);
  for (const auto& s : seen) CHECK(s.connection == 1);
  CHECK(t.idle_connections(base) == 1);
}

TEST_CASE("http blocking: threads streaming at once each hold a connection; the pool keeps its bound",
          "[http][blocking][pool][concurrency]") {
  Server server([](const Seen& s) {
    if (s.target.starts_with("/stream")) return blocking_stream();
    return Script{write(response(200, blocking_ok))};
  });
  auto o = blocking_options();
  o.max_idle_per_host = 2;
  transport::http t{o};
  const Request req = blocking_hello();
  const std::string stream_base = server.url("/stream/v1");
  constexpr int threads = 6;
  // Every thread waits in its first chunk callback until all have one: the six streams are
  // open at once, on six connections, each driven by its own thread.
  std::latch all_streaming(threads);
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < threads; ++i)
    callers.emplace_back([&] {
      bool first = true;
      auto r = t.stream({req, "openai", "gpt-4o", stream_base, "k"}, [&](std::string_view) {
        if (std::exchange(first, false)) all_streaming.arrive_and_wait();
      });
      if (!r.failure && r.streamed && r.streamed->content == "Hello") ++ok;
    });
  for (auto& c : callers) c.join();
  CHECK(ok == threads);
  CHECK(server.connections() == threads);
  CHECK(t.idle_connections(stream_base) == 2);  // four were closed on the way back

  // Blocking calls from other threads, one after another, take the two that were kept.
  std::atomic<int> later_ok{0};
  for (int i = 0; i < 4; ++i) {
    std::thread([&] {
      if (t.send({req, "openai", "gpt-4o", server.url("/v1"), "k"}).status == 200) ++later_ok;
    }).join();
  }
  CHECK(later_ok == 4);
  CHECK(server.connections() == threads);
  CHECK(t.idle_connections(stream_base) == 2);
}

TEST_CASE("http blocking: each thread's attempt keeps its own timeouts", "[http][blocking][concurrency]") {
  Server server([](const Seen& s) {
    if (s.target.starts_with("/silent")) return Script{hang()};
    return Script{write(response(200, blocking_ok))};
  });
  auto o = blocking_options();
  o.timeouts.first_byte = 200ms;
  transport::http t{o};
  const Request req = blocking_hello();
  std::optional<transport::Reply> silent, fine;
  std::thread a([&] { silent = t.send({req, "openai", "gpt-4o", server.url("/silent/v1"), "k"}); });
  std::thread b([&] { fine = t.send({req, "openai", "gpt-4o", server.url("/v1"), "k"}); });
  a.join();
  b.join();
  REQUIRE(silent);
  REQUIRE(silent->failure);
  CHECK(*silent->failure == providers::NetworkFailure::read_timeout);
  CHECK_THAT(silent->failure_detail, Catch::Contains("first-byte timeout (200 ms)"));
  REQUIRE(fine);
  CHECK_FALSE(fine->failure);
  CHECK(fine->status == 200);
}

TEST_CASE("http blocking: a stream's piece reaches the callback when it arrives, not when the stream ends",
          "[http][blocking][stream]") {
  // The server sends one event and then nothing: the piece must reach the callback while the
  // stream is still open. The callback then gives up (it throws), which ends the attempt.
  Server server([](const Seen&) {
    return Script{write(sse_head() + chunk("data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n")),
                  hang()};
  });
  auto o = blocking_options();
  o.timeouts.total = 3s;
  transport::http t{o};
  const Request req = blocking_hello();
  std::vector<std::string> pieces;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = t.stream({req, "openai", "gpt-4o", server.url("/v1"), "k"}, [&](std::string_view p) {
    pieces.emplace_back(p);
    throw std::runtime_error("seen enough");
  });
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(r.failure);
  CHECK(*r.failure == providers::NetworkFailure::closed_early);
  CHECK_THAT(r.failure_detail, Catch::Contains("callback threw"));
  CHECK(pieces == std::vector<std::string>{"Hel"});
  CHECK(took < 2s);  // not the total timeout
}
