// governed-demo: the original application's workload through three clients side by side —
// naive, retry-only and governed — each against its own simulated provider over loopback
// HTTP, with the same tier-1 limits and the same keys.
//
//   governed-demo [--users 10] [--tier tier1] [--duration 30] [--keys 2] [--accounts 1]
//                 [--headroom 0.15] [--time-scale 30] [--seed 1] [--json] [--plot FILE.svg]
//                 [--redis URL] [--replicas N] [--fail-rate 0.0]
//   governed-demo --real          (with OPENAI_API_KEY set: a tiny governed run against OpenAI)
//
// --redis URL keeps the governed client's State (limits, cooldowns, key health) in that Redis.
// --replicas N runs the governed client as N processes, each with its share of the users,
// twice side by side: with the State in each process's memory (N limiters, each allowing the
// whole limit) and in Redis (one limit for all) — in the Redis given with --redis, or in a
// redis-server of the demo's own on a loopback port.
//
// Time is simulated and sped up (--time-scale 30: a minute in two real seconds); the
// simulators, the clients' waits and the governor's limits all run on that one clock.
// Every user runs one task of each kind (scraper: 18–30 calls, job hunter, worker, cover-letter
// writer), each call waiting for the previous answer. A table follows the live progress bars:
// tasks completed, 429s, retries, time to finish, call latency, how much of the provider's
// limit each client used, cost per completed task, cache hits, fallbacks. --json prints the
// same as JSON; --plot draws admitted calls per second against the limit (gnuplot).
// --fail-rate makes the simulators answer that share of requests with 529/503 or 500, as
// governed-sim's option does: the governed client's provider circuit breaker and alerts then
// fire, and the demo lists each with its simulated time after the table ("alerts" in --json).

#include "demo/clients.hpp"
#include "demo/replicas.hpp"
#include "demo/report.hpp"
#include "demo/workload.hpp"

#include <governed/clock/steady.hpp>
#include <governed/redis/local_server.hpp>
#include <governed/sim/server.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sim = governed::sim;
using governed::Duration;
using governed::Instant;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::size_t users = 10;
  std::string tier = "tier1";
  double duration_minutes = 30;
  std::size_t keys = 2;
  std::size_t accounts = 1;
  double headroom = 0.15;
  double time_scale = 30;
  std::uint64_t seed = 1;
  double fail_rate = 0;  ///< share of requests the simulators fail (529/503 or 500, half each)
  bool json = false;
  std::string plot;
  bool real = false;
  std::string redis;  ///< --redis URL
  unsigned replicas = 0;  ///< --replicas N (0: one governed client in this process)
  /// Set by the parent in a replica's arguments (hidden flags) and environment.
  struct Replica {
    int index = -1;  ///< -1: not a replica
    std::string sim_url, name_space;
    std::int64_t origin_ns = 0, wall_ns = 0, start_ns = 0;
  } replica;
};

/// The environment variable a replica finds its Redis URL in (a password in it stays out of
/// the process list).
constexpr const char* replica_redis_env = "GOVERNED_DEMO_REDIS_URL";

/// One simulated provider for one client: the tier's published limits per account, a hosted
/// model's latency (300 ms to the first token, 20 ms a token), 150-token answers.
struct Simulator {
  std::shared_ptr<sim::Provider> provider;
  std::unique_ptr<sim::Server<demo::Clock>> server;
};

governed::Result<Simulator> start_simulator(const Options& o, const std::vector<std::string>& keys,
                                            const std::vector<std::string>& accounts, demo::Clock& clock) {
  sim::Config c;
  c.provider = "openai";
  for (std::size_t i = 0; i < keys.size(); ++i) c.keys.push_back({.key = keys[i], .account = accounts[i]});
  c.tier = o.tier;
  c.latency = {.fixed = 300ms, .per_output_token = 20ms};
  c.completion_tokens = 150;
  c.seed = o.seed;
  c.failures = {.overload_rate = o.fail_rate / 2, .server_error_rate = o.fail_rate / 2};
  auto p = sim::Provider::create(std::move(c));
  if (!p) return tl::unexpected(p.error());
  auto s = sim::Server<demo::Clock>::create({*p}, clock);
  if (!s) return tl::unexpected(s.error());
  return Simulator{std::move(*p), std::move(*s)};
}

/// N simulators alike, one per client or group, so no client spends another's quota.
template <std::size_t N>
governed::Result<std::array<Simulator, N>> start_simulators(const Options& o, const std::vector<std::string>& keys,
                                                           const std::vector<std::string>& accounts,
                                                           demo::Clock& clock) {
  std::array<Simulator, N> sims;
  for (auto& s : sims) {
    auto started = start_simulator(o, keys, accounts, clock);
    if (!started) return tl::unexpected(started.error());
    s = std::move(*started);
  }
  return sims;
}

/// Live progress, one line per client, redrawn in place while the clients run.
class Progress {
 public:
  struct Row {
    std::string name;
    std::function<std::uint64_t()> done, lost;
    const Simulator* sim;
  };

  Progress(std::vector<Row> rows, std::size_t tasks) : rows_(std::move(rows)), tasks_(tasks) {}

  void draw(bool first) const {
    if (!first) fmt::print(stderr, "\033[{}F", rows_.size());
    for (const auto& row : rows_) {
      const auto done = row.done(), lost = row.lost();
      const auto rejected = row.sim->provider->count([](const sim::LogEntry& e) { return e.status == 429; });
      constexpr std::size_t width = 30;
      const std::size_t filled = tasks_ ? std::min<std::size_t>((done + lost) * width / tasks_, width) : width;
      fmt::print(stderr, "{:<11} [{:#<{}}{:-<{}}] {:>4}/{} tasks  {:>4} lost  {:>5} 429s\033[K\n", row.name, "",
                 filled, "", width - filled, done + lost, tasks_, lost, rejected);
    }
    std::fflush(stderr);
  }

  /// Draws until `running` says the clients are done (only when stderr is a terminal).
  void run_while(const std::function<bool()>& running, bool live) const {
    if (live) draw(true);
    while (running()) {
      std::this_thread::sleep_for(200ms);
      if (live) draw(false);
    }
    if (live) fmt::print(stderr, "\n");
  }

 private:
  std::vector<Row> rows_;
  std::size_t tasks_;
};

/// The API keys every client has, and the account of each.
struct Keys {
  std::vector<std::string> keys, accounts;
};

Keys make_keys(const Options& o) {
  Keys k;
  for (std::size_t i = 0; i < o.keys; ++i) {
    k.keys.push_back(fmt::format("sk-demo-{:04}-{:016x}", i, governed::Random{o.seed + i}()));
    k.accounts.push_back(fmt::format("org-demo-{}", i % o.accounts));
  }
  return k;
}

demo::Capacity capacity_of(const Options& o) {
  demo::Capacity cap;
  const auto limits = sim::table_limits(governed::providers::builtin_table(), "openai", cap.model, o.tier);
  cap.rpm = static_cast<double>(limits.rpm.value_or(0) * static_cast<std::int64_t>(o.accounts));
  cap.tpm = static_cast<double>(limits.tpm.value_or(0) * static_cast<std::int64_t>(o.accounts));
  return cap;
}

Duration minutes(double m) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::ratio<60>>(m));
}

/// The workload's settings, as the JSON output states them.
nlohmann::json workload_json(const Options& o, const demo::Workload& w) {
  return {{"users", o.users},       {"tasks", w.tasks()},         {"calls", w.calls()},
          {"tier", o.tier},         {"keys", o.keys},             {"accounts", o.accounts},
          {"headroom", o.headroom}, {"duration_minutes", o.duration_minutes},
          {"time_scale", o.time_scale}, {"seed", o.seed},         {"replicas", std::max(o.replicas, 1u)}};
}

/// Builds each client's report from its tally and its simulator's log, then prints the table
/// (or JSON) and draws the plot.
int present(const Options& o, const demo::Workload& workload, const std::vector<std::string>& names,
            const std::vector<const demo::Tally*>& tallies, const std::vector<const Simulator*>& sims,
            Instant start, const std::string& footnote) {
  const auto cap = capacity_of(o);
  const auto bin = std::chrono::duration_cast<Duration>(10s);
  std::vector<demo::ClientReport> reports;
  double tokens = 0, calls = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto log = sims[i]->provider->log();
    reports.push_back(demo::make_report(names[i], workload, *tallies[i], log, cap, start, bin));
    for (const auto& e : log)
      if (e.outcome == sim::Outcome::success && e.model == cap.model) {
        tokens += static_cast<double>(e.input_tokens + e.output_tokens);
        calls += 1;
      }
  }
  // The call rate the limit allows at this workload's mean admitted call.
  double limit_rate = cap.rpm / 60.0;
  if (calls > 0 && cap.tpm > 0) limit_rate = std::min(limit_rate, cap.tpm / 60.0 / (tokens / calls));

  if (o.json) {
    nlohmann::json j;
    j["workload"] = workload_json(o, workload);
    j["limit"] = {{"model", cap.model}, {"rpm", cap.rpm}, {"tpm", cap.tpm}, {"calls_per_second", limit_rate}};
    j["clients"] = nlohmann::json::array();
    for (const auto& r : reports) j["clients"].push_back(demo::to_json(r));
    fmt::print("{}\n", j.dump(2));
  } else {
    demo::print_table(stdout, reports, cap);
    demo::print_notices(stdout, reports);
    fmt::print("\nLimits: {} RPM and {} TPM for {} (all accounts); utilisation is measured while every user "
               "still had work.{}\n",
               cap.rpm, cap.tpm, cap.model, footnote);
  }
  if (!o.plot.empty()) {
    if (auto p = demo::plot(o.plot, reports, cap, limit_rate, bin); !p) {
      fmt::print(stderr, "governed-demo: {}\n", p.error().message);
      return 1;
    }
    if (!o.json) fmt::print("plot: {}\n", o.plot);
  }
  return 0;
}

/// Whether the Redis at `url` answers, before any client relies on it: a demo that silently ran
/// on its fail-open share would show nothing. The error names the server, never its password.
governed::Result<void> reachable(const std::string& url) {
  auto client = governed::redis::Client::make(url);
  if (!client) return tl::unexpected(client.error());
  auto pong = (*client)->call({"PING"});
  if (!pong) return governed::fail(pong.error().code, fmt::format("--redis: {}", pong.error().message));
  if (pong->is_error()) return governed::fail(governed::Errc::rejected, fmt::format("--redis: {}", pong->text));
  return {};
}

int run_simulated(const Options& o) {
  if (!o.redis.empty()) {
    if (auto up = reachable(o.redis); !up) {
      fmt::print(stderr, "governed-demo: {}\n", up.error().message);
      return 2;
    }
  }
  const auto workload = demo::make_workload(o.users, o.seed);
  demo::Clock clock{o.time_scale};
  const auto keys = make_keys(o);

  auto started = start_simulators<3>(o, keys.keys, keys.accounts, clock);
  if (!started) {
    fmt::print(stderr, "governed-demo: {}\n", started.error().message);
    return 2;
  }
  auto& sims = *started;

  std::array<demo::Tally, 3> tallies;
  const auto start = clock.now();
  const auto deadline = start + minutes(o.duration_minutes);
  auto setup_for = [&](std::size_t i) {
    return demo::Setup{.clock = clock,
                       .deadline = deadline,
                       .start = start,
                       .base_url = sims[i].server->base_url("openai"),
                       .keys = keys.keys,
                       .accounts = keys.accounts,
                       .headroom = o.headroom,
                       .tier = o.tier,
                       .seed = o.seed,
                       .redis_url = o.redis,
                       .name_space = fmt::format("demo-{}", ::getpid())};
  };

  if (!o.json)
    fmt::print("{} users, {} tasks, {} calls each client; {} keys on {} account(s), OpenAI {} limits, "
               "{} simulated seconds a second{}\n\n",
               o.users, workload.tasks(), workload.calls(), o.keys, o.accounts, o.tier, o.time_scale,
               o.redis.empty() ? "" : "; governed keeps its State in Redis");
  std::fflush(stdout);

  std::atomic<int> running{3};
  std::vector<std::thread> clients;
  std::string failure;
  std::mutex failure_mutex;
  for (std::size_t i = 0; i < 3; ++i)
    clients.emplace_back([&, i] {
      try {
        const auto kind = static_cast<demo::ClientKind>(i);
        if (kind == demo::ClientKind::governed) demo::run_governed(workload, setup_for(i), tallies[i]);
        else demo::run_plain(kind, workload, setup_for(i), tallies[i]);
      } catch (const std::exception& e) {
        std::lock_guard lk(failure_mutex);
        failure = e.what();
      }
      running.fetch_sub(1);
    });

  std::vector<Progress::Row> rows;
  for (std::size_t i = 0; i < 3; ++i)
    rows.push_back({demo::name_of(static_cast<demo::ClientKind>(i)), [&, i] { return tallies[i].tasks_done.load(); },
                    [&, i] { return tallies[i].tasks_lost.load(); }, &sims[i]});
  Progress{std::move(rows), workload.tasks()}.run_while([&] { return running.load() > 0; },
                                                        !o.json && ::isatty(STDERR_FILENO));
  for (auto& t : clients) t.join();
  if (!failure.empty()) {
    fmt::print(stderr, "governed-demo: {}\n", failure);
    return 1;
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < 3; ++i) names.push_back(demo::name_of(static_cast<demo::ClientKind>(i)));
  return present(o, workload, names, {&tallies[0], &tallies[1], &tallies[2]}, {&sims[0], &sims[1], &sims[2]},
                 start, "");
}

/// A replica (started by `run_replicas` with the hidden flags): the governed client for its
/// share of the users, against the parent's simulator, on the parent's clock. It reports on
/// stdout (see demo/replicas.hpp).
int run_replica(const Options& o) {
  const auto& r = o.replica;
  demo::Clock clock{o.time_scale, std::chrono::steady_clock::time_point{std::chrono::nanoseconds{r.origin_ns}},
                          Instant{}, governed::WallTime{Duration{r.wall_ns}}};
  const auto workload = demo::share_of(demo::make_workload(o.users, o.seed), static_cast<std::size_t>(r.index),
                                       std::max(o.replicas, 1u));
  const auto keys = make_keys(o);
  const char* redis = std::getenv(replica_redis_env);
  const Instant start{Duration{r.start_ns}};
  const demo::Setup setup{.clock = clock,
                          .deadline = start + minutes(o.duration_minutes),
                          .start = start,
                          .base_url = r.sim_url,
                          .keys = keys.keys,
                          .accounts = keys.accounts,
                          .headroom = o.headroom,
                          .tier = o.tier,
                          .seed = o.seed + static_cast<std::uint64_t>(r.index),
                          .redis_url = redis ? redis : "",
                          .name_space = r.name_space,
                          .replicas = std::max(o.replicas, 1u)};
  demo::Tally tally;
  std::atomic<bool> done{false};
  std::thread progress([&] {
    while (!done.load()) {
      fmt::print("progress {} {}\n", tally.tasks_done.load(), tally.tasks_lost.load());
      std::fflush(stdout);
      std::this_thread::sleep_for(200ms);
    }
  });
  int status = 0;
  try {
    demo::run_governed(workload, setup, tally);
  } catch (const std::exception& e) {
    fmt::print(stderr, "governed-demo replica {}: {}\n", r.index, e.what());
    status = 1;
  }
  done.store(true);
  progress.join();
  if (status == 0) fmt::print("result {}\n", demo::to_json(tally).dump());
  std::fflush(stdout);
  return status;
}

/// --replicas N: the governed client as N processes, twice side by side — each process with
/// its State in memory, and all of them sharing one State in Redis — each group against its
/// own simulator with the same limits and keys.
int run_replicas(const Options& o) {
  const auto workload = demo::make_workload(o.users, o.seed);
  demo::Clock clock{o.time_scale};
  const auto keys = make_keys(o);

  std::optional<governed::redis::LocalServer> own_redis;
  std::string redis_url = o.redis;
  if (redis_url.empty()) {
    auto server = governed::redis::LocalServer::start();
    if (!server) {
      fmt::print(stderr, "governed-demo: --replicas needs a Redis: {} (or give one with --redis URL)\n",
                 server.error().message);
      return 2;
    }
    own_redis.emplace(std::move(*server));
    redis_url = own_redis->url();
  }
  auto where = governed::redis::parse_url(redis_url);
  if (!where) {
    fmt::print(stderr, "governed-demo: --redis: {}\n", where.error().message);
    return 2;
  }
  if (auto up = reachable(redis_url); !up) {
    fmt::print(stderr, "governed-demo: {}\n", up.error().message);
    return 2;
  }

  auto started = start_simulators<2>(o, keys.keys, keys.accounts, clock);
  if (!started) {
    fmt::print(stderr, "governed-demo: {}\n", started.error().message);
    return 2;
  }
  auto& sims = *started;

  const auto start = clock.now();
  // A namespace of this run's own: keys a user's Redis holds from earlier runs never count.
  const auto name_space = fmt::format("demo-{}-{}", ::getpid(), clock.wall_start().time_since_epoch().count());
  const std::array<std::string, 2> names{"in memory", "in Redis"};
  if (!o.json)
    fmt::print("{} users, {} tasks, {} calls each group; {} keys on {} account(s), OpenAI {} limits, "
               "{} simulated seconds a second\n{} replicas of the governed client per group, the State of "
               "one group in each replica's memory, of the other in Redis at {}\n\n",
               o.users, workload.tasks(), workload.calls(), o.keys, o.accounts, o.tier, o.time_scale, o.replicas,
               where->describe());
  std::fflush(stdout);

  std::array<std::vector<std::unique_ptr<demo::Replica>>, 2> groups;
  for (std::size_t g = 0; g < 2; ++g)
    for (unsigned i = 0; i < o.replicas; ++i) {
      std::vector<std::string> args{
          "--replica",    std::to_string(i),
          "--replicas",   std::to_string(o.replicas),
          "--users",      std::to_string(o.users),
          "--tier",       o.tier,
          "--duration",   fmt::format("{}", o.duration_minutes),
          "--keys",       std::to_string(o.keys),
          "--accounts",   std::to_string(o.accounts),
          "--headroom",   fmt::format("{}", o.headroom),
          "--time-scale", fmt::format("{}", o.time_scale),
          "--seed",       std::to_string(o.seed),
          "--fail-rate",  fmt::format("{}", o.fail_rate),
          "--sim-url",    sims[g].server->base_url("openai"),
          "--namespace",  name_space,
          "--origin-ns",  std::to_string(clock.real_origin().time_since_epoch().count()),
          "--wall-ns",    std::to_string(clock.wall_start().time_since_epoch().count()),
          "--start-ns",   std::to_string(start.time_since_epoch().count())};
      std::vector<std::string> env;
      if (g == 1) env.push_back(fmt::format("{}={}", replica_redis_env, redis_url));
      auto replica = demo::Replica::spawn(args, env);
      if (!replica) {
        fmt::print(stderr, "governed-demo: {}\n", replica.error().message);
        return 1;
      }
      groups[g].push_back(std::move(*replica));
    }

  auto sum = [&](std::size_t g, auto field) {
    return [&, g, field] {
      std::uint64_t n = 0;
      for (const auto& r : groups[g]) n += ((*r).*field)();
      return n;
    };
  };
  std::vector<Progress::Row> rows;
  for (std::size_t g = 0; g < 2; ++g)
    rows.push_back({names[g], sum(g, &demo::Replica::tasks_done), sum(g, &demo::Replica::tasks_lost), &sims[g]});
  std::atomic<bool> running{true};
  std::array<demo::Tally, 2> tallies;
  std::string failure;
  std::thread waiter([&] {
    for (std::size_t g = 0; g < 2; ++g)
      for (auto& r : groups[g]) {
        auto result = r->wait();
        if (!result) {
          failure = result.error().message;
          continue;
        }
        try {
          demo::add_into(tallies[g], *result);
        } catch (const std::exception& e) {
          failure = fmt::format("a replica's report is not one: {}", e.what());
        }
      }
    running.store(false);
  });
  Progress{std::move(rows), workload.tasks()}.run_while([&] { return running.load(); },
                                                        !o.json && ::isatty(STDERR_FILENO));
  waiter.join();
  if (!failure.empty()) {
    fmt::print(stderr, "governed-demo: {}\n", failure);
    return 1;
  }
  return present(o, workload, {names[0], names[1]}, {&tallies[0], &tallies[1]}, {&sims[0], &sims[1]}, start,
                 fmt::format("\nEach group is {} processes; retries and fallbacks are theirs, 429s and requests "
                             "what their simulator saw.",
                             o.replicas));
}

/// --real: two short calls of one worker task through `Governed<transport::http>` to OpenAI,
/// with the key from the environment (never printed).
int run_real(const Options& o) {
  const char* key = std::getenv("OPENAI_API_KEY");
  if (!key || !*key) {
    fmt::print(stderr, "governed-demo: --real needs OPENAI_API_KEY in the environment\n");
    return 2;
  }
  governed::StateConfig config;
  config.providers["openai"] = {.tier = o.tier, .headroom = o.headroom};
  config.keys.keys.push_back({.provider = "openai", .key = key});
  config.routing = governed::ModelRouting::original_application();
  auto state = governed::State<>::create(std::move(config));
  if (!state) {
    fmt::print(stderr, "governed-demo: {}\n", state.error().message);
    return 2;
  }
  (*state)->observers().install([](const governed::Event& e) { fmt::print("  event: {}\n", e.message); });
  governed::Governed<governed::transport::http> g{*state, std::make_shared<governed::transport::http>()};
  for (int i = 0; i < 2; ++i) {
    governed::Request r;
    r.provider = "openai";
    r.task = "worker";
    r.task_id = "real-1";
    r.max_tokens = 16;
    r.messages = {{"user", i == 0 ? "Say hello in three words." : "Say goodbye in three words."}};
    const auto reply = g.send(r);
    if (!reply) {
      fmt::print("call {}: {}\n", i + 1, reply.error().message);
      return 1;
    }
    fmt::print("call {}: {} said \"{}\" ({} + {} tokens, ${:.6f}, {} attempt(s))\n", i + 1, reply->model,
               reply->content, reply->usage.input_tokens, reply->usage.output_tokens, reply->cost.total_cost,
               reply->attempts);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"governed-demo: naive, retry-only and governed clients side by side on one workload"};
  Options o;
  app.add_option("--users", o.users, "users, each running one task of every kind")
      ->check(CLI::Range(std::size_t{1}, std::size_t{500}))
      ->capture_default_str();
  app.add_option("--tier", o.tier, "the OpenAI usage tier whose published limits the simulators enforce")
      ->check(CLI::IsMember({"tier1", "tier2", "tier3", "tier4", "tier5"}))
      ->capture_default_str();
  app.add_option("--duration", o.duration_minutes, "simulated minutes the clients get; what is left then is lost")
      ->check(CLI::Range(0.1, 24.0 * 60))
      ->capture_default_str();
  app.add_option("--keys", o.keys, "API keys every client has")->check(CLI::Range(std::size_t{1}, std::size_t{64}))
      ->capture_default_str();
  app.add_option("--accounts", o.accounts, "accounts the keys belong to (limits are per account)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}))
      ->capture_default_str();
  app.add_option("--headroom", o.headroom, "share of each limit the governed client keeps in reserve")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  app.add_option("--time-scale", o.time_scale, "simulated seconds per real second")
      ->check(CLI::Range(1.0, 1000.0))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the workload")->capture_default_str();
  app.add_option("--fail-rate", o.fail_rate,
                 "share of requests the simulators answer with 529/503 or 500 (half each), for every client")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_flag("--json", o.json, "print the results as JSON instead of a table");
  app.add_option("--plot", o.plot, "draw admitted calls per second against the limit into this SVG file (gnuplot)");
  app.add_flag("--real", o.real, "a tiny governed run against the real OpenAI API (needs OPENAI_API_KEY)");
  app.add_option("--redis", o.redis,
                 "keep the governed client's State in this Redis (redis://[[user]:pass@]host[:port][/db], rediss://)");
  app.add_option("--replicas", o.replicas,
                 "run the governed client as this many processes, State in memory and in Redis side by side")
      ->check(CLI::Range(1u, 16u));
  // Set by the parent for a replica: not for users.
  app.add_option("--replica", o.replica.index)->group("");
  app.add_option("--sim-url", o.replica.sim_url)->group("");
  app.add_option("--namespace", o.replica.name_space)->group("");
  app.add_option("--origin-ns", o.replica.origin_ns)->group("");
  app.add_option("--wall-ns", o.replica.wall_ns)->group("");
  app.add_option("--start-ns", o.replica.start_ns)->group("");
  CLI11_PARSE(app, argc, argv);
  if (o.accounts > o.keys) {
    fmt::print(stderr, "governed-demo: --accounts ({}) can not exceed --keys ({})\n", o.accounts, o.keys);
    return 2;
  }
  if (o.real) return run_real(o);
  if (o.replica.index >= 0) return run_replica(o);
  if (o.replicas > 0) return run_replicas(o);
  return run_simulated(o);
}
