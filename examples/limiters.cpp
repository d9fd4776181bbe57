// governed-limiters: the limiter families side by side on one workload, on a manual clock.
//
// The workload of the original application: a provider publishes 30 000 tokens per minute;
// agent runs of about 7 000 tokens arrive every 5 seconds and queue; each family plans the
// limit with 15 % headroom and launches runs as soon as it admits them.
#include <governed/governed.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Instant;
namespace lim = governed::limiter;

namespace {

struct Options {
  std::uint64_t tpm = 30000;
  std::uint64_t run_tokens = 7000;
  double headroom = 0.15;
  int arrival_seconds = 5;
  int minutes = 5;
};

struct Outcome {
  std::string planned;
  std::vector<Instant> launches;
  Duration longest_wait{0};
  std::uint64_t busiest = 0;
};

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

template <class L>
Outcome simulate(const Options& o) {
  Outcome out;
  auto limit = L::derive({o.tpm, 1min}, {o.headroom, o.run_tokens});
  if (!limit) {
    out.planned = "refused: " + limit.error().message;
    return out;
  }
  out.planned = fmt::format("{}/min, burst {}", limit->cells, limit->burst);
  if (limit->burst == lim::none::unlimited) out.planned = "unlimited";
  if (limit->window != 1min) out.planned = fmt::format("{} per {:.0f} s", limit->cells, seconds(limit->window));
  L l{*limit};
  const Instant end{std::chrono::minutes{o.minutes}};
  std::deque<Instant> queue;  // arrival times of waiting runs
  Instant t{};
  Instant next_arrival{};
  while (t < end) {
    while (next_arrival <= t) {
      queue.push_back(next_arrival);
      next_arrival += std::chrono::seconds{o.arrival_seconds};
    }
    if (queue.empty()) {
      t = next_arrival;
      continue;
    }
    const lim::Decision d = l.try_acquire(o.run_tokens, t);
    if (d.admitted()) {
      out.longest_wait = std::max(out.longest_wait, t - queue.front());
      queue.pop_front();
      out.launches.push_back(t);
    } else {
      t += d.retry_after;  // runs arriving meanwhile join the queue behind
    }
  }
  // The busiest closed window of a minute, as a provider counting a sliding minute sees it.
  for (std::size_t i = 0; i < out.launches.size(); ++i) {
    std::uint64_t sum = 0;
    for (std::size_t j = i; j < out.launches.size() && out.launches[j] <= out.launches[i] + 1min; ++j)
      sum += o.run_tokens;
    out.busiest = std::max(out.busiest, sum);
  }
  return out;
}

void row(const Options& o, const char* name, const Outcome& r) {
  std::string first;
  for (std::size_t i = 0; i < std::min<std::size_t>(r.launches.size(), 7); ++i)
    first += fmt::format("{:.1f} ", seconds(r.launches[i] - Instant{}));
  if (r.launches.size() > 7) first += "…";
  fmt::print("{:<22} {:<24} {:>8} {:>9.1f}/min  {:>7} ({:>3.0f} %)  {:>9.1f} s   {}\n", name, r.planned,
             r.launches.size(), static_cast<double>(r.launches.size()) / o.minutes, r.busiest,
             100.0 * static_cast<double>(r.busiest) / static_cast<double>(o.tpm), seconds(r.longest_wait),
             first);
}

void rpm_table() {
  fmt::print("\n60 RPM with burst 1, attempts every 250 ms for 4 s — admitted (#) or told to wait:\n\n  ");
  lim::gcra g{{60, 1min, 1}};
  for (Instant t{}; t <= Instant{4s}; t += 250ms) {
    const auto d = g.try_acquire(1, t);
    if (d.admitted()) fmt::print("{:.2f}s # ", seconds(t - Instant{}));
    else fmt::print("{:.2f}s wait {:.2f}s  ", seconds(t - Instant{}), seconds(d.retry_after));
    if ((t - Instant{}) % 1s == 750ms) fmt::print("\n  ");
  }
  fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"governed-limiters: every limiter family on one workload, on a manual clock"};
  app.add_option("--tpm", o.tpm, "published tokens per minute")->check(CLI::Range(1, 100000000));
  app.add_option("--run-tokens", o.run_tokens, "tokens per agent run")->check(CLI::Range(1, 100000000));
  app.add_option("--headroom", o.headroom, "share of the limit kept in reserve")->check(CLI::Range(0.0, 0.99));
  app.add_option("--every", o.arrival_seconds, "seconds between arriving runs")->check(CLI::Range(1, 3600));
  app.add_option("--minutes", o.minutes, "simulated minutes")->check(CLI::Range(1, 1440));
  CLI11_PARSE(app, argc, argv);

  fmt::print("A provider publishes {} tokens a minute. Runs of {} tokens arrive every {} s and queue;\n"
             "each limiter plans the limit with {:.0f} % headroom. {} simulated minutes, instantly.\n\n",
             o.tpm, o.run_tokens, o.arrival_seconds, o.headroom * 100, o.minutes);
  fmt::print("{:<22} {:<24} {:>8} {:>14}  {:>15}  {:>11}   {}\n", "algorithm", "planned", "launches", "rate",
             "busiest minute", "longest wait", "first launches (s)");
  row(o, "gcra", simulate<lim::gcra>(o));
  row(o, "token_bucket", simulate<lim::token_bucket>(o));
  row(o, "sliding_window", simulate<lim::sliding_window>(o));
  row(o, "sliding_window_approx", simulate<lim::sliding_window_approx>(o));
  row(o, "fixed_window", simulate<lim::fixed_window>(o));
  row(o, "none", simulate<lim::none>(o));
  fmt::print("\n\"busiest minute\" is the most tokens in any 60 s window: what a provider counting a sliding\n"
             "minute sees. Every governed family stays within {}; `none` shows what an ungoverned client sends.\n",
             o.tpm);
  rpm_table();
  return 0;
}
