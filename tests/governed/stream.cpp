// Streaming: a streamed call is governed like any call — limits,
// backoff, cancellation, budgets, cache — its pieces reach the caller in order, its usage is
// reconciled from the stream's final event, and once a piece was shown a failure is returned,
// never retried. Simulated providers on a manual clock; no sleeps.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

static_assert(transport::StreamingTransport<Sim>);

namespace {

/// What the simulated providers answer by default, and the pieces it streams as.
const std::string answer = "This is a simulated completion.";
const std::vector<std::string> pieces{"This ", "is ", "a ", "simulated ", "completion."};

/// Collects what a stream shows.
struct Shown {
  std::vector<std::string> pieces;
  transport::ChunkSink sink() {
    return [this](std::string_view p) { pieces.emplace_back(p); };
  }
  std::string text() const {
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
  }
};

/// OpenAI's per-minute 429 with a stated wait: refused before the stream began.
sim::ProviderReply rpm_429(int seconds) {
  return sim::ProviderReply{429,
                    {{"retry-after", std::to_string(seconds)}},
                    R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-openai-a on requests )"
                    R"(per min (RPM): Limit 500, Used 500, Requested 1.","type":"requests","param":null,)"
                    R"("code":"rate_limit_exceeded"}})",
                    {}};
}

/// gpt-4o limited only by tokens: 100 000 a minute with no headroom, a call estimated at
/// 2 000 tokens (1 000 of them output), so the limit set's tokens are the figures of the test.
StateConfig tokens_only() {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{
      .tier = "tier1", .rpm = 0, .tpm = 100000, .rpd = 0, .tpd = 0, .headroom = 0.0, .est_tokens_per_call = 2000};
  return c;
}

/// One request a minute for gpt-4o (see async_send.cpp): the second call waits 60 s.
StateConfig one_a_minute() {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 2, .tpm = 0, .headroom = 0.0};
  return c;
}

LimitSet<limiter::gcra>& set_of(World& w, std::string_view model = "gpt-4o") {
  const auto& table = w.state->table();
  auto* set = w.state->find_limit_set(*table.provider("openai"), *table.model("openai", model), "org-openai-a");
  REQUIRE(set);
  return *set;
}

Governed<Sim, Clock, fallback::none> on(World& w, boost::asio::io_context& ioc) {
  auto t = std::make_shared<Sim>(w.clock, w.providers, ioc.get_executor());
  return Governed<Sim, Clock, fallback::none>(w.state, t, {}, {}, ioc.get_executor());
}

void poll(boost::asio::io_context& ioc) {
  ioc.restart();
  ioc.poll();
}

std::size_t sent_everywhere(World& w) {
  return w.sim("openai").log().size() + w.sim("groq").log().size() + w.sim("anthropic").log().size();
}

}  // namespace

TEST_CASE("stream: the pieces arrive in order and the content is their concatenation", "[governed][stream]") {
  World w;
  auto g = w.governed();
  Shown shown;
  auto r = g.stream(ask("openai", "gpt-4o"), shown.sink());
  REQUIRE(r);
  CHECK(shown.pieces == pieces);
  CHECK(r->content == shown.text());
  CHECK(r->content == answer);
  CHECK(r->attempts == 1);
  CHECK(r->model == "gpt-4o");
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 1);
  CHECK(log[0].outcome == sim::Outcome::success);
}

TEST_CASE("stream: usage, cost and the token limit come from the final event, not the estimate",
          "[governed][stream]") {
  World w(World::default_keys(), tokens_only());
  auto g = w.governed();
  Request req = ask("openai", "gpt-4o");
  req.max_tokens = 1000;  // the estimate holds 1000 output tokens; the answer uses 64
  Shown shown;
  auto r = g.stream(req, shown.sink());
  REQUIRE(r);
  CHECK(r->model == "gpt-4o");
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 1);
  CHECK(r->usage.input_tokens == log[0].input_tokens);
  CHECK(r->usage.output_tokens == 64);
  const auto* model = w.state->table().model("openai", "gpt-4o");
  CHECK(r->cost.total_cost == Approx(providers::cost_of(model->price, r->usage).total_cost));

  auto& set = set_of(w);
  const auto* tpm = set.rate_limiter(Dimension::tokens_per_minute);
  REQUIRE(tpm);
  const std::uint64_t burst = tpm->limit().burst;
  const auto used = static_cast<std::uint64_t>(r->usage.total());
  CHECK(set.available(Dimension::tokens_per_minute, w.clock.now()) == burst - used);
  CHECK(used < 2000 / 10);  // far more left than the estimate would have left
}

TEST_CASE("stream: with no usage at its end, the output is estimated from the streamed text",
          "[governed][stream]") {
  World w(World::default_keys(), tokens_only(), 1, [](sim::Config& c) { c.stream_usage = false; });
  auto g = w.governed();
  Request req = ask("openai", "gpt-4o");
  req.max_tokens = 1000;
  Shown shown;
  auto r = g.stream(req, shown.sink());
  REQUIRE(r);
  CHECK(r->model == "gpt-4o");
  CHECK(r->content == answer);
  const auto* model = w.state->table().model("openai", "gpt-4o");
  const auto expected = static_cast<std::int64_t>(std::ceil(providers::text_tokens(answer, model->estimate.letters_per_token)));
  CHECK(expected > 0);
  CHECK(r->usage.output_tokens == expected);
  CHECK(r->usage.input_tokens > 0);
  CHECK(r->cost.total_cost > 0);
  auto& set = set_of(w);
  const std::uint64_t burst = set.rate_limiter(Dimension::tokens_per_minute)->limit().burst;
  CHECK(set.available(Dimension::tokens_per_minute, w.clock.now()) == burst - static_cast<std::uint64_t>(r->usage.total()));
}

TEST_CASE("stream: a 429 before the first piece backs off, then streams", "[governed][stream]") {
  World w;
  auto g = w.governed();
  w.sim("openai").push_reply("gpt-4o", rpm_429(7));
  const Instant t0 = w.clock.now();
  Shown shown;
  auto r = g.stream(ask("openai", "gpt-4o"), shown.sink());
  REQUIRE(r);
  CHECK(shown.pieces == pieces);  // the refusal showed nothing
  CHECK(r->content == answer);
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() - t0 == 7s);
  CHECK(count(r->events, EventKind::retried) == 1);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 2);
  CHECK(log[0].outcome == sim::Outcome::scripted);
  CHECK(log[1].outcome == sim::Outcome::success);
  CHECK(log[1].at - t0 == 7s);
}

TEST_CASE("stream: a stream broken after k pieces returns io_error after one attempt, never retried",
          "[governed][stream]") {
  World w;
  auto g = w.governed();  // models_then_providers: a retry or a fallback would be possible
  w.sim("openai").break_stream("gpt-4o", 2);
  Shown shown;
  auto r = g.stream(ask("openai", "gpt-4o"), shown.sink());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message.find("broke off") != std::string::npos);
  CHECK(shown.pieces == std::vector<std::string>{"This ", "is "});
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 1);
  CHECK(log[0].outcome == sim::Outcome::broken);
  CHECK(sent_everywhere(w) == 1);  // no second request, to this model or any other
  CHECK(w.clock.now() == Instant{std::chrono::hours{1}});  // no backoff either

  // The next stream is whole again.
  Shown again;
  auto next = g.stream(ask("openai", "gpt-4o"), again.sink());
  REQUIRE(next);
  CHECK(again.pieces == pieces);
}

TEST_CASE("stream: a stream that drops before its first piece is classified like any call", "[governed][stream]") {
  // Dropped after the request went out: not provably unsent, so only an idempotent
  // (cacheable) call is retried; no piece was shown either way.
  World w;
  auto g = w.governed<fallback::none>();
  w.sim("openai").break_stream("gpt-4o", 0);
  Shown shown;
  auto once = g.stream(ask("openai", "gpt-4o"), shown.sink());
  REQUIRE_FALSE(once);
  CHECK(once.error().code == Errc::io_error);
  CHECK(shown.pieces.empty());
  CHECK(w.sim("openai").log().size() == 1);

  w.sim("openai").break_stream("gpt-4o", 0);
  Request idempotent = ask("openai", "gpt-4o");
  idempotent.cacheable = true;
  auto retried = g.stream(idempotent, shown.sink());
  REQUIRE(retried);
  CHECK(retried->attempts == 2);
  CHECK(count(retried->events, EventKind::retried) == 1);
  CHECK(shown.pieces == pieces);
  CHECK(w.sim("openai").log().size() == 3);
}

TEST_CASE("stream: budgets and statistics are settled with the stream's usage, whole or broken", "[governed][stream]") {
  StateConfig c;
  c.spend = SpendBudgetConfig{.daily_usd = 100.0};
  c.tasks.default_tokens = 1'000'000;
  World w(World::default_keys(), c);
  auto g = w.governed();
  Request req = ask("openai", "gpt-4o");
  req.task = "worker";
  req.task_id = "stream-1";
  req.max_tokens = 1000;

  auto r = g.stream(req, [](std::string_view) {});
  REQUIRE(r);
  auto task = w.state->tasks().usage("stream-1");
  REQUIRE(task);
  CHECK(task->calls == 1);
  CHECK(task->tokens == r->usage.total());
  CHECK(task->tokens_reserved == 0);
  SpendBudget* spend = w.state->spend();
  REQUIRE(spend);
  const WallTime now = w.clock.wall_now();
  CHECK(spend->spent(Period::day, now) == Approx(r->cost.total_cost));
  CHECK(spend->reserved(Period::day, now) == 0);

  // Broken after three pieces: the prompt and the text shown were billed, so they count.
  w.sim("openai").break_stream("gpt-4o", 3);
  Shown shown;
  auto broken = g.stream(req, shown.sink());
  REQUIRE_FALSE(broken);
  REQUIRE(shown.pieces.size() == 3);
  const auto* model = w.state->table().model("openai", "gpt-4o");
  const auto out = static_cast<std::int64_t>(std::ceil(providers::text_tokens(shown.text(), model->estimate.letters_per_token)));
  const std::int64_t in = r->usage.input_tokens;  // the same prompt, estimated as the provider counts it
  task = w.state->tasks().usage("stream-1");
  REQUIRE(task);
  CHECK(task->calls == 2);
  CHECK(task->tokens == r->usage.total() + in + out);
  CHECK(task->tokens_reserved == 0);
  const double partial = providers::cost_of(model->price, providers::Usage{.input_tokens = in, .output_tokens = out}).total_cost;
  CHECK(spend->spent(Period::day, now) == Approx(r->cost.total_cost + partial));
  CHECK(spend->reserved(Period::day, now) == 0);

  // The statistics count what was charged: the broken stream's tokens and cost too.
  for (Series* series : {&w.state->stats().model("openai", "gpt-4o"), &w.state->stats().provider("openai"),
                         &w.state->stats().task("worker")}) {
    CHECK(series->requests.load() == 2);
    CHECK(series->failures.load() == 1);
    CHECK(series->input_tokens.load() == static_cast<std::uint64_t>(r->usage.input_tokens + in));
    CHECK(series->output_tokens.load() == static_cast<std::uint64_t>(r->usage.output_tokens + out));
    CHECK(series->cost_usd() == Approx(r->cost.total_cost + partial));
  }
}

TEST_CASE("stream: a cached answer is shown whole, as one piece, and nothing is sent", "[governed][stream]") {
  World w;
  auto g = w.governed();
  Request req = ask("openai", "gpt-4o-mini");
  req.cacheable = true;
  Shown first;
  REQUIRE(g.stream(req, first.sink()));
  Shown second;
  auto hit = g.stream(req, second.sink());
  REQUIRE(hit);
  CHECK(hit->from_cache);
  CHECK(second.pieces == std::vector<std::string>{answer});
  CHECK(w.sim("openai").log().size() == 1);
}

TEST_CASE("async_stream: pieces on the handler's executor, in order, before the completion", "[governed][stream][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = on(w, ioc);
  std::vector<std::string> seen;
  bool on_ioc = true;
  std::optional<Result<Response>> got;
  g.async_stream(
      ask("openai", "gpt-4o"),
      [&](std::string_view p) {
        on_ioc = on_ioc && ioc.get_executor().running_in_this_thread();
        CHECK_FALSE(got);
        seen.emplace_back(p);
      },
      [&](Result<Response> r) { got = std::move(r); });
  CHECK(seen.empty());  // never inline
  CHECK_FALSE(got);
  ioc.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(seen == pieces);
  CHECK(on_ioc);
  CHECK((*got)->content == answer);
  CHECK((*got)->usage.output_tokens == 64);
}

TEST_CASE("async_stream: a broken stream completes with io_error after one request", "[governed][stream][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = on(w, ioc);
  w.sim("openai").break_stream("gpt-4o", 1);
  std::vector<std::string> seen;
  std::optional<Result<Response>> got;
  g.async_stream(ask("openai", "gpt-4o"), [&](std::string_view p) { seen.emplace_back(p); },
                 [&](Result<Response> r) { got = std::move(r); });
  ioc.run();
  REQUIRE(got);
  REQUIRE_FALSE(*got);
  CHECK(got->error().code == Errc::io_error);
  CHECK(seen == std::vector<std::string>{"This "});
  CHECK(sent_everywhere(w) == 1);
}

TEST_CASE("async_stream: cancelled while waiting for admission, it shows nothing and sends nothing",
          "[governed][stream][async]") {
  World w(World::default_keys(), one_a_minute(), 0);
  boost::asio::io_context ioc;
  auto g = on(w, ioc);
  REQUIRE(g.send(ask("openai", "gpt-4o")));

  boost::asio::cancellation_signal signal;
  std::vector<std::string> seen;
  std::optional<Result<Response>> got;
  g.async_stream(ask("openai", "gpt-4o"), [&](std::string_view p) { seen.emplace_back(p); },
                 boost::asio::bind_cancellation_slot(signal.slot(), [&](Result<Response> r) { got = std::move(r); }));
  poll(ioc);
  CHECK_FALSE(got);
  CHECK(set_of(w).line().size() == 1);
  signal.emit(boost::asio::cancellation_type::terminal);
  poll(ioc);
  REQUIRE(got);
  REQUIRE_FALSE(*got);
  CHECK(got->error().code == Errc::cancelled);
  CHECK(seen.empty());
  CHECK(set_of(w).line().size() == 0);
  CHECK(w.sim("openai").log().size() == 1);  // only the first call

  // The wait it gave up is the next call's: it streams after the minute.
  std::optional<Result<Response>> next;
  g.async_stream(ask("openai", "gpt-4o"), [&](std::string_view p) { seen.emplace_back(p); },
                 [&](Result<Response> r) { next = std::move(r); });
  poll(ioc);
  CHECK_FALSE(next);
  w.clock.advance(60s);
  poll(ioc);
  REQUIRE(next);
  CHECK(*next);
  CHECK(seen == pieces);
}

TEST_CASE("async_stream: a 429 before the first piece backs off on the clock, then streams", "[governed][stream][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = on(w, ioc);
  w.sim("openai").push_reply("gpt-4o", rpm_429(5));
  std::vector<std::string> seen;
  std::optional<Result<Response>> got;
  g.async_stream(ask("openai", "gpt-4o"), [&](std::string_view p) { seen.emplace_back(p); },
                 [&](Result<Response> r) { got = std::move(r); });
  poll(ioc);
  CHECK_FALSE(got);
  CHECK(seen.empty());
  w.clock.advance(5s);
  poll(ioc);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->attempts == 2);
  CHECK(seen == pieces);
}

TEST_CASE("async_stream with use_awaitable in a coroutine", "[governed][stream][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = on(w, ioc);
  std::vector<std::string> seen;
  std::optional<Result<Response>> got;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        got = co_await g.async_stream(ask("openai", "gpt-4o"), [&](std::string_view p) { seen.emplace_back(p); },
                                      boost::asio::use_awaitable);
      },
      boost::asio::detached);
  ioc.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->content == answer);
  CHECK(seen == pieces);
}

namespace {

/// A transport with only the blocking `stream`: async_stream runs it where the walk runs and
/// still hands the pieces over on the caller's executor.
struct BlockingStreamer {
  std::shared_ptr<Sim> sim;
  transport::Reply send(const transport::Attempt& a) { return sim->send(a); }
  transport::Reply stream(const transport::Attempt& a, const transport::ChunkSink& sink) { return sim->stream(a, sink); }
};

static_assert(transport::StreamingTransport<BlockingStreamer>);

}  // namespace

TEST_CASE("async_stream over a blocking streaming transport: pieces on the caller's executor",
          "[governed][stream][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto t = std::make_shared<BlockingStreamer>(BlockingStreamer{w.transport});
  Governed<BlockingStreamer, Clock, fallback::none> g(w.state, t, {}, {}, ioc.get_executor());
  std::vector<std::string> seen;
  bool on_ioc = true;
  std::optional<Result<Response>> got;
  g.async_stream(
      ask("openai", "gpt-4o"),
      [&](std::string_view p) {
        on_ioc = on_ioc && ioc.get_executor().running_in_this_thread();
        seen.emplace_back(p);
      },
      [&](Result<Response> r) { got = std::move(r); });
  CHECK(seen.empty());
  ioc.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(seen == pieces);
  CHECK(on_ioc);
}

namespace {

/// An asynchronous streaming transport the test drives, as a network would: the attempt stays
/// open until the test sends pieces (from any thread) and ends it, and the completion token's
/// cancellation slot stops it, as `transport::http` does.
struct HeldStreamer {
  transport::ChunkSink sink;
  std::function<void(transport::Reply)> done;
  boost::asio::cancellation_slot slot;
  int attempts = 0;

  transport::Reply send(const transport::Attempt&) { return {}; }
  transport::Reply stream(const transport::Attempt&, const transport::ChunkSink&) { return {}; }

  template <class Token>
  auto async_stream(const transport::Attempt&, transport::ChunkSink on_chunk, Token&& token) {
    return boost::asio::async_initiate<Token, void(transport::Reply)>(
        [this](auto handler, transport::ChunkSink s) {
          ++attempts;
          sink = std::move(s);
          slot = boost::asio::get_associated_cancellation_slot(handler);
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          done = [h](transport::Reply r) {
            auto ex = boost::asio::get_associated_executor(*h);
            boost::asio::post(ex, boost::asio::append(std::move(*h), std::move(r)));
          };
          if (slot.is_connected())
            slot.assign([this](boost::asio::cancellation_type) {
              // Completes (posted) without clearing the slot from inside its own handler.
              transport::Reply r;
              r.failure = providers::NetworkFailure::closed_early;
              r.cancelled = true;
              complete(std::move(r));
            });
        },
        token, std::move(on_chunk));
  }

  // Keeps `sink` after the attempt, as a careless transport might: the call (and its State)
  // must not live on through it — the sanitizer build's leak check says so.
  void complete(transport::Reply r) {
    auto d = std::move(done);
    done = nullptr;
    if (d) d(std::move(r));
  }

  void end(transport::Reply r) {
    if (slot.is_connected()) slot.clear();
    complete(std::move(r));
  }

  /// The whole answer, `text` in `parts`, with its usage.
  void finish(const std::vector<std::string>& parts) {
    transport::Reply r;
    r.status = 200;
    auto& s = r.streamed.emplace();
    for (const auto& p : parts) {
      s.content += p;
      ++s.chunks;
    }
    s.usage = providers::Usage{.input_tokens = 10, .output_tokens = 5};
    end(std::move(r));
  }
};

static_assert(detail::AsyncStreamingTransport<HeldStreamer>);

}  // namespace

TEST_CASE("async_stream: pieces read on the transport's thread reach the caller's executor in order",
          "[governed][stream][async][concurrency]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto t = std::make_shared<HeldStreamer>();
  Governed<HeldStreamer, Clock, fallback::none> g(w.state, t, {}, {}, ioc.get_executor());
  std::vector<std::string> seen;
  bool on_ioc = true;
  std::optional<Result<Response>> got;
  g.async_stream(
      ask("openai", "gpt-4o"),
      [&](std::string_view p) {
        on_ioc = on_ioc && ioc.get_executor().running_in_this_thread();
        CHECK_FALSE(got);
        seen.emplace_back(p);
      },
      [&](Result<Response> r) { got = std::move(r); });
  REQUIRE(t->attempts == 1);
  std::vector<std::string> parts;
  for (int i = 0; i < 50; ++i) parts.push_back(std::to_string(i) + " ");
  std::thread reader([&] {
    for (const auto& p : parts) t->sink(p);
    t->finish(parts);
  });
  reader.join();
  CHECK(seen.empty());  // handed over, not run on the reader's thread
  ioc.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(seen == parts);
  CHECK(on_ioc);
  CHECK((*got)->usage.output_tokens == 5);
}

TEST_CASE("async_stream: cancelled mid-stream, the call ends cancelled and is not retried", "[governed][stream][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto t = std::make_shared<HeldStreamer>();
  Governed<HeldStreamer, Clock, fallback::none> g(w.state, t, {}, {}, ioc.get_executor());
  boost::asio::cancellation_signal signal;
  std::vector<std::string> seen;
  std::optional<Result<Response>> got;
  g.async_stream(ask("openai", "gpt-4o"), [&](std::string_view p) { seen.emplace_back(p); },
                 boost::asio::bind_cancellation_slot(signal.slot(), [&](Result<Response> r) { got = std::move(r); }));
  REQUIRE(t->attempts == 1);
  t->sink("Hel");
  t->sink("lo");
  poll(ioc);
  CHECK(seen == std::vector<std::string>{"Hel", "lo"});
  CHECK_FALSE(got);
  signal.emit(boost::asio::cancellation_type::terminal);
  poll(ioc);
  REQUIRE(got);
  REQUIRE_FALSE(*got);
  CHECK(got->error().code == Errc::cancelled);
  CHECK(t->attempts == 1);

  // "Hello" was generated and shown, so it was billed: the statistics count it (the prompt at
  // its estimate, the text shown at the model's tokenizer estimate), and so does the cost.
  const auto* model = w.state->table().model("openai", "gpt-4o");
  const auto out = static_cast<std::uint64_t>(std::ceil(providers::text_tokens("Hello", model->estimate.letters_per_token)));
  const Series& series = w.state->stats().model("openai", "gpt-4o");
  CHECK(series.requests.load() == 1);
  CHECK(series.failures.load() == 1);
  CHECK(series.input_tokens.load() > 0);
  CHECK(series.output_tokens.load() == out);
  CHECK(series.cost_usd() > 0);
}
