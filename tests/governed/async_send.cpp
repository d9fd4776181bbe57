// async_send through a callback, use_future and a cancellation slot; the wait line's bound
// (queue_full at once) and priority classes. Time moves only when the test advances it.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <optional>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// One request a minute for gpt-4o: 2 RPM with no headroom plans a burst of 1 and one request
/// every 60 s, so the second call waits exactly 60 s. No token limit: without headroom the
/// token dimension's burst would be one token.
StateConfig one_a_minute_queued(std::size_t max_waiters = 1024) {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 2, .tpm = 0, .headroom = 0.0};
  c.max_waiters = max_waiters;
  return c;
}

/// A call site whose transport and completions run on `ioc`.
Governed<Sim, Clock, fallback::none> call_site_on(World& w, boost::asio::io_context& ioc) {
  auto t = std::make_shared<Sim>(w.clock, w.providers, ioc.get_executor());
  return Governed<Sim, Clock, fallback::none>(w.state, t, {}, {}, ioc.get_executor());
}

/// Runs what is ready. An io_context that ran out of work stops, and a stopped one runs
/// nothing until restarted.
void run_ready(boost::asio::io_context& ioc) {
  ioc.restart();
  ioc.poll();
}

detail::WaitLine& line_of(World& w) {
  const auto& table = w.state->table();
  auto* set = w.state->find_limit_set(*table.provider("openai"), *table.model("openai", "gpt-4o"), "org-openai-a");
  REQUIRE(set);
  return set->line();
}

}  // namespace

TEST_CASE("async_send completes a callback", "[governed][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  std::optional<Result<Response>> got;
  g.async_send(ask("openai", "gpt-4o"), [&](Result<Response> r) { got = std::move(r); });
  CHECK_FALSE(got);  // never inline
  ioc.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->model == "gpt-4o");
  CHECK(w.sim("openai").log().size() == 1);
}

TEST_CASE("async_send with use_future, waiting out a limit on the clock", "[governed][async]") {
  // use_future completes on the system executor's threads; the clock jumps when the one
  // waiting call is parked on it.
  World w(World::default_keys(), one_a_minute_queued(), 1);
  auto g = w.governed<fallback::none>();
  const Instant t0 = w.clock.now();
  auto first = g.async_send(ask("openai", "gpt-4o"), boost::asio::use_future).get();
  REQUIRE(first);
  auto second = g.async_send(ask("openai", "gpt-4o"), boost::asio::use_future).get();
  REQUIRE(second);
  CHECK(count(second->events, EventKind::waited) == 1);
  CHECK(w.clock.now() - t0 == 60s);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 2);
  CHECK(log[1].at - t0 == 60s);
}

TEST_CASE("a cancelled async_send stops its wait, leaves the line, and the next call is not blocked",
          "[governed][async]") {
  World w(World::default_keys(), one_a_minute_queued(), 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("openai", "gpt-4o")));

  boost::asio::cancellation_signal signal;
  std::optional<Result<Response>> cancelled;
  g.async_send(ask("openai", "gpt-4o"),
               boost::asio::bind_cancellation_slot(signal.slot(), [&](Result<Response> r) { cancelled = std::move(r); }));
  run_ready(ioc);
  CHECK_FALSE(cancelled);
  CHECK(line_of(w).size() == 1);
  signal.emit(boost::asio::cancellation_type::terminal);
  run_ready(ioc);
  REQUIRE(cancelled);
  REQUIRE_FALSE(*cancelled);
  CHECK(cancelled->error().code == Errc::cancelled);
  CHECK(line_of(w).size() == 0);

  std::optional<Result<Response>> next;
  g.async_send(ask("openai", "gpt-4o"), [&](Result<Response> r) { next = std::move(r); });
  run_ready(ioc);
  CHECK_FALSE(next);
  w.clock.advance(60s);
  run_ready(ioc);
  REQUIRE(next);
  CHECK(*next);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 2);  // the cancelled call sent nothing
  CHECK(log[1].at - t0 == 60s);
}

TEST_CASE("a full wait line answers queue_full at once", "[governed][async]") {
  World w(World::default_keys(), one_a_minute_queued(1), 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  REQUIRE(g.send(ask("openai", "gpt-4o")));
  std::optional<Result<Response>> waiting, refused;
  g.async_send(ask("openai", "gpt-4o"), [&](Result<Response> r) { waiting = std::move(r); });
  g.async_send(ask("openai", "gpt-4o"), [&](Result<Response> r) { refused = std::move(r); });
  run_ready(ioc);
  REQUIRE(refused);
  REQUIRE_FALSE(*refused);
  CHECK(refused->error().code == Errc::queue_full);
  CHECK_FALSE(waiting);
  w.clock.advance(60s);
  run_ready(ioc);
  REQUIRE(waiting);
  CHECK(*waiting);
  CHECK(w.sim("openai").log().size() == 2);
}

TEST_CASE("a waiter of a higher priority class is admitted first", "[governed][async]") {
  World w(World::default_keys(), one_a_minute_queued(), 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  REQUIRE(g.send(ask("openai", "gpt-4o")));
  std::vector<std::string> order;
  for (const auto& [name, priority] : std::vector<std::pair<std::string, int>>{{"low-1", 0}, {"low-2", 0}, {"high", 5}}) {
    Request r = ask("openai", "gpt-4o");
    r.priority = priority;
    r.max_wait = 10min;
    g.async_send(std::move(r), [&order, name = name](Result<Response> res) {
      if (res) order.push_back(name);
      else order.push_back(name + ": " + res.error().message);
    });
  }
  run_ready(ioc);
  CHECK(order.empty());
  for (int minute = 0; minute < 3; ++minute) {
    w.clock.advance(60s);
    run_ready(ioc);
    CHECK(order.size() == static_cast<std::size_t>(minute + 1));
  }
  CHECK(order == std::vector<std::string>{"high", "low-1", "low-2"});
}

// The other token styles: deferred and use_awaitable. (Boost 1.81's default token for
// any_io_executor is void; async_send's own default is deferred, tested below.)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

TEST_CASE("async_send with deferred sends nothing until the operation is launched", "[governed][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  auto op = g.async_send(ask("openai", "gpt-4o"), boost::asio::deferred);
  run_ready(ioc);
  CHECK(w.sim("openai").log().empty());  // deferred: not initiated yet

  std::optional<Result<Response>> got;
  std::move(op)([&](Result<Response> r) { got = std::move(r); });
  run_ready(ioc);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->model == "gpt-4o");
  CHECK(w.sim("openai").log().size() == 1);
}

TEST_CASE("async_send with use_awaitable in a coroutine, waiting out a limit", "[governed][async]") {
  World w(World::default_keys(), one_a_minute_queued(), 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  const Instant t0 = w.clock.now();
  std::vector<Result<Response>> got;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 2; ++i) got.push_back(co_await g.async_send(ask("openai", "gpt-4o"), boost::asio::use_awaitable));
      },
      boost::asio::detached);
  run_ready(ioc);
  REQUIRE(got.size() == 1);  // the second call waits for the minute
  CHECK(got[0]);
  w.clock.advance(60s);
  ioc.restart();
  ioc.run();  // runs the coroutine to completion
  REQUIRE(got.size() == 2);
  REQUIRE(got[1]);
  CHECK(count(got[1]->events, EventKind::waited) == 1);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 2);
  CHECK(log[1].at - t0 == 60s);
}

// The completion contract: a result known while async_send initiates (a cache hit, a budget
// refusal) is posted to the handler's associated executor, never run inside async_send.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <future>
#include <thread>

namespace {

/// A cacheable request: the second of two within the cache's TTL is answered from the cache.
Request cacheable() {
  Request r = ask("openai", "gpt-4o");
  r.cacheable = true;
  return r;
}

/// A State whose "frozen" tasks may make no call: theirs are refused before anything is sent.
StateConfig with_frozen_tasks() {
  StateConfig c;
  c.tasks.calls_by_kind["frozen"] = 0;
  return c;
}

Request of_frozen_task() {
  Request r = ask("openai", "gpt-4o");
  r.task = "frozen";
  r.task_id = "frozen-1";
  return r;
}

/// What a completion handler saw: the result, whether it ran inside the async_send call,
/// and whether it ran on the executor it is bound to.
struct Completion {
  std::optional<Result<Response>> result;
  bool inside_call = false;
  bool on_bound_executor = false;
};

}  // namespace

TEST_CASE("async_send without a token returns a deferred operation, launched later with any token",
          "[governed][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  auto op = g.async_send(ask("openai", "gpt-4o"));
  run_ready(ioc);
  CHECK(w.sim("openai").log().empty());  // nothing sent until launched

  std::optional<Result<Response>> called;
  std::move(op)([&](Result<Response> r) { called = std::move(r); });
  run_ready(ioc);
  REQUIRE(called);
  CHECK(*called);

  std::optional<Result<Response>> awaited;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        awaited = co_await g.async_send(ask("openai", "gpt-4o"))(boost::asio::use_awaitable);
      },
      boost::asio::detached);
  run_ready(ioc);
  REQUIRE(awaited);
  CHECK(*awaited);
  CHECK(w.sim("openai").log().size() == 2);

  auto streamed = g.async_stream(ask("openai", "gpt-4o"), [](std::string_view) {});
  run_ready(ioc);
  CHECK(w.sim("openai").log().size() == 2);
  std::optional<Result<Response>> stream_result;
  std::move(streamed)([&](Result<Response> r) { stream_result = std::move(r); });
  run_ready(ioc);
  REQUIRE(stream_result);
  CHECK(*stream_result);
}

TEST_CASE("a cache hit inside a running io_context completes after async_send returns, on the handler's executor",
          "[governed][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc, other;
  auto g = call_site_on(w, ioc);
  REQUIRE(g.send(cacheable()));
  Completion c;
  bool calling = false;
  boost::asio::post(ioc, [&] {
    calling = true;
    g.async_send(cacheable(), boost::asio::bind_executor(other, [&](Result<Response> r) {
                   c.inside_call = calling;
                   c.on_bound_executor = other.get_executor().running_in_this_thread();
                   c.result = std::move(r);
                 }));
    calling = false;
  });
  ioc.run();
  CHECK_FALSE(c.result);  // on `other`, which has not run yet
  other.run();
  REQUIRE(c.result);
  REQUIRE(*c.result);
  CHECK((*c.result)->from_cache);
  CHECK_FALSE(c.inside_call);
  CHECK(c.on_bound_executor);
  CHECK(w.sim("openai").log().size() == 1);
}

TEST_CASE("a budget refusal inside a running io_context completes after async_send returns, on the handler's strand",
          "[governed][async]") {
  World w(World::default_keys(), with_frozen_tasks(), 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  auto strand = boost::asio::make_strand(ioc);
  Completion c;
  bool calling = false;
  // Called from within the strand itself: a dispatch there would run the handler at once.
  boost::asio::post(strand, [&] {
    calling = true;
    g.async_send(of_frozen_task(), boost::asio::bind_executor(strand, [&](Result<Response> r) {
                   c.inside_call = calling;
                   c.on_bound_executor = strand.running_in_this_thread();
                   c.result = std::move(r);
                 }));
    calling = false;
  });
  ioc.run();
  REQUIRE(c.result);
  REQUIRE_FALSE(*c.result);
  CHECK(c.result->error().code == Errc::budget_exhausted);
  CHECK_FALSE(c.inside_call);
  CHECK(c.on_bound_executor);
}

TEST_CASE("on the system executor, a cache hit and a budget refusal complete on another thread, not inside async_send",
          "[governed][async][concurrency]") {
  World w(World::default_keys(), with_frozen_tasks());  // completions on the system executor
  auto g = w.governed();
  REQUIRE(g.send(cacheable()));
  for (const Request& r : {cacheable(), of_frozen_task()}) {
    // Dispatched, the system executor would run the handler here, inside the call, on
    // this thread; posted, it runs on one of its own threads.
    std::promise<std::thread::id> ran_on;
    auto done = ran_on.get_future();
    std::optional<Result<Response>> result;
    g.async_send(r, [&](Result<Response> res) {
      result = std::move(res);
      ran_on.set_value(std::this_thread::get_id());
    });
    REQUIRE(done.wait_for(10s) == std::future_status::ready);
    CHECK(done.get() != std::this_thread::get_id());
    REQUIRE(result);
    if (r.cacheable) CHECK((*result)->from_cache);
    else CHECK(result->error().code == Errc::budget_exhausted);
  }
}

TEST_CASE("async_stream answered from the cache shows the text and completes after it returns", "[governed][async]") {
  World w(World::default_keys(), {}, 0);
  boost::asio::io_context ioc;
  auto g = call_site_on(w, ioc);
  const auto first = g.send(cacheable());
  REQUIRE(first);
  std::string shown;
  std::optional<Result<Response>> got;
  bool calling = false, inside = false;
  boost::asio::post(ioc, [&] {
    calling = true;
    g.async_stream(
        cacheable(), [&](std::string_view piece) { shown += piece; inside = inside || calling; },
        [&](Result<Response> r) {
          inside = inside || calling;
          got = std::move(r);
        });
    calling = false;
  });
  ioc.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->from_cache);
  CHECK(shown == first->content);
  CHECK_FALSE(inside);
}
