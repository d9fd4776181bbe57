#pragma once
/// @file
/// `sim::LogEntry`: what a simulated provider records of every request it receives, so a
/// test can assert what reached the provider ("no request to the cooled model"). Keys are
/// named by their index in the configuration, never by their text.

#include <governed/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed::sim {

/// What the provider did with a request.
enum class Outcome : std::uint8_t {
  success,
  rate_limited,   ///< a per-minute or per-day limit, or a scripted daily exhaustion
  billing,        ///< the key's account has no quota or credit left
  invalid_key,    ///< unknown or invalid key
  forbidden,      ///< the key may not use the model
  unknown_model,  ///< the provider does not serve the model
  overloaded,     ///< injected or scripted capacity error
  server_error,   ///< injected 500
  scripted,       ///< a canned reply queued by the test
  broken,         ///< a stream that began and broke off (a scripted fault); its tokens were counted
};

constexpr std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::success: return "success";
    case Outcome::rate_limited: return "rate_limited";
    case Outcome::billing: return "billing";
    case Outcome::invalid_key: return "invalid_key";
    case Outcome::forbidden: return "forbidden";
    case Outcome::unknown_model: return "unknown_model";
    case Outcome::overloaded: return "overloaded";
    case Outcome::server_error: return "server_error";
    case Outcome::scripted: return "scripted";
    case Outcome::broken: return "broken";
  }
  return "unknown";
}

struct LogEntry {
  Instant at{};
  WallTime wall{};
  std::string provider;
  std::string model;
  /// The key's index in `Config::keys`; empty for a key the provider does not know.
  std::optional<std::size_t> key_index{};
  std::string account;  ///< empty for an unknown key
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;  ///< generated (0 unless the request succeeded)
  int status = 0;
  Outcome outcome = Outcome::success;
  /// The request's `traceparent` header (empty: none), so a test can follow a call's trace.
  std::string traceparent{};
};

}  // namespace governed::sim
