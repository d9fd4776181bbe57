// A paused redis-server (SIGSTOP) still completes TCP handshakes from its listen backlog, but
// answers nothing. The client must not count a connection as the server being back: while it
// is paused no "answers again" is told, calls after the first timeout fail at once (one probe
// at a time waits), blocking or asynchronous, and the shared limits follow their
// SharedFailure policy just as quickly. Real time: the client's backoff runs on steady_clock.
// So that a loaded machine does not fail them, the tests count what the client did (its
// probes, the calls it told at once) rather than how many calls fit in the time, and allow a
// call told at once to be slow now and then because its thread was not run.
#include <governed/redis/backend.hpp>
#include <governed/redis/client.hpp>

#include <governed/limit_store.hpp>

#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <signal.h>
#include <unistd.h>

using namespace std::chrono_literals;
using governed::Errc;
using governed::redis::Client;
using governed::redis::ClientOptions;

namespace {

/// The redis-server's process id, as it reports it (INFO server).
pid_t paused_pid_of(Client& c) {
  auto info = c.call({"INFO", "server"});
  REQUIRE(info);
  const std::string_view text = info->text;
  constexpr std::string_view field = "process_id:";
  const auto at = text.find(field);
  REQUIRE(at != std::string_view::npos);
  pid_t pid = 0;
  std::from_chars(text.data() + at + field.size(), text.data() + text.size(), pid);
  REQUIRE(pid > 0);
  return pid;
}

/// SIGSTOP for as long as it lives (or until `resume`), so that a failed test never leaves
/// a stopped server behind for its destructor's SIGTERM to wait on.
class Paused {
 public:
  explicit Paused(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  Paused(const Paused&) = delete;
  Paused& operator=(const Paused&) = delete;
  ~Paused() { resume(); }
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

/// Timeouts of 300 ms and a reconnect backoff of 100 ms: a paused server costs a call 300 ms.
ClientOptions paused_client_options() {
  ClientOptions o;
  o.connect.connect_timeout = 300ms;
  o.connect.command_timeout = 300ms;
  o.retry_min = 100ms;
  o.retry_max = 100ms;
  return o;
}

/// Calls told at once that the server is unreachable: the ones that did not go to it.
bool paused_told_at_once(const governed::Error& e) {
  return e.code == Errc::io_error && e.message.find(" is unreachable (") != std::string::npos;
}

/// Slow calls a loaded machine may add by not running a thread for 150 ms.
constexpr int paused_scheduling_slack = 2;

/// What happened to the calls of `threads` threads calling `call` for `span`.
struct Hammered {
  int calls = 0, failed = 0, slow = 0;  ///< slow: took half a command timeout or more
};

template <class Call>
Hammered paused_hammer(int threads, std::chrono::milliseconds span, Call call) {
  std::atomic<int> calls{0}, failed{0}, slow{0};
  const auto until = std::chrono::steady_clock::now() + span;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      while (std::chrono::steady_clock::now() < until) {
        const auto t0 = std::chrono::steady_clock::now();
        const bool ok = call();
        ++calls;
        failed += ok ? 0 : 1;
        slow += std::chrono::steady_clock::now() - t0 >= 150ms ? 1 : 0;
        std::this_thread::sleep_for(2ms);
      }
    });
  for (auto& th : pool) th.join();
  return {calls.load(), failed.load(), slow.load()};
}

}  // namespace

TEST_CASE("a paused server is not back when TCP connects: no flapping, one probe at a time waits, and back follows an answer",
          "[redis][client][faults][concurrency]") {
  GOVERNED_REDIS_SERVER(server);
  std::mutex m;
  std::vector<std::string> events;
  auto options = paused_client_options();
  options.on_event = [&](std::string_view e) {
    std::lock_guard lk(m);
    events.emplace_back(e);
  };
  auto c = Client::make(server.url(), options).value();
  Paused paused(paused_pid_of(*c));

  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE_FALSE(c->call({"PING"}));  // the first call waits out the command timeout
  CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);

  // 1.2 s of 4 threads calling: only the probe (one per backoff and timeout) goes to the
  // server and waits, every other call is told at once. Counting a connection as "back" let
  // every thread's calls through to wait at each retry, and told "answers again" and
  // "unreachable" by turns.
  const std::uint64_t probes_before = c->probes();
  std::atomic<int> sent{0};  // calls that went to the server
  const Hammered h = paused_hammer(4, 1200ms, [&] {
    auto r = c->call({"PING"});
    if (!r && !paused_told_at_once(r.error())) ++sent;
    return r.has_value();
  });
  const int probes = static_cast<int>(c->probes() - probes_before);
  CHECK(h.failed == h.calls);
  CHECK(probes >= 1);  // the client keeps finding out, after each backoff
  CHECK(sent == probes);
  CHECK(h.slow <= probes + paused_scheduling_slack);
  {
    std::lock_guard lk(m);
    REQUIRE(events.size() == 1);
    CHECK(events[0].find("unreachable") != std::string::npos);
  }

  paused.resume();
  bool back = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!back && std::chrono::steady_clock::now() < deadline) {
    back = c->call({"PING"}).has_value();
    if (!back) std::this_thread::sleep_for(5ms);
  }
  REQUIRE(back);
  std::lock_guard lk(m);
  REQUIRE(events.size() == 2);
  CHECK(events[1].find("answers again") != std::string::npos);
}

TEST_CASE("a paused server: shared limits fail open or closed at once after the first timeout", "[redis][limits][faults]") {
  using governed::Cost;
  using governed::Instant;
  using governed::SharedFailure;
  for (const SharedFailure failure : {SharedFailure::fail_open, SharedFailure::fail_closed}) {
    INFO((failure == SharedFailure::fail_open ? "fail_open" : "fail_closed"));
    GOVERNED_REDIS_SERVER(server);
    auto options = governed_test::quick_backend_options(governed_test::fresh_namespace("paused"), 2, failure);
    options.client.retry_min = 100ms;
    options.client.retry_max = 100ms;
    std::atomic<int> back_events{0};
    options.client.on_event = [&](std::string_view e) { back_events += e.find("answers again") != std::string_view::npos; };
    auto backend = governed::redis::backend(server.url(), options).value();
    governed::LimitStore<> store;
    governed::LimitSetConfig config;
    config.requests_per_minute = 6000;
    auto set = store.find_or_create({"openai", "org-paused", "gpt-4o-mini"}, config, backend.get(), false);
    REQUIRE(set);
    const Instant now{1h};
    REQUIRE((*set)->admit(Cost{1, 0, 0}, now)->shared);
    auto* client = dynamic_cast<Client*>(&backend->redis());
    REQUIRE(client);
    Paused paused(paused_pid_of(*client));

    (void)(*set)->admit(Cost{1, 0, 0}, now);  // waits out the command timeout, marks Redis down
    const std::uint64_t probes_before = client->probes();
    // Each call answers by the policy: fail-open from the local share, fail-closed with the
    // error that says why. (Counted, not CHECKed: Catch's assertions are for one thread.)
    const Hammered h = paused_hammer(4, 600ms, [&] {
      auto r = (*set)->admit(Cost{1, 0, 0}, now);
      if (failure == SharedFailure::fail_open) return r && !r->shared;
      return !r && r.error().message.find("shared rate limits can not be reached") != std::string::npos;
    });
    CHECK(h.failed == 0);
    // Only a probe waits on the paused server.
    CHECK(h.slow <= static_cast<int>(client->probes() - probes_before) + paused_scheduling_slack);
    CHECK(back_events == 0);
  }
}

TEST_CASE("a paused server and asynchronous calls: one probe at a time waits, and back follows an answer",
          "[redis][async][client][faults]") {
  GOVERNED_REDIS_SERVER(server);
  std::vector<std::string> events;  // told on this thread: the io_context is run here
  auto options = paused_client_options();
  options.on_event = [&](std::string_view e) { events.emplace_back(e); };
  auto c = Client::make(server.url(), options).value();
  const governed::redis::Script ping{"return redis.call('PING')"};
  boost::asio::io_context io;
  // Four calls at once, run to their end: how many failed, took 150 ms or more, and went to
  // the server rather than being told at once.
  struct Round {
    int failed = 0, slow = 0, sent = 0;
  };
  auto round = [&] {
    Round out;
    int done = 0;
    for (int i = 0; i < 4; ++i)
      c->async_eval(ping, {}, {}, io.get_executor(),
                    [&, t0 = std::chrono::steady_clock::now()](governed::Result<governed::redis::RespReply> r) {
                      ++done;
                      out.failed += r ? 0 : 1;
                      out.slow += std::chrono::steady_clock::now() - t0 >= 150ms ? 1 : 0;
                      out.sent += !r && paused_told_at_once(r.error()) ? 0 : 1;
                    });
    io.restart();
    io.run();
    REQUIRE(done == 4);
    return out;
  };
  REQUIRE(round().failed == 0);
  Paused paused(paused_pid_of(*c));
  CHECK(round().failed == 4);  // all four wait out the command timeout on the one connection
  const std::uint64_t probes_before = c->probes();
  int failed = 0, slow = 0, sent = 0, rounds = 0;
  for (const auto until = std::chrono::steady_clock::now() + 1200ms; std::chrono::steady_clock::now() < until; ++rounds) {
    const Round r = round();
    failed += r.failed;
    slow += r.slow;
    sent += r.sent;
    std::this_thread::sleep_for(5ms);
  }
  const int probes = static_cast<int>(c->probes() - probes_before);
  CHECK(failed == 4 * rounds);
  // One probe per backoff and timeout goes to the server, the others are told at once.
  CHECK(probes >= 1);
  CHECK(sent == probes);
  CHECK(slow <= probes + paused_scheduling_slack);
  REQUIRE(events.size() == 1);
  CHECK(events[0].find("unreachable") != std::string::npos);

  paused.resume();
  bool back = false;
  for (const auto until = std::chrono::steady_clock::now() + 5s; !back && std::chrono::steady_clock::now() < until;) {
    back = round().failed < 4;
    if (!back) std::this_thread::sleep_for(5ms);
  }
  REQUIRE(back);
  REQUIRE(events.size() == 2);
  CHECK(events[1].find("answers again") != std::string::npos);
}
