#include <governed/transport/http.hpp>
#include <governed/dialect/answer_json.hpp>
#include <governed/providers/classify.hpp>

#include "test_server.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <string>
#include <vector>

using namespace governed;
using namespace httptest;
using nlohmann::json;
namespace gp = governed::providers;
using Failure = gp::NetworkFailure;

namespace {

transport::HttpOptions options() {
  transport::HttpOptions o;
  o.ca_pem = pki().ca.cert;
  o.proxy = transport::ProxySettings::none();
  o.timeouts.connect = 2s;
  o.timeouts.tls_handshake = 2s;
  o.timeouts.first_byte = 5s;
  o.timeouts.total = 5s;
  return o;
}

Request hello() {
  Request r;
  r.messages = {{"system", "Be brief."}, {"user", "Say hello."}};
  r.max_tokens = 64;
  return r;
}

std::string header(const transport::Reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

const std::string openai_ok = R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":)"
                              R"({"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],)"
                              R"("usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}})";

template <class F>
auto timed(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f();
  return std::pair{std::move(r), std::chrono::steady_clock::now() - t0};
}

}  // namespace

// ---- each wire format, over TLS ------------------------------------------------------------------

TEST_CASE("http: OpenAI over HTTPS, request shape seen by the server, reply unchanged", "[http][openai]") {
  Server server([](const Seen&) {
    return Script{write(response(200, openai_ok, {{"X-Request-Id", "req_1"}, {"x-ratelimit-remaining-requests", "59"}}))};
  }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();
  const transport::Reply r = t.send({req, "openai", "gpt-4o-mini", server.url("/v1"), "sk-test-123"});
  REQUIRE_FALSE(r.failure);
  CHECK(r.status == 200);
  CHECK(r.body == openai_ok);
  CHECK(header(r, "x-request-id") == "req_1");
  CHECK(header(r, "x-ratelimit-remaining-requests") == "59");
  CHECK(header(r, "content-type") == "application/json");
  CHECK(r.latency > Duration::zero());
  CHECK_FALSE(r.streamed);

  const Seen s = server.last();
  CHECK(s.method == "POST");
  CHECK(s.target == "/v1/chat/completions");
  CHECK(s.header("authorization") == "Bearer sk-test-123");
  CHECK(s.header("host") == fmt::format("localhost:{}", server.port()));
  CHECK(s.header("content-type") == "application/json");
  const json b = json::parse(s.body);
  CHECK(b["model"] == "gpt-4o-mini");
  CHECK(b["max_completion_tokens"] == 64);
  CHECK(b["messages"][1]["content"] == "Say hello.");
  CHECK(governed::dialect::extract_usage(r.body)->total() == 13);
}

TEST_CASE("http: a reply is handed back read in its provider's dialect, text and usage or error fields",
          "[http][reply]") {
  static_assert(transport::ReadsReplies<transport::http>);
  Server server([](const Seen& s) {
    if (s.target.find("/messages") != std::string::npos)
      return Script{write(response(200, R"({"type":"message","content":[{"type":"text","text":"Salut"}],)"
                                        R"("usage":{"input_tokens":9,"output_tokens":3}})"))};
    if (s.target.starts_with("/limited"))
      return Script{write(response(429, R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})"))};
    if (s.target.starts_with("/garbled")) return Script{write(response(200, "{not json"))};
    return Script{write(response(200, openai_ok))};
  }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();

  const auto ok = t.send({req, "openai", "gpt-4o-mini", server.url("/v1"), "sk-test-123"});
  REQUIRE(ok.completion);
  CHECK(ok.completion->usage->total() == 13);
  CHECK(ok.completion->content == governed::dialect::extract_content(gp::Dialect::openai, ok.body).value());
  CHECK_FALSE(ok.error);
  CHECK(ok.body == openai_ok);  // the bytes stay the caller's

  const auto an = t.send({req, "anthropic", "claude-haiku-4-5", server.url("/v1"), "sk-ant-1"});
  REQUIRE(an.completion);
  CHECK(an.completion->content == "Salut");
  CHECK(an.completion->usage == gp::Usage{9, 0, 0, 3, 0});

  const auto limited = t.send({req, "openai", "gpt-4o-mini", server.url("/limited"), "sk-test-123"});
  CHECK(limited.status == 429);
  CHECK_FALSE(limited.completion);
  REQUIRE(limited.error);
  CHECK(limited.error->code == "rate_limit_exceeded");
  CHECK(limited.error->message == "Rate limit reached");

  const auto garbled = t.send({req, "openai", "gpt-4o-mini", server.url("/garbled"), "sk-test-123"});
  CHECK(garbled.status == 200);
  CHECK_FALSE(garbled.completion);  // unreadable: the walk counts the prompt's estimate
  CHECK_FALSE(garbled.error);
}

TEST_CASE("http: Azure, Anthropic and Gemini requests as each provider wants them", "[http][wire]") {
  Server server([](const Seen& s) {
    if (s.target.find("/messages") != std::string::npos)
      return Script{write(response(200, R"({"type":"message","content":[{"type":"text","text":"Salut"}],)"
                                        R"("usage":{"input_tokens":9,"output_tokens":3}})"))};
    if (s.target.find(":generateContent") != std::string::npos)
      return Script{write(response(200, R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]}}],)"
                                        R"("usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":1}})"))};
    return Script{write(response(200, openai_ok))};
  }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();

  auto az = t.send({req, "azure", "prod-4o", server.url("/openai"), "az-key"});
  REQUIRE_FALSE(az.failure);
  Seen s = server.last();
  CHECK(s.target == "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21");
  CHECK(s.header("api-key") == "az-key");
  CHECK(s.header("authorization").empty());

  auto an = t.send({req, "anthropic", "claude-haiku-4-5", server.url("/v1"), "sk-ant-1"});
  REQUIRE_FALSE(an.failure);
  CHECK(governed::dialect::extract_content(gp::Dialect::anthropic, an.body).value() == "Salut");
  s = server.last();
  CHECK(s.target == "/v1/messages");
  CHECK(s.header("x-api-key") == "sk-ant-1");
  CHECK(s.header("anthropic-version") == "2023-06-01");
  json b = json::parse(s.body);
  CHECK(b["system"] == "Be brief.");
  CHECK(b["max_tokens"] == 64);
  CHECK(b["messages"].size() == 1);

  auto ge = t.send({req, "gemini", "gemini-2.5-flash", server.url("/v1beta"), "AIza-1"});
  REQUIRE_FALSE(ge.failure);
  s = server.last();
  CHECK(s.target == "/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK(s.header("x-goog-api-key") == "AIza-1");
  b = json::parse(s.body);
  CHECK(b["contents"][0]["role"] == "user");
  CHECK(b["systemInstruction"]["parts"][0]["text"] == "Be brief.");
  CHECK(b["generationConfig"]["maxOutputTokens"] == 64);

  // One TLS connection carried all three.
  CHECK(server.connections() == 1);
}

// ---- streams ---------------------------------------------------------------------------------------

TEST_CASE("http: streams in each dialect arrive chunk by chunk, with the final usage", "[http][stream]") {
  Server server([](const Seen& s) {
    if (s.target.find("/messages") != std::string::npos)
      return sse({"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":"
                  "15,\"output_tokens\":1}}}\n\n",
                  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                  "{\"type\":\"text_delta\",\"text\":\"Bon\"}}\n\n",
                  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":",
                  "{\"type\":\"text_delta\",\"text\":\"jour\"}}\n\n",
                  "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                  "\"usage\":{\"output_tokens\":6}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"},
                 5ms);
    if (s.target.find(":streamGenerateContent?alt=sse") != std::string::npos)
      return sse({"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hal\"}],\"role\":\"model\"}}]}\r\n\r\n",
                  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"}],\"role\":\"model\"},\"finishReason\":"
                  "\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":7,\"candidatesTokenCount\":2}}\r\n\r\n"},
                 5ms);
    return sse({"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n",
                "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n",
                "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2}}\n\n",
                "data: [DONE]\n\n"},
               5ms);
  }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();

  struct Case {
    const char* provider;
    const char* model;
    std::string base;
    std::vector<std::string> pieces;
    std::int64_t input, output;
  };
  const std::vector<Case> cases = {
      {"openai", "gpt-4o", server.url("/v1"), {"Hel", "lo"}, 10, 2},
      {"anthropic", "claude-haiku-4-5", server.url("/v1"), {"Bon", "jour"}, 15, 6},
      {"gemini", "gemini-2.5-flash", server.url("/v1beta"), {"Hal", "lo"}, 7, 2},
  };
  for (const auto& c : cases) {
    INFO(c.provider);
    std::vector<std::string> pieces;
    const auto r = t.stream({req, c.provider, c.model, c.base, "key-1"},
                            [&](std::string_view p) { pieces.emplace_back(p); });
    REQUIRE_FALSE(r.failure);
    CHECK(r.status == 200);
    CHECK(pieces == c.pieces);
    REQUIRE(r.streamed);
    CHECK(r.streamed->chunks == c.pieces.size());
    CHECK(r.streamed->content == c.pieces[0] + c.pieces[1]);
    REQUIRE(r.streamed->usage);
    CHECK(r.streamed->usage->input_tokens == c.input);
    CHECK(r.streamed->usage->output_tokens == c.output);
    CHECK(server.last().header("accept") == "text/event-stream");
  }
  CHECK(json::parse(server.seen()[0].body)["stream_options"]["include_usage"] == true);
  CHECK(json::parse(server.seen()[1].body)["stream"] == true);
}

TEST_CASE("http: a refused stream is an ordinary error reply; a broken one keeps what was shown", "[http][stream]") {
  Server server([](const Seen& s) {
    if (s.target.starts_with("/limited"))
      return Script{write(response(429, R"({"error":{"message":"Rate limit reached","type":"requests"}})",
                                   {{"retry-after", "3"}}))};
    if (s.target.starts_with("/whole")) return Script{write(response(200, openai_ok))};
    if (s.target.starts_with("/error"))
      return sse({"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":"
                  "\"text_delta\",\"text\":\"Hi\"}}\n\n",
                  "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
                  "\"Overloaded\"}}\n\n"});
    // Cut before [DONE]: the connection closes mid-stream.
    return Script{write(sse_head()), write(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n")),
                  close()};
  }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();
  int calls = 0;
  auto sink = [&](std::string_view) { ++calls; };

  auto limited = t.stream({req, "openai", "gpt-4o", server.url("/limited"), "k"}, sink);
  CHECK_FALSE(limited.failure);
  CHECK(limited.status == 429);
  CHECK(header(limited, "retry-after") == "3");
  CHECK_THAT(limited.body, Catch::Contains("Rate limit reached"));
  REQUIRE(limited.streamed);
  CHECK(limited.streamed->chunks == 0);
  CHECK(calls == 0);

  // A server that ignores `stream: true` and answers whole: the body is the one chunk.
  std::string whole_text;
  auto whole = t.stream({req, "openai", "gpt-4o", server.url("/whole"), "k"},
                        [&](std::string_view p) { whole_text += p; });
  CHECK_FALSE(whole.failure);
  CHECK(whole_text == "Hello!");
  CHECK(whole.streamed->chunks == 1);
  REQUIRE(whole.streamed->usage);
  CHECK(whole.streamed->usage->total() == 13);

  auto error = t.stream({req, "anthropic", "claude-haiku-4-5", server.url("/error"), "k"}, sink);
  REQUIRE(error.failure);
  CHECK(*error.failure == Failure::closed_early);
  CHECK(error.streamed->chunks == 1);
  CHECK(json::parse(error.body)["error"]["type"] == "overloaded_error");

  auto cut = t.stream({req, "openai", "gpt-4o", server.url("/cut"), "k"}, sink);
  REQUIRE(cut.failure);
  CHECK(*cut.failure == Failure::closed_early);
  CHECK(cut.streamed->content == "Hel");
  CHECK(calls == 2);
}

TEST_CASE("http: a reply's request id comes from the header its provider sends, whole, refused or streamed",
          "[http][request_id]") {
  Server server([](const Seen& s) {
    if (s.target.starts_with("/anthropic"))
      return Script{write(response(200, R"({"id":"msg_1","type":"message","content":[],"usage":{}})",
                                   {{"X-Request-Id", "gateway-7"}, {"Request-Id", "req_01T5fCVnYdf9X5ZW6KayReBK"}}))};
    if (s.target.starts_with("/limited"))
      return Script{write(response(429, R"({"error":{"message":"Rate limit reached","type":"requests"}})",
                                   {{"retry-after", "3"}, {"x-request-id", "req_429"}}))};
    // sse_head() names the stream's id `req_stream`; cut before [DONE].
    return Script{write(sse_head()), write(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n")),
                  close()};
  }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();
  // Anthropic names it `request-id`; a gateway's `x-request-id` in front of it is not Anthropic's.
  const auto anthropic = t.send({req, "anthropic", "claude-haiku-4-5", server.url("/anthropic"), "k"});
  REQUIRE_FALSE(anthropic.failure);
  CHECK(anthropic.request_id.view() == "req_01T5fCVnYdf9X5ZW6KayReBK");
  const auto limited = t.send({req, "openai", "gpt-4o", server.url("/limited"), "k"});
  CHECK(limited.status == 429);
  CHECK(limited.request_id.view() == "req_429");
  // A stream is never read by read_reply: its id comes from the walk over its headers, and
  // stays when the stream breaks off.
  const auto cut = t.stream({req, "openai", "gpt-4o", server.url("/cut"), "k"}, [](std::string_view) {});
  REQUIRE(cut.failure);
  CHECK(cut.request_id.view() == "req_stream");
}

// ---- hostile servers ---------------------------------------------------------------------------------

TEST_CASE("http: hostile servers get a clear failure and no hang", "[http][hostile]") {
  Server server([](const Seen& s) {
    if (s.target.starts_with("/garbage")) {
      static constexpr char junk[] = "\x16\x03\x01 not http at all\r\n\r\n\0\xff";
      return Script{write(std::string(junk, sizeof junk - 1)), close()};
    }
    if (s.target.starts_with("/truncated"))
      return Script{write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"choices\":"), close()};
    if (s.target.starts_with("/huge-length"))
      return Script{write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n{"),
                    hang()};
    if (s.target.starts_with("/huge-headers")) {
      std::string head = "HTTP/1.1 200 OK\r\n";
      for (int i = 0; i < 1000; ++i) head += fmt::format("x-filler-{}: {}\r\n", i, std::string(90, 'a'));
      return Script{write(head), hang()};
    }
    if (s.target.starts_with("/drip")) return Script{drip(response(200, openai_ok), 50ms)};
    if (s.target.starts_with("/reset")) return Script{reset()};
    if (s.target.starts_with("/silent")) return Script{hang()};
    return Script{write(response(200, openai_ok))};
  });
  // The failures below must come from the server's behaviour, well before the total
  // timeout (2 s); only the dripping server is left to a short total timeout.
  auto o = options();
  o.timeouts.first_byte = 300ms;
  o.timeouts.total = 2s;
  transport::http t{o};
  const Request req = hello();
  auto send = [&](std::string_view path) {
    return timed([&] { return t.send({req, "openai", "gpt-4o", server.url(path), "sk-hostile"}); });
  };

  SECTION("garbage bytes") {
    auto [r, took] = send("/garbage");
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::closed_early);
    CHECK_THAT(r.failure_detail, Catch::Contains("not HTTP"));
    CHECK(took < 1s);
  }
  SECTION("a truncated body") {
    auto [r, took] = send("/truncated");
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::closed_early);
    CHECK_THAT(r.failure_detail, Catch::Contains("before the reply was complete"));
    CHECK(took < 1s);
  }
  SECTION("a 2 GB content-length is refused at the header, without waiting or allocating") {
    auto [r, took] = send("/huge-length");
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::closed_early);
    CHECK_THAT(r.failure_detail, Catch::Contains("2147483648"));
    CHECK(took < 1s);
  }
  SECTION("100 kB of headers") {
    auto [r, took] = send("/huge-headers");
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::closed_early);
    CHECK_THAT(r.failure_detail, Catch::Contains("headers are larger than the 65536-byte limit"));
    CHECK(took < 1s);
  }
  SECTION("one byte at a time: the total timeout ends it") {
    auto quick = o;
    quick.timeouts.total = 400ms;
    transport::http short_total{quick};
    auto [r, took] = timed([&] { return short_total.send({req, "openai", "gpt-4o", server.url("/drip"), "k"}); });
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::read_timeout);
    CHECK_THAT(r.failure_detail, Catch::Contains("total timeout (400 ms)"));
    CHECK(took >= 390ms);
    CHECK(took < 2s);
  }
  SECTION("a reset connection") {
    auto [r, took] = send("/reset");
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::connection_reset);
    CHECK(took < 1s);
  }
  SECTION("no first byte in time") {
    auto [r, took] = send("/silent");
    REQUIRE(r.failure);
    CHECK(*r.failure == Failure::read_timeout);
    CHECK_THAT(r.failure_detail, Catch::Contains("first-byte timeout (300 ms)"));
    CHECK(took < 1s);
  }
  // Every failed connection was closed; the one healthy reply still goes through.
  auto [ok, took] = send("/fine");
  CHECK_FALSE(ok.failure);
  CHECK(ok.status == 200);
}

TEST_CASE("http: a certificate for another name fails the handshake; nothing was sent", "[http][tls]") {
  Server server([](const Seen&) { return Script{write(response(200, openai_ok))}; }, Server::Tls::other_name);
  transport::http t{options()};
  const Request req = hello();
  auto r = t.send({req, "openai", "gpt-4o", server.url("/v1"), "sk-never-sent"});
  REQUIRE(r.failure);
  CHECK(*r.failure == Failure::tls_handshake);
  CHECK_THAT(r.failure_detail, Catch::Contains("hostname mismatch"));
  CHECK(gp::classify_network_failure(*r.failure, false).retryable);
  CHECK(server.seen().empty());

  // Without the test CA, the system store does not trust the server either.
  auto o = options();
  o.ca_pem.clear();
  transport::http system_store{o};
  Server good([](const Seen&) { return Script{write(response(200, openai_ok))}; }, Server::Tls::on);
  auto u = system_store.send({req, "openai", "gpt-4o", good.url("/v1"), "k"});
  REQUIRE(u.failure);
  CHECK(*u.failure == Failure::tls_handshake);
  CHECK(good.seen().empty());
}

TEST_CASE("http: what never reached a server says so", "[http][connect]") {
  transport::http t{options()};
  const Request req = hello();
  // A port nobody listens on: bind one, note it, close it.
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  auto refused = t.send({req, "openai", "gpt-4o", fmt::format("http://127.0.0.1:{}/v1", port), "k"});
  REQUIRE(refused.failure);
  CHECK(*refused.failure == Failure::connect_refused);

  auto plain = t.send({req, "openai", "gpt-4o", "http://api.openai.com/v1", "sk-would-leak"});
  REQUIRE(plain.failure);
  CHECK(*plain.failure == Failure::connect_refused);
  CHECK_THAT(plain.failure_detail, Catch::Contains("unencrypted"));

  auto unfilled = t.send({req, "azure", "d", "https://{resource}.openai.azure.com/openai", "k"});
  REQUIRE(unfilled.failure);
  CHECK(*unfilled.failure == Failure::dns);
  CHECK_THAT(unfilled.failure_detail, Catch::Contains("placeholder"));

  auto injected = t.send({req, "openai", "gpt-4o", "https://localhost:1/v1", "sk-a\r\nx-evil: 1"});
  REQUIRE(injected.failure);
  CHECK(*injected.failure == Failure::connect_refused);
  CHECK_THAT(injected.failure_detail, !Catch::Contains("sk-a"));
}

TEST_CASE("http: a call the provider's format can not hold is never sent: not_encodable, saying what", "[http][connect]") {
  Server server([](const Seen&) { return Script{write(response(200, openai_ok))}; }, Server::Tls::on);
  transport::http t{options()};
  Request req = hello();
  req.messages.push_back({.role = "user", .parts = {ContentPart::document_url("https://example.com/report.pdf")}});
  auto r = t.send({req, "openai", "gpt-4o", server.url("/v1"), "sk-never-sent"});
  REQUIRE(r.failure);
  CHECK(*r.failure == Failure::not_encodable);
  CHECK_THAT(r.failure_detail, Catch::Contains("a document by URL"));
  CHECK_FALSE(gp::classify_network_failure(*r.failure, false).retryable);
  CHECK(server.seen().empty());
}

// ---- keep-alive, async, cancellation -----------------------------------------------------------------

TEST_CASE("http: keep-alive reuses one connection for consecutive calls", "[http][pool]") {
  Server server([](const Seen&) { return Script{write(response(200, openai_ok))}; }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();
  const std::string base = server.url("/v1");
  CHECK_FALSE(t.send({req, "openai", "gpt-4o", base, "k"}).failure);
  CHECK(t.idle_connections(base) == 1);
  CHECK_FALSE(t.send({req, "openai", "gpt-4o", base, "k"}).failure);
  CHECK(server.connections() == 1);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].connection == seen[1].connection);
  CHECK(t.idle_connections(base) == 1);
}

TEST_CASE("http: a connection the server closed while idle is not reused", "[http][pool]") {
  Server server([](const Seen&) {
    return Script{write(response(200, openai_ok)), pause(20ms), close()};
  }, Server::Tls::on);
  transport::http t{options()};
  const Request req = hello();
  CHECK_FALSE(t.send({req, "openai", "gpt-4o", server.url("/v1"), "k"}).failure);
  std::this_thread::sleep_for(100ms);  // the server has closed it by now
  auto r = t.send({req, "openai", "gpt-4o", server.url("/v1"), "k"});
  CHECK_FALSE(r.failure);
  CHECK(server.connections() == 2);
}

TEST_CASE("http: async_send on the caller's io_context, completing through a callback", "[http][async]") {
  Server server([](const Seen&) { return Script{pause(10ms), write(response(200, openai_ok))}; });
  boost::asio::io_context io;
  transport::http t{io.get_executor(), options()};
  const Request req = hello();
  std::vector<int> statuses;
  for (int i = 0; i < 3; ++i)
    t.async_send({req, "openai", "gpt-4o", server.url("/v1"), "k"},
                 [&](transport::Reply r) { statuses.push_back(r.status); });
  io.run();  // returns once every reply has been handed over
  CHECK(statuses == std::vector<int>{200, 200, 200});
}

TEST_CASE("http: cancellation through the token's slot ends the attempt at once", "[http][async]") {
  Server server([](const Seen&) { return Script{hang()}; }, Server::Tls::on);
  boost::asio::io_context io;
  transport::http t{io.get_executor(), options()};
  const Request req = hello();
  boost::asio::cancellation_signal signal;
  std::optional<transport::Reply> got;
  const auto t0 = std::chrono::steady_clock::now();
  t.async_send({req, "openai", "gpt-4o", server.url("/v1"), "k"},
               boost::asio::bind_cancellation_slot(signal.slot(), [&](transport::Reply r) { got = std::move(r); }));
  boost::asio::steady_timer timer(io, 100ms);
  timer.async_wait([&](boost::system::error_code) { signal.emit(boost::asio::cancellation_type::terminal); });
  io.run();
  REQUIRE(got);
  CHECK(got->cancelled);
  REQUIRE(got->failure);
  CHECK(*got->failure == Failure::read_timeout);  // the request had gone out
  CHECK_THAT(got->failure_detail, Catch::Contains("cancelled"));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(server.seen().size() == 1);
}

// ---- proxy ---------------------------------------------------------------------------------------------

TEST_CASE("http: HTTPS_PROXY through CONNECT, TLS end to end, credentials checked", "[http][proxy]") {
  Server server([](const Seen&) { return Script{write(response(200, openai_ok))}; }, Server::Tls::on);
  // "user:secret" in base64, as the proxy expects it.
  Tunnel proxy(server.port(), "dXNlcjpzZWNyZXQ=");
  auto o = options();
  const Request req = hello();
  const std::string authority = proxy.url().substr(7);

  o.proxy = {fmt::format("http://user:secret@{}", authority), "", "localhost"};
  transport::http t{o};
  auto r = t.send({req, "openai", "gpt-4o", "https://llm.test/v1", "sk-through-proxy"});
  REQUIRE_FALSE(r.failure);
  CHECK(r.status == 200);
  CHECK(proxy.targets() == std::vector<std::string>{"llm.test:443"});
  CHECK(server.last().header("host") == "llm.test");
  CHECK(server.last().header("authorization") == "Bearer sk-through-proxy");
  // The tunnel is a kept-alive connection like any other.
  CHECK_FALSE(t.send({req, "openai", "gpt-4o", "https://llm.test/v1", "k"}).failure);
  CHECK(proxy.targets().size() == 1);

  o.proxy = {fmt::format("http://user:wrong@{}", authority), "", ""};
  transport::http refused{o};
  auto no = refused.send({req, "openai", "gpt-4o", "https://llm.test/v1", "sk-not-sent"});
  REQUIRE(no.failure);
  CHECK(*no.failure == Failure::connect_refused);  // nothing reached the provider
  CHECK_THAT(no.failure_detail, Catch::Contains("status 407"));
  CHECK(server.seen().size() == 2);
}

TEST_CASE("http: connect_to sends a host's requests elsewhere, keeping its name for TLS", "[http][connect]") {
  Server server([](const Seen&) { return Script{write(response(200, openai_ok))}; }, Server::Tls::on);
  auto o = options();
  o.connect_to = {{"llm.test:443", fmt::format("127.0.0.1:{}", server.port())}};
  transport::http t{o};
  const Request req = hello();
  auto r = t.send({req, "openai", "gpt-4o", "https://llm.test/v1", "k"});
  REQUIRE_FALSE(r.failure);
  CHECK(server.last().header("host") == "llm.test");
  CHECK(t.idle_connections("https://llm.test/v1") == 1);
}

// ---- many at once ---------------------------------------------------------------------------------

TEST_CASE("http: attempts from many threads share the pool safely", "[http][concurrency]") {
  Server server([](const Seen&) { return Script{pause(2ms), write(response(200, openai_ok))}; });
  auto o = options();
  o.max_idle_per_host = 4;
  boost::asio::thread_pool pool(3);
  transport::http t{pool.get_executor(), o};
  const Request req = hello();
  const std::string base = server.url("/v1");
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      for (int i = 0; i < 8; ++i)
        if (t.send({req, "openai", "gpt-4o", base, "k"}).status == 200) ++ok;
    });
  for (auto& c : callers) c.join();
  CHECK(ok == 32);
  CHECK(server.connections() <= 8);  // kept-alive connections carried most of them
  CHECK(t.idle_connections(base) <= 4);
  pool.join();
}
