// A governed call over loopback HTTP beside what an application does without a governor: a
// bare Boost.Beast request to the same simulated provider on the same keep-alive terms,
// building the same JSON body and parsing the reply's text and usage with nlohmann. The
// provider (sim::Server, one I/O thread) answers at once with limits no run reaches, so the
// difference is the governor and its transport: admission, the wire format, the connection
// pool, the attempt's timers and Asio's event loop (on the caller's own thread for a blocking
// call), classifying the reply and reconciling its usage.
//
// Throughput: calls per second with 1 and with 64 calls kept in flight — governed
// `async_send` (one transport I/O thread) beside bare Beast coroutines on one io_context (one
// I/O thread too), each over as many keep-alive connections as calls in flight.
#include <governed/governed.hpp>
#include <governed/sim/server.hpp>
#include <governed/transport/http.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include "ratios.hpp"

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace governed;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

const std::string bench_key = "sk-bench-http-0000000000000000000";
constexpr std::int64_t plenty = std::int64_t{1} << 40;

/// The simulated OpenAI behind loopback HTTP, one per process: answers at once, rate-limit
/// headers on every reply as the real one sends them, limits far above any run, no log kept.
struct Loopback {
  clock::steady clock;
  std::shared_ptr<sim::Provider> provider;
  std::unique_ptr<sim::Server<clock::steady>> server;

  Loopback() {
    sim::Config c;
    c.provider = "openai";
    c.keys = {{.key = bench_key, .account = "org-bench"}};
    c.limits = {.rpm = plenty, .tpm = plenty};
    c.latency = {.fixed = Duration::zero(), .per_output_token = Duration::zero()};
    c.completion_tokens = 2;
    c.completion_text = "Hello.";
    c.log_capacity = 0;
    provider = sim::Provider::create(std::move(c)).value();
    sim::ServerOptions o;
    o.wait_latency = false;
    o.threads = 1;
    server = sim::Server<clock::steady>::create({provider}, clock, o).value();
  }
};

Loopback& loopback() {
  static Loopback l;
  return l;
}

using HttpGoverned = Governed<transport::http>;

/// A warm governor pointed at the loopback provider; the pool keeps as many idle connections
/// as the widest run has calls in flight, as an application running 64 at once would set it.
HttpGoverned governed_http() {
  StateConfig c;
  c.keys.keys = {{"openai", bench_key, "org-bench"}};
  c.keys.persist = false;
  c.providers["openai"] = ProviderSettings{.rpm = std::uint64_t{1} << 40,
                                           .tpm = std::uint64_t{1} << 50,
                                           .rpd = 0,
                                           .tpd = 0,
                                           .base_url = loopback().server->base_url("openai")};
  c.seed = 1;
  transport::HttpOptions o;
  o.max_idle_per_host = 64;
  return HttpGoverned(State<>::create(std::move(c)).value(), std::make_shared<transport::http>(std::move(o)));
}

Request hello() {
  Request r;
  r.provider = "openai";
  r.model = "gpt-4o-mini";
  r.messages = {{"user", "Say hello."}};
  r.max_tokens = 16;
  return r;
}

// ---- the bare client: what an application writes without a governor ----------------------

/// The request body and headers transport::http sends for `hello()`.
bhttp::request<bhttp::string_body> bare_request(const Request& r) {
  json body = json::object();
  body["model"] = r.model;
  json messages = json::array();
  for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  body["messages"] = std::move(messages);
  body["max_completion_tokens"] = r.max_tokens;
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v1/chat/completions", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::authorization, "Bearer " + bench_key);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::accept, "application/json");
  req.keep_alive(true);
  req.body() = body.dump();
  req.prepare_payload();
  return req;
}

/// The reply's text and usage, read as an application reads them; false when it is not a
/// completion.
bool read_reply(const bhttp::response<bhttp::string_body>& res, std::string& content, std::int64_t& tokens) {
  if (res.result_int() != 200) return false;
  const json j = json::parse(res.body(), nullptr, false);
  if (j.is_discarded()) return false;
  content = j.at("choices").at(0).at("message").at("content").get<std::string>();
  const auto& u = j.at("usage");
  tokens = u.at("prompt_tokens").get<std::int64_t>() + u.at("completion_tokens").get<std::int64_t>();
  return true;
}

void BM_Http_Bare_Send(benchmark::State& st) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), loopback().server->port()});
  beast::flat_buffer buffer;
  const Request r = hello();
  std::string content;
  std::int64_t tokens = 0;
  for (auto _ : st) {
    auto req = bare_request(r);
    bhttp::write(socket, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    if (!read_reply(res, content, tokens)) {
      st.SkipWithError("the bare request was not answered with a completion");
      break;
    }
    benchmark::DoNotOptimize(content);
    benchmark::DoNotOptimize(tokens);
  }
}
BENCHMARK(BM_Http_Bare_Send)->UseRealTime()->Threads(1);

void BM_Http_Governed_Send(benchmark::State& st) {
  HttpGoverned g = governed_http();
  const Request r = hello();
  for (auto _ : st) {
    auto res = g.send(r);
    if (!res || res->content != "Hello.") {
      st.SkipWithError(res ? "the governed call came back without the completion" : res.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_Http_Governed_Send)->UseRealTime()->Threads(1);

// The transport alone, without the governor: the same attempt handed to transport::http's
// blocking send (run on this thread: the wire format, the pool, the timers) and its reply
// left unread. What it adds to the bare request is the transport's; what governed send adds
// to it, the governor's.
void BM_Http_Transport_Send(benchmark::State& st) {
  transport::HttpOptions o;
  transport::http t(std::move(o));
  const Request r = hello();
  const std::string base = loopback().server->base_url("openai");
  const transport::Attempt a{r, "openai", r.model, base, bench_key};
  for (auto _ : st) {
    auto reply = t.send(a);
    if (reply.status != 200) {
      st.SkipWithError("the transport's attempt was not answered 200");
      break;
    }
    benchmark::DoNotOptimize(reply);
  }
}
BENCHMARK(BM_Http_Transport_Send)->UseRealTime()->Threads(1);

// ---- calls in flight ------------------------------------------------------------------------

constexpr int calls_per_round = 256;

/// One bare client connection: requests in turn while the round has calls left.
asio::awaitable<void> bare_client(tcp::socket& socket, beast::flat_buffer& buffer, const Request& r, int& left,
                                  int& failed) {
  std::string content;
  std::int64_t tokens = 0;
  while (left > 0) {
    --left;
    auto req = bare_request(r);
    co_await bhttp::async_write(socket, req, asio::use_awaitable);
    bhttp::response<bhttp::string_body> res;
    co_await bhttp::async_read(socket, buffer, res, asio::use_awaitable);
    if (!read_reply(res, content, tokens)) ++failed;
  }
}

void BM_Http_Bare_InFlight(benchmark::State& st) {
  const auto width = static_cast<std::size_t>(st.range(0));
  asio::io_context io(1);
  std::vector<tcp::socket> sockets;
  sockets.reserve(width);
  std::vector<beast::flat_buffer> buffers(width);
  for (std::size_t i = 0; i < width; ++i) {
    sockets.emplace_back(io);
    sockets.back().connect({asio::ip::make_address("127.0.0.1"), loopback().server->port()});
  }
  const Request r = hello();
  for (auto _ : st) {
    int left = calls_per_round, failed = 0;
    io.restart();
    for (std::size_t i = 0; i < width; ++i)
      asio::co_spawn(io, bare_client(sockets[i], buffers[i], r, left, failed), asio::detached);
    io.run();
    if (failed > 0 || left > 0) {
      st.SkipWithError("a bare call was not answered with a completion");
      break;
    }
  }
  st.SetItemsProcessed(st.iterations() * calls_per_round);
}
BENCHMARK(BM_Http_Bare_InFlight)->Arg(1)->Arg(64)->UseRealTime()->Threads(1);

/// A round of governed calls keeping `width` in flight: each completion starts the next. The
/// last completion holds the round until it has told the waiting thread.
struct Round : std::enable_shared_from_this<Round> {
  Round(HttpGoverned& g, const Request& r, int total) : g(g), r(r), total(total) {}

  HttpGoverned& g;
  const Request& r;
  int total;
  std::atomic<int> started{0}, done{0}, failed{0};
  std::promise<void> finished;

  void launch() {
    g.async_send(r, [this, self = shared_from_this()](Result<Response> res) {
      if (!res || res->content != "Hello.") failed.fetch_add(1, std::memory_order_relaxed);
      if (started.fetch_add(1, std::memory_order_relaxed) < total) launch();
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == total) finished.set_value();
    });
  }

  /// Runs the round; the number of calls that failed.
  int run(int width) {
    auto end = finished.get_future();
    started.store(width);
    for (int i = 0; i < width; ++i) launch();
    end.wait();
    return failed.load();
  }
};

void BM_Http_Governed_InFlight(benchmark::State& st) {
  const int width = static_cast<int>(st.range(0));
  HttpGoverned g = governed_http();
  const Request r = hello();
  // A first round opens the pool's connections.
  if (std::make_shared<Round>(g, r, width)->run(width) > 0) st.SkipWithError("a governed call failed while warming up");
  for (auto _ : st) {
    if (std::make_shared<Round>(g, r, calls_per_round)->run(width) > 0) {
      st.SkipWithError("a governed call failed");
      break;
    }
  }
  st.SetItemsProcessed(st.iterations() * calls_per_round);
}
BENCHMARK(BM_Http_Governed_InFlight)->Arg(1)->Arg(64)->UseRealTime()->Threads(1);

}  // namespace

GOVERNED_RATIO("governed HTTP round trip / bare Beast request (loopback sim), goal <= 1.2",
               ({"BM_Http_Governed_Send/real_time/threads:1"}), ({"BM_Http_Bare_Send/real_time/threads:1"}), 1.2);
GOVERNED_RATIO("transport::http attempt alone / bare Beast request (loopback sim)",
               ({"BM_Http_Transport_Send/real_time/threads:1"}), ({"BM_Http_Bare_Send/real_time/threads:1"}), 0);
GOVERNED_RATIO("governed HTTP round trip / transport::http attempt alone",
               ({"BM_Http_Governed_Send/real_time/threads:1"}), ({"BM_Http_Transport_Send/real_time/threads:1"}), 0);
GOVERNED_RATIO("governed HTTP round trip / clock read", ({"BM_Http_Governed_Send/real_time/threads:1"}),
               ({"BM_Baseline_ClockNow/threads:1"}), 0);
GOVERNED_RATIO("governed async_send, 1 in flight / bare Beast async, 1 in flight",
               ({"BM_Http_Governed_InFlight/1/real_time/threads:1"}), ({"BM_Http_Bare_InFlight/1/real_time/threads:1"}), 0);
GOVERNED_RATIO("governed async_send, 64 in flight / bare Beast async, 64 in flight",
               ({"BM_Http_Governed_InFlight/64/real_time/threads:1"}), ({"BM_Http_Bare_InFlight/64/real_time/threads:1"}),
               0);
