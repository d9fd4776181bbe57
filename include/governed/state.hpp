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
#include <governed/clock/concept.hpp>
#include <governed/clock/steady.hpp>
#include <governed/cooldowns.hpp>
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
#include <governed/state/settings.hpp>
#include <governed/state/tier_plan.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
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

template <limiter::RateLimiter Limiter = limiter::gcra, clock::Clock Clock = clock::steady>
class State {
 public:
  using limiter_type = Limiter;
  using clock_type = Clock;
  using Set = LimitSet<Limiter>;
  /// Whether the clock is real time (see `clock::real_time_v`): a shared store may then keep
  /// the time by its own clock.
  static constexpr bool real_time = clock::real_time_v<Clock>;

  /// A State on `clock`, which it borrows: it must outlive the State. `Persistence` is where
  /// the key pool saves key health (see keys/health_persistence.hpp): the health file, from
  /// keys/health_file.hpp, unless told otherwise; `keys::no_persistence` keeps it in memory.
  template <class Persistence = keys::HealthStore>
  static Result<std::shared_ptr<State>> create(StateConfig config, Clock& clock) {
    return build<Persistence>(std::move(config), &clock, nullptr);
  }

  /// A State that owns its clock.
  template <class Persistence = keys::HealthStore>
  static Result<std::shared_ptr<State>> create(StateConfig config)
    requires std::default_initializable<Clock>
  {
    auto owned = std::make_unique<Clock>();
    Clock* c = owned.get();
    return build<Persistence>(std::move(config), c, std::move(owned));
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

  /// Why `m` at `p` is not offered (`offers` is false), for people (see `governed::not_offered_reason`).
  std::string not_offered_reason(const providers::Provider& p, const providers::Model& m) const {
    return governed::not_offered_reason(p, m, settings(p.name));
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
    return plan_tier_limits(config_.table, p, m, settings(p.name));
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

  /// The wall-clock time at `t`, an instant of the clock's own. A real-time clock's two
  /// readings move together, so their difference, read at most a second before, gives the
  /// wall time without reading the clock again: one clock read a call instead of two (a step of
  /// the system clock is seen within that second). A clock that is not real time (manual,
  /// scaled) keeps its own wall time, which is asked each time.
  WallTime wall_at(Instant t) noexcept {
    if constexpr (real_time) {
      const std::int64_t ns = t.time_since_epoch().count();
      // Relaxed: the two words are a hint; a reader pairing one reading's offset with the
      // next's instant is off by that second's drift at most (microseconds).
      const std::int64_t read_at = wall_read_at_.load(std::memory_order_relaxed);
      if (ns >= read_at && ns - read_at < wall_reread_ns)
        return WallTime{} + std::chrono::duration_cast<WallTime::duration>(
                                std::chrono::nanoseconds{ns + wall_offset_.load(std::memory_order_relaxed)});
      // Both clocks read now, together: their difference holds for `t` too.
      const std::int64_t now_ns = clock().now().time_since_epoch().count();
      const std::int64_t offset =
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock().wall_now().time_since_epoch()).count() - now_ns;
      wall_offset_.store(offset, std::memory_order_relaxed);
      wall_read_at_.store(now_ns, std::memory_order_relaxed);
      return WallTime{} + std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds{ns + offset});
    } else {
      return clock().wall_now();
    }
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

  /// A shared backend runs GCRA on the published limits: any other family would be a silent
  /// change of algorithm.
  static Result<void> check_limiter_shares(const StateConfig& config) {
    if (config.shared && !std::is_same_v<Limiter, limiter::gcra>)
      return fail(Errc::invalid_argument,
                  fmt::format("a State with limiter::{} can not keep its limits in a shared backend, which runs "
                              "limiter::gcra: use limiter::gcra with StateConfig::shared, or no shared backend",
                              limiter::name_of<Limiter>()));
    return {};
  }

  /// The keys and accounts of `keys`, for redaction.
  static std::vector<std::string> secrets_of(const keys::PoolConfig& keys) {
    std::vector<std::string> secrets;
    for (const auto& k : keys.keys) {
      if (!k.key.empty()) secrets.push_back(k.key);
      if (!k.account.empty()) secrets.push_back(k.account);
    }
    return secrets;
  }

  /// The pool gives each keyless provider an entry of its own in place of keys.
  static void add_keyless_providers(StateConfig& config) {
    auto& keyless = config.keys.keyless;
    for (const auto& [name, s] : config.providers)
      if (s.keyless && std::find(keyless.begin(), keyless.end(), name) == keyless.end()) keyless.push_back(name);
  }

  static Result<std::optional<SpendBudget>> make_spend(const StateConfig& config) {
    if (!config.spend) return std::optional<SpendBudget>{};
    auto b = SpendBudget::make(*config.spend, config.shared ? config.shared->spend() : nullptr);
    if (!b) return tl::unexpected(b.error());
    return std::optional<SpendBudget>(std::move(*b));
  }

  template <class Persistence>
  static Result<std::shared_ptr<State>> build(StateConfig config, Clock* clock, std::unique_ptr<Clock> owned) {
    if (auto r = check_limiter_shares(config); !r) return tl::unexpected(r.error());
    if (auto r = validate(config); !r) return tl::unexpected(r.error());
    auto breakers = ProviderBreakers::make(config.table.providers().size(), config.breaker);
    if (!breakers) return tl::unexpected(breakers.error());
    auto alerts = Alerts::make(config.alerts, clock->now());
    if (!alerts) return tl::unexpected(alerts.error());
    std::vector<std::string> secrets = secrets_of(config.keys);
    add_keyless_providers(config);
    auto pool = keys::Pool::open<Persistence>(config.keys, clock->wall_now());
    if (!pool) return tl::unexpected(pool.error());
    config.keys.keys.clear();  // the pool holds the secrets; the copy of the config does not
    auto spend = make_spend(config);
    if (!spend) return tl::unexpected(spend.error());
    auto state = std::shared_ptr<State>(new State(std::move(config), clock, std::move(owned), std::move(*pool),
                                                  std::move(*spend), std::move(*breakers), std::move(*alerts),
                                                  std::move(secrets)));
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
  /// `wall_at`'s offset between the wall clock and the clock's instants (ns), and the instant
  /// it was read at; the far past until the first call reads it.
  static constexpr std::int64_t wall_reread_ns = 1'000'000'000;
  std::atomic<std::int64_t> wall_offset_{0};
  std::atomic<std::int64_t> wall_read_at_{std::numeric_limits<std::int64_t>::min() / 2};
  KeyWarningRelay key_warnings_{};
  /// Applies the other processes' findings to the pool and cooldowns above: declared after
  /// them, so it detaches first.
  SharedHealthLink shared_health_{};
  std::unique_ptr<ProviderEntry[]> by_provider_;
  std::unique_ptr<ModelEntry[]> by_model_;
  std::unique_ptr<std::atomic<Set*>[]> set_slots_;
};

}  // namespace governed
