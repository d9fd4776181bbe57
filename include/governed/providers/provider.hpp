#pragma once
/// @file
/// A provider as the provider table describes it: where and how to call it, which dialect
/// and limit headers it speaks, what its limits count per, when its daily allowance resets,
/// and where a call goes when its models are spent.

#include <governed/providers/dialect.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/model.hpp>
#include <governed/time.hpp>

#include <date/tz.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace governed::providers {

/// How a provider wants its key.
enum class AuthStyle : std::uint8_t {
  bearer,          ///< `Authorization: Bearer <key>` (OpenAI, Groq, Mistral, OpenRouter, DeepSeek)
  x_api_key,       ///< `x-api-key: <key>` (Anthropic)
  api_key,         ///< `api-key: <key>` (Azure OpenAI)
  x_goog_api_key,  ///< `x-goog-api-key: <key>` (Gemini)
};

// `HeaderFamily`, which rate-limit header names a provider sends, is declared beside the
// reader and writer of those headers (providers/headers.hpp).

/// When a provider's daily allowance comes back.
struct DailyReset {
  enum class Rule : std::uint8_t { rolling, midnight };
  Rule rule = Rule::rolling;          ///< rolling: tokens refill continuously over 24 h
  std::string time_zone;              ///< for midnight: an IANA name (Gemini: America/Los_Angeles)
  const date::time_zone* zone = nullptr;
  friend bool operator==(const DailyReset&, const DailyReset&) = default;
};

struct Provider {
  std::string name;
  std::string display;
  std::string base_url;  ///< empty for the generic OpenAI-compatible entry: the user's
  AuthStyle auth = AuthStyle::bearer;
  Dialect dialect = Dialect::openai;
  HeaderFamily headers = HeaderFamily::openai;
  HeaderWindows windows;
  DailyReset daily_reset;
  bool limits_per_account = false, limits_per_key = false, limits_per_model = false;
  EstimateParams estimate;
  /// What its models carry unless a model states its own (providers/capabilities.hpp).
  Capabilities capabilities{};
  std::vector<std::string> fallback_models;
  std::vector<std::string> fallback_providers;
  std::string as_of;
  std::string note;
  friend bool operator==(const Provider&, const Provider&) = default;
};

/// The next time the provider's daily allowance resets, for providers that reset at a
/// midnight (Gemini: midnight in America/Los_Angeles, so 07:00 or 08:00 UTC depending on
/// daylight saving); empty for rolling windows.
inline std::optional<WallTime> next_daily_reset(const Provider& p, WallTime now) {
  if (p.daily_reset.rule != DailyReset::Rule::midnight || !p.daily_reset.zone) return std::nullopt;
  const auto* z = p.daily_reset.zone;
  const auto local = z->to_local(std::chrono::floor<std::chrono::seconds>(now));
  const auto next = date::floor<date::days>(local) + date::days{1};
  return WallTime{z->to_sys(next, date::choose::earliest)};
}

}  // namespace governed::providers
