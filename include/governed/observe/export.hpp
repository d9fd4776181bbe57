#pragma once
/// @file
/// Statistics out: a JSON document, and the Prometheus text exposition format (0.0.4).
///
/// Prometheus: one family per scope and measure — `governed_model_requests_total{provider,
/// model}`, `governed_provider_requests_total{provider}`, `governed_task_requests_total{task}`
/// — so summing one family never counts a call twice. Latency is a histogram family in
/// seconds with `_bucket{le=…}` (cumulative, ending at `+Inf`), `_sum` and `_count`. Label
/// values are escaped as the format requires (backslash, double quote, line feed) and were
/// redacted when their series was created.
///
/// Spend per UTC day and month (the Statistics' `cost_today` and `cost_this_month`): two
/// gauges of "current" value, read at the export's wall time `now` and labelled with the
/// period they are for — `governed_cost_usd_day{date="2025-02-01"}` and
/// `governed_cost_usd_month{month="2025-02"}`. At UTC midnight the day's series ends and the
/// next day's starts at zero, so a sample always says which day it counts and an alert rule
/// (`governed_cost_usd_day > 50`) needs no date arithmetic; a per-model total over any range
/// is `governed_model_cost_usd_total`'s `increase()`. The JSON has the same under `"spend"`.
/// Both are this process's spend: a budget shared through Redis keeps every process's.
///
/// ```cpp
/// auto now = state->clock().wall_now();   // the State's clock: a manual one in tests
/// std::string body = governed::to_prometheus(state->stats(), now);   // serve at /metrics
/// nlohmann::json doc = governed::to_json(state->stats(), now);
/// ```

#include <governed/observe/stats.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <date/date.h>

#include <array>
#include <chrono>
#include <iterator>
#include <string>
#include <string_view>

namespace governed {

namespace detail {

inline double seconds_of(Duration d) noexcept { return std::chrono::duration<double>(d).count(); }
inline double millis_of(Duration d) noexcept { return std::chrono::duration<double, std::milli>(d).count(); }

/// A label value as the exposition format wants it inside double quotes.
inline std::string prometheus_escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

template <class... A>
void put(std::string& out, fmt::format_string<A...> f, A&&... a) {
  fmt::format_to(std::back_inserter(out), f, std::forward<A>(a)...);
}

inline std::string_view scope_name(Scope s) noexcept {
  return s == Scope::model ? "model" : s == Scope::provider ? "provider" : "task";
}

/// `provider="openai",model="gpt-4o"` for the scope's labels.
inline std::string prometheus_labels(Scope s, const SeriesLabels& l) {
  switch (s) {
    case Scope::model:
      return fmt::format("provider=\"{}\",model=\"{}\"", prometheus_escape(l.provider), prometheus_escape(l.model));
    case Scope::provider: return fmt::format("provider=\"{}\"", prometheus_escape(l.provider));
    case Scope::task: return fmt::format("task=\"{}\"", prometheus_escape(l.task));
  }
  return {};
}

struct CounterFamily {
  std::string_view name;
  std::string_view help;
  const std::atomic<std::uint64_t> Series::*field;
};

inline constexpr std::array<CounterFamily, 8> counter_families{{
    {"requests_total", "Calls governed, cache hits included.", &Series::requests},
    {"failures_total", "Calls that ended with an error.", &Series::failures},
    {"rate_limited_total", "Rate-limit replies (HTTP 429 or 529) received.", &Series::rate_limited},
    {"retries_total", "Attempts after the first on the same target.", &Series::retries},
    {"fallbacks_total", "Moves to another model or provider.", &Series::fallbacks},
    {"input_tokens_total", "Prompt tokens the providers reported.", &Series::input_tokens},
    {"output_tokens_total", "Completion tokens the providers reported.", &Series::output_tokens},
    {"cache_hits_total", "Calls answered from the response cache.", &Series::cache_hits},
}};

inline nlohmann::json series_json(const Series& s) {
  constexpr auto o = std::memory_order_relaxed;
  return {{"requests", s.requests.load(o)},
          {"failures", s.failures.load(o)},
          {"rate_limited", s.rate_limited.load(o)},
          {"retries", s.retries.load(o)},
          {"fallbacks", s.fallbacks.load(o)},
          {"input_tokens", s.input_tokens.load(o)},
          {"output_tokens", s.output_tokens.load(o)},
          {"cache_hits", s.cache_hits.load(o)},
          {"cost_usd", s.cost_usd()},
          {"latency",
           {{"count", s.latency.count()},
            {"sum_ms", millis_of(s.latency.sum())},
            {"p50_ms", millis_of(s.latency.quantile(0.5))},
            {"p99_ms", millis_of(s.latency.quantile(0.99))}}}};
}

/// "2025-02-01" and "2025-02": the UTC day and month containing `when`.
inline std::string day_label(WallTime when) { return date::format("%F", date::floor<date::days>(when)); }
inline std::string month_label(WallTime when) { return date::format("%Y-%m", date::floor<date::days>(when)); }

inline WallTime system_now() noexcept {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

}  // namespace detail

/// `{"models": [...], "providers": [...], "tasks": [...], "spend": {...}}`, each series with its
/// labels, its counters, `cost_usd` and `latency` {count, sum_ms, p50_ms, p99_ms}; `spend` is
/// `{"day": {"date": "2025-02-01", "usd": …}, "month": {"month": "2025-02", "usd": …}}` for the
/// UTC day and month containing `now`.
inline nlohmann::json to_json(const Statistics& stats, WallTime now) {
  nlohmann::json out = {{"models", nlohmann::json::array()},
                        {"providers", nlohmann::json::array()},
                        {"tasks", nlohmann::json::array()},
                        {"spend",
                         {{"day", {{"date", detail::day_label(now)}, {"usd", stats.cost_today(now)}}},
                          {"month", {{"month", detail::month_label(now)}, {"usd", stats.cost_this_month(now)}}}}}};
  stats.for_each(Scope::model, [&](const SeriesLabels& l, const Series& s) {
    auto j = detail::series_json(s);
    j["provider"] = l.provider;
    j["model"] = l.model;
    out["models"].push_back(std::move(j));
  });
  stats.for_each(Scope::provider, [&](const SeriesLabels& l, const Series& s) {
    auto j = detail::series_json(s);
    j["provider"] = l.provider;
    out["providers"].push_back(std::move(j));
  });
  stats.for_each(Scope::task, [&](const SeriesLabels& l, const Series& s) {
    auto j = detail::series_json(s);
    j["task"] = l.task;
    out["tasks"].push_back(std::move(j));
  });
  return out;
}

/// The same at the system clock's now: for a State on another clock, pass its `wall_now()`.
inline nlohmann::json to_json(const Statistics& stats) { return to_json(stats, detail::system_now()); }

/// The Prometheus text exposition of every series, and the spend of the UTC day and month
/// containing `now`.
inline std::string to_prometheus(const Statistics& stats, WallTime now) {
  std::string out;
  detail::put(out, "# HELP governed_cost_usd_day Spend in US dollars on this UTC day, at the provider table's prices.\n"
              "# TYPE governed_cost_usd_day gauge\ngoverned_cost_usd_day{{date=\"{}\"}} {}\n",
              detail::day_label(now), stats.cost_today(now));
  detail::put(out, "# HELP governed_cost_usd_month Spend in US dollars in this UTC calendar month, at the provider table's prices.\n"
              "# TYPE governed_cost_usd_month gauge\ngoverned_cost_usd_month{{month=\"{}\"}} {}\n",
              detail::month_label(now), stats.cost_this_month(now));
  for (Scope scope : {Scope::model, Scope::provider, Scope::task}) {
    const auto sc = detail::scope_name(scope);
    for (const auto& f : detail::counter_families) {
      detail::put(out, "# HELP governed_{}_{} {}\n# TYPE governed_{}_{} counter\n", sc, f.name, f.help, sc, f.name);
      stats.for_each(scope, [&](const SeriesLabels& l, const Series& s) {
        detail::put(out, "governed_{}_{}{{{}}} {}\n", sc, f.name, detail::prometheus_labels(scope, l),
             (s.*f.field).load(std::memory_order_relaxed));
      });
    }
    detail::put(out, "# HELP governed_{}_cost_usd_total Spend in US dollars at the provider table's prices.\n"
         "# TYPE governed_{}_cost_usd_total counter\n", sc, sc);
    stats.for_each(scope, [&](const SeriesLabels& l, const Series& s) {
      detail::put(out, "governed_{}_cost_usd_total{{{}}} {}\n", sc, detail::prometheus_labels(scope, l), s.cost_usd());
    });
    detail::put(out, "# HELP governed_{}_latency_seconds Call latency from send to result, waits included.\n"
         "# TYPE governed_{}_latency_seconds histogram\n", sc, sc);
    stats.for_each(scope, [&](const SeriesLabels& l, const Series& s) {
      const std::string labels = detail::prometheus_labels(scope, l);
      const auto cum = s.latency.cumulative();
      for (std::size_t i = 0; i < LatencyHistogram::exposition_bounds.size(); ++i) {
        detail::put(out, "governed_{}_latency_seconds_bucket{{{},le=\"{}\"}} {}\n", sc, labels,
             detail::seconds_of(Duration{LatencyHistogram::exposition_bounds[i]}), cum[i]);
      }
      detail::put(out, "governed_{}_latency_seconds_bucket{{{},le=\"+Inf\"}} {}\n", sc, labels, cum.back());
      detail::put(out, "governed_{}_latency_seconds_sum{{{}}} {}\n", sc, labels, detail::seconds_of(s.latency.sum()));
      detail::put(out, "governed_{}_latency_seconds_count{{{}}} {}\n", sc, labels, cum.back());
    });
  }
  return out;
}

/// The same at the system clock's now: for a State on another clock, pass its `wall_now()`.
inline std::string to_prometheus(const Statistics& stats) { return to_prometheus(stats, detail::system_now()); }

}  // namespace governed
