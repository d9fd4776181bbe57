// Admissions on a limit set kept in Redis, beside the same script driven without governed: a
// bare hiredis connection sending the same EVALSHA, and redis-benchmark (the server's own load
// generator) sending it from 1 and from 50 connections, in the same run.
//
// The Redis is $GOVERNED_REDIS_URL, else redis://127.0.0.1:6379; with none answering, these
// benchmarks are skipped with a message (bench/redis.sh starts one and runs them).
#include <governed/asio_continuation.hpp>
#include <governed/clock/steady.hpp>
#include <governed/limit_store.hpp>
#include <governed/redis.hpp>
#include <governed/redis/async_connection.hpp>

#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include "ratios.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace {

using namespace governed;

std::string redis_url() {
  const char* u = std::getenv("GOVERNED_REDIS_URL");
  return u && *u ? u : "redis://127.0.0.1:6379";
}

/// The limit every benchmark admits on: far above any rate a run reaches, so each call is one
/// admitted script run.
const std::array<std::optional<limiter::Limit>, 6>& open_plan() {
  static const std::array<std::optional<limiter::Limit>, 6> plan{
      limiter::Limit{1'000'000'000, std::chrono::seconds{60}, 1'000'000'000}};
  return plan;
}

const LimitKey redis_bench_key{"openai", "org-bench", "bench"};

/// The backend and limit set shared by a benchmark's threads, or the reason there is none.
struct RedisShared {
  std::shared_ptr<redis::Client> client;
  std::shared_ptr<redis::Backend> backend;
  std::unique_ptr<SharedLimits> set;
  std::string skip;

  RedisShared() {
    redis::ClientOptions o;
    o.max_connections = 64;
    auto c = redis::Client::make(redis_url(), o);
    if (!c) {
      skip = c.error().message;
      return;
    }
    client = *c;
    if (auto pong = client->call({"PING"}); !pong) {
      skip = "no Redis answers at " + client->describe() + " (set GOVERNED_REDIS_URL, or run bench/redis.sh)";
      return;
    }
    backend = std::make_shared<redis::Backend>(client, redis::BackendOptions{.name_space = "bench"});
    set = *backend->limits(redis_bench_key, open_plan(), true);
  }
};

RedisShared& redis_shared() {
  static RedisShared s;
  return s;
}

/// The arguments governed's admission sends for one request, for the baselines to send too.
std::vector<std::string> admit_args() {
  const auto& s = redis_shared();
  const std::string key = s.backend->prefix(redis_bench_key) + ":rpm";
  return {"EVALSHA", redis::admit_script().sha1, "2", key, s.backend->prefix(redis_bench_key) + ":health", "", "", "1", "1", "1000000000", "61000"};
}

void BM_Redis_Governed_Admit(benchmark::State& state) {
  auto& s = redis_shared();
  if (!s.set) return state.SkipWithError(s.skip.c_str());
  const std::array<std::uint64_t, 6> one{1, 0, 0, 0, 0, 0};
  for (auto _ : state) {
    auto d = s.set->admit(one, Instant{}, WallTime{});
    if (!d || !d->admitted) return state.SkipWithError(d ? "refused" : d.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Redis_Governed_Admit)->UseRealTime()->Threads(1)->Threads(50);

/// What a call does with the limit set: the admission, then (after the reply) the
/// reconciliation of its estimate with the real count, which is sent without waiting and read
/// ahead of the next admission's reply.
void BM_Redis_Governed_AdmitReconcile(benchmark::State& state) {
  auto& s = redis_shared();
  if (!s.set) return state.SkipWithError(s.skip.c_str());
  // Two cells estimated, one used: one given back.
  const std::array<std::uint64_t, 6> estimate{2, 0, 0, 0, 0, 0}, real{1, 0, 0, 0, 0, 0};
  for (auto _ : state) {
    auto d = s.set->admit(estimate, Instant{}, WallTime{});
    if (!d || !d->admitted) return state.SkipWithError(d ? "refused" : d.error().message.c_str());
    s.set->reconcile(*d, estimate, real, Instant{});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Redis_Governed_AdmitReconcile)->UseRealTime()->Threads(1);

/// One hiredis blocking connection per thread sending the same EVALSHA: the floor for one
/// admission from one connection.
void BM_Redis_Raw_Evalsha(benchmark::State& state) {
  auto& s = redis_shared();
  if (!s.set) return state.SkipWithError(s.skip.c_str());
  const auto& e = s.client->endpoint();
  redisContext* c = redisConnect(e.host.c_str(), e.port);
  if (!c || c->err) return state.SkipWithError("hiredis could not connect");
  std::unique_ptr<redisContext, void (*)(redisContext*)> owned(c, redisFree);
  if (!e.password.empty()) freeReplyObject(redisCommand(c, "AUTH %s", e.password.c_str()));
  freeReplyObject(redisCommand(c, "SCRIPT LOAD %s", redis::admit_script().source.c_str()));
  const auto args = admit_args();
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  for (auto _ : state) {
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (!r || r->type != REDIS_REPLY_ARRAY) return state.SkipWithError("EVALSHA failed");
    freeReplyObject(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Redis_Raw_Evalsha)->UseRealTime()->Threads(1)->Threads(50);

/// redis-benchmark sending the same EVALSHA from `clients` connections; each iteration is
/// credited one request's share of its run (manual time), so its time per iteration is
/// 1 / its rate.
void redis_benchmark(benchmark::State& state, int clients, int pipeline = 1) {
  auto& s = redis_shared();
  if (!s.set) return state.SkipWithError(s.skip.c_str());
  const auto& e = s.client->endpoint();
  std::string cmd = fmt::format("redis-benchmark -h {} -p {} -c {} -P {} -n {} -q", e.host, e.port, clients, pipeline,
                                clients * pipeline == 1 ? 20000 : 200000);
  if (!e.password.empty()) cmd += " -a '" + e.password + "' --no-auth-warning";
  for (const auto& a : admit_args()) cmd += " '" + a + "'";
  cmd += " 2>/dev/null";
  double rate = 0;
  for (auto _ : state) {
    if (rate == 0) {
      std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
      if (!p) return state.SkipWithError("redis-benchmark could not be run");
      std::string out;
      char buf[512];
      while (std::fgets(buf, sizeof buf, p.get())) out += buf;
      // "-q" prints "<command>: <n> requests per second, p50=…" (after \r-overwritten progress).
      const auto at = out.rfind(" requests per second");
      const auto colon = at == std::string::npos ? at : out.rfind(": ", at);
      if (colon == std::string::npos) return state.SkipWithError("redis-benchmark is not installed or failed");
      rate = std::atof(out.c_str() + colon + 2);
      if (rate <= 0) return state.SkipWithError("redis-benchmark printed no rate");
    }
    state.SetIterationTime(1.0 / rate);
  }
  state.counters["requests_per_second"] = rate;
}
void BM_Redis_RedisBenchmark_Evalsha_1(benchmark::State& state) { redis_benchmark(state, 1); }
void BM_Redis_RedisBenchmark_Evalsha_50(benchmark::State& state) { redis_benchmark(state, 50); }
BENCHMARK(BM_Redis_RedisBenchmark_Evalsha_1)->UseManualTime()->Iterations(1000);
BENCHMARK(BM_Redis_RedisBenchmark_Evalsha_50)->UseManualTime()->Iterations(1000);
void BM_Redis_RedisBenchmark_Evalsha_1x50(benchmark::State& state) { redis_benchmark(state, 1, 50); }
BENCHMARK(BM_Redis_RedisBenchmark_Evalsha_1x50)->UseManualTime()->Iterations(1000);

/// The admit script through one `redis::AsyncConnection` on an io_context run by this thread,
/// `range(0)` calls kept in flight: each completion sends the next.
void BM_Redis_Async_Admit(benchmark::State& state) {
  auto& s = redis_shared();
  if (!s.set) return state.SkipWithError(s.skip.c_str());
  boost::asio::io_context io;
  auto c = redis::AsyncConnection::make(io.get_executor(), s.client->endpoint());
  const auto args = admit_args();  // EVALSHA sha 2 key health ARGV…
  const std::vector<std::string_view> keys{args[3], args[4]};
  std::vector<std::string_view> argv(args.begin() + 5, args.end());
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t batch = 2000;
  bool failed = false;
  while (state.KeepRunningBatch(batch)) {
    std::size_t sent = 0;
    std::function<void(Result<redis::RespReply>)> next = [&](Result<redis::RespReply> r) {
      if (!r || r->type != redis::RespReply::Type::array) failed = true;
      if (sent < batch) {
        ++sent;
        c->async_eval(redis::admit_script(), keys, argv, [&next](Result<redis::RespReply> r) { next(std::move(r)); });
      }
    };
    for (; sent < std::min(in_flight, batch); ++sent)
      c->async_eval(redis::admit_script(), keys, argv, [&next](Result<redis::RespReply> r) { next(std::move(r)); });
    io.restart();
    io.run();
    if (failed) return state.SkipWithError("an async admission failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["writes_per_call"] =
      static_cast<double>(c->writes()) / static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
}
BENCHMARK(BM_Redis_Async_Admit)->UseRealTime()->Arg(1)->Arg(50);

/// The same admissions the way `async_send` asks for them: `SharedLimits::async_admit` on the
/// limit set, completing on this thread's io_context over the connection the client keeps for
/// that context, `range(0)` kept in flight. What it adds to `BM_Redis_Async_Admit` is the
/// limit set's own work: arguments, the decision read from the reply, the handler's hops.
void BM_Redis_Governed_AsyncAdmit(benchmark::State& state) {
  auto& s = redis_shared();
  if (!s.set) return state.SkipWithError(s.skip.c_str());
  boost::asio::io_context io;
  const std::array<std::uint64_t, 6> one{1, 0, 0, 0, 0, 0};
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t batch = 2000;
  bool failed = false;
  std::size_t sent = 0;
  std::function<void()> ask = [&] {
    ++sent;
    s.set->async_admit(one, Instant{}, WallTime{},
                       governed::continuation_on<Result<SharedDecision>>(io.get_executor(), [&](Result<SharedDecision> d) {
                         if (!d || !d->admitted) failed = true;
                         if (sent < batch) ask();
                       }));
  };
  while (state.KeepRunningBatch(batch)) {
    sent = 0;
    while (sent < std::min(in_flight, batch)) ask();
    io.restart();
    io.run();
    if (failed) return state.SkipWithError("an async admission failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Redis_Governed_AsyncAdmit)->UseRealTime()->Arg(1)->Arg(50);

}  // namespace

GOVERNED_RATIO("Redis admission, 1 connection / bare hiredis EVALSHA, goal <= 1.25 (>= 0.8x its rate)",
               ({"BM_Redis_Governed_Admit/real_time/threads:1"}), ({"BM_Redis_Raw_Evalsha/real_time/threads:1"}), 1.25);
GOVERNED_RATIO("Redis admission, 1 connection / redis-benchmark EVALSHA -c 1",
               ({"BM_Redis_Governed_Admit/real_time/threads:1"}),
               ({"BM_Redis_RedisBenchmark_Evalsha_1/iterations:1000/manual_time"}), 0);
GOVERNED_RATIO("Redis admission and reconciliation, 1 connection / admission alone",
               ({"BM_Redis_Governed_AdmitReconcile/real_time/threads:1"}),
               ({"BM_Redis_Governed_Admit/real_time/threads:1"}), 0);
GOVERNED_RATIO("Redis admission, 50 threads / bare hiredis EVALSHA, 50 threads, goal <= 1.25",
               ({"BM_Redis_Governed_Admit/real_time/threads:50"}), ({"BM_Redis_Raw_Evalsha/real_time/threads:50"}),
               1.25);
GOVERNED_RATIO("Redis admission, 50 threads (per admission) / redis-benchmark EVALSHA -c 50",
               ({"BM_Redis_Governed_Admit/real_time/threads:50"}),
               ({"BM_Redis_RedisBenchmark_Evalsha_50/iterations:1000/manual_time"}), 0);

namespace {

/// The same admissions with lease batching: one round trip takes the cells of 10 calls.
void BM_Redis_Governed_Admit_Lease10(benchmark::State& state) {
  auto& s = redis_shared();
  if (!s.set) return state.SkipWithError(s.skip.c_str());
  static redis::SharedLimitSet leased(s.client, s.backend->prefix(LimitKey{"openai", "org-bench", "lease"}), open_plan(),
                                      true, 10, std::chrono::milliseconds{100});
  const std::array<std::uint64_t, 6> one{1, 0, 0, 0, 0, 0};
  governed::clock::steady steady;
  for (auto _ : state) {
    auto d = leased.admit(one, steady.now(), WallTime{});
    if (!d || !d->admitted) return state.SkipWithError(d ? "refused" : d.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Redis_Governed_Admit_Lease10)->UseRealTime()->Threads(1)->Threads(50);

}  // namespace

GOVERNED_RATIO("Redis admission with lease batching (10), 1 thread / bare hiredis EVALSHA, goal <= 0.2 (>= 5x its rate)",
               ({"BM_Redis_Governed_Admit_Lease10/real_time/threads:1"}),
               ({"BM_Redis_Raw_Evalsha/real_time/threads:1"}), 0.2);
GOVERNED_RATIO("Redis admission with lease batching (10), 50 threads / bare hiredis EVALSHA, 50 threads, goal <= 0.2",
               ({"BM_Redis_Governed_Admit_Lease10/real_time/threads:50"}),
               ({"BM_Redis_Raw_Evalsha/real_time/threads:50"}), 0.2);
GOVERNED_RATIO("Redis async admission (limit set), 1 in flight / bare hiredis EVALSHA, 1 connection",
               ({"BM_Redis_Governed_AsyncAdmit/1/real_time"}), ({"BM_Redis_Raw_Evalsha/real_time/threads:1"}), 0);
GOVERNED_RATIO("Redis async admission (limit set), 50 in flight / bare hiredis EVALSHA, 50 threads, goal <= 1.25",
               ({"BM_Redis_Governed_AsyncAdmit/50/real_time"}), ({"BM_Redis_Raw_Evalsha/real_time/threads:50"}), 1.25);
GOVERNED_RATIO("Redis async admission (limit set), 50 in flight / redis-benchmark EVALSHA -c 50",
               ({"BM_Redis_Governed_AsyncAdmit/50/real_time"}),
               ({"BM_Redis_RedisBenchmark_Evalsha_50/iterations:1000/manual_time"}), 0);
GOVERNED_RATIO("Redis async admission (limit set) / the connection alone, 50 in flight",
               ({"BM_Redis_Governed_AsyncAdmit/50/real_time"}), ({"BM_Redis_Async_Admit/50/real_time"}), 0);
GOVERNED_RATIO("Redis AsyncConnection alone, 50 in flight / redis-benchmark EVALSHA -c 1 -P 50",
               ({"BM_Redis_Async_Admit/50/real_time"}),
               ({"BM_Redis_RedisBenchmark_Evalsha_1x50/iterations:1000/manual_time"}), 0);
