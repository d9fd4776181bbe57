#include <governed/transport/simulated.hpp>

#include "../sim/helpers.hpp"

#include <governed/dialect/answer_json.hpp>
#include <governed/dialect/classify.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace simtest;
namespace gp = governed::providers;

static_assert(transport::Transport<transport::simulated<clock::manual>>);
static_assert(transport::ReadsReplies<transport::simulated<clock::manual>>);

namespace {

Request hello_request(std::string model) {
  Request r;
  r.model = std::move(model);
  r.messages = {{"user", "Say hello."}};
  r.max_tokens = 64;
  return r;
}

}  // namespace

TEST_CASE("simulated: attempts go to the provider they name, on the governor's clock", "[transport][simulated]") {
  clock::manual c;
  auto openai = make({.provider = "openai", .keys = {{.key = "sk-test-a1", .account = "org-a"}}, .limits = {.rpm = 1}});
  auto groq = make({.provider = "groq", .keys = {{.key = "gsk_test_a", .account = "org_a"}}});
  transport::simulated t{c, {openai, groq}};

  const Request req = hello_request("gpt-4o");
  transport::Reply r = t.send({req, "openai", "gpt-4o", "https://api.openai.com/v1", "sk-test-a1"});
  REQUIRE(r.status == 200);
  CHECK_FALSE(r.failure);
  CHECK(r.latency == 300ms + 64 * 20ms);
  auto usage = governed::dialect::extract_usage(r.body);
  REQUIRE(usage);
  CHECK(usage->output_tokens == 64);

  transport::Reply limited = t.send({req, "openai", "gpt-4o", "", "sk-test-a1"});
  CHECK(limited.status == 429);
  const auto hs = limited.header_view();
  auto v = governed::dialect::classify("openai", limited.status, gp::HeaderView{hs}, limited.body, c.wall_now());
  CHECK(v.kind == gp::Kind::rate_limit_requests);
  c.advance(61s);
  CHECK(t.send({req, "openai", "gpt-4o", "", "sk-test-a1"}).status == 200);

  const Request g = hello_request("llama-3.3-70b-versatile");
  CHECK(t.send({g, "groq", "llama-3.3-70b-versatile", "", "gsk_test_a"}).status == 200);
  CHECK(groq->log().size() == 1);
  CHECK(openai->log().size() == 3);
  CHECK(openai->log()[2].at == c.now());

  // A provider nobody simulates: nothing was sent.
  transport::Reply none = t.send({req, "anthropic", "claude", "", "k"});
  CHECK(none.status == 0);
  REQUIRE(none.failure);
  CHECK(*none.failure == gp::NetworkFailure::connect_refused);
}

TEST_CASE("simulated: async_send completes through the executor", "[transport][simulated]") {
  clock::manual c;
  auto openai = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}});
  boost::asio::io_context io;
  transport::simulated t{c, {openai}, io.get_executor()};
  const Request req = hello_request("gpt-4o");

  int status = 0;
  t.async_send({req, "openai", "gpt-4o", "", "sk-test-a1"}, [&](transport::Reply r) { status = r.status; });
  CHECK(status == 0);  // posted, never inline
  io.run();
  CHECK(status == 200);

  io.restart();
  std::future<transport::Reply> f = t.async_send({req, "openai", "gpt-4o", "", "wrong"}, boost::asio::use_future);
  io.run();
  CHECK(f.get().status == 401);
}

TEST_CASE("simulated: async_send and async_stream without a token return deferred operations", "[transport][simulated]") {
  clock::manual c;
  auto openai = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}});
  boost::asio::io_context io;
  transport::simulated t{c, {openai}, io.get_executor()};
  const Request req = hello_request("gpt-4o");

  // The provider answers at the call (the attempt's borrowed request is not kept); the
  // completion waits until the operation is launched with a token.
  auto send = t.async_send({req, "openai", "gpt-4o", "", "sk-test-a1"});
  auto stream = t.async_stream({req, "openai", "gpt-4o", "", "sk-test-a1"}, [](std::string_view) {});
  int sent = 0, streamed = 0;
  std::move(send)([&](transport::Reply r) { sent = r.status; });
  std::move(stream)([&](transport::Reply r) { streamed = r.status; });
  CHECK(sent == 0);  // posted, never inline
  io.run();
  CHECK(sent == 200);
  CHECK(streamed == 200);
}

TEST_CASE("simulated: 8 threads on one account never get more than the limit admitted", "[transport][simulated][concurrency]") {
  clock::manual c;
  auto p = make({.provider = "openai",
                 .accounts = {{.id = "org-a", .limits = {.rpm = 100, .rpd = 150}}},
                 .keys = {{.key = "sk-test-a1", .account = "org-a"}, {.key = "sk-test-a2", .account = "org-a"}}});
  transport::simulated t{c, {p}};
  constexpr int threads = 8, per_thread = 200;
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      const Request req = hello_request("gpt-4o");
      const char* key = i % 2 ? "sk-test-a1" : "sk-test-a2";
      for (int j = 0; j < per_thread; ++j) {
        const int s = t.send({req, "openai", "gpt-4o", "", key}).status;
        (s == 200 ? ok : s == 429 ? limited : other).fetch_add(1);
        // Half-way through, the minute passes (one thread moves the clock; the others keep going).
        if (i == 0 && j == per_thread / 2) c.advance(61s);
      }
    });
  }
  for (auto& th : pool) th.join();
  // 100 per minute, 150 per day: whatever the interleaving, at most 150 pass in all and at
  // most 100 before the minute turned.
  CHECK(ok.load() <= 150);
  CHECK(ok.load() >= 100);
  CHECK(other.load() == 0);
  CHECK(ok.load() + limited.load() == threads * per_thread);
  const auto log = p->log();
  CHECK(log.size() == std::size_t{threads * per_thread});
  const Instant start{};
  std::size_t first_minute = 0, admitted = 0;
  for (const auto& e : log) {
    if (e.outcome != sim::Outcome::success) continue;
    ++admitted;
    if (e.at == start) ++first_minute;
  }
  CHECK(admitted == std::size_t(ok.load()));
  CHECK(first_minute <= 100);
}

TEST_CASE("simulated: the 429 count is exact under contention", "[transport][simulated][concurrency]") {
  clock::manual c;
  auto p = make({.provider = "anthropic",
                 .accounts = {{.id = "org-a", .limits = {.rpm = 250}}},
                 .keys = {{.key = "sk-ant-test-1", .account = "org-a"}, {.key = "sk-ant-test-2", .account = "org-a"}}});
  transport::simulated t{c, {p}};
  std::atomic<int> ok{0}, limited{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&, i] {
      const Request req = hello_request("claude-3-5-haiku-20241022");
      for (int j = 0; j < 125; ++j) {
        const int s = t.send({req, "anthropic", req.model, "", i % 2 ? "sk-ant-test-1" : "sk-ant-test-2"}).status;
        (s == 200 ? ok : limited).fetch_add(1);
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(ok.load() == 250);
  CHECK(limited.load() == 750);
  CHECK(p->count([](const sim::LogEntry& e) { return e.status == 429; }) == 750);
}

TEST_CASE("simulated: a reply is handed back read in its provider's dialect, text and usage or error fields",
          "[transport][simulated]") {
  clock::manual c;
  auto openai = make({.provider = "openai", .keys = {{.key = "sk-test-a1", .account = "org-a"}}, .limits = {.rpm = 1}});
  auto anthropic = make({.provider = "anthropic", .keys = {{.key = "sk-ant-a", .account = "org-a"}}});
  transport::simulated t{c, {openai, anthropic}};

  const Request req = hello_request("gpt-4o");
  const transport::Reply ok = t.send({req, "openai", "gpt-4o", "", "sk-test-a1"});
  REQUIRE(ok.status == 200);
  REQUIRE(ok.completion);
  CHECK(ok.completion->content == governed::dialect::extract_content(gp::Dialect::openai, ok.body).value());
  REQUIRE(ok.completion->usage);
  CHECK(ok.completion->usage->output_tokens == 64);
  CHECK_FALSE(ok.error);

  const transport::Reply limited = t.send({req, "openai", "gpt-4o", "", "sk-test-a1"});
  REQUIRE(limited.status == 429);
  CHECK_FALSE(limited.completion);
  REQUIRE(limited.error);
  CHECK(limited.error->json);
  CHECK_FALSE(limited.error->message.empty());

  const Request claude = hello_request("claude-3-5-haiku-20241022");
  const transport::Reply an = t.send({claude, "anthropic", "claude-3-5-haiku-20241022", "", "sk-ant-a"});
  REQUIRE(an.status == 200);
  REQUIRE(an.completion);
  CHECK_FALSE(an.completion->content.empty());
  CHECK(an.completion->content == governed::dialect::extract_content(gp::Dialect::anthropic, an.body).value());

  // A stream's text is in `streamed`; a refused stream's error is read like any other.
  const transport::Reply streamed_refusal = t.stream({req, "openai", "gpt-4o", "", "sk-test-a1"}, {});
  REQUIRE(streamed_refusal.status == 429);
  REQUIRE(streamed_refusal.error);
  c.advance(61s);
  const transport::Reply streamed = t.stream({req, "openai", "gpt-4o", "", "sk-test-a1"}, {});
  REQUIRE(streamed.status == 200);
  CHECK_FALSE(streamed.completion);
  CHECK(streamed.streamed);
}

TEST_CASE("simulated: a reply's request id comes from the header each provider sends", "[transport][simulated]") {
  clock::manual c;
  struct IdCase {
    const char* provider;
    const char* model;
    const char* header;  ///< the header governed-sim names the id in, as the provider does
  };
  const IdCase cases[] = {{"openai", "gpt-4o", "x-request-id"},
                          {"anthropic", "claude-3-5-haiku-20241022", "request-id"},
                          {"azure", "gpt-4o", "x-request-id"},
                          {"groq", "llama-3.3-70b-versatile", "x-request-id"},
                          {"gemini", "gemini-2.5-flash", "x-request-id"}};
  for (const auto& k : cases) {
    INFO(k.provider);
    auto p = make({.provider = k.provider, .keys = {{.key = "key-ids-0001", .account = "acct"}}, .limits = {.rpm = 1}});
    transport::simulated t{c, {p}};
    const Request req = hello_request(k.model);
    const transport::Reply ok = t.send({req, k.provider, k.model, "", "key-ids-0001"});
    REQUIRE(ok.status == 200);
    const auto sent = std::find_if(ok.headers.begin(), ok.headers.end(), [&](const auto& h) { return h.first == k.header; });
    REQUIRE(sent != ok.headers.end());
    CHECK(ok.request_id.view() == sent->second);
    CHECK_FALSE(ok.request_id.truncated());
    // A refusal carries its own id, read all the same: it is the one a support ticket needs.
    const transport::Reply limited = t.send({req, k.provider, k.model, "", "key-ids-0001"});
    CHECK(limited.status == 429);
    CHECK_FALSE(limited.request_id.empty());
    CHECK_FALSE(limited.request_id == ok.request_id);
  }
}
