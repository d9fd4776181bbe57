// redis::AsyncConnection against a real redis-server: many calls in flight on one connection,
// scripts, completion tokens, cancellation, and the faults a connection must survive.
#include <governed/redis/async_connection.hpp>

#include "server.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using governed::Errc;
using governed::Result;
using governed::redis::AsyncConnection;
using governed::redis::ConnectOptions;
using governed::redis::RespReply;
using governed::redis::Script;

namespace {

ConnectOptions quick_async() {
  ConnectOptions o;
  o.connect_timeout = std::chrono::milliseconds{300};
  o.command_timeout = std::chrono::milliseconds{300};
  return o;
}

/// Collects the results of calls completed on an io_context run by the test's thread.
struct Results {
  std::vector<Result<RespReply>> got;
  auto handler() {
    return [this](Result<RespReply> r) { got.push_back(std::move(r)); };
  }
};

}  // namespace

TEST_CASE("a thousand calls in flight on one connection complete in order, in a few writes", "[redis][async]") {
  GOVERNED_REDIS_SERVER(server);
  boost::asio::io_context io;
  auto c = AsyncConnection::make(io.get_executor(), server.endpoint(), quick_async());
  Results r;
  for (int i = 0; i < 1000; ++i) c->async_call({"INCR", "async:counter"}, r.handler());
  CHECK(r.got.empty());  // nothing completes inside async_call
  io.run();
  REQUIRE(r.got.size() == 1000);
  for (std::size_t i = 0; i < r.got.size(); ++i) {
    REQUIRE(r.got[i]);
    REQUIRE(r.got[i]->integer == static_cast<long long>(i + 1));
  }
  // Everything queued while connecting left in one write: pipelined, not one round trip each.
  CHECK(c->writes() <= 2);
}

TEST_CASE("an async script runs by EVALSHA and is sent whole after SCRIPT FLUSH", "[redis][async][script]") {
  GOVERNED_REDIS_SERVER(server);
  boost::asio::io_context io;
  auto c = AsyncConnection::make(io.get_executor(), server.endpoint(), quick_async());
  const Script echo{"return {KEYS[1], ARGV[1]}"};
  const std::array<std::string_view, 1> keys{"k"}, args{"v"};
  // Each step waits for the one before: a call that met NOSCRIPT is sent again behind what
  // was sent meanwhile, so its reply may come after theirs.
  auto step = [&](auto&& start) {
    Results r;
    start(r);
    io.restart();
    io.run();
    REQUIRE(r.got.size() == 1);
    REQUIRE(r.got[0]);
    return std::move(*r.got[0]);
  };
  auto eval = [&](Results& r) { c->async_eval(echo, keys, args, r.handler()); };
  for (int round = 0; round < 2; ++round) {
    // Round 0: the server never saw the script; round 1: it was flushed after being cached.
    const RespReply got = step(eval);
    REQUIRE(got.elements.size() == 2);
    CHECK(got.elements[0].text == "k");
    CHECK(got.elements[1].text == "v");
    const RespReply cached = step([&](Results& r) { c->async_call({"SCRIPT", "EXISTS", echo.sha1}, r.handler()); });
    REQUIRE(cached.elements.size() == 1);
    CHECK(cached.elements[0].integer == 1);  // the EVAL after NOSCRIPT cached it
    (void)step([&](Results& r) { c->async_call({"SCRIPT", "FLUSH"}, r.handler()); });
  }
}

TEST_CASE("async calls take any completion token: a future from another thread", "[redis][async]") {
  GOVERNED_REDIS_SERVER(server);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  auto c = AsyncConnection::make(io.get_executor(), server.endpoint(), quick_async());
  std::future<Result<RespReply>> pong = c->async_call({"PING"}, boost::asio::use_future);
  const auto got = pong.get();
  work.reset();
  runner.join();
  REQUIRE(got);
  CHECK(got->text == "PONG");
}

TEST_CASE("a cancelled call completes at once, and the replies of later calls stay in step", "[redis][async]") {
  GOVERNED_REDIS_SERVER(server);
  boost::asio::io_context io;
  auto c = AsyncConnection::make(io.get_executor(), server.endpoint(), quick_async());
  boost::asio::cancellation_signal cancel;
  std::optional<Result<RespReply>> blocked;
  std::optional<std::chrono::steady_clock::time_point> blocked_at;
  // BLPOP holds its reply for 200 ms: the PING behind it is answered after it.
  c->async_call({"BLPOP", "async:empty", "0.2"},
                boost::asio::bind_cancellation_slot(cancel.slot(), [&](Result<RespReply> r) {
                  blocked = std::move(r);
                  blocked_at = std::chrono::steady_clock::now();
                }));
  Results after;
  c->async_call({"PING"}, after.handler());
  const auto start = std::chrono::steady_clock::now();
  io.poll();
  cancel.emit(boost::asio::cancellation_type::terminal);
  io.run();
  REQUIRE(blocked);
  REQUIRE_FALSE(*blocked);
  CHECK(blocked->error().code == Errc::cancelled);
  CHECK(*blocked_at - start < std::chrono::milliseconds{150});  // not after the server's 200 ms
  REQUIRE(after.got.size() == 1);
  REQUIRE(after.got[0]);
  CHECK(after.got[0]->text == "PONG");  // not BLPOP's nil
}

TEST_CASE("a server that never answers fails every call in flight at the command timeout", "[redis][async][faults]") {
  governed_test::SilentServer silent;
  auto endpoint = governed::redis::parse_url(silent.url());
  REQUIRE(endpoint);
  boost::asio::io_context io;
  auto c = AsyncConnection::make(io.get_executor(), *endpoint, quick_async());
  Results r;
  for (int i = 0; i < 5; ++i) c->async_call({"PING"}, r.handler());
  const auto start = std::chrono::steady_clock::now();
  io.run();
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r.got.size() == 5);
  for (const auto& g : r.got) {
    REQUIRE_FALSE(g);
    CHECK(g.error().code == Errc::timed_out);
  }
  // Connecting is quick here; the wait is the command timeout (300 ms), not more.
  CHECK(took >= std::chrono::milliseconds{250});
  CHECK(took < std::chrono::seconds{3});
}

TEST_CASE("garbage from the server is an error for every call in flight, not a crash", "[redis][async][faults]") {
  governed_test::SilentServer garbage{"HTTP/1.1 400 Bad Request\r\n\r\n"};
  auto endpoint = governed::redis::parse_url(garbage.url());
  REQUIRE(endpoint);
  boost::asio::io_context io;
  auto c = AsyncConnection::make(io.get_executor(), *endpoint, quick_async());
  Results r;
  c->async_call({"PING"}, r.handler());
  c->async_call({"PING"}, r.handler());
  io.run();
  REQUIRE(r.got.size() == 2);
  for (const auto& g : r.got) {
    REQUIRE_FALSE(g);
    CHECK(g.error().code == Errc::parse_error);
  }
}

TEST_CASE("a killed server fails the calls in flight; after a restart the next call connects again",
          "[redis][async][faults]") {
  GOVERNED_REDIS_SERVER(server);
  boost::asio::io_context io;
  auto c = AsyncConnection::make(io.get_executor(), server.endpoint(), quick_async());
  Results before;
  c->async_call({"SET", "async:k", "1"}, before.handler());
  io.run();
  REQUIRE(before.got.size() == 1);
  REQUIRE(before.got[0]);

  server.kill();
  Results down;
  c->async_call({"GET", "async:k"}, down.handler());
  io.restart();
  io.run();
  REQUIRE(down.got.size() == 1);
  REQUIRE_FALSE(down.got[0]);
  CHECK(down.got[0].error().code == Errc::io_error);

  REQUIRE(server.restart());
  Results up;
  c->async_call({"PING"}, up.handler());
  io.restart();
  io.run();
  REQUIRE(up.got.size() == 1);
  REQUIRE(up.got[0]);
  CHECK(up.got[0]->text == "PONG");
}

TEST_CASE("a wrong password fails the calls with a clear error that does not show it", "[redis][async][secrets]") {
  GOVERNED_REDIS_SERVER(server, {"--requirepass", "right-horse-battery"});
  auto endpoint = governed::redis::parse_url(server.url(":wrong-staple-7741@"));
  REQUIRE(endpoint);
  boost::asio::io_context io;
  auto c = AsyncConnection::make(io.get_executor(), *endpoint, quick_async());
  Results r;
  c->async_call({"PING"}, r.handler());
  io.run();
  REQUIRE(r.got.size() == 1);
  REQUIRE_FALSE(r.got[0]);
  CHECK(r.got[0].error().code == Errc::rejected);
  CHECK(r.got[0].error().message.find("wrong-staple-7741") == std::string::npos);

  auto right = governed::redis::parse_url(server.url(":right-horse-battery@"));
  REQUIRE(right);
  auto ok = AsyncConnection::make(io.get_executor(), *right, quick_async());
  Results fine;
  ok->async_call({"PING"}, fine.handler());
  io.restart();
  io.run();
  REQUIRE(fine.got.size() == 1);
  REQUIRE(fine.got[0]);
  CHECK(fine.got[0]->text == "PONG");
}

TEST_CASE("calls from several threads on an io_context run by several threads each get their own reply",
          "[redis][async][concurrency]") {
  GOVERNED_REDIS_SERVER(server);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> runners;
  for (int i = 0; i < 3; ++i) runners.emplace_back([&] { io.run(); });
  auto c = AsyncConnection::make(io.get_executor(), server.endpoint(), quick_async());

  constexpr int callers = 4, each = 500;
  std::mutex m;
  std::vector<long long> seen;
  std::atomic<int> failures{0}, completed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < each; ++i)
        c->async_call({"INCR", "async:shared"}, [&](Result<RespReply> r) {
          if (!r) failures.fetch_add(1);
          else {
            std::lock_guard lk(m);
            seen.push_back(r->integer);
          }
          completed.fetch_add(1);
        });
    });
  for (auto& t : threads) t.join();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (completed.load() < callers * each && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  REQUIRE(completed.load() == callers * each);
  work.reset();
  for (auto& r : runners) r.join();
  CHECK(failures.load() == 0);
  // Every INCR's own value came back to its own caller: 1 … 2000, each once.
  std::sort(seen.begin(), seen.end());
  REQUIRE(seen.size() == static_cast<std::size_t>(callers * each));
  for (std::size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == static_cast<long long>(i + 1));
}

// ---- redis::Client's asynchronous calls --------------------------------------------------------

#include <governed/redis/client.hpp>

TEST_CASE("a client's async calls share one pipelined connection per io_context, which goes with the context",
          "[redis][async][client]") {
  GOVERNED_REDIS_SERVER(server);
  auto client = governed::redis::Client::make(server.url()).value();
  const Script incr{"return redis.call('INCR', KEYS[1])"};
  const std::array<std::string_view, 1> keys{"async:client"};
  for (int context = 0; context < 2; ++context) {
    boost::asio::io_context io;
    Results r;
    for (int i = 0; i < 100; ++i) client->async_eval(incr, keys, {}, io.get_executor(), r.handler());
    CHECK(r.got.empty());
    io.run();
    REQUIRE(r.got.size() == 100);
    for (std::size_t i = 0; i < r.got.size(); ++i) {
      REQUIRE(r.got[i]);
      CHECK(r.got[i]->integer == static_cast<long long>(context * 100 + i + 1));
    }
    CHECK(boost::asio::has_service<governed::redis::detail::AsyncConnections>(io));
    // The io_context goes first, with the connection it holds; the client lives on.
  }
  CHECK(client->open_connections() == 0);  // none of the blocking pool was needed
  auto after = client->call({"GET", "async:client"});
  REQUIRE(after);
  CHECK(after->text == "200");
}

TEST_CASE("a client dropped with async calls in flight: they still complete", "[redis][async][client]") {
  GOVERNED_REDIS_SERVER(server);
  boost::asio::io_context io;
  Results r;
  {
    auto client = governed::redis::Client::make(server.url()).value();
    const Script ping{"return redis.call('PING')"};
    client->async_eval(ping, {}, {}, io.get_executor(), r.handler());
  }
  io.run();
  REQUIRE(r.got.size() == 1);
  REQUIRE(r.got[0]);
  CHECK(r.got[0]->text == "PONG");
}

TEST_CASE("an async call that finds the server gone marks it down: the next fails at once", "[redis][async][client]") {
  GOVERNED_REDIS_SERVER(server);
  governed::redis::ClientOptions o;
  o.connect = quick_async();
  o.retry_min = std::chrono::seconds{30};  // far longer than this test: still down at its end
  o.retry_max = std::chrono::seconds{30};
  auto client = governed::redis::Client::make(server.url(), o).value();
  server.kill();
  const Script ping{"return redis.call('PING')"};
  boost::asio::io_context io;
  Results first, second;
  client->async_eval(ping, {}, {}, io.get_executor(), first.handler());
  io.run();
  REQUIRE(first.got.size() == 1);
  REQUIRE_FALSE(first.got[0]);
  CHECK(client->down());
  client->async_eval(ping, {}, {}, io.get_executor(), second.handler());
  io.restart();
  io.run();
  REQUIRE(second.got.size() == 1);
  REQUIRE_FALSE(second.got[0]);
  CHECK(second.got[0].error().message.find("unreachable") != std::string::npos);
}
