#pragma once
/// @file
/// `State`: what every call site of a process shares — limit sets, cooldowns, key health,
/// budgets, statistics, the response cache — and the clock they all read.
///
/// A limit lives in one place or it does not hold: a batch runner and a direct call that
/// each kept their own limiter would together send twice the limit. So every `Governed` made
/// from one `State`, on any thread, and every rebinding of it (`g.with<backoff::none>()`),
/// counts against the same limit sets and sees the same cooled models and spent keys.
///
/// ```cpp
/// governed::StateConfig config;
/// config.keys.keys = {{"openai", std::getenv("OPENAI_API_KEY"), "org-main"}};
/// config.providers["openai"] = {.tier = "tier1", .max_concurrency = 3};
/// // a local vLLM server that takes no key
/// config.providers["openai_compatible"] = {.base_url = "http://127.0.0.1:8000/v1", .keyless = true};
/// auto state = governed::State<>::create(std::move(config));
/// ```
///
/// The limiter algorithm and the clock are the State's: they are what its limit sets are made
/// of and what their times mean. A call site that wants another algorithm uses another State.

#include <governed/backoff/step.hpp>
#include <governed/breaker.hpp>
#include <governed/budget/routing.hpp>
#include <governed/budget/spend.hpp>
#include <governed/budget/task.hpp>
#include <governed/cache.hpp>
#include <governed/cached_response.hpp>
#include <governed/clock/concept.hpp>
#include <governed/clock/steady.hpp>
#include <governed/cooldowns.hpp>
#include <governed/keys/health_store.hpp>
#include <governed/keys/pool.hpp>
#include <governed/limit_set.hpp>
#include <governed/limit_store.hpp>
#include <governed/limiter/concept.hpp>
#include <governed/limiter/gcra.hpp>
#include <governed/observe/alerts.hpp>
#include <governed/observe/call_hook.hpp>
#include <governed/observe/event.hpp>
#include <governed/observe/stats.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/random.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/settings_check.hpp>
#include <governed/shared_health.hpp>
#include <governed/shared_limits.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace governed {

/// How the governor treats one provider's account. Every figure left empty comes from the
/// provider table, for `tier`.
struct ProviderSettings {
  /// The table's tier whose published limits apply: "free", "tier1", … Empty: each model's
  /// first tier that offers it (a new account's limits: Groq's free tier, OpenAI's tier 1).
  /// A name the table does not list for the provider (`Tier1`) is refused at `create`.
  std::string tier{};
  /// Overrides of the published limits (per account and model group). 0: no such limit — in
  /// code only; the environment and JSON configuration spell it "unlimited" and refuse 0.
  /// A model the table lists no limits for on the tier is not offered unless one of rpm,
  /// tpm, itpm or otpm is set here.
  std::optional<std::uint64_t> rpm{}, tpm{}, rpd{}, tpd{}, itpm{}, otpm{};
  /// At most this many calls in flight per account and model group (0: unbounded).
  std::uint32_t max_concurrency = 0;
  /// At least this long between launches (0: none).
  Duration stagger{0};
  /// Share of each limit kept in reserve.
  double headroom = 0.15;
  /// A floor under each call's token estimate: what one run of the application's workload
  /// is known to use, when the prompt alone underestimates it (tools, long outputs).
  std::uint64_t est_tokens_per_call = 0;
  /// How much later than another a call admitted with it may reach the provider; each limit
  /// is planned over its window plus this (see `LimitSetConfig::skew`).
  Duration skew{0};
  /// Another base URL (a proxy, the generic OpenAI-compatible entry, Azure's resource).
  std::optional<std::string> base_url{};
  /// The provider takes no key: a local server (vLLM, llama.cpp, Ollama) at `base_url`. It is
  /// called with no auth header, and its limits are kept per (provider, "" account, model
  /// group). Giving it keys as well is an error; a provider that is not keyless and has no
  /// key is skipped with "no … key is configured", as before.
  bool keyless = false;
};

/// Everything a State is made of.
struct StateConfig {
  providers::Table table = providers::builtin_table();
  /// By provider name; a provider not named gets `ProviderSettings{}`.
  std::map<std::string, ProviderSettings, std::less<>> providers{};
  keys::PoolConfig keys{};
  TaskBudgetConfig tasks{};
  /// USD per day and month; none: no spend budget.
  std::optional<SpendBudgetConfig> spend{};
  ModelRouting routing{};
  CacheConfig cache{};
  /// Calls that may wait for one limit set at once; one more is refused with `queue_full`.
  std::size_t max_waiters = 1024;
  /// How often the head of a wait line looks again when only a concurrency slot is missing
  /// (a slot comes back when a call ends, which no clock can predict).
  Duration concurrency_poll = std::chrono::milliseconds{25};
  /// How long a model that stays overloaded or failing (5xx, network) is skipped once the
  /// walk gives up on it, when the provider states no wait.
  Duration failure_cooldown = std::chrono::minutes{5};
  /// The most a call sleeps backing off on one target before it falls back instead (the
  /// backoff's total-wait cap), and how long one admission may wait when the request sets no
  /// `max_wait`. `Request::max_total_wait` overrides it per call. Negative is refused.
  Duration max_total_wait = backoff::default_wait_cap;
  /// At most this many moves to another model or provider per call; none: as many as the
  /// plan holds. `Request::max_fallbacks` overrides it per call.
  std::optional<std::uint32_t> max_fallbacks{};
  /// Whether each call's prompt estimate is corrected by what the model's replies reported
  /// (`usage.prompt_tokens` against the estimate; see providers/tokens.hpp): an estimate that
  /// runs low turns a tokens-per-minute limit into 429s. Learnt per model of the table; a
  /// model outside it is estimated without correction.
  bool calibrate = true;
  /// Which quantile of actual/estimate the correction tracks, over how many recent replies
  /// (1..128), and from how many on (before: the largest ratio seen).
  providers::CalibrationSettings calibration{};
  /// Every provider's circuit breaker: a provider whose calls keep failing with network or 5xx
  /// errors is skipped by every call for a cool-off (see breaker.hpp).
  BreakerConfig breaker{};
  /// The alerts raised from the call path: 429s piling up on a target, a high share of failed
  /// calls, a spend spike (see observe/alerts.hpp).
  AlertConfig alerts{};
  /// Seeds the random source of jitter and random key choices; none: from entropy.
  std::optional<std::uint64_t> seed{};
  /// Where the limit sets' rate dimensions live when several processes share them (see
  /// `redis::backend`); none: in this process.
  std::shared_ptr<SharedBackend> shared{};
};

template <limiter::RateLimiter Limiter = limiter::gcra, clock::Clock Clock = clock::steady>
class State {
 public:
  using limiter_type = Limiter;
  using clock_type = Clock;
  using Set = LimitSet<Limiter>;
  /// Whether the clock is real time (see `clock::real_time_v`): a shared store may then keep
  /// the time by its own clock.
  static constexpr bool real_time = clock::real_time_v<Clock>;

  /// A State on `clock`, which it borrows: it must outlive the State.
  static Result<std::shared_ptr<State>> create(StateConfig config, Clock& clock) {
    return build(std::move(config), &clock, nullptr);
  }

  /// A State that owns its clock.
  static Result<std::shared_ptr<State>> create(StateConfig config)
    requires std::default_initializable<Clock>
  {
    auto owned = std::make_unique<Clock>();
    Clock* c = owned.get();
    return build(std::move(config), c, std::move(owned));
  }

  State(const State&) = delete;
  State& operator=(const State&) = delete;

  Clock& clock() const noexcept { return *clock_; }
  const providers::Table& table() const noexcept { return config_.table; }
  keys::Pool& keys() noexcept { return *pool_; }
  const keys::Pool& keys() const noexcept { return *pool_; }
  Cooldowns& cooldowns() noexcept { return cooldowns_; }
  const Cooldowns& cooldowns() const noexcept { return cooldowns_; }
  TaskBudgets& tasks() noexcept { return tasks_; }
  /// The USD budget, or null when none is configured.
  SpendBudget* spend() noexcept { return spend_ ? &*spend_ : nullptr; }
  const ModelRouting& routing() const noexcept { return config_.routing; }
  ResponseCache<Response>& cache() noexcept { return cache_; }
  Statistics& stats() noexcept { return stats_; }
  Observers& observers() noexcept { return observers_; }
  const Observers& observers() const noexcept { return observers_; }
  /// One circuit breaker per provider of `table()`, indexed as the table is.
  ProviderBreakers& breakers() noexcept { return breakers_; }
  const ProviderBreakers& breakers() const noexcept { return breakers_; }
  /// The alerts the call path feeds (429s, failed calls, spend).
  Alerts& alerts() noexcept { return alerts_; }
  const Alerts& alerts() const noexcept { return alerts_; }
  /// Called once per call with its whole record (see observe/call_hook.hpp).
  CallHook& call_hook() noexcept { return call_hook_; }
  const CallHook& call_hook() const noexcept { return call_hook_; }
  /// What this State tells the other processes of its shared backend about keys and models,
  /// and learns from them (see shared_health.hpp); nothing without a backend that shares it.
  SharedHealthLink& shared_health() noexcept { return shared_health_; }
  LimitStore<Limiter>& limits() noexcept { return store_; }
  const StateConfig& config() const noexcept { return config_; }
  /// The configured keys, for redaction: every text the State shows passes through it.
  std::span<const std::string> secrets() const noexcept { return secrets_; }

  const ProviderSettings& settings(std::string_view provider) const noexcept {
    auto it = config_.providers.find(provider);
    return it == config_.providers.end() ? default_settings_ : it->second;
  }

  /// The settings of a provider of `table()`, without looking its name up.
  const ProviderSettings& settings(const providers::Provider& p) const noexcept {
    const auto i = config_.table.index_of(p);
    return i ? *by_provider_[*i].settings : settings(p.name);
  }

  /// The limits of `model` at `provider` for its configured tier, with the settings'
  /// overrides; none when the model is not offered on that tier.
  std::optional<LimitSetConfig> limit_config(const providers::Provider& p, const providers::Model& m) const {
    if (const auto i = config_.table.index_of(m)) return by_model_[*i].limits;
    return plan_limits(p, m);
  }

  /// Whether the configured tier offers `m` at `p` at all (`limit_config` has a value), without
  /// building the limits again: they are worked out once per model of `table()`.
  bool offers(const providers::Provider& p, const providers::Model& m) const {
    if (const auto i = config_.table.index_of(m)) return by_model_[*i].limits.has_value();
    return plan_limits(p, m).has_value();
  }

  /// Why `m` at `p` is not offered (`offers` is false), for people, following `plan_limits`: the
  /// configured tier (or, with none, every tier) marks the model or its rpm/tpm "unavailable",
  /// which no setting changes; or the table publishes no limits for it there, which an rpm,
  /// tpm, itpm or otpm setting of the provider's changes.
  std::string not_offered_reason(const providers::Provider& p, const providers::Model& m) const {
    const std::string& tier = settings(p.name).tier;
    const providers::TierLimits* chosen = nullptr;
    for (const auto& t : m.tiers)
      if (tier.empty() ? t.available : t.name == tier) {
        chosen = &t;
        break;
      }
    if (chosen)  // the table lists the tier and marks the model, or its rpm or tpm, unavailable there
      return fmt::format("{} {} is not offered on tier {}", p.display, m.name, chosen->name);
    return fmt::format("the provider table publishes no limits for {} {} on {}; an rpm or tpm setting for {} "
                       "(or itpm, otpm) makes it usable",
                       p.display, m.name, tier.empty() ? "any of its tiers" : fmt::format("tier {}", tier), p.name);
  }

  /// The pool indices of `p`'s keys (`keys().indices(p.name)`), without looking its name up.
  std::span<const std::size_t> key_indices(const providers::Provider& p) const noexcept {
    const auto i = config_.table.index_of(p);
    return i ? by_provider_[*i].keys : pool_->indices(p.name);
  }

  /// The correction of `m`'s prompt estimates, or null: calibration is off
  /// (`StateConfig::calibrate`), or `m` is not a model of `table()` (no correction for it).
  /// Found by position, without a name: a call reads its factor with one relaxed load.
  providers::ModelCalibration* calibration(const providers::Model& m) noexcept {
    if (!config_.calibrate) return nullptr;
    const auto i = config_.table.index_of(m);
    return i ? &by_model_[*i].calibration : nullptr;
  }

  /// The statistics series of `m` at `p` (`stats().model(p.name, m.name)`) and of `p`
  /// (`stats().provider(p.name)`): looked up by name on a State's first call to each, then
  /// held, so counting a call finds its series without a lock.
  Series& model_series(const providers::Provider& p, const providers::Model& m) {
    const auto i = config_.table.index_of(m);
    return i ? held(by_model_[*i].series, [&] { return &stats_.model(p.name, m.name); }) : stats_.model(p.name, m.name);
  }
  Series& provider_series(const providers::Provider& p) {
    const auto i = config_.table.index_of(p);
    return i ? held(by_provider_[*i].series, [&] { return &stats_.provider(p.name); }) : stats_.provider(p.name);
  }

 private:
  std::optional<LimitSetConfig> plan_limits(const providers::Provider& p, const providers::Model& m) const {
    const ProviderSettings& s = settings(p.name);
    LimitSetConfig c;
    c.headroom = s.headroom;
    c.max_concurrency = s.max_concurrency;
    c.stagger = s.stagger;
    c.largest_request_tokens = s.est_tokens_per_call;
    c.skew = s.skew;
    bool listed = false;  // the table gives the model limits on the tier
    for (const auto& t : m.tiers) {
      if (s.tier.empty() ? !t.available : t.name != s.tier) continue;
      if (!t.available) return std::nullopt;
      listed = true;
      const auto cap = [](const providers::Cap& cap) -> std::uint64_t {
        if (cap.state == providers::Cap::State::unavailable) return UINT64_MAX;  // marks "not offered"
        return cap.limited() && cap.value > 0 ? static_cast<std::uint64_t>(cap.value) : 0;
      };
      c.requests_per_minute = cap(t.rpm);
      c.tokens_per_minute = cap(t.tpm);
      c.requests_per_day = cap(t.rpd);
      c.tokens_per_day = cap(t.tpd);
      c.input_tokens_per_minute = cap(t.itpm);
      c.output_tokens_per_minute = cap(t.otpm);
      if (c.requests_per_minute == UINT64_MAX || c.tokens_per_minute == UINT64_MAX) return std::nullopt;
      for (auto* v : {&c.requests_per_day, &c.tokens_per_day, &c.input_tokens_per_minute, &c.output_tokens_per_minute})
        if (*v == UINT64_MAX) *v = 0;
      break;
    }
    const auto over = [](std::uint64_t& field, const std::optional<std::uint64_t>& v) {
      if (v) field = *v;
    };
    over(c.requests_per_minute, s.rpm);
    over(c.tokens_per_minute, s.tpm);
    over(c.requests_per_day, s.rpd);
    over(c.tokens_per_day, s.tpd);
    over(c.input_tokens_per_minute, s.itpm);
    over(c.output_tokens_per_minute, s.otpm);
    // Where the provider publishes tiers but none for this model on this tier (a model an
    // override added without tiers, a tier its models do not all share, every tier
    // "unavailable"), nothing is known of its limits: it is not offered, never "no limit",
    // unless the settings give it a rate limit of their own.
    const bool own_rate_limit = s.rpm || s.tpm || s.itpm || s.otpm;
    if (!listed && !own_rate_limit && (!m.tiers.empty() || !config_.table.tiers_of(p.name).empty()))
      return std::nullopt;
    return c;
  }

 public:

  /// The model group a provider limits `model` in: the model itself where limits are per
  /// model, else one group for the whole account.
  static std::string_view group_of(const providers::Provider& p, const providers::Model& m) noexcept {
    return p.limits_per_model ? std::string_view(m.name) : std::string_view{};
  }

  /// The limit set of `account` for `model` at `provider`, created on first use. Lock-free
  /// and allocation-free once it exists. Errors: the model is not offered on the configured
  /// tier, or its limits cannot be planned.
  Result<Set*> limit_set(const providers::Provider& p, const providers::Model& m, std::string_view account) {
    const LimitKey key{p.name, account, group_of(p, m)};
    if (Set* s = store_.find(key)) return s;
    auto c = limit_config(p, m);
    if (!c) return fail(Errc::invalid_argument, not_offered_reason(p, m));
    return store_.find_or_create(key, *c, config_.shared.get(), real_time);
  }

  /// The limit set key `key` of the pool counts against for `model` at `provider` (its
  /// account's): `limit_set(p, m, keys().account(key))`, held after the first call for each
  /// model and key of `table()`, so later calls find it with one load.
  Result<Set*> limit_set(const providers::Provider& p, const providers::Model& m, std::size_t key) {
    const auto i = config_.table.index_of(m);
    if (!i || key >= pool_->size() || !set_slots_) return limit_set(p, m, pool_->account(key));
    std::atomic<Set*>& slot = set_slots_[*i * pool_->size() + key];
    if (Set* s = slot.load(std::memory_order_acquire)) return s;
    auto set = limit_set(p, m, pool_->account(key));
    // Release: a thread that loads the pointer sees the set built. Two threads store the
    // same set (the store agrees on one per key).
    if (set) slot.store(*set, std::memory_order_release);
    return set;
  }

  /// The existing limit set, or null (nothing created).
  Set* find_limit_set(const providers::Provider& p, const providers::Model& m, std::string_view account) const {
    return store_.find(LimitKey{p.name, account, group_of(p, m)});
  }

  /// `account`'s daily allowance for `model` at `provider` is spent until `until` (wall clock):
  /// every call site skips that (provider, model, account) until then, and — with a persisted
  /// key pool — so does the next process, until the provider's reset. Other models of the
  /// account stay in use: providers that limit per model (Groq's TPD on one model) leave the
  /// others open. Persisted by the key pool's writer thread, never on the caller's thread; a
  /// write that fails is a `warning` event, and the cooldown in memory holds.
  Result<void> exhaust_model(const providers::Provider& p, const providers::Model& m, std::string_view account,
                             WallTime until) {
    const Instant t = clock_->now();
    const WallTime w = clock_->wall_now();
    if (until <= w) return {};
    const Duration left = until - w;
    cooldowns_.cool(CooldownKey{p.name, m.name, account}, saturating_after(t, left),
                    providers::rate_limited_message(p.name, m.name, left, secrets_), t);
    // Persisted by the pool's writer thread: no file I/O here, on the caller's thread.
    for (std::size_t i : pool_->indices(p.name))
      if (pool_->account(i) == account) return pool_->mark_model_exhausted(i, m.name, until, w);
    return {};
  }

  /// A random source for one call: seeded from the configured seed and a sequence number,
  /// so a seeded single-threaded test draws the same numbers every run.
  Random next_random() noexcept {
    const std::uint64_t n = sequence_.fetch_add(1, std::memory_order_relaxed);
    return Random{seed_ ^ (n * 0x9E3779B97F4A7C15ULL)};
  }

 private:
  /// What a State holds per provider and per model of its table, so that a call looks
  /// nothing up by name twice: the settings (a map keyed by name), the key indices (a search
  /// of the pool), the tier's limits (worked out from the tiers and the overrides), the
  /// statistics series (a map under a lock), and per model and key the limit set (a hash of
  /// three names). The table and the settings never change after `create`.
  struct ProviderEntry {
    const ProviderSettings* settings = nullptr;
    std::span<const std::size_t> keys{};
    std::atomic<Series*> series{nullptr};
  };
  struct ModelEntry {
    std::optional<LimitSetConfig> limits{};
    std::atomic<Series*> series{nullptr};
    providers::ModelCalibration calibration{};
  };
  /// At most this many (model, key) limit-set slots (8 bytes each); beyond it — thousands of
  /// keys — the sets are found by name each time.
  static constexpr std::size_t max_set_slots = std::size_t{1} << 16;

  /// `slot`'s series, found with `find` the first time.
  template <class Find>
  static Series& held(std::atomic<Series*>& slot, Find&& find) {
    if (Series* s = slot.load(std::memory_order_acquire)) return *s;
    Series* s = find();  // every thread finds the same series: the Statistics agree on one
    slot.store(s, std::memory_order_release);
    return *s;
  }

  void resolve_table() {
    const auto& t = config_.table;
    by_provider_ = std::make_unique<ProviderEntry[]>(t.providers().size());
    for (std::size_t i = 0; i < t.providers().size(); ++i) {
      by_provider_[i].settings = &settings(t.providers()[i].name);
      by_provider_[i].keys = pool_->indices(t.providers()[i].name);
    }
    by_model_ = std::make_unique<ModelEntry[]>(t.models().size());
    for (std::size_t i = 0; i < t.models().size(); ++i) {
      const auto& m = t.models()[i];
      if (const providers::Provider* p = t.provider(m.provider)) by_model_[i].limits = plan_limits(*p, m);
      by_model_[i].calibration.configure(config_.calibration);
    }
    const std::size_t slots = t.models().size() * pool_->size();
    if (slots > 0 && slots <= max_set_slots) {
      set_slots_ = std::make_unique<std::atomic<Set*>[]>(slots);
      for (std::size_t i = 0; i < slots; ++i) set_slots_[i].store(nullptr, std::memory_order_relaxed);
    }
  }

  static Instant saturating_after(Instant t, Duration d) noexcept {
    return d >= Instant::max() - t ? Instant::max() : t + d;
  }

  /// Takes in the per-model exhaustions an earlier run (or another process) recorded, which
  /// the key pool read with the health file, and from now on turns the pool's warnings (a
  /// health file that could not be written) into `warning` events.
  void load_model_health() {
    const Instant t = clock_->now();
    const WallTime w = clock_->wall_now();
    for (const auto& e : pool_->model_exhaustions(w)) {
      const providers::Provider* p = config_.table.provider(pool_->provider(e.key));
      const providers::Model* m = p ? config_.table.model(p->name, e.model) : nullptr;
      if (!m) continue;  // a model this table does not have: nothing would call it
      const Duration left = e.until - w;
      cooldowns_.cool(CooldownKey{p->name, m->name, pool_->account(e.key)}, saturating_after(t, left),
                      providers::rate_limited_message(p->name, m->name, left, secrets_), t);
    }
    key_warnings_.attach(*this);
  }

  /// Relays the key pool's warnings to the observers as `warning` events while the State
  /// lives. Declared after everything it uses, so it detaches (waiting out a warning being
  /// relayed) before they go.
  class KeyWarningRelay {
   public:
    KeyWarningRelay() = default;
    KeyWarningRelay(const KeyWarningRelay&) = delete;
    KeyWarningRelay& operator=(const KeyWarningRelay&) = delete;
    ~KeyWarningRelay() {
      if (pool_) pool_->set_warning_sink({});
    }
    void attach(State& s) {
      pool_ = s.pool_.get();
      pool_->set_warning_sink([&s](std::string_view text) {
        s.observers_.emit_lazy([&] {
          return Event::make(EventKind::warning, "", "", "", text, s.clock_->wall_now(), s.secrets_);
        });
      });
    }

   private:
    keys::Pool* pool_ = nullptr;
  };

  State(StateConfig config, Clock* clock, std::unique_ptr<Clock> owned, keys::Pool pool,
        std::optional<SpendBudget> spend, ProviderBreakers breakers, Alerts alerts, std::vector<std::string> secrets)
      : config_(std::move(config)),
        owned_clock_(std::move(owned)),
        clock_(clock),
        pool_(std::make_unique<keys::Pool>(std::move(pool))),
        tasks_(config_.tasks, config_.shared ? config_.shared->tasks() : nullptr),
        spend_(std::move(spend)),
        cache_(config_.cache, config_.shared ? config_.shared->cache() : nullptr),
        stats_(secrets, config_.shared ? config_.shared->stats() : nullptr),
        breakers_(std::move(breakers)),
        alerts_(std::move(alerts)),
        secrets_(std::move(secrets)),
        seed_(config_.seed ? *config_.seed : Random::from_entropy()()) {
    resolve_table();
  }

  static Result<std::shared_ptr<State>> build(StateConfig config, Clock* clock, std::unique_ptr<Clock> owned) {
    // A shared backend runs GCRA on the published limits: any other family would be a silent
    // change of algorithm.
    if (config.shared && !std::is_same_v<Limiter, limiter::gcra>)
      return fail(Errc::invalid_argument,
                  fmt::format("a State with limiter::{} can not keep its limits in a shared backend, which runs "
                              "limiter::gcra: use limiter::gcra with StateConfig::shared, or no shared backend",
                              limiter::name_of<Limiter>()));
    if (auto r = config.routing.validate(config.table); !r) return tl::unexpected(r.error());
    if (auto r = check_settings(config.table, config.providers, config.keys, config.tasks); !r)
      return tl::unexpected(r.error());
    for (const auto& [name, s] : config.providers) {
      if (!config.table.provider(name))
        return fail(Errc::invalid_argument,
                    fmt::format("settings name provider {}, which the table does not have", detail::shown_name(name)));
      if (!(s.headroom >= 0.0 && s.headroom < 1.0))
        return fail(Errc::invalid_argument, fmt::format("{}: headroom must be in [0, 1)", name));
      if (s.stagger < Duration{0}) return fail(Errc::invalid_argument, fmt::format("{}: stagger must not be negative", name));
    }
    if (config.max_waiters == 0) return fail(Errc::invalid_argument, "max_waiters must be at least 1");
    if (config.concurrency_poll <= Duration{0})
      return fail(Errc::invalid_argument, "concurrency_poll must be positive");
    if (config.max_total_wait < Duration{0})
      return fail(Errc::invalid_argument, "max_total_wait must not be negative (0: a call falls back instead of backing off)");
    if (!(config.calibration.quantile >= 0.5 && config.calibration.quantile <= 1.0))
      return fail(Errc::invalid_argument, "calibration.quantile must be in [0.5, 1] (0.9: the 90th percentile)");
    if (config.calibration.window < 1 || config.calibration.window > providers::ModelCalibration::capacity)
      return fail(Errc::invalid_argument, fmt::format("calibration.window must be in [1, {}] replies",
                                                      providers::ModelCalibration::capacity));
    if (config.calibration.min_samples < 1) return fail(Errc::invalid_argument, "calibration.min_samples must be at least 1");
    auto breakers = ProviderBreakers::make(config.table.providers().size(), config.breaker);
    if (!breakers) return tl::unexpected(breakers.error());
    auto alerts = Alerts::make(config.alerts, clock->now());
    if (!alerts) return tl::unexpected(alerts.error());
    std::vector<std::string> secrets;
    for (const auto& k : config.keys.keys) {
      if (!k.key.empty()) secrets.push_back(k.key);
      if (!k.account.empty()) secrets.push_back(k.account);
    }
    for (const auto& [name, s] : config.providers)
      if (s.keyless && std::find(config.keys.keyless.begin(), config.keys.keyless.end(), name) == config.keys.keyless.end())
        config.keys.keyless.push_back(name);
    auto pool = keys::Pool::open(config.keys, clock->wall_now());
    if (!pool) return tl::unexpected(pool.error());
    config.keys.keys.clear();  // the pool holds the secrets; the copy of the config does not
    std::optional<SpendBudget> spend;
    if (config.spend) {
      auto b = SpendBudget::make(*config.spend, config.shared ? config.shared->spend() : nullptr);
      if (!b) return tl::unexpected(b.error());
      spend.emplace(std::move(*b));
    }
    auto state = std::shared_ptr<State>(
        new State(std::move(config), clock, std::move(owned), std::move(*pool), std::move(spend),
                                      std::move(*breakers), std::move(*alerts), std::move(secrets)));
    state->load_model_health();
    if (state->config_.shared) state->shared_health_.attach(state->config_.shared->health(), *state);
    return state;
  }

  StateConfig config_;
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_;
  std::unique_ptr<keys::Pool> pool_;
  LimitStore<Limiter> store_;
  Cooldowns cooldowns_;
  TaskBudgets tasks_;
  std::optional<SpendBudget> spend_;
  ResponseCache<Response> cache_;
  Statistics stats_;
  ProviderBreakers breakers_;
  Alerts alerts_;
  Observers observers_;
  CallHook call_hook_;
  std::vector<std::string> secrets_;
  ProviderSettings default_settings_{};
  std::uint64_t seed_;
  std::atomic<std::uint64_t> sequence_{0};
  KeyWarningRelay key_warnings_{};
  /// Applies the other processes' findings to the pool and cooldowns above: declared after
  /// them, so it detaches first.
  SharedHealthLink shared_health_{};
  std::unique_ptr<ProviderEntry[]> by_provider_;
  std::unique_ptr<ModelEntry[]> by_model_;
  std::unique_ptr<std::atomic<Set*>[]> set_slots_;
};

}  // namespace governed
