#include <governed/sim/server.hpp>

#include <governed/clock/manual.hpp>
#include <governed/dialect/classify.hpp>
#include <governed/providers/classify.hpp>
#include <governed/dialect/answer_json.hpp>
#include <governed/providers/usage.hpp>
#include <governed/transport/http.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

/// Keys of every simulated provider here: one valid, one exhausted, one invalid.
std::vector<sim::KeySpec> keys(std::string_view prefix) {
  return {{.key = fmt::format("{}-good", prefix), .account = "org-a"},
          {.key = fmt::format("{}-spent", prefix), .account = "org-b", .status = sim::KeyStatus::exhausted},
          {.key = fmt::format("{}-revoked", prefix), .account = "org-c", .status = sim::KeyStatus::invalid}};
}

std::shared_ptr<sim::Provider> provider(std::string name, sim::Limits limits = {.rpm = 100}) {
  sim::Config cfg;
  cfg.provider = name;
  cfg.keys = keys(name);
  cfg.limits = limits;
  cfg.latency = {.fixed = Duration::zero(), .per_output_token = Duration::zero()};
  auto p = sim::Provider::create(std::move(cfg));
  REQUIRE(p);
  return *p;
}

/// A server of OpenAI, Anthropic, Gemini and Groq on a manual clock, with two I/O threads.
struct Fixture {
  clock::manual clock{Instant{}, clock::manual::default_wall_start, 0};
  std::vector<std::shared_ptr<sim::Provider>> providers{provider("openai"), provider("anthropic"),
                                                        provider("gemini"), provider("groq")};
  std::unique_ptr<sim::Server<clock::manual>> server;

  explicit Fixture(sim::ServerOptions o = {}) {
    o.threads = 2;
    auto s = sim::Server<clock::manual>::create(providers, clock, o);
    REQUIRE(s);
    server = std::move(*s);
  }
};

transport::http& client() {
  static transport::http t;
  return t;
}

Request hello(std::string model, std::uint32_t max_tokens = 64) {
  Request r;
  r.model = std::move(model);
  r.messages = {{"system", "Be brief."}, {"user", "Say hello."}};
  r.max_tokens = max_tokens;
  return r;
}

std::string key_of(std::string_view p, std::string_view kind = "good") { return fmt::format("{}-{}", p, kind); }

std::optional<std::string> header(const transport::Reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return std::nullopt;
}

struct Target {
  std::string provider, model;
};
const std::vector<Target>& targets() {
  static const std::vector<Target> t{{"openai", "gpt-4o-mini"},
                                     {"anthropic", "claude-sonnet-4-5"},
                                     {"gemini", "gemini-2.0-flash"},
                                     {"groq", "llama-3.1-8b-instant"}};
  return t;
}

transport::Reply send(Fixture& f, const Target& t, std::string_view kind = "good", bool stream = false,
                      std::string* pieces = nullptr) {
  const Request req = hello(t.model);
  const std::string base = f.server->base_url(t.provider);
  const std::string key = key_of(t.provider, kind);
  const transport::Attempt a{req, t.provider, t.model, base, key};
  if (!stream) return client().send(a);
  return client().stream(a, [pieces](std::string_view s) {
    if (pieces) *pieces += s;
  });
}

/// One raw request on a fresh connection (or `socket`), read back with Beast.
struct Raw {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;

  explicit Raw(std::uint16_t port) { socket.connect({asio::ip::make_address("127.0.0.1"), port}); }

  bhttp::response<bhttp::string_body> request(bhttp::verb method, std::string target, std::string body,
                                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(socket, req);
    return read();
  }

  bhttp::response<bhttp::string_body> bytes(std::string_view raw) {
    asio::write(socket, asio::buffer(raw));
    return read();
  }

  bhttp::response<bhttp::string_body> read() {
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(64 << 20);
    bhttp::read(socket, buffer, p);
    return p.release();
  }
};


const std::string openai_body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":16})";

}  // namespace

TEST_CASE("sim route: each provider's endpoints, prefixes and models", "[sim_server]") {
  auto r = dialect::route_of("/v1/chat/completions");
  REQUIRE(r);
  CHECK(r->format == governed::dialect::Format::openai);
  CHECK(r->prefix == "/v1");
  r = dialect::route_of("/openai/v1/chat/completions");
  REQUIRE(r);
  CHECK(r->prefix == "/openai/v1");
  r = dialect::route_of("/openai/deployments/gpt-4o%2Dmini/chat/completions?api-version=2024-10-21");
  REQUIRE(r);
  CHECK(r->format == governed::dialect::Format::azure);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->prefix == "/openai");
  r = dialect::route_of("/v1/messages");
  REQUIRE(r);
  CHECK(r->format == governed::dialect::Format::anthropic);
  r = dialect::route_of("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=k");
  REQUIRE(r);
  CHECK(r->format == governed::dialect::Format::gemini);
  CHECK(r->model == "gemini-2.0-flash");
  CHECK(r->stream);
  CHECK(r->sse);
  CHECK(dialect::query_value(r->query, "key") == std::optional<std::string>("k"));
  CHECK_FALSE(dialect::route_of("/v1/models"));
  CHECK_FALSE(dialect::route_of("/v1beta/models/x:explode"));
  CHECK_FALSE(dialect::route_of("/v1beta/models/a%2Fb:generateContent"));
  CHECK_FALSE(dialect::route_of("/v1beta/models/%zz:generateContent"));
  CHECK_FALSE(dialect::route_of("v1/chat/completions"));
}

TEST_CASE("sim server: each route answers a completion with the provider's shape and usage", "[sim_server]") {
  Fixture f;
  for (const auto& t : targets()) {
    INFO(t.provider);
    const transport::Reply r = send(f, t);
    REQUIRE_FALSE(r.failure);
    REQUIRE(r.status == 200);
    CHECK(header(r, "content-type") == std::optional<std::string>("application/json"));
    const auto* entry = providers::builtin_table().provider(t.provider);
    REQUIRE(entry);
    const json body = json::parse(r.body);
    CHECK(dialect::content_from_json(entry->dialect, body) == "This is a simulated completion.");
    const auto usage = dialect::usage_from_json(body);
    REQUIRE(usage);
    CHECK(usage->input_tokens > 0);
    CHECK(usage->output_tokens == 64);
    CHECK((header(r, "x-request-id") || header(r, "request-id")));
  }
  // Each at its table path: Groq's /openai/v1 is not taken by OpenAI's /openai + /v1.
  CHECK(f.server->base_url("openai") == f.server->url() + "/v1");
  CHECK(f.server->base_url("groq") == f.server->url() + "/openai/v1");
  CHECK(f.server->base_url("gemini") == f.server->url() + "/v1beta");
  CHECK(f.server->base_url("mistral").empty());
  // The provider saw exactly those calls, each with its own model.
  CHECK(f.providers[0]->log().size() == 1);
  CHECK(f.providers[0]->log()[0].model == "gpt-4o-mini");
  CHECK(f.providers[1]->log()[0].input_tokens > 0);
}

TEST_CASE("sim server: an unknown, revoked or spent key is answered in the provider's words", "[sim_server]") {
  Fixture f;
  const auto& t = targets();
  auto verdict = [](const transport::Reply& r, std::string_view provider) {
    const auto hs = r.header_view();
    return dialect::classify(provider, r.status, providers::HeaderView{hs}, r.body, WallTime{});
  };
  transport::Reply r = send(f, t[0], "nobody");
  CHECK(r.status == 401);
  CHECK(json::parse(r.body)["error"]["code"] == "invalid_api_key");
  CHECK(verdict(r, "openai").kind == providers::Kind::auth);
  CHECK(r.body.find("nobody") == std::string::npos);

  r = send(f, t[1], "revoked");
  CHECK(r.status == 401);
  CHECK(json::parse(r.body)["error"]["type"] == "authentication_error");
  CHECK(verdict(r, "anthropic").kind == providers::Kind::auth);

  r = send(f, t[2], "nobody");
  CHECK(r.status == 400);
  CHECK(json::parse(r.body)["error"]["status"] == "INVALID_ARGUMENT");
  CHECK(verdict(r, "gemini").kind == providers::Kind::auth);

  r = send(f, t[0], "spent");
  CHECK(r.status == 429);
  CHECK(json::parse(r.body)["error"]["code"] == "insufficient_quota");
  CHECK(verdict(r, "openai").kind == providers::Kind::insufficient_quota_billing);

  // Gemini's key in the query works, and is never echoed.
  Raw raw(f.server->port());
  auto res = raw.request(bhttp::verb::post, "/v1beta/models/gemini-2.0-flash:generateContent?key=gemini-good",
                         R"({"contents":[{"parts":[{"text":"hi"}]}]})");
  CHECK(res.result_int() == 200);
  res = raw.request(bhttp::verb::post, "/v1beta/models/gemini-2.0-flash:countTokens?key=gemini-secret-key", "{}");
  CHECK(res.result_int() == 404);
  CHECK(res.body().find("secret") == std::string::npos);
}

TEST_CASE("sim server: a spent RPM is a 429 with the real headers until the window moves on", "[sim_server]") {
  clock::manual clock{Instant{}, clock::manual::default_wall_start, 0};
  std::vector<std::shared_ptr<sim::Provider>> ps{provider("openai", {.rpm = 2}), provider("anthropic", {.rpm = 2})};
  auto s = sim::Server<clock::manual>::create(ps, clock);
  REQUIRE(s);
  for (const auto& t : {targets()[0], targets()[1]}) {
    INFO(t.provider);
    const Request req = hello(t.model);
    const std::string base = (*s)->base_url(t.provider);
    const std::string key = key_of(t.provider);
    const transport::Attempt a{req, t.provider, t.model, base, key};
    const Instant start = clock.now();
    REQUIRE(client().send(a).status == 200);
    clock.advance(10s);
    REQUIRE(client().send(a).status == 200);
    clock.advance(5s);
    const transport::Reply r = client().send(a);
    REQUIRE(r.status == 429);
    // The first request leaves the window just after 60 s from its arrival: 45.001 s from
    // now, rounded up to whole seconds in retry-after.
    CHECK(header(r, "retry-after") == std::optional<std::string>("46"));
    if (t.provider == "openai") {
      CHECK(header(r, "x-ratelimit-limit-requests") == std::optional<std::string>("2"));
      CHECK(header(r, "x-ratelimit-remaining-requests") == std::optional<std::string>("0"));
      CHECK(header(r, "x-ratelimit-reset-requests") == std::optional<std::string>("45.001s"));
      CHECK(json::parse(r.body)["error"]["code"] == "rate_limit_exceeded");
    } else {
      CHECK(header(r, "anthropic-ratelimit-requests-limit") == std::optional<std::string>("2"));
      CHECK(header(r, "anthropic-ratelimit-requests-remaining") == std::optional<std::string>("0"));
      CHECK(json::parse(r.body)["error"]["type"] == "rate_limit_error");
    }
    clock.set(start + 60s + 1ms);
    CHECK(client().send(a).status == 200);
    clock.advance(60s);
  }
}

TEST_CASE("sim server: a streamed reply per dialect reads back through the http transport", "[sim_server][concurrency]") {
  Fixture f;
  for (const auto& t : targets()) {
    INFO(t.provider);
    std::string pieces;
    const transport::Reply r = send(f, t, "good", true, &pieces);
    REQUIRE_FALSE(r.failure);
    REQUIRE(r.status == 200);
    REQUIRE(r.streamed);
    CHECK(header(r, "content-type") == std::optional<std::string>("text/event-stream"));
    CHECK(r.streamed->content == "This is a simulated completion.");
    CHECK(pieces == r.streamed->content);
    CHECK(r.streamed->chunks == 5);
    REQUIRE(r.streamed->usage);
    CHECK(r.streamed->usage->input_tokens > 0);
    CHECK(r.streamed->usage->output_tokens == 64);
  }
  // A stream refused before it began is a plain error reply.
  const transport::Reply refused = send(f, targets()[1], "nobody", true);
  CHECK(refused.status == 401);
  CHECK(refused.streamed->chunks == 0);
}

TEST_CASE("sim server: OpenAI chunks carry usage only when asked; a broken stream stops short", "[sim_server]") {
  Fixture f;
  Raw raw(f.server->port());
  const std::string auth = "Bearer openai-good";
  auto res = raw.request(bhttp::verb::post, "/v1/chat/completions",
                         R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})",
                         {{"authorization", auth}});
  REQUIRE(res.result_int() == 200);
  CHECK(res.body().find("\"usage\"") == std::string::npos);
  CHECK(res.body().find("\"finish_reason\":\"stop\"") != std::string::npos);
  CHECK(res.body().ends_with("data: [DONE]\n\n"));
  res = raw.request(bhttp::verb::post, "/v1/chat/completions",
                    R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})",
                    {{"authorization", auth}});
  REQUIRE(res.result_int() == 200);
  CHECK(res.body().find("\"choices\":[],") != std::string::npos);
  CHECK(res.body().find("\"completion_tokens\":64") != std::string::npos);

  f.providers[1]->break_stream("", 2);
  std::string pieces;
  const transport::Reply r = send(f, targets()[1], "good", true, &pieces);
  CHECK(r.failure);
  CHECK(pieces == "This is ");
  CHECK(r.streamed->chunks == 2);
  // Only message_start's input count arrived: no output usage.
  CHECK((!r.streamed->usage || r.streamed->usage->output_tokens < 64));
}

TEST_CASE("sim server: garbage, bad bodies, unknown paths and oversize bodies get 4xx, never a crash", "[sim_server]") {
  sim::ServerOptions o;
  o.max_body_bytes = 4096;
  Fixture f(o);
  const std::uint16_t port = f.server->port();
  {
    Raw raw(port);
    auto res = raw.bytes("GARBAGE\x01\x02 nonsense\r\n\r\n");
    CHECK(res.result_int() == 400);
    CHECK_FALSE(res.keep_alive());
  }
  {
    Raw raw(port);  // keep-alive: several answers on one connection
    auto res = raw.request(bhttp::verb::post, "/v1/chat/completions", "{not json", {{"authorization", "Bearer openai-good"}});
    CHECK(res.result_int() == 400);
    CHECK(json::parse(res.body())["error"]["type"] == "invalid_request_error");
    res = raw.request(bhttp::verb::post, "/v1/chat/completions", "{not json", {{"authorization", "Bearer wrong"}});
    CHECK(res.result_int() == 401);
    res = raw.request(bhttp::verb::post, "/v1/chat/completions", R"({"model":"gpt-4o-mini"})",
                      {{"authorization", "Bearer openai-good"}});
    CHECK(res.result_int() == 400);
    CHECK(json::parse(res.body())["error"]["param"] == "messages");
    res = raw.request(bhttp::verb::post, "/v1/chat/completions",
                      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"n":1000})",
                      {{"authorization", "Bearer openai-good"}});
    CHECK(res.result_int() == 400);
    res = raw.request(bhttp::verb::post, "/v1/messages", R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}]})",
                      {{"x-api-key", "anthropic-good"}, {"anthropic-version", "2023-06-01"}});
    CHECK(res.result_int() == 400);
    CHECK(json::parse(res.body())["error"]["message"] == "max_tokens: Field required");
    res = raw.request(bhttp::verb::post, "/v1/messages",
                      R"({"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]})",
                      {{"x-api-key", "anthropic-good"}});
    CHECK(res.result_int() == 400);
    CHECK(json::parse(res.body())["error"]["message"] == "anthropic-version: header is required");
    res = raw.request(bhttp::verb::post, "/v1beta/models/gemini-2.0-flash:generateContent", "[]",
                      {{"x-goog-api-key", "gemini-good"}});
    CHECK(res.result_int() == 400);
    CHECK(json::parse(res.body())["error"]["status"] == "INVALID_ARGUMENT");
    res = raw.request(bhttp::verb::get, "/v1/chat/completions", "", {{"authorization", "Bearer openai-good"}});
    CHECK(res.result_int() == 404);
    res = raw.request(bhttp::verb::post, "/nowhere", "{}");
    CHECK(res.result_int() == 404);
    res = raw.request(bhttp::verb::post, "/v1/chat/completions", openai_body, {{"authorization", "Bearer openai-good"}});
    CHECK(res.result_int() == 200);
  }
  {
    Raw raw(port);
    auto res = raw.request(bhttp::verb::post, "/v1/chat/completions", std::string(10000, ' '),
                           {{"authorization", "Bearer openai-good"}});
    CHECK(res.result_int() == 413);
  }
  {
    Raw raw(port);
    auto res = raw.bytes("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n");
    CHECK(res.result_int() / 100 == 4);
  }
  // Still serving.
  CHECK(send(f, targets()[0]).status == 200);
}

TEST_CASE("sim server: 200 connections open at once are all served", "[sim_server][concurrency]") {
  Fixture f;
  constexpr int n = 200;
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  for (int i = 0; i < n; ++i) {
    sockets.push_back(std::make_unique<tcp::socket>(io));
    sockets.back()->connect({asio::ip::make_address("127.0.0.1"), f.server->port()});
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (f.server->open_connections() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  CHECK(f.server->open_connections() == n);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v1/chat/completions", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::authorization, "Bearer openai-good");
  req.set(bhttp::field::content_type, "application/json");
  req.body() = openai_body;
  req.prepare_payload();
  for (auto& s : sockets) bhttp::write(*s, req);
  int ok = 0;
  for (auto& s : sockets) {
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(*s, buf, res);
    ok += res.result_int() == 200 || res.result_int() == 429;
  }
  CHECK(ok == n);
  CHECK(f.server->peak_connections() >= n);
  CHECK(f.providers[0]->received() == n);
}

TEST_CASE("sim server: a request without a known key is refused from its headers, its body never read", "[sim_server]") {
  Fixture f;
  // Headers only: a gigabyte announced, not a byte of it sent. The answer comes anyway.
  Raw raw(f.server->port());
  auto res = raw.bytes(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nobody\r\n"
      "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n");
  CHECK(res.result_int() == 401);
  CHECK(json::parse(res.body())["error"]["code"] == "invalid_api_key");
  CHECK_FALSE(res.keep_alive());  // the unread body can not be skipped: the connection ends
  Raw anthropic(f.server->port());
  res = anthropic.bytes("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n");
  CHECK(res.result_int() == 401);
  CHECK(json::parse(res.body())["error"]["type"] == "authentication_error");
  CHECK(f.server->peak_body_bytes_in_flight() == 0);
  CHECK(f.providers[0]->received() == 0);  // the provider never saw them
}

TEST_CASE("sim server: a body announced over max_body_bytes is a 413 before it is sent", "[sim_server]") {
  sim::ServerOptions o;
  o.max_body_bytes = 4096;
  Fixture f(o);
  Raw raw(f.server->port());
  auto res = raw.bytes(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer openai-good\r\n"
      "Content-Length: 4097\r\n\r\n");
  CHECK(res.result_int() == 413);
  CHECK(f.server->peak_body_bytes_in_flight() == 0);
}

TEST_CASE("sim server: bodies in flight never pass max_body_bytes_in_flight; those over it hear overloaded", "[sim_server][concurrency]") {
  constexpr std::uint64_t body = 64 * 1024;
  constexpr std::size_t fit = 4, refused = 12;
  sim::ServerOptions o;
  o.max_body_bytes = body;
  o.max_body_bytes_in_flight = fit * body;
  Fixture f(o);
  std::string full = openai_body;
  full.resize(body, ' ');  // trailing blanks keep it valid JSON
  const std::string head = fmt::format(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer openai-good\r\n"
      "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", body);
  // `fit` clients send their headers and half a body, and stall: the server holds their bodies.
  std::vector<std::unique_ptr<Raw>> slow;
  for (std::size_t i = 0; i < fit; ++i) {
    slow.push_back(std::make_unique<Raw>(f.server->port()));
    asio::write(slow.back()->socket, asio::buffer(head + full.substr(0, body / 2)));
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (f.server->body_bytes_in_flight() < fit * body && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(f.server->body_bytes_in_flight() == fit * body);
  // Every further body would pass the budget: refused as overloaded, never read.
  for (std::size_t i = 0; i < refused; ++i) {
    Raw more(f.server->port());
    auto res = more.bytes(head);
    CHECK(res.result_int() == 503);
    CHECK(res[bhttp::field::retry_after] == "1");
    CHECK_FALSE(res.keep_alive());
    CHECK(dialect::classify("openai", res.result_int(), providers::HeaderView{}, res.body(), WallTime{}).retryable);
  }
  CHECK(f.server->peak_body_bytes_in_flight() == fit * body);
  // The held bodies finish and are answered; their bytes go back to the budget.
  for (auto& s : slow) {
    asio::write(s->socket, asio::buffer(full.substr(body / 2)));
    CHECK(s->read().result_int() == 200);
  }
  // Given back once each answer is written (the client may read it a moment before).
  const auto returned = std::chrono::steady_clock::now() + 20s;
  while (f.server->body_bytes_in_flight() > 0 && std::chrono::steady_clock::now() < returned) std::this_thread::yield();
  CHECK(f.server->body_bytes_in_flight() == 0);
  CHECK(f.server->peak_body_bytes_in_flight() <= o.max_body_bytes_in_flight);
  CHECK(send(f, targets()[0]).status == 200);
  CHECK(f.providers[0]->received() == fit + 1);
}
