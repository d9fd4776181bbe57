#pragma once
/// @file
/// What configuration yields (`Configuration`: a `StateConfig` and the call sites' backoff),
/// where it reads variables from (`Environment`), and what the environment and JSON readers
/// share: the words they read alike and the rules of the backoff they read.

#include <governed/backoff/exponential.hpp>
#include <governed/keys/pool.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>
#include <governed/state/settings.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace governed {

/// What configuration yields: the State's configuration and the backoff of the call sites.
struct Configuration {
  StateConfig state{};
  backoff::exponential backoff{};
};

/// Reads one environment variable; empty when unset. Tests pass their own.
using Environment = std::function<std::optional<std::string>(const std::string&)>;

inline Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

/// The variable that moves or turns off the key-health file, whatever the provider prefix:
/// one State has one file. A path, or `off` (keys exhausted or invalid are remembered by
/// this process only). Unset: `keys::default_health_file()`.
inline constexpr std::string_view state_file_variable = "GOVERNED_STATE_FILE";

/// The word that says "no limit" for a rate or quota limit in the environment and in JSON, as
/// in the provider table; 0 is refused there, because to the limiter it means the same.
inline constexpr std::string_view unlimited_word = "unlimited";

namespace detail {

inline Duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

/// The table's provider names, for an error about one it does not have.
inline std::string provider_names(const providers::Table& table) {
  std::string out;
  for (const auto& p : table.providers()) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

/// Applies a key-health file setting (a path, or `off`) to `keys`; the reason when it is
/// neither. The path itself is never repeated: it is not checked beyond being one.
inline std::optional<std::string_view> apply_state_file(keys::PoolConfig& keys, std::string_view value) {
  if (value == "off") {
    keys.persist = false;
    keys.state_file.reset();
    return std::nullopt;
  }
  if (value.empty()) return "is empty; give a path, or \"off\" to keep key health in memory only";
  for (char ch : value)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) return "holds a control character";
  keys.persist = true;
  keys.state_file = std::filesystem::path(std::string(value));
  return std::nullopt;
}

/// A count for a 32-bit setting: one past its range stays past it (no wrap to a small value),
/// so the rule that refuses it sees it.
constexpr std::uint32_t saturated_u32(std::uint64_t n) noexcept {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

/// The most attempts per target a configuration may give the call sites' backoff.
inline constexpr std::uint32_t max_attempts_setting = 100;

/// What is wrong with the call sites' backoff: its attempts (in [1, `max_attempts_setting`]),
/// or its curve (`exponential::validate`).
struct BackoffProblem {
  bool attempts = false;
  std::string reason{};
};

inline std::optional<BackoffProblem> backoff_problem(const backoff::exponential& b) {
  if (b.attempts < 1 || b.attempts > max_attempts_setting)
    return BackoffProblem{true, fmt::format("must be in [1, {}]", max_attempts_setting)};
  if (auto r = b.validate(); !r) return BackoffProblem{false, r.error().message};
  return std::nullopt;
}

}  // namespace detail

}  // namespace governed
