#pragma once
/// @file
/// One JSON line per call, for LLM observability tools (Langfuse, Helicone, a plain log
/// pipeline): model, usage, cost, latency, success and error, with the field names those
/// tools import (`usage.input`, `usage.output`, `usage.total`, `latency_ms`).
///
/// ```
/// {"at":"2025-01-01T00:00:03.250Z","provider":"openai","model":"gpt-4o-mini","task":"scraper",
///  "success":true,"cache_hit":false,"usage":{"input":812,"output":95,"total":907,...},
///  "cost_usd":0.000179,"latency_ms":1250.0,"retries":0,"rate_limited":0,"fallbacks":0}
/// ```
///
/// Every text field passes through `providers::redact` with the configured keys; the error
/// message is the friendly one the call returned, and is redacted again here because a log
/// line is where a leaked organisation id would live longest.

#include <governed/observe/stats.hpp>
#include <governed/providers/redact.hpp>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <span>
#include <string>

namespace governed {

/// The call as a JSON object (see the file comment for the fields).
inline nlohmann::json call_json(const CallRecord& r, std::span<const std::string> keys = {}) {
  using namespace std::chrono;
  nlohmann::json j = {
      {"at", date::format("%FT%TZ", floor<milliseconds>(r.at))},
      {"provider", providers::redact(r.provider, keys)},
      {"model", providers::redact(r.model, keys)},
      {"success", r.success},
      {"cache_hit", r.cache_hit},
      {"usage",
       {{"input", r.usage.input_tokens},
        {"output", r.usage.output_tokens},
        {"total", r.usage.total()},
        {"cached_input", r.usage.cached_input_tokens},
        {"reasoning", r.usage.reasoning_tokens}}},
      {"cost_usd", std::isfinite(r.cost_usd) ? r.cost_usd : 0.0},
      {"latency_ms", duration<double, std::milli>(r.latency).count()},
      {"retries", r.retries},
      {"rate_limited", r.rate_limited},
      {"fallbacks", r.fallbacks},
  };
  if (!r.task.empty()) j["task"] = providers::redact(r.task, keys);
  if (!r.key_fingerprint.empty()) j["key"] = providers::redact(r.key_fingerprint, keys);
  if (!r.success || r.error) {
    j["error"] = {{"code", r.error ? std::string(to_string(*r.error)) : std::string("unknown")},
                  {"message", providers::redact(r.error_message, keys)}};
  }
  return j;
}

/// The call as one line of JSON, newline included. Invalid UTF-8 in a field is replaced
/// (U+FFFD) rather than refused: a log line must always be written.
inline std::string call_json_line(const CallRecord& r, std::span<const std::string> keys = {}) {
  return call_json(r, keys).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace governed
