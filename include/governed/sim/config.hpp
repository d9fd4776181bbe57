#pragma once
/// @file
/// `sim::Config`: one simulated provider — which provider it imitates, its accounts and keys,
/// how it counts, how long it takes and how often it fails.

#include <governed/sim/accounts.hpp>
#include <governed/sim/failures.hpp>
#include <governed/sim/latency.hpp>
#include <governed/sim/limits.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace governed::sim {

/// What a limit set counts over: providers limit the account (every key of it shares one
/// allowance); Azure limits the deployment the key belongs to, so per key.
enum class LimitScope : std::uint8_t { account, key };

struct Config {
  /// The provider imitated, by its name in the table: "openai", "anthropic", "gemini", "groq",
  /// "azure", "openrouter", "mistral", "deepseek", "openai_compatible".
  std::string provider = "openai";
  /// The table read for the provider's dialect, headers, estimator and tiers (null: built-in).
  const providers::Table* table = nullptr;
  std::vector<AccountSpec> accounts{};
  std::vector<KeySpec> keys{};
  /// For accounts a key names but `accounts` does not declare (and keys without an account):
  /// their tier and limits.
  std::string tier{};
  Limits limits{};
  /// Empty: as the table says for the provider (`limits_per`).
  std::optional<LimitScope> scope{};
  /// Each model has its own limits (OpenAI, Anthropic, Gemini, Groq); false: one allowance for
  /// every model of an account (Mistral, OpenRouter). Empty: as the table says.
  std::optional<bool> per_model{};
  /// The models served; empty: any model name is served.
  std::vector<std::string> models{};
  LatencyModel latency{};
  FailureInjection failures{};
  /// Seeds the source of injected failures and latency jitter: equal seeds, equal runs.
  std::uint64_t seed = 1;
  /// Tokens a reply generates per choice (capped by the request's max_tokens), and its text.
  std::int64_t completion_tokens = 64;
  std::string completion_text = "This is a simulated completion.";
  /// Whether a stream's final event reports usage (Anthropic and Gemini always do; OpenAI
  /// and the APIs that copy it only when asked with `stream_options.include_usage`). False
  /// imitates a stream that ends without usage.
  bool stream_usage = true;
  /// Count max_tokens rather than the tokens generated against token limits (OpenAI's
  /// documented rule for admission); false counts what was used.
  bool count_max_tokens = false;
  /// Send `retry-after` on rate-limit replies; false leaves the wait to the body's text.
  bool retry_after_header = true;
  /// Requests the log keeps, the oldest dropped first (0: none), so that a long benchmark
  /// through the simulator does not grow without bound. 2^18 entries take about 50 MB.
  std::size_t log_capacity = std::size_t{1} << 18;
};

}  // namespace governed::sim
