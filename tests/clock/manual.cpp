#include <governed/clock/manual.hpp>
#include <governed/clock/async_wait.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Instant;
using governed::clock::manual;

TEST_CASE("manual clock moves only when told", "[clock][manual]") {
  manual c{Instant{5s}};
  CHECK(c.now() == Instant{5s});
  c.advance(1500ms);
  CHECK(c.now() == Instant{6500ms});
  c.set(Instant{2s});  // backwards, on purpose
  CHECK(c.now() == Instant{2s});
}

TEST_CASE("manual wall time follows monotonic time and can be set", "[clock][manual]") {
  manual c;
  const auto w0 = c.wall_now();
  CHECK(w0 == manual::default_wall_start);
  c.advance(90s);
  CHECK(c.wall_now() - w0 == 90s);
  const governed::WallTime noon{std::chrono::seconds{1767268800}};  // 2026-01-01T12:00:00Z
  c.set_wall(noon);
  CHECK(c.wall_now() == noon);
  c.advance(1s);
  CHECK(c.wall_now() == noon + 1s);
}

TEST_CASE("sleep_until on a single participant jumps straight to the deadline", "[clock][manual]") {
  manual c;  // one participant: the test's own thread
  c.sleep_until(Instant{4s});
  CHECK(c.now() == Instant{4s});
  c.sleep_until(Instant{12s});
  CHECK(c.now() == Instant{12s});
  c.sleep_until(Instant{1s});  // already past: returns at once, time unchanged
  CHECK(c.now() == Instant{12s});
}

TEST_CASE("with participants 0 a sleeper waits for advance()", "[clock][manual][concurrency]") {
  manual c{Instant{}, manual::default_wall_start, 0};
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    c.sleep_until(Instant{10s});
    woke = true;
  });
  while (c.waiters() == 0) std::this_thread::yield();
  c.advance(9s);
  CHECK_FALSE(woke.load());
  CHECK(c.waiters() == 1);
  c.advance(1s);
  sleeper.join();
  CHECK(woke.load());
  CHECK(c.now() == Instant{10s});
}

TEST_CASE("when every participant sleeps, the earliest wakes first", "[clock][manual][concurrency]") {
  manual c{Instant{}, manual::default_wall_start, 3};
  std::mutex m;
  std::vector<int> order;
  auto sleeper = [&](int id, Duration d) {
    return std::thread([&, id, d] {
      c.sleep_until(Instant{d});
      {
        std::lock_guard lk(m);
        order.push_back(id);
      }
      c.leave();  // finished: the others still asleep are now every participant
    });
  };
  auto a = sleeper(3, 30s);
  auto b = sleeper(1, 10s);
  // Until the third participant sleeps, time stands still.
  while (c.waiters() < 2) std::this_thread::yield();
  CHECK(c.now() == Instant{});
  auto d = sleeper(2, 20s);
  a.join();
  b.join();
  d.join();
  REQUIRE(order.size() == 3);
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(c.now() == Instant{30s});
}

TEST_CASE("async_wait_until completes when time reaches the deadline", "[clock][manual][asio]") {
  boost::asio::io_context io;
  manual c{Instant{}, manual::default_wall_start, 0};
  std::vector<int> fired;
  c.async_wait_until(io.get_executor(), Instant{2s}, [&](boost::system::error_code ec) {
    CHECK_FALSE(ec);
    fired.push_back(2);
  });
  c.async_wait_until(io.get_executor(), Instant{1s}, [&](boost::system::error_code ec) {
    CHECK_FALSE(ec);
    fired.push_back(1);
  });
  io.poll();
  CHECK(fired.empty());
  c.advance(1s);
  io.poll();
  CHECK(fired == std::vector<int>{1});
  c.advance(5s);
  io.poll();
  CHECK(fired == std::vector<int>{1, 2});
}

TEST_CASE("async waits with one participant run a backoff instantly and in order", "[clock][manual][asio]") {
  boost::asio::io_context io;
  manual c;  // one participant: the chain of waits below
  std::vector<Instant> woke_at;
  const std::vector<Duration> backoff{4s, 8s, 16s, 32s};
  std::function<void(std::size_t)> step = [&](std::size_t i) {
    if (i == backoff.size()) return;
    c.async_wait_until(io.get_executor(), c.now() + backoff[i], [&, i](boost::system::error_code ec) {
      REQUIRE_FALSE(ec);
      woke_at.push_back(c.now());
      step(i + 1);
    });
  };
  step(0);
  io.run();
  CHECK(woke_at == std::vector<Instant>{Instant{4s}, Instant{12s}, Instant{28s}, Instant{60s}});
}

TEST_CASE("a cancelled async wait completes with operation_aborted and leaves no waiter", "[clock][manual][asio]") {
  boost::asio::io_context io;
  manual c{Instant{}, manual::default_wall_start, 0};
  boost::asio::cancellation_signal signal;
  boost::system::error_code got;
  bool done = false;
  c.async_wait_until(io.get_executor(), Instant{60s},
                     boost::asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec) {
                       got = ec;
                       done = true;
                     }));
  CHECK(c.waiters() == 1);
  signal.emit(boost::asio::cancellation_type::terminal);
  io.poll();
  CHECK(done);
  CHECK(got == boost::asio::error::operation_aborted);
  CHECK(c.waiters() == 0);
  c.advance(120s);  // nothing fires twice
  io.poll();
}

TEST_CASE("async_wait_until works with use_future", "[clock][manual][asio][concurrency]") {
  boost::asio::io_context io;
  manual c{Instant{}, manual::default_wall_start, 0};
  auto f = c.async_wait_until(io.get_executor(), Instant{3s}, boost::asio::use_future);
  std::thread runner([&] {
    auto guard = boost::asio::make_work_guard(io);
    while (c.waiters() == 1) std::this_thread::yield();
    io.run_for(std::chrono::seconds{5});
  });
  c.advance(3s);
  f.get();  // throws if the wait failed
  io.stop();
  runner.join();
  CHECK(c.now() == Instant{3s});
}
