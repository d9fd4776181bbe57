#pragma once
/// @file
/// `ProviderSettings` and `StateConfig`: what a `State` is made of, as a program writes it in
/// code and as the environment and JSON readers (config.hpp) fill it. The rules these values
/// must keep are written once, in `validate` (settings_check.hpp).

#include <governed/backoff/step.hpp>
#include <governed/breaker.hpp>
#include <governed/budget/routing.hpp>
#include <governed/budget/spend.hpp>
#include <governed/budget/task.hpp>
#include <governed/cache.hpp>
#include <governed/keys/pool.hpp>
#include <governed/observe/alerts.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

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

/// The settings of each provider, by name.
using ProviderSettingsMap = std::map<std::string, ProviderSettings, std::less<>>;

/// Everything a State is made of.
struct StateConfig {
  providers::Table table = providers::builtin_table();
  /// By provider name; a provider not named gets `ProviderSettings{}`.
  ProviderSettingsMap providers{};
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

}  // namespace governed
