// Limit sets in Redis: several stores ("processes") pointed at one server count against one
// limit — exactly, all dimensions or none — and survive the server going away and coming back.
#include <governed/redis/limits.hpp>

#include <governed/clock/manual.hpp>
#include <governed/keys/health_file.hpp>
#include <governed/limit_store.hpp>
#include <governed/limiter/token_bucket.hpp>
#include <governed/redis/backend.hpp>
#include <governed/state.hpp>

#include "server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using governed::Cost;
using governed::Dimension;
using governed::Duration;
using governed::Errc;
using governed::Instant;
using governed::LimitKey;
using governed::LimitSetConfig;
using governed::LimitStore;
using governed::SharedFailure;

namespace {

governed::redis::BackendOptions shared_options(std::string_view test, unsigned replicas = 1,
                                               SharedFailure failure = SharedFailure::fail_open) {
  return governed_test::quick_backend_options(governed_test::fresh_namespace(test), replicas, failure);
}

const LimitKey openai_key{"openai", "org-secret-account", "gpt-4o-mini"};

/// One "process": its own store (and its own connections) on the shared backend.
struct Replica {
  Replica(const governed_test::RedisServer& server, const governed::redis::BackendOptions& options)
      : backend(governed::redis::backend(server.url(), options).value()) {}

  governed::LimitSet<>& set(const LimitSetConfig& c, bool real_time = false) {
    auto s = store.find_or_create(openai_key, c, backend.get(), real_time);
    REQUIRE(s);
    return **s;
  }

  std::shared_ptr<governed::redis::Backend> backend;
  LimitStore<> store;
};

LimitSetConfig rpm(std::uint64_t n, double headroom) {
  LimitSetConfig c;
  c.requests_per_minute = n;
  c.headroom = headroom;
  return c;
}

}  // namespace

TEST_CASE("two processes sharing one Redis limit admit it once, not twice", "[redis][limits]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("twice");
  Replica a(server, options), b(server, options);
  const auto c = rpm(60, 0.5);  // burst 30, then one every 2 s
  auto& sa = a.set(c);
  auto& sb = b.set(c);
  CHECK(sa.shared());
  const Instant t0{1h};
  int admitted = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = (i % 2 ? sa : sb).admit(Cost{1, 0, 0}, t0);
    REQUIRE(r);
    admitted += r->admitted ? 1 : 0;
  }
  CHECK(admitted == 30);
  auto refused = sa.admit(Cost{1, 0, 0}, t0);
  REQUIRE(refused);
  CHECK_FALSE(refused->admitted);
  CHECK(refused->bound == Dimension::requests_per_minute);
  CHECK(refused->retry_after == 2s);
  // Exactly when it said: not a microsecond before.
  CHECK_FALSE(sb.admit(Cost{1, 0, 0}, t0 + 2s - 1us)->admitted);
  CHECK(sb.admit(Cost{1, 0, 0}, t0 + 2s)->admitted);
  CHECK_FALSE(sa.admit(Cost{1, 0, 0}, t0 + 2s)->admitted);
}

TEST_CASE("a shared set takes from every dimension or from none", "[redis][limits]") {
  GOVERNED_REDIS_SERVER(server);
  Replica a(server, shared_options("all-or-none"));
  LimitSetConfig c;
  c.requests_per_minute = 10;
  c.tokens_per_minute = 10000;
  c.headroom = 0.0;
  c.largest_request_tokens = 6000;
  auto& s = a.set(c);
  const Instant t0{1h};
  REQUIRE(s.admit(Cost{1, 6000, 0}, t0)->admitted);
  auto second = s.admit(Cost{1, 6000, 0}, t0);
  REQUIRE(second);
  CHECK_FALSE(second->admitted);
  CHECK(second->bound == Dimension::tokens_per_minute);
  // The refused call took no request: the whole remaining request burst is still there.
  // RPM 10 at headroom 0: burst 1, 9 a minute; the first took the burst.
  CHECK(s.fill(Dimension::requests_per_minute, t0) == 0.0);
  const Instant later = t0 + Duration{60s} / 9 + 1ms;
  auto third = s.admit(Cost{1, 0, 0}, later);
  INFO("bound " << to_string(third->bound) << " wait " << third->retry_after.count());
  REQUIRE(third->admitted);
  CHECK_FALSE(s.admit(Cost{1, 0, 0}, later)->admitted);
}

TEST_CASE("a request above the shared burst waits for rest in every process; only one above the limit is an error",
          "[redis][limits][oversized]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("oversized");
  Replica a(server, options), b(server, options);
  LimitSetConfig c;
  c.tokens_per_minute = 30000;  // burst 4 500 at 15 %, 25 500 a minute: T = 2 353 µs in Redis
  auto& sa = a.set(c);
  auto& sb = b.set(c);
  const Instant t0{1h};
  // A rested limit serves governed-demo's largest cover letter at once.
  REQUIRE(sa.admit(Cost{1, 7800, 0}, t0)->admitted);
  // The other process's waits for the first to drain and the limit to rest (7 800 − 4 500)·T.
  auto second = sb.admit(Cost{1, 7800, 0}, t0);
  REQUIRE(second);
  REQUIRE_FALSE(second->admitted);
  CHECK(second->bound == Dimension::tokens_per_minute);
  CHECK(second->retry_after == (7800 + 7800 - 4500) * Duration{2353us});
  CHECK_FALSE(sb.admit(Cost{1, 7800, 0}, t0 + second->retry_after - 1us)->admitted);
  CHECK(sb.admit(Cost{1, 7800, 0}, t0 + second->retry_after)->admitted);
  // More than the published limit can never pass.
  auto r = sa.admit(Cost{1, 30001, 0}, t0 + 1h);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::exceeds_capacity);
  CHECK_THAT(r.error().message, Catch::Contains("30000"));
}

TEST_CASE("a provider's remaining count above the burst holds back a larger request in every process",
          "[redis][limits][oversized]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("oversized-sync");
  Replica a(server, options), b(server, options);
  LimitSetConfig c;
  c.tokens_per_minute = 30000;  // burst 4 500
  auto& sa = a.set(c);
  auto& sb = b.set(c);
  const Instant t0{1h};
  REQUIRE(sa.admit(Cost{1, 1, 0}, t0 - 1min)->admitted);  // the key exists, long rested
  // The provider says 6 000 tokens remain.
  sa.sync(Dimension::tokens_per_minute, 6000, 30s, t0);
  REQUIRE(sa.admit(Cost{1, 0, 0}, t0));  // the sync's reply is read with this call
  auto held = sb.admit(Cost{1, 7800, 0}, t0);
  REQUIRE(held);
  CHECK_FALSE(held->admitted);
  // 7 800 waits for the 1 800 tokens' rest the provider's 6 000 leaves it short of, no longer.
  CHECK(held->retry_after == 1800 * Duration{2353us});
  CHECK(sb.admit(Cost{1, 7800, 0}, t0 + held->retry_after)->admitted);
}

TEST_CASE("a State whose limiter is not GCRA refuses a shared backend, naming both", "[redis][limits]") {
  governed::clock::manual clock;
  governed::StateConfig config;
  config.shared = governed::redis::backend("redis://127.0.0.1:1", shared_options("family")).value();
  auto s = governed::State<governed::limiter::token_bucket, governed::clock::manual>::create(std::move(config), clock);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::invalid_argument);
  CHECK_THAT(s.error().message, Catch::Contains("token_bucket") && Catch::Contains("gcra"));
}

TEST_CASE("reconcile returns an over-estimate to every process, and charges an under-estimate", "[redis][limits]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("reconcile");
  Replica a(server, options), b(server, options);
  LimitSetConfig c;
  c.tokens_per_minute = 10000;
  c.headroom = 0.0;
  c.largest_request_tokens = 6000;  // burst 6 000, then 4 000 a minute
  auto& sa = a.set(c);
  auto& sb = b.set(c);
  const Instant t0{1h};
  auto first = sa.admit(Cost{1, 6000, 0}, t0);
  REQUIRE(first->admitted);
  CHECK_FALSE(sb.admit(Cost{1, 3000, 0}, t0)->admitted);
  sa.reconcile(*first, Cost{1, 1000, 0}, t0);  // used 1 000 of the 6 000 estimated
  REQUIRE(a.backend->redis().flush());  // the server has run the reconcile
  CHECK(sb.admit(Cost{1, 3000, 0}, t0)->admitted);
  CHECK_FALSE(sb.admit(Cost{1, 3000, 0}, t0)->admitted);

  // Used more than estimated: the debt holds back the next call for everyone.
  const Instant t1 = t0 + 10min;  // rested
  auto low = sb.admit(Cost{1, 1000, 0}, t1);
  REQUIRE(low->admitted);
  sb.reconcile(*low, Cost{1, 6000, 0}, t1);
  REQUIRE(b.backend->redis().flush());
  auto held = sa.admit(Cost{1, 1000, 0}, t1);
  REQUIRE(held);
  CHECK_FALSE(held->admitted);
  CHECK(held->retry_after == 15s);  // 1 000 tokens at 4 000 a minute
}

TEST_CASE("a provider's remaining count, synced by one process, holds back the others", "[redis][limits]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("sync");
  Replica a(server, options), b(server, options);
  const auto c = rpm(100, 0.0);  // burst 1, 99 a minute
  LimitSetConfig wide = c;
  wide.headroom = 0.5;  // burst 50
  auto& sa = a.set(wide);
  auto& sb = b.set(wide);
  const Instant t0{1h};
  sa.sync(Dimension::requests_per_minute, 0, 30s, t0);  // the provider says: none left for 30 s
  REQUIRE(a.backend->redis().flush());
  auto r = sb.admit(Cost{1, 0, 0}, t0);
  REQUIRE(r);
  CHECK_FALSE(r->admitted);
  CHECK(r->retry_after >= 30s);
}

TEST_CASE("Redis down: fail-open admits one replica's share, then the shared limit again", "[redis][limits][faults]") {
  GOVERNED_REDIS_SERVER(server);
  std::atomic<int> events{0};
  auto options = shared_options("fail-open", 2);
  options.client.on_event = [&](std::string_view) { ++events; };
  Replica a(server, options);
  auto& s = a.set(rpm(60, 0.5));  // shared: burst 30; one of two replicas alone: 30 RPM, burst 15
  const Instant t0{1h};
  REQUIRE(s.admit(Cost{1, 0, 0}, t0)->admitted);
  server.kill();
  int local = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = s.admit(Cost{1, 0, 0}, t0);
    REQUIRE(r);  // never an error: the local share answers
    local += r->admitted ? 1 : 0;
  }
  CHECK(local == 15);
  CHECK(events >= 1);
  REQUIRE(server.restart());  // empty: the shared limit starts rested
  int shared = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (shared == 0 && std::chrono::steady_clock::now() < deadline) {
    auto r = s.admit(Cost{1, 0, 0}, t0 + 1s);
    REQUIRE(r);
    if (r->admitted && r->shared) ++shared;
    else std::this_thread::sleep_for(5ms);  // the reconnect backoff is 20–40 ms of real time
  }
  CHECK(shared == 1);
}

TEST_CASE("Redis down: fail-closed refuses with a clear error", "[redis][limits][faults]") {
  GOVERNED_REDIS_SERVER(server);
  Replica a(server, shared_options("fail-closed", 2, SharedFailure::fail_closed));
  auto& s = a.set(rpm(60, 0.5));
  REQUIRE(s.admit(Cost{1, 0, 0}, Instant{1h})->admitted);
  server.kill();
  auto r = s.admit(Cost{1, 0, 0}, Instant{1h});
  REQUIRE_FALSE(r);
  CHECK((r.error().code == Errc::io_error || r.error().code == Errc::timed_out));
  CHECK(r.error().message.find("shared rate limits can not be reached") != std::string::npos);
}

TEST_CASE("SCRIPT FLUSH mid-run: the next admission loads the script again", "[redis][limits][script]") {
  GOVERNED_REDIS_SERVER(server);
  Replica a(server, shared_options("flush"));
  auto& s = a.set(rpm(60, 0.5));
  const Instant t0{1h};
  REQUIRE(s.admit(Cost{1, 0, 0}, t0)->admitted);
  REQUIRE(governed::redis::Client::make(server.url()).value()->call({"SCRIPT", "FLUSH"}));
  auto r = s.admit(Cost{1, 0, 0}, t0);
  REQUIRE(r);
  CHECK(r->admitted);
  CHECK(r->shared);
}

TEST_CASE("the keys of a shared set share one hash tag and never name the account", "[redis][limits][secrets]") {
  GOVERNED_REDIS_SERVER(server);
  auto options = shared_options("keys");
  options.name_space = "keys-test";
  Replica a(server, options);
  LimitSetConfig c = rpm(60, 0.5);
  c.tokens_per_minute = 100000;
  auto& s = a.set(c);
  REQUIRE(s.admit(Cost{1, 100, 0}, Instant{1h})->admitted);
  auto keys = governed::redis::Client::make(server.url()).value()->call({"KEYS", "governed:keys-test:*"});
  REQUIRE(keys);
  REQUIRE(keys->elements.size() == 2);
  const std::string prefix = a.backend->prefix(openai_key);
  CHECK(prefix.starts_with("governed:keys-test:{openai|"));
  CHECK(prefix.ends_with("|gpt-4o-mini}"));
  for (const auto& k : keys->elements) {
    CHECK(k.text.starts_with(prefix));
    CHECK(k.text.find("org-secret-account") == std::string::npos);
  }
}

TEST_CASE("threads of one process on a shared set admit exactly the burst", "[redis][limits][concurrency]") {
  GOVERNED_REDIS_SERVER(server);
  Replica a(server, shared_options("threads"));
  auto& s = a.set(rpm(200, 0.5));  // burst 100
  std::atomic<int> admitted{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto r = s.admit(Cost{1, 0, 0}, Instant{1h});
        if (!r) ++errors;
        else if (r->admitted) ++admitted;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(admitted == 100);
}

namespace {

/// Redis's clock, in µs.
std::int64_t server_time(governed::redis::Client& c) {
  auto t = c.call({"TIME"});
  REQUIRE(t);
  REQUIRE(t->elements.size() == 2);
  return std::stoll(t->elements[0].text) * 1'000'000 + std::stoll(t->elements[1].text);
}

}  // namespace

TEST_CASE("4 processes x 4 threads on one limit of 600 a minute admit no more than it allows, and nearly all",
          "[redis][limits][processes]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("processes");
  const auto c = rpm(600, 0.0);  // headroom 0: burst 1, then one every 60 s / 599
  constexpr auto run_for = 10s;
  auto probe = governed::redis::Client::make(server.url()).value();
  const std::int64_t start = server_time(*probe);
  std::vector<pid_t> children;
  std::vector<int> pipes;
  for (int p = 0; p < 4; ++p) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      // A process of its own: its own backend, store and connections; the server's clock.
      Replica r(server, options);
      auto set = r.store.find_or_create(openai_key, c, r.backend.get(), true);
      std::atomic<int> admitted{0}, errors{0};
      const auto until = std::chrono::steady_clock::now() + run_for;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
          while (std::chrono::steady_clock::now() < until) {
            auto a = (*set)->admit(Cost{1, 0, 0}, Instant{});
            if (!a || (a->admitted && !a->shared)) ++errors;
            else if (a->admitted) ++admitted;
          }
        });
      for (auto& t : threads) t.join();
      const int out[2] = {admitted.load(), errors.load()};
      (void)!::write(fds[1], out, sizeof out);
      ::_exit(0);
    }
    ::close(fds[1]);
    children.push_back(pid);
    pipes.push_back(fds[0]);
  }
  int admitted = 0, errors = 0;
  for (std::size_t i = 0; i < children.size(); ++i) {
    int got[2] = {0, 0};
    REQUIRE(::read(pipes[i], got, sizeof got) == static_cast<ssize_t>(sizeof got));
    ::close(pipes[i]);
    admitted += got[0];
    errors += got[1];
    int status = 0;
    ::waitpid(children[i], &status, 0);
  }
  const std::int64_t end = server_time(*probe);
  // GCRA with burst B and one cell every T admits at most B + ⌊span / T⌋ in any span; T is
  // 60 s / 599 rounded up to the µs.
  const std::int64_t per_us = (60'000'000'000LL / 599 + 1 + 999) / 1000;
  const std::int64_t most = 1 + (end - start) / per_us;
  const std::int64_t run_cells = 1 + std::chrono::duration_cast<std::chrono::microseconds>(run_for).count() / per_us;
  CHECK(errors == 0);
  CHECK(admitted <= most);
  CHECK(admitted * 100 >= run_cells * 95);
}

TEST_CASE("an allowance recorded spent by one process refuses the others' admissions until then",
          "[redis][limits][keys]") {
  GOVERNED_REDIS_SERVER(server);
  auto options = shared_options("spent");
  std::vector<std::string> late;
  options.client.connect.on_late_error = [&](std::string_view e) { late.emplace_back(e); };
  Replica a(server, options), b(server, options);
  auto& sa = a.set(rpm(60, 0.5));
  auto& sb = b.set(rpm(60, 0.5));
  const Instant t0{1h};
  const governed::WallTime w0{std::chrono::hours{24 * 20000}};
  REQUIRE(sb.admit(Cost{1, 0, 0}, t0, w0)->admitted);
  sa.exhaust(w0 + 5h, w0);
  REQUIRE(a.backend->redis().flush());
  CHECK(late.empty());
  auto refused = sb.admit(Cost{1, 0, 0}, t0 + 1s, w0 + 1s);
  REQUIRE(refused);
  CHECK_FALSE(refused->admitted);
  REQUIRE(refused->exhausted_until);
  CHECK(*refused->exhausted_until == w0 + 5h);
  // An earlier end does not shorten the record; its end reopens the set.
  sa.exhaust(w0 + 3h, w0 + 2h);
  REQUIRE(a.backend->redis().flush());
  CHECK(sb.admit(Cost{1, 0, 0}, t0 + 2h, w0 + 2h)->exhausted_until == w0 + 5h);
  auto reopened = sb.admit(Cost{1, 0, 0}, t0 + 5h, w0 + 5h + 1us);
  REQUIRE(reopened);
  CHECK(reopened->admitted);
}

namespace {

std::int64_t script_calls(const governed_test::RedisServer& server) {
  auto c = governed::redis::Client::make(server.url()).value();
  auto info = c->call({"INFO", "commandstats"});
  REQUIRE(info);
  std::int64_t n = 0;
  for (std::string_view cmd : {"cmdstat_evalsha:calls=", "cmdstat_eval:calls="}) {
    const auto at = info->text.find(cmd);
    if (at != std::string::npos) n += std::stoll(info->text.substr(at + cmd.size()));
  }
  return n;
}

}  // namespace

TEST_CASE("lease batching: one round trip serves several calls, and the shared limit still holds exactly",
          "[redis][limits][lease]") {
  GOVERNED_REDIS_SERVER(server);
  auto options = shared_options("lease");
  options.lease = 5;
  options.lease_hold = 100ms;
  Replica a(server, options), b(server, options);
  auto& sa = a.set(rpm(60, 0.5));  // burst 30, then one every 2 s
  auto& sb = b.set(rpm(60, 0.5));
  const Instant t0{1h};
  int by_a = 0, by_b = 0;
  REQUIRE(sa.admit(Cost{1, 0, 0}, t0)->admitted);  // takes 5, spends 1
  ++by_a;
  for (int i = 0; i < 40; ++i) by_b += sb.admit(Cost{1, 0, 0}, t0)->admitted ? 1 : 0;
  for (int i = 0; i < 10; ++i) by_a += sa.admit(Cost{1, 0, 0}, t0)->admitted ? 1 : 0;
  CHECK(by_a == 5);   // its lease, and nothing more: b holds the rest
  CHECK(by_b == 25);

  // Unspent cells go back when the lease is held too long: b's last block is spent, a's is
  // spent, so nothing is left to return here — but a new lease taken and left idle is.
  const Instant t1 = t0 + 2h;  // rested: 30 again
  REQUIRE(sa.admit(Cost{1, 0, 0}, t1)->admitted);  // a holds 4 unspent
  int later_b = 0;
  for (int i = 0; i < 40; ++i) later_b += sb.admit(Cost{1, 0, 0}, t1)->admitted ? 1 : 0;
  CHECK(later_b == 25);
  // Past the hold a's next call returns its 4 unspent cells before taking anything.
  REQUIRE(sa.admit(Cost{1, 0, 0}, t1 + 200ms)->admitted);
  REQUIRE(a.backend->redis().flush());
  int returned = 0;
  for (int i = 0; i < 10; ++i) returned += sb.admit(Cost{1, 0, 0}, t1 + 200ms)->admitted ? 1 : 0;
  CHECK(returned == 3);  // 4 returned, 1 of them taken again by a

  // Rested again: 25 calls in a row from one process are 5 round trips.
  const Instant t2 = t1 + 2h;
  const auto calls_before = script_calls(server);
  int in_a_row = 0;
  for (int i = 0; i < 25; ++i) in_a_row += sa.admit(Cost{1, 0, 0}, t2)->admitted ? 1 : 0;
  CHECK(in_a_row == 25);
  CHECK(script_calls(server) - calls_before == 5);
}

TEST_CASE("an exhaustion recorded while Redis is down is written back when it returns", "[redis][limits][faults][keys]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("write-back");
  Replica a(server, options), b(server, options);
  auto& sa = a.set(rpm(60, 0.5));
  auto& sb = b.set(rpm(60, 0.5));
  const Instant t0{1h};
  const governed::WallTime w0{std::chrono::hours{24 * 20000}};
  REQUIRE(sa.admit(Cost{1, 0, 0}, t0, w0)->admitted);
  server.kill();
  sa.exhaust(w0 + 5h, w0);  // nowhere to write it now
  REQUIRE(server.restart());
  // a's next admission that reaches the restarted server writes the record back.
  bool reached = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!reached && std::chrono::steady_clock::now() < deadline) {
    auto r = sa.admit(Cost{1, 0, 0}, t0 + 1s, w0 + 1s);
    reached = r && r->shared;
    if (!reached) std::this_thread::sleep_for(5ms);  // the reconnect backoff is 20–40 ms of real time
  }
  REQUIRE(reached);
  REQUIRE(a.backend->redis().flush());
  auto refused = sb.admit(Cost{1, 0, 0}, t0 + 2s, w0 + 2s);
  REQUIRE(refused);
  REQUIRE(refused->exhausted_until);
  CHECK(*refused->exhausted_until == w0 + 5h);
}

TEST_CASE("a target one process backed off from makes the others wait it out, not meet the 429", "[redis][limits]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("cool");
  Replica a(server, options), b(server, options);
  auto& sa = a.set(rpm(60, 0.5));
  auto& sb = b.set(rpm(60, 0.5));
  const Instant t0{1h};
  const governed::WallTime w0{std::chrono::hours{24 * 20000}};
  REQUIRE(sb.admit(Cost{1, 0, 0}, t0, w0)->admitted);
  sa.cool(w0 + 30s, w0);
  auto held = sb.admit(Cost{1, 0, 0}, t0 + 10s, w0 + 10s);
  REQUIRE(held);
  CHECK_FALSE(held->admitted);
  CHECK(held->bound == Dimension::none);
  CHECK(held->retry_after == 20s);
  CHECK(sb.admit(Cost{1, 0, 0}, t0 + 30s, w0 + 30s)->admitted);
}

TEST_CASE("Redis down: a request above one replica's share but within the limit waits for Redis, never an error",
          "[redis][limits][faults][oversized]") {
  GOVERNED_REDIS_SERVER(server);
  Replica a(server, shared_options("fail-open-oversized", 3));
  LimitSetConfig c;
  c.tokens_per_minute = 30000;  // one of three replicas alone: 10 000 a minute, 10 000 at most at once
  auto& s = a.set(c);
  const Instant t0{1h};
  REQUIRE(s.admit(Cost{1, 100, 0}, t0)->admitted);
  server.kill();
  auto big = s.admit(Cost{1, 20000, 0}, t0 + 1s);
  REQUIRE(big);  // not exceeds_capacity: only the shared limit can take it, and it is coming back
  CHECK_FALSE(big->admitted);
  CHECK(big->bound == Dimension::tokens_per_minute);
  CHECK(big->retry_after == 20ms);  // the client's first reconnect backoff
  // Within the share, the local limiter answers as before; above the published limit, never.
  auto local = s.admit(Cost{1, 9000, 0}, t0 + 1s);
  REQUIRE(local);
  CHECK(local->admitted);
  CHECK_FALSE(local->shared);
  auto never = s.admit(Cost{1, 30001, 0}, t0 + 1s);
  REQUIRE_FALSE(never);
  CHECK(never.error().code == Errc::exceeds_capacity);
  REQUIRE(server.restart());  // empty: the shared limit starts rested
  bool shared = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!shared && std::chrono::steady_clock::now() < deadline) {
    auto r = s.admit(Cost{1, 20000, 0}, t0 + 2s);
    REQUIRE(r);
    shared = r->admitted && r->shared;
    if (!shared) std::this_thread::sleep_for(5ms);  // the reconnect backoff is 20–40 ms of real time
  }
  CHECK(shared);
}

namespace {

/// One caller of a shared set on the manual clock: asks for `tokens` at `next`, again at once
/// when admitted, and when refused at the instant it was told.
struct RateCaller {
  governed::LimitSet<>* set = nullptr;
  std::uint64_t tokens = 0;
  Instant next{};
  bool asks_once = false;    ///< gives up after its first refusal (its patience was shorter)
  bool stops_after = false;  ///< done once admitted
  bool done = false;
  std::optional<Instant> first_refused{};
  Duration first_wait{};
  std::vector<Instant> admitted{};
};

/// Sends `tokens` as often as the limit lets it, from `from` on.
RateCaller keeps_sending(governed::LimitSet<>& set, std::uint64_t tokens, Instant from) {
  RateCaller c;
  c.set = &set;
  c.tokens = tokens;
  c.next = from;
  return c;
}

/// Asks for `tokens` at `at`, and again when told, until admitted once.
RateCaller waits_for_once(governed::LimitSet<>& set, std::uint64_t tokens, Instant at) {
  RateCaller c = keeps_sending(set, tokens, at);
  c.stops_after = true;
  return c;
}

/// Asks for `tokens` at `at`, and never again.
RateCaller gives_up(governed::LimitSet<>& set, std::uint64_t tokens, Instant at) {
  RateCaller c = keeps_sending(set, tokens, at);
  c.asks_once = true;
  return c;
}

struct TakenCells {
  Instant at;
  std::uint64_t tokens;
};

/// Runs `callers` in order of their next instant until `until`; every admission, in order.
std::vector<TakenCells> run_callers(std::vector<RateCaller>& callers, Instant until) {
  std::vector<TakenCells> taken;
  for (int step = 0; step < 100000; ++step) {
    RateCaller* c = nullptr;
    for (auto& x : callers)
      if (!x.done && (!c || x.next < c->next)) c = &x;
    if (!c || c->next > until) break;
    auto r = c->set->admit(Cost{1, c->tokens, 0}, c->next);
    REQUIRE(r);
    if (r->admitted) {
      REQUIRE(r->shared);
      taken.push_back({c->next, c->tokens});
      c->admitted.push_back(c->next);
      c->done = c->stops_after;
      continue;
    }
    REQUIRE(r->retry_after > Duration{0});
    if (!c->first_refused) {
      c->first_refused = c->next;
      c->first_wait = r->retry_after;
    }
    c->done = c->asks_once;
    c->next += r->retry_after;
  }
  return taken;
}

/// The most tokens admitted in any minute (a closed span of 60 s starting at an admission).
std::uint64_t most_in_a_minute(const std::vector<TakenCells>& taken) {
  std::uint64_t most = 0;
  for (const auto& from : taken) {
    std::uint64_t sum = 0;
    for (const auto& t : taken)
      if (t.at >= from.at && t.at <= from.at + 60s) sum += t.tokens;
    most = std::max(most, sum);
  }
  return most;
}

std::size_t admitted_between(const RateCaller& c, Instant from, Instant to) {
  return static_cast<std::size_t>(
      std::count_if(c.admitted.begin(), c.admitted.end(), [&](Instant t) { return t > from && t < to; }));
}

LimitSetConfig tpm_30000() {
  LimitSetConfig c;
  c.tokens_per_minute = 30000;  // burst 4 500 at 15 %, 25 500 a minute: T = 2 353 µs in Redis
  return c;
}

constexpr Duration cell_time = 2353us;

}  // namespace

TEST_CASE("an oversized request passes while another process keeps sending at the sustained rate",
          "[redis][limits][oversized]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("oversized-barrier");
  Replica a(server, options), b(server, options);
  const Instant t0{1h};
  std::vector<RateCaller> callers{keeps_sending(b.set(tpm_30000()), 1000, t0),
                                  waits_for_once(a.set(tpm_30000()), 7800, t0 + 10s)};
  const auto taken = run_callers(callers, t0 + 3min);
  const RateCaller& small = callers[0];
  const RateCaller& big = callers[1];
  REQUIRE(big.first_refused);
  REQUIRE(big.admitted.size() == 1);
  // Admitted when it was told, the first time: the limit rested (n − B)·T from where the
  // other process had taken it, at most B·T ahead.
  CHECK(big.admitted[0] == *big.first_refused + big.first_wait);
  CHECK(big.first_wait <= (7800 - 4500) * cell_time + 4500 * cell_time);
  CHECK(admitted_between(small, *big.first_refused, big.admitted[0]) == 0);
  // The other process went on before and after, and no minute held more than the limit.
  CHECK(admitted_between(small, t0, *big.first_refused) >= 3);
  CHECK(admitted_between(small, big.admitted[0], t0 + 3min) > 40);
  CHECK(most_in_a_minute(taken) <= 30000);
}

TEST_CASE("two oversized requests from two processes both pass, the first to ask first",
          "[redis][limits][oversized]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("oversized-two");
  Replica a(server, options), b(server, options), c(server, options);
  const Instant t0{1h};
  std::vector<RateCaller> callers{keeps_sending(b.set(tpm_30000()), 1000, t0),
                                  waits_for_once(a.set(tpm_30000()), 7800, t0 + 10s),
                                  waits_for_once(c.set(tpm_30000()), 6000, t0 + 11s)};
  const auto taken = run_callers(callers, t0 + 3min);
  REQUIRE(callers[1].admitted.size() == 1);
  REQUIRE(callers[2].admitted.size() == 1);
  const Instant first = callers[1].admitted[0], second = callers[2].admitted[0];
  CHECK(first == *callers[1].first_refused + callers[1].first_wait);
  CHECK(first < second);
  // The second waited for the first's cells to drain and then for its own rest, and a little
  // for the first's barrier to end.
  CHECK(second - first <= (7800 + 6000 - 4500) * cell_time + 1s);
  CHECK(most_in_a_minute(taken) <= 30000);
}

TEST_CASE("an oversized request that gave up holds the others back no longer than it asked, and a second",
          "[redis][limits][oversized]") {
  GOVERNED_REDIS_SERVER(server);
  const auto options = shared_options("oversized-abandoned");
  Replica a(server, options), b(server, options);
  const Instant t0{1h};
  std::vector<RateCaller> callers{keeps_sending(b.set(tpm_30000()), 1000, t0),
                                  gives_up(a.set(tpm_30000()), 7800, t0 + 10s)};
  const auto taken = run_callers(callers, t0 + 3min);
  const RateCaller& small = callers[0];
  const RateCaller& gone = callers[1];
  REQUIRE(gone.first_refused);
  CHECK(gone.admitted.empty());
  const Instant due = *gone.first_refused + gone.first_wait;
  // Held back while the limit rested for the oversized request and its barrier's grace ...
  CHECK(admitted_between(small, *gone.first_refused, due + 1s) == 0);
  // ... then the barrier is over: a rested limit's burst at once, then the sustained rate.
  CHECK(admitted_between(small, due, due + 1s + 1ms) >= 4);
  CHECK(admitted_between(small, due, due + 61s) >= 25);
  CHECK(most_in_a_minute(taken) <= 30000);
}
