#pragma once
/// @file
/// Statistics per model, per provider and per task: requests, 429s, retries, fallbacks,
/// tokens, cost, cache hits and a latency histogram.
///
/// Each series is a block of relaxed atomics and a `LatencyHistogram`, created on first use
/// and never moved, so a caller can keep a reference to its series and count with no lock at
/// all; `record(CallRecord)` finds the three series of a call under a shared lock and updates
/// them. Tasks are counted by kind ("scraper"), not by instance: a label per agent run would
/// grow a Prometheus server's series without bound.
///
/// Labels are redacted when a series is created (configured keys verbatim, then every
/// secret-shaped token), so what an exporter prints never holds a secret.

#include <governed/error.hpp>
#include <governed/observe/histogram.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/usage.hpp>
#include <governed/time.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed {

/// What one call did, as the composition reports it when the call ends.
struct CallRecord {
  std::string_view provider;  ///< where it was answered (or last tried)
  std::string_view model;
  std::string_view task;      ///< the task's kind; empty: none
  providers::Usage usage{};
  double cost_usd = 0;
  Duration latency{0};        ///< from send() to the result, waits included
  bool success = true;
  bool cache_hit = false;
  std::uint32_t rate_limited = 0;  ///< 429/529 replies received on the way
  std::uint32_t retries = 0;       ///< attempts after the first on one target
  std::uint32_t fallbacks = 0;     ///< moves to another model or provider
  std::optional<Errc> error{};
  std::string_view error_message{};
  WallTime at{};
  std::string_view key_fingerprint{};
};

/// The counters of one model, provider or task.
struct Series {
  std::atomic<std::uint64_t> requests{0};  ///< calls, cache hits included
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> fallbacks{0};
  std::atomic<std::uint64_t> input_tokens{0};
  std::atomic<std::uint64_t> output_tokens{0};
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::int64_t> cost_nano_usd{0};  ///< integer nano-dollars: sums exactly
  LatencyHistogram latency;

  double cost_usd() const noexcept { return static_cast<double>(cost_nano_usd.load(std::memory_order_relaxed)) / 1e9; }

  void add(const CallRecord& r) noexcept {
    constexpr auto o = std::memory_order_relaxed;
    requests.fetch_add(1, o);
    if (!r.success) failures.fetch_add(1, o);
    if (r.cache_hit) cache_hits.fetch_add(1, o);
    if (r.rate_limited) rate_limited.fetch_add(r.rate_limited, o);
    if (r.retries) retries.fetch_add(r.retries, o);
    if (r.fallbacks) fallbacks.fetch_add(r.fallbacks, o);
    if (r.usage.input_tokens > 0) input_tokens.fetch_add(static_cast<std::uint64_t>(r.usage.input_tokens), o);
    if (r.usage.output_tokens > 0) output_tokens.fetch_add(static_cast<std::uint64_t>(r.usage.output_tokens), o);
    if (std::isfinite(r.cost_usd) && r.cost_usd > 0)
      cost_nano_usd.fetch_add(static_cast<std::int64_t>(std::llround(r.cost_usd * 1e9)), o);
    latency.record(r.latency);
  }
};

/// Which grouping a series belongs to.
enum class Scope : std::uint8_t { model, provider, task };

/// A series' labels, already redacted: provider and model for `Scope::model`, provider for
/// `Scope::provider`, task for `Scope::task`.
struct SeriesLabels {
  std::string provider;
  std::string model;
  std::string task;
};

class Statistics {
 public:
  /// `secrets`: keys to remove verbatim from every label (keys without a recognisable shape,
  /// such as Azure's and Mistral's, would otherwise pass).
  explicit Statistics(std::vector<std::string> secrets = {}) : secrets_(std::move(secrets)) {}
  Statistics(const Statistics&) = delete;
  Statistics& operator=(const Statistics&) = delete;

  /// The series of a model; created on first use; the reference stays valid for the
  /// lifetime of the Statistics.
  Series& model(std::string_view provider, std::string_view model) {
    return get(models_, View{provider, model}, [&] { return SeriesLabels{clean(provider), clean(model), {}}; });
  }
  Series& provider(std::string_view provider) {
    return get(providers_, View{provider, {}}, [&] { return SeriesLabels{clean(provider), {}, {}}; });
  }
  Series& task(std::string_view task) {
    return get(tasks_, View{task, {}}, [&] { return SeriesLabels{{}, {}, clean(task)}; });
  }

  /// Counts a finished call in its model's, provider's and (if any) task's series. The three
  /// existing series are found under one shared lock: the counting itself takes none.
  void record(const CallRecord& r) {
    Series *m = nullptr, *p = nullptr, *t = nullptr;
    {
      std::shared_lock lk(m_);
      m = find(models_, View{r.provider, r.model});
      p = find(providers_, View{r.provider, {}});
      if (!r.task.empty()) t = find(tasks_, View{r.task, {}});
    }
    (m ? *m : model(r.provider, r.model)).add(r);
    (p ? *p : provider(r.provider)).add(r);
    if (!r.task.empty()) (t ? *t : task(r.task)).add(r);
  }

  /// The same, into the model's and provider's series the caller already holds (what
  /// `model(r.provider, r.model)` and `provider(r.provider)` returned — a State resolves them
  /// once per table entry). Only a named task's series is looked up: a call that names no task
  /// finds nothing by name and takes no lock.
  void record(const CallRecord& r, Series& model_series, Series& provider_series) {
    model_series.add(r);
    provider_series.add(r);
    if (!r.task.empty()) task(r.task).add(r);
  }

  /// Visits every series of `scope` in label order: `f(const SeriesLabels&, const Series&)`.
  template <class F>
  void for_each(Scope scope, F&& f) const {
    const Map& m = scope == Scope::model ? models_ : scope == Scope::provider ? providers_ : tasks_;
    std::shared_lock lk(m_);
    for (const auto& [key, entry] : m) f(entry.labels, *entry.series);
  }

 private:
  using Key = std::pair<std::string, std::string>;
  using View = std::pair<std::string_view, std::string_view>;
  // Looks up by string views, so finding an existing series copies no string.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return View{a.first, a.second} < View{b.first, b.second};
    }
  };
  struct Entry {
    SeriesLabels labels;
    std::unique_ptr<Series> series;
  };
  using Map = std::map<Key, Entry, KeyLess>;

  std::string clean(std::string_view s) const { return providers::redact(s, secrets_); }

  /// The series under `key`, or null; the caller holds the lock.
  static Series* find(const Map& map, View key) noexcept {
    auto it = map.find(key);
    return it == map.end() ? nullptr : it->second.series.get();
  }

  template <class MakeLabels>
  Series& get(Map& map, View key, MakeLabels&& labels) {
    {
      std::shared_lock lk(m_);
      if (auto it = map.find(key); it != map.end()) return *it->second.series;
    }
    std::unique_lock lk(m_);
    auto [it, inserted] = map.try_emplace(Key{std::string(key.first), std::string(key.second)});
    if (inserted) it->second = Entry{labels(), std::make_unique<Series>()};
    return *it->second.series;
  }

  std::vector<std::string> secrets_;
  mutable std::shared_mutex m_;
  Map models_, providers_, tasks_;
};

}  // namespace governed
