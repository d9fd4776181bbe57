// governed-demo: the original application's workload through three clients side by side —
// naive, retry-only and governed — each against its own simulated provider over loopback
// HTTP, with the same tier-1 limits and the same keys.
//
//   governed-demo [--users 10] [--tier tier1] [--duration 30] [--keys 2] [--accounts 1]
//                 [--headroom 0.15] [--time-scale 30] [--seed 1] [--json] [--plot FILE.svg]
//   governed-demo --real          (with OPENAI_API_KEY set: a tiny governed run against OpenAI)
//
// Time is simulated and sped up (--time-scale 30: a minute in two real seconds); the
// simulators, the clients' waits and the governor's limits all run on that one clock.
// Every user runs one task of each kind (scraper: 18–30 calls, job hunter, worker, cover-letter
// writer), each call waiting for the previous answer. A table follows the live progress bars:
// tasks completed, 429s, retries, time to finish, call latency, how much of the provider's
// limit each client used, cost per completed task, cache hits, fallbacks. --json prints the
// same as JSON; --plot draws admitted calls per second against the limit (gnuplot).

#include "demo/clients.hpp"
#include "demo/report.hpp"
#include "demo/workload.hpp"

#include <governed/clock/steady.hpp>
#include <governed/sim/server.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sim = governed::sim;
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
  bool json = false;
  std::string plot;
  bool real = false;
};

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
  auto p = sim::Provider::create(std::move(c));
  if (!p) return tl::unexpected(p.error());
  auto s = sim::Server<demo::Clock>::create({*p}, clock);
  if (!s) return tl::unexpected(s.error());
  return Simulator{std::move(*p), std::move(*s)};
}

/// Live progress, one line per client, redrawn in place while the clients run.
class Progress {
 public:
  Progress(const std::array<demo::Tally*, 3>& tallies, const std::array<Simulator*, 3>& sims, std::size_t tasks)
      : tallies_(tallies), sims_(sims), tasks_(tasks) {}

  void draw(bool first) const {
    if (!first) fmt::print(stderr, "\033[{}F", tallies_.size());
    for (std::size_t i = 0; i < tallies_.size(); ++i) {
      const auto done = tallies_[i]->tasks_done.load(), lost = tallies_[i]->tasks_lost.load();
      const auto rejected = sims_[i]->provider->count([](const sim::LogEntry& e) { return e.status == 429; });
      constexpr std::size_t width = 30;
      const std::size_t filled = tasks_ ? (done + lost) * width / tasks_ : width;
      fmt::print(stderr, "{:<11} [{:#<{}}{:-<{}}] {:>4}/{} tasks  {:>4} lost  {:>5} 429s\033[K\n",
                 demo::name_of(static_cast<demo::ClientKind>(i)), "", filled, "", width - filled, done + lost, tasks_,
                 lost, rejected);
    }
    std::fflush(stderr);
  }

 private:
  std::array<demo::Tally*, 3> tallies_;
  std::array<Simulator*, 3> sims_;
  std::size_t tasks_;
};

int run_simulated(const Options& o) {
  const auto workload = demo::make_workload(o.users, o.seed);
  demo::Clock clock{o.time_scale};

  std::vector<std::string> keys, accounts;
  for (std::size_t i = 0; i < o.keys; ++i) {
    keys.push_back(fmt::format("sk-demo-{:04}-{:016x}", i, governed::Random{o.seed + i}()));
    accounts.push_back(fmt::format("org-demo-{}", i % o.accounts));
  }

  std::array<Simulator, 3> sims;
  for (auto& s : sims) {
    auto started = start_simulator(o, keys, accounts, clock);
    if (!started) {
      fmt::print(stderr, "governed-demo: {}\n", started.error().message);
      return 2;
    }
    s = std::move(*started);
  }

  demo::Capacity cap;
  const auto limits = sim::table_limits(governed::providers::builtin_table(), "openai", cap.model, o.tier);
  cap.rpm = static_cast<double>(limits.rpm.value_or(0) * static_cast<std::int64_t>(o.accounts));
  cap.tpm = static_cast<double>(limits.tpm.value_or(0) * static_cast<std::int64_t>(o.accounts));

  std::array<demo::Tally, 3> tallies;
  const auto start = clock.now();
  const auto deadline = start + std::chrono::duration_cast<governed::Duration>(
                                    std::chrono::duration<double, std::ratio<60>>(o.duration_minutes));
  auto setup_for = [&](std::size_t i) {
    return demo::Setup{.clock = clock,
                       .deadline = deadline,
                       .base_url = sims[i].server->base_url("openai"),
                       .keys = keys,
                       .accounts = accounts,
                       .headroom = o.headroom,
                       .tier = o.tier,
                       .seed = o.seed};
  };

  if (!o.json)
    fmt::print("{} users, {} tasks, {} calls each client; {} keys on {} account(s), OpenAI {} limits, "
               "{} simulated seconds a second\n\n",
               o.users, workload.tasks(), workload.calls(), o.keys, o.accounts, o.tier, o.time_scale);
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

  const bool live = !o.json && ::isatty(STDERR_FILENO);
  Progress progress({&tallies[0], &tallies[1], &tallies[2]}, {&sims[0], &sims[1], &sims[2]}, workload.tasks());
  if (live) progress.draw(true);
  while (running.load() > 0) {
    std::this_thread::sleep_for(200ms);
    if (live) progress.draw(false);
  }
  for (auto& t : clients) t.join();
  if (!failure.empty()) {
    fmt::print(stderr, "governed-demo: {}\n", failure);
    return 1;
  }
  if (live) fmt::print(stderr, "\n");

  const auto bin = std::chrono::duration_cast<governed::Duration>(10s);
  std::vector<demo::ClientReport> reports;
  double tokens = 0, calls = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto log = sims[i].provider->log();
    reports.push_back(demo::make_report(static_cast<demo::ClientKind>(i), workload, tallies[i], log, cap, start, bin));
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
    j["workload"] = {{"users", o.users},
                     {"tasks", workload.tasks()},
                     {"calls", workload.calls()},
                     {"tier", o.tier},
                     {"keys", o.keys},
                     {"accounts", o.accounts},
                     {"headroom", o.headroom},
                     {"duration_minutes", o.duration_minutes},
                     {"time_scale", o.time_scale},
                     {"seed", o.seed}};
    j["limit"] = {{"model", cap.model}, {"rpm", cap.rpm}, {"tpm", cap.tpm}, {"calls_per_second", limit_rate}};
    j["clients"] = nlohmann::json::array();
    for (const auto& r : reports) j["clients"].push_back(demo::to_json(r));
    fmt::print("{}\n", j.dump(2));
  } else {
    demo::print_table(stdout, reports, cap);
    fmt::print("\nLimits: {} RPM and {} TPM for {} (all accounts); utilisation is measured while every user "
               "still had work.\n",
               cap.rpm, cap.tpm, cap.model);
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
  app.add_flag("--json", o.json, "print the results as JSON instead of a table");
  app.add_option("--plot", o.plot, "draw admitted calls per second against the limit into this SVG file (gnuplot)");
  app.add_flag("--real", o.real, "a tiny governed run against the real OpenAI API (needs OPENAI_API_KEY)");
  CLI11_PARSE(app, argc, argv);
  if (o.accounts > o.keys) {
    fmt::print(stderr, "governed-demo: --accounts ({}) can not exceed --keys ({})\n", o.accounts, o.keys);
    return 2;
  }
  return o.real ? run_real(o) : run_simulated(o);
}
