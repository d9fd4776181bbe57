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
///
/// Shared: made with a `SharedStats` (a State whose `StateConfig::shared` is a Redis backend
/// gets one, see redis/stats.hpp), each call is also added to totals kept across processes —
/// sent with later traffic, never waited for — and `shared_totals(scope)` reads the totals of
/// every process. The latency histograms stay per process.
///
/// Spend per UTC day and month: every call that cost something is also added to the day and
/// the month it started in (`cost_today`, `cost_this_month`), the last 64 days and 25 months
/// kept in fixed slots (see `providers::PeriodTotals`), so counting it never allocates. These
/// are this process's totals; a shared spend budget keeps the totals of every process.

#include <governed/error.hpp>
#include <governed/observe/histogram.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/usage.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>
#include <governed/trace.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed {

struct CallRecord;

/// The counters of a series as plain numbers: what a call adds, or totals read from a store.
struct SeriesTotals {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t retries = 0;
  std::uint64_t fallbacks = 0;
  std::uint64_t input_tokens = 0;
  std::uint64_t output_tokens = 0;
  std::uint64_t cache_hits = 0;
  std::int64_t cost_nano_usd = 0;

  double cost_usd() const noexcept { return static_cast<double>(cost_nano_usd) / 1e9; }
  /// What the call `r` adds to each counter.
  static inline SeriesTotals of(const CallRecord& r) noexcept;
};

/// One move of a call away from a target it had tried or meant to try, and why.
struct FallbackHop {
  std::string_view provider;  ///< the target left
  std::string_view model;
  std::string_view reason;    ///< the friendly sentence of the event that decided it; redacted
};

/// Where the budgets stood when a call ended; a field is empty when no such budget is set.
struct BudgetState {
  std::optional<double> spent_today_usd{}, day_limit_usd{};
  std::optional<double> spent_this_month_usd{}, month_limit_usd{};
  std::optional<std::int64_t> task_calls{}, task_call_limit{};
};

/// What one call did, as the composition reports it when the call ends: to the statistics,
/// and whole to the call hook (see observe/call_hook.hpp). The views live as long as the hook
/// runs; a hook that keeps them copies them.
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
  std::string_view key_fingerprint{};  ///< the key of the last attempt

  // The rest is filled for the call hook only (the statistics do not read it).
  std::string_view request_provider{};  ///< what the caller asked for (gen_ai.request.model)
  std::string_view request_model{};
  std::string_view task_id{};
  TraceId trace_id{};
  SpanId span_id{};                     ///< the call's own span: the parent id sent to the provider
  std::uint32_t attempts = 0;           ///< transport attempts, across every target
  Duration waited{0};                   ///< waiting for admission, in total
  Duration backed_off{0};               ///< sleeping between retries, in total
  bool cancelled = false;               ///< the caller cancelled the call
  std::span<const std::string_view> keys{};  ///< fingerprints of the keys used, in order
  std::span<const FallbackHop> hops{};       ///< each move to another target, in order
  BudgetState budget{};
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
    const SeriesTotals d = SeriesTotals::of(r);
    requests.fetch_add(d.requests, o);
    if (d.failures) failures.fetch_add(d.failures, o);
    if (d.cache_hits) cache_hits.fetch_add(d.cache_hits, o);
    if (d.rate_limited) rate_limited.fetch_add(d.rate_limited, o);
    if (d.retries) retries.fetch_add(d.retries, o);
    if (d.fallbacks) fallbacks.fetch_add(d.fallbacks, o);
    if (d.input_tokens) input_tokens.fetch_add(d.input_tokens, o);
    if (d.output_tokens) output_tokens.fetch_add(d.output_tokens, o);
    if (d.cost_nano_usd) cost_nano_usd.fetch_add(d.cost_nano_usd, o);
    latency.record(r.latency);
  }
};

inline SeriesTotals SeriesTotals::of(const CallRecord& r) noexcept {
  SeriesTotals d;
  d.requests = 1;
  d.failures = r.success ? 0 : 1;
  d.cache_hits = r.cache_hit ? 1 : 0;
  d.rate_limited = r.rate_limited;
  d.retries = r.retries;
  d.fallbacks = r.fallbacks;
  d.input_tokens = r.usage.input_tokens > 0 ? static_cast<std::uint64_t>(r.usage.input_tokens) : 0;
  d.output_tokens = r.usage.output_tokens > 0 ? static_cast<std::uint64_t>(r.usage.output_tokens) : 0;
  // Rounded to nearest by adding a half and truncating (every call counts its cost: no call
  // into the maths library); a cost beyond $9 billion stops at the largest count.
  const double nano = r.cost_usd * 1e9 + 0.5;
  d.cost_nano_usd = !(r.cost_usd > 0) || !std::isfinite(r.cost_usd) ? 0
                    : nano < 9.2e18                                 ? static_cast<std::int64_t>(nano)
                                                                    : std::numeric_limits<std::int64_t>::max();
  return d;
}

/// Which grouping a series belongs to.
enum class Scope : std::uint8_t { model, provider, task };

/// A series' labels, already redacted: provider and model for `Scope::model`, provider for
/// `Scope::provider`, task for `Scope::task`.
struct SeriesLabels {
  std::string provider;
  std::string model;
  std::string task;
};

/// A series' totals across every process sharing a store.
struct SharedSeries {
  SeriesLabels labels;
  SeriesTotals totals;
};

/// Counters kept outside the process, added to by every process sharing them.
class SharedStats {
 public:
  virtual ~SharedStats() = default;
  /// Adds `d` to the totals of the series `model`, `provider` and (when not null) `task`, whose
  /// labels are redacted already. Nobody waits for it.
  virtual void add(const SeriesLabels& model, const SeriesLabels& provider, const SeriesLabels* task,
                   const SeriesTotals& d) noexcept = 0;
  /// Every series of `scope` with its totals, in label order; what this process added before
  /// is included.
  virtual Result<std::vector<SharedSeries>> totals(Scope scope) = 0;
};

class Statistics {
 public:
  /// `secrets`: keys to remove verbatim from every label (keys without a recognisable shape,
  /// such as Azure's and Mistral's, would otherwise pass). `shared`: where the totals of every
  /// process are kept, if anywhere.
  explicit Statistics(std::vector<std::string> secrets = {}, std::shared_ptr<SharedStats> shared = nullptr)
      : secrets_(std::move(secrets)), shared_(std::move(shared)) {}
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
  /// existing series are found under one shared lock: the counting itself takes none, but for
  /// the short lock of the day's and month's spend when the call cost something.
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
    count_spend(r);
    if (shared_) share(r);
  }

  /// The same, into the model's and provider's series the caller already holds (what
  /// `model(r.provider, r.model)` and `provider(r.provider)` returned — a State resolves them
  /// once per table entry). Only a named task's series is looked up: a call that names no task
  /// finds nothing by name and takes no lock (a call that cost something takes the spend's).
  void record(const CallRecord& r, Series& model_series, Series& provider_series) {
    model_series.add(r);
    provider_series.add(r);
    if (!r.task.empty()) task(r.task).add(r);
    count_spend(r);
    if (shared_) share(r);
  }

  /// What this process spent on the UTC day containing `now`, in US dollars.
  double cost_today(WallTime now) const noexcept { return usd(spend_.day(now)); }
  /// What this process spent in the UTC calendar month containing `now`, in US dollars.
  double cost_this_month(WallTime now) const noexcept { return usd(spend_.month(now)); }
  /// The day and month totals themselves, in integer nano-dollars.
  const providers::PeriodTotals<std::int64_t>& spend() const noexcept { return spend_; }

  /// The totals of every process sharing the store, per series of `scope`; an error when
  /// there is no store or it can not be reached.
  Result<std::vector<SharedSeries>> shared_totals(Scope scope) const {
    if (!shared_) return fail(Errc::invalid_argument, "these statistics are not shared");
    return shared_->totals(scope);
  }
  bool shared() const noexcept { return shared_ != nullptr; }

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

  static double usd(std::int64_t nano) noexcept { return static_cast<double>(nano) / 1e9; }

  /// Adds the call's cost to its day and month; a call that cost nothing (a cache hit, most
  /// failures) takes no lock.
  void count_spend(const CallRecord& r) noexcept {
    if (const auto nano = SeriesTotals::of(r).cost_nano_usd) spend_.add(nano, r.at);
  }

  /// Adds `r` to the shared totals, under the series' redacted labels (the series exist: the
  /// call was just counted in them).
  void share(const CallRecord& r) {
    SeriesLabels m, p, t;
    {
      std::shared_lock lk(m_);
      if (auto it = models_.find(View{r.provider, r.model}); it != models_.end()) m = it->second.labels;
      if (auto it = providers_.find(View{r.provider, {}}); it != providers_.end()) p = it->second.labels;
      if (!r.task.empty())
        if (auto it = tasks_.find(View{r.task, {}}); it != tasks_.end()) t = it->second.labels;
    }
    shared_->add(m, p, r.task.empty() ? nullptr : &t, SeriesTotals::of(r));
  }

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
  std::shared_ptr<SharedStats> shared_;
  mutable std::shared_mutex m_;
  Map models_, providers_, tasks_;
  providers::PeriodTotals<std::int64_t> spend_;
};

}  // namespace governed
