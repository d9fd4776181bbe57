#pragma once
// What the demo shows of each client: counted by the client as it went (tasks, retries,
// latency, cache hits, fallbacks) and by its simulated provider, which is the authority on
// what reached it (requests, 429s sent, admitted calls and tokens, and so the bill).

#include "clients.hpp"

#include <governed/providers/cost.hpp>
#include <governed/providers/table.hpp>
#include <governed/sim/limits.hpp>
#include <governed/sim/log.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace demo {

/// The limit the utilisation figures and the plot are measured against: the workhorse
/// model's (gpt-4o-mini: scraper, worker, job hunter), over every account.
struct Capacity {
  std::string model = "gpt-4o-mini";
  double rpm = 0;  ///< requests per minute, all accounts together
  double tpm = 0;  ///< tokens per minute, all accounts together
};

struct ClientReport {
  std::string name;
  std::size_t tasks = 0;
  std::uint64_t tasks_done = 0;
  std::uint64_t requests = 0;  ///< what reached the provider
  std::uint64_t rejected_429 = 0;
  std::uint64_t retries = 0;
  double finish_s = 0;  ///< when the last user ran out of tasks
  double p50_s = 0, p99_s = 0;
  double rpm_use = 0, tpm_use = 0;  ///< of `Capacity`, while every user still had work
  double cost_usd = 0;
  double cost_per_task = 0;  ///< the bill over the tasks completed
  std::uint64_t cache_hits = 0;
  std::uint64_t fallbacks = 0;
  std::vector<double> calls_per_second;  ///< admitted calls of the capacity's model, per bin
  std::vector<Notice> notices;           ///< alerts and breaker transitions, in order
};

inline double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

inline ClientReport make_report(std::string name, const Workload& w, const Tally& t,
                                const std::vector<governed::sim::LogEntry>& log, const Capacity& cap, Instant start,
                                Duration bin) {
  ClientReport r;
  r.name = std::move(name);
  r.tasks = w.tasks();
  r.tasks_done = t.tasks_done.load();
  r.retries = t.retries.load();
  r.cache_hits = t.cache_hits.load();
  r.fallbacks = t.fallbacks.load();
  {
    std::lock_guard lk(t.notices_mutex);
    r.notices = t.notices;
  }
  r.p50_s = seconds(t.latency.quantile(0.5));
  r.p99_s = seconds(t.latency.quantile(0.99));
  Instant last = start, busy_until = Instant::max();
  for (const auto& d : t.user_done) {
    last = std::max(last, d);
    busy_until = std::min(busy_until, d);
  }
  r.finish_s = seconds(last - start);

  const auto& table = governed::providers::builtin_table();
  double requests_busy = 0, tokens_busy = 0;
  for (const auto& e : log) {
    ++r.requests;
    if (e.status == 429) ++r.rejected_429;
    if (e.outcome != governed::sim::Outcome::success) continue;
    if (const auto* m = table.model("openai", e.model))
      r.cost_usd += governed::providers::cost_of(m->price, {.input_tokens = e.input_tokens, .output_tokens = e.output_tokens})
                        .total_cost;
    if (e.model != cap.model) continue;
    const auto at = e.at - start;
    const auto i = static_cast<std::size_t>(std::max<std::int64_t>(at / bin, 0));
    if (r.calls_per_second.size() <= i) r.calls_per_second.resize(i + 1, 0.0);
    r.calls_per_second[i] += 1.0 / seconds(bin);
    if (e.at <= busy_until) {
      requests_busy += 1;
      tokens_busy += static_cast<double>(e.input_tokens + e.output_tokens);
    }
  }
  // A provider's window starts empty: in any period shorter than the window, a whole
  // window's allowance is there to use.
  const double busy_minutes = std::max(seconds(busy_until - start) / 60.0, 1.0);
  if (cap.rpm > 0) r.rpm_use = requests_busy / (cap.rpm * busy_minutes);
  if (cap.tpm > 0) r.tpm_use = tokens_busy / (cap.tpm * busy_minutes);
  r.cost_per_task = r.tasks_done ? r.cost_usd / static_cast<double>(r.tasks_done) : 0.0;
  return r;
}

inline std::string minutes_seconds(double s) {
  const auto total = static_cast<long>(s + 0.5);
  return total >= 60 ? fmt::format("{}m{:02}s", total / 60, total % 60) : fmt::format("{}s", total);
}

inline void print_table(std::FILE* out, const std::vector<ClientReport>& rs, const Capacity& cap) {
  auto row = [&](std::string_view label, auto cell) {
    fmt::print(out, "{:<28}", label);
    for (const auto& r : rs) fmt::print(out, "{:>14}", cell(r));
    fmt::print(out, "\n");
  };
  row("", [](const ClientReport& r) { return r.name; });
  row("tasks completed", [](const ClientReport& r) { return fmt::format("{}/{}", r.tasks_done, r.tasks); });
  row("429s received", [](const ClientReport& r) { return fmt::format("{}", r.rejected_429); });
  row("retries", [](const ClientReport& r) { return fmt::format("{}", r.retries); });
  row("requests sent", [](const ClientReport& r) { return fmt::format("{}", r.requests); });
  row("time to finish", [](const ClientReport& r) { return minutes_seconds(r.finish_s); });
  row("call latency p50", [](const ClientReport& r) { return fmt::format("{:.1f} s", r.p50_s); });
  row("call latency p99", [](const ClientReport& r) { return fmt::format("{:.1f} s", r.p99_s); });
  row(fmt::format("RPM used ({})", cap.model), [](const ClientReport& r) { return fmt::format("{:.0f} %", 100 * r.rpm_use); });
  row(fmt::format("TPM used ({})", cap.model), [](const ClientReport& r) { return fmt::format("{:.0f} %", 100 * r.tpm_use); });
  row("cost per completed task", [](const ClientReport& r) { return fmt::format("${:.4f}", r.cost_per_task); });
  row("cache hits", [](const ClientReport& r) { return fmt::format("{}", r.cache_hits); });
  row("fallbacks", [](const ClientReport& r) { return fmt::format("{}", r.fallbacks); });
}

/// The alerts and breaker transitions of each client, at their simulated time; nothing when
/// none fired.
inline void print_notices(std::FILE* out, const std::vector<ClientReport>& rs) {
  bool any = false;
  for (const auto& r : rs) any = any || !r.notices.empty();
  if (!any) return;
  fmt::print(out, "\nAlerts and circuit breakers:\n");
  for (const auto& r : rs)
    for (const auto& n : r.notices) fmt::print(out, "  {:<10} at {:>6}  {}\n", r.name, minutes_seconds(n.at_s), n.message);
}

inline nlohmann::json notices_json(const std::vector<Notice>& notices) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& n : notices) list.push_back({{"at_s", n.at_s}, {"kind", n.kind}, {"message", n.message}});
  return list;
}

inline nlohmann::json to_json(const ClientReport& r) {
  return {{"client", r.name},
          {"tasks", r.tasks},
          {"tasks_completed", r.tasks_done},
          {"requests_sent", r.requests},
          {"rate_limited_429", r.rejected_429},
          {"retries", r.retries},
          {"time_to_finish_s", r.finish_s},
          {"latency_p50_s", r.p50_s},
          {"latency_p99_s", r.p99_s},
          {"rpm_utilisation", r.rpm_use},
          {"tpm_utilisation", r.tpm_use},
          {"cost_usd", r.cost_usd},
          {"cost_per_task_usd", r.cost_per_task},
          {"cache_hits", r.cache_hits},
          {"fallbacks", r.fallbacks},
          {"alerts", notices_json(r.notices)}};
}

/// Admitted calls per second of each client beside the call rate the limit allows, drawn by
/// gnuplot into `path` (SVG). The limit's call rate is the lesser of RPM and TPM over the mean
/// admitted call's size. Errors: gnuplot missing or failing.
inline governed::Result<void> plot(const std::string& path, const std::vector<ClientReport>& rs, const Capacity& cap,
                                   double limit_calls_per_second, Duration bin) {
  std::FILE* gp = ::popen("gnuplot", "w");
  if (!gp) return governed::fail(governed::Errc::io_error, "--plot: could not start gnuplot (Debian: gnuplot-nox)");
  auto quoted = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return "'" + out + "'";
  };
  fmt::print(gp, "set terminal svg size 900,480 dynamic background rgb 'white'\n");
  fmt::print(gp, "set output {}\n", quoted(path));
  fmt::print(gp, "set title 'Admitted {} calls per second, {} clients, same workload and limits'\n", cap.model, rs.size());
  fmt::print(gp, "set xlabel 'simulated time (minutes)'\nset ylabel 'calls per second'\n");
  fmt::print(gp, "set key top right\nset grid\n");
  for (std::size_t c = 0; c < rs.size(); ++c) {
    fmt::print(gp, "$d{} << EOD\n", c);
    for (std::size_t i = 0; i < rs[c].calls_per_second.size(); ++i)
      fmt::print(gp, "{} {}\n", seconds(bin) * (static_cast<double>(i) + 0.5) / 60.0, rs[c].calls_per_second[i]);
    fmt::print(gp, "EOD\n");
  }
  fmt::print(gp, "plot ");
  for (std::size_t c = 0; c < rs.size(); ++c)
    fmt::print(gp, "$d{} using 1:2 with lines lw 2 title {}, ", c, quoted(rs[c].name));
  fmt::print(gp, "{} with lines dt 2 lw 2 lc rgb 'black' title 'the limit'\n", limit_calls_per_second);
  const int status = ::pclose(gp);
  if (status != 0) return governed::fail(governed::Errc::io_error, fmt::format("--plot: gnuplot failed (status {})", status));
  return {};
}

}  // namespace demo
