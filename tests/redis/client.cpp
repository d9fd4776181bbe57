// redis::Client against a real redis-server of the test's own: login, pool bound, scripts, and
// the failures a client must survive — a dead server, a restarted one, one that never answers
// and one that answers garbage.
#include <governed/redis/client.hpp>

#include "server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using governed::Errc;
using governed::redis::Client;
using governed::redis::ClientOptions;
using governed::redis::RespReply;
using governed::redis::Script;
using governed_test::SilentServer;

namespace {

ClientOptions quick_client() {
  ClientOptions o;
  o.connect.connect_timeout = std::chrono::milliseconds{300};
  o.connect.command_timeout = std::chrono::milliseconds{300};
  o.retry_min = std::chrono::milliseconds{20};
  o.retry_max = std::chrono::milliseconds{40};
  return o;
}

}  // namespace

TEST_CASE("a client runs commands and pipelined replies come back in order", "[redis][client]") {
  GOVERNED_REDIS_SERVER(server);
  auto c = Client::make(server.url(), quick_client());
  REQUIRE(c);
  auto pong = (*c)->call({"PING"});
  REQUIRE(pong);
  CHECK(pong->text == "PONG");
  REQUIRE((*c)->send_later(std::array<std::string_view, 3>{"SET", "governed:test:later", "1"}));
  REQUIRE((*c)->send_later(std::array<std::string_view, 2>{"INCR", "governed:test:later"}));
  auto got = (*c)->call({"GET", "governed:test:later"});  // after both: one connection, in order
  REQUIRE(got);
  CHECK(got->text == "2");
  CHECK((*c)->open_connections() == 1);
}

TEST_CASE("the pool never opens more connections than its bound, however many threads call", "[redis][client][concurrency]") {
  GOVERNED_REDIS_SERVER(server);
  auto options = quick_client();
  options.max_connections = 3;
  options.connect.command_timeout = std::chrono::seconds{5};
  auto c = Client::make(server.url(), options);
  REQUIRE(c);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (auto r = (*c)->call({"INCR", "governed:test:pool"}); r && r->type == RespReply::Type::integer) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 1600);
  CHECK((*c)->open_connections() <= 3);
  auto total = (*c)->call({"GET", "governed:test:pool"});
  REQUIRE(total);
  CHECK(total->text == "1600");
}

TEST_CASE("AUTH with a password, and a wrong one refused without showing it", "[redis][client][secrets]") {
  GOVERNED_REDIS_SERVER(server, std::vector<std::string>{"--requirepass", "hunter2"});
  auto good = Client::make(server.url(":hunter2@"), quick_client());
  REQUIRE(good);
  auto pong = (*good)->call({"PING"});
  REQUIRE(pong);
  CHECK(pong->text == "PONG");

  auto bad = Client::make(server.url(":wrong-secret@"), quick_client());
  REQUIRE(bad);
  auto refused = (*bad)->call({"PING"});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::rejected);
  CHECK(refused.error().message.find("wrong-secret") == std::string::npos);
  CHECK(refused.error().message.find("refused the login") != std::string::npos);
  CHECK_FALSE((*bad)->down());  // a refusal is an answer: the server is up

  auto none = Client::make(server.url(), quick_client());
  auto noauth = (*none)->call({"PING"});
  REQUIRE(noauth);
  CHECK(noauth->error_code() == "NOAUTH");
}

TEST_CASE("an ACL user logs in with user and password; SELECT picks the database", "[redis][client]") {
  GOVERNED_REDIS_SERVER(server);
  auto admin = Client::make(server.url(), quick_client());
  REQUIRE((*admin)->call({"ACL", "SETUSER", "app", "on", ">pa55", "~*", "+@all"}));
  auto app = Client::make(server.url("app:pa55@") + "/3", quick_client());
  REQUIRE(app);
  REQUIRE((*app)->call({"SET", "governed:test:db", "three"}));
  auto in3 = (*app)->call({"GET", "governed:test:db"});
  REQUIRE(in3);
  CHECK(in3->text == "three");
  auto in0 = (*admin)->call({"GET", "governed:test:db"});
  REQUIRE(in0);
  CHECK(in0->is_nil());
}

TEST_CASE("a script runs by its SHA-1 and is loaded again after SCRIPT FLUSH", "[redis][client][script]") {
  GOVERNED_REDIS_SERVER(server);
  auto c = Client::make(server.url(), quick_client());
  const Script script{"return tonumber(ARGV[1]) * 2"};
  CHECK(script.sha1.size() == 40);
  const std::array<std::string_view, 1> args{"21"};
  auto first = (*c)->eval(script, {}, args);  // never seen: NOSCRIPT, loaded, run
  REQUIRE(first);
  CHECK(first->integer == 42);
  auto exists = (*c)->call({"SCRIPT", "EXISTS", script.sha1});
  REQUIRE(exists);
  REQUIRE(exists->elements.size() == 1);
  CHECK(exists->elements[0].integer == 1);  // the server's SHA-1 is ours
  REQUIRE((*c)->call({"SCRIPT", "FLUSH"}));
  auto again = (*c)->eval(script, {}, args);
  REQUIRE(again);
  CHECK(again->integer == 42);
}

namespace {

/// How many times the server has run `command` (INFO commandstats), 0 before the first.
long long times_run(Client& c, std::string_view command) {
  auto info = c.call({"INFO", "commandstats"});
  REQUIRE(info);
  const std::string key = "cmdstat_" + std::string(command) + ":calls=";
  const auto at = info->text.find(key);
  return at == std::string::npos ? 0 : std::stoll(info->text.substr(at + key.size()));
}

}  // namespace

TEST_CASE("a script sent for later goes with its source once, then by SHA-1, and survives SCRIPT FLUSH",
          "[redis][client][script]") {
  GOVERNED_REDIS_SERVER(server);
  auto o = quick_client();
  o.max_connections = 1;  // every call on the same connection
  std::vector<std::string> late_errors;
  o.connect.on_late_error = [&](std::string_view e) { late_errors.emplace_back(e); };
  auto c = Client::make(server.url(), o);
  REQUIRE(c);
  auto& client = **c;
  const Script add{"return redis.call('INCRBY', KEYS[1], ARGV[1])"};
  const std::array<std::string_view, 1> keys{"governed:test:added"};
  const std::array<std::string_view, 1> one{"1"};
  auto value = [&] {
    auto v = client.call({"GET", keys[0]});
    REQUIRE(v);
    return v->text;
  };

  REQUIRE(client.eval_later(add, keys, one));  // first time: EVAL with the source
  CHECK(value() == "1");
  const auto evals = times_run(client, "eval"), shas = times_run(client, "evalsha");
  CHECK(evals == 1);
  REQUIRE(client.eval_later(add, keys, one));  // cached now: EVALSHA
  REQUIRE(client.eval_later(add, keys, one));
  CHECK(value() == "3");
  CHECK(times_run(client, "eval") == evals);
  CHECK(times_run(client, "evalsha") == shas + 2);

  // The server forgets the script: both EVALSHAs are answered NOSCRIPT and go again with the
  // source once their replies are read, behind the call that read them.
  REQUIRE(client.call({"SCRIPT", "FLUSH"}));
  REQUIRE(client.eval_later(add, keys, one));
  REQUIRE(client.eval_later(add, keys, one));
  CHECK(value() == "3");
  CHECK(value() == "5");  // nothing lost
  CHECK(times_run(client, "eval") == evals + 2);
  CHECK(late_errors.empty());  // NOSCRIPT is handled, not reported

  // A script's own error still reaches on_late_error, whichever way it went.
  const Script fails{"return redis.error_reply('governed test: refused')"};
  REQUIRE(client.eval_later(fails, keys, one));
  REQUIRE(client.eval_later(fails, keys, one));
  CHECK(value() == "5");
  REQUIRE(late_errors.size() == 2);
  CHECK(late_errors[0].find("governed test: refused") != std::string::npos);
  CHECK(late_errors[1].find("governed test: refused") != std::string::npos);
}

TEST_CASE("a dead server fails calls fast, and a restarted one is used again", "[redis][client][faults]") {
  GOVERNED_REDIS_SERVER(server);
  std::vector<std::string> events;
  auto options = quick_client();
  options.on_event = [&](std::string_view e) { events.emplace_back(e); };
  auto c = Client::make(server.url(), options);
  REQUIRE((*c)->call({"PING"}));
  server.kill();
  auto lost = (*c)->call({"PING"});
  REQUIRE_FALSE(lost);
  CHECK((lost.error().code == Errc::io_error || lost.error().code == Errc::timed_out));
  // Marked down: the next call is told at once instead of waiting out a connect timeout.
  const auto t0 = std::chrono::steady_clock::now();
  auto fast = (*c)->call({"PING"});
  REQUIRE_FALSE(fast);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds{100});
  REQUIRE(server.restart());
  bool back = false;
  for (int i = 0; i < 200 && !back; ++i) {  // the backoff is 20–40 ms of real time
    back = (*c)->call({"PING"}).has_value();
    if (!back) std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  CHECK(back);
  REQUIRE(events.size() == 2);
  CHECK(events[0].find("unreachable") != std::string::npos);
  CHECK(events[1].find("answers again") != std::string::npos);
}

TEST_CASE("a server that never answers times out at the command timeout, not later", "[redis][client][faults]") {
  SilentServer silent;
  auto c = Client::make(silent.url(), quick_client());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = (*c)->call({"PING"});
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timed_out);
  CHECK(took < std::chrono::seconds{2});
}

TEST_CASE("a server that answers garbage is an error, and the connection is dropped", "[redis][client][faults]") {
  SilentServer garbage{"HTTP/1.1 400 Bad Request\r\n\r\n"};
  auto c = Client::make(garbage.url(), quick_client());
  auto r = (*c)->call({"PING"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::parse_error);
  CHECK((*c)->open_connections() == 0);
}

TEST_CASE("nothing listening: connection refused quickly, named without the password", "[redis][client][faults]") {
  auto port = [] {
    auto s = governed_test::RedisServer::start();
    return s ? s->port() : std::uint16_t{1};
  }();  // started and stopped: nothing listens there now
  auto c = Client::make(fmt::format("redis://:hunter2@127.0.0.1:{}", port), quick_client());
  auto r = (*c)->call({"PING"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message.find("hunter2") == std::string::npos);
  CHECK(r.error().message.find(std::to_string(port)) != std::string::npos);
}
