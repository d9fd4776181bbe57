#pragma once
/// @file
/// One call as one JSON object, and as one line of JSON: the shape a log pipeline (Fluent Bit,
/// Vector, the OpenTelemetry Collector's filelog receiver) ingests and a tracing backend
/// understands.
///
/// Names follow the OpenTelemetry semantic conventions for generative AI where they have one
/// (`gen_ai.*`, `error.type`; development status, as of semantic-conventions-genai 1.42), and the
/// trace context sits at the top level as an OpenTelemetry log record carries it (`trace_id`,
/// `span_id`, lowercase hex). What the conventions have no name for is governed's own, under
/// `governed.`. Attribute names are flat keys with dots, as OpenTelemetry writes them (shown here
/// grouped; a line has them sorted by name):
///
/// ```
/// {"timestamp":"2025-01-01T00:00:03.250Z",
///  "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",
///  "gen_ai.operation.name":"chat","gen_ai.provider.name":"openai","gen_ai.system":"openai",
///  "gen_ai.request.model":"gpt-4o","gen_ai.response.model":"gpt-4o-mini",
///  "gen_ai.usage.input_tokens":812,"gen_ai.usage.output_tokens":95,
///  "governed.provider":"openai","governed.model":"gpt-4o-mini","governed.success":true,
///  "governed.cache_hit":false,"governed.cancelled":false,"governed.latency_ms":1250.0,
///  "governed.attempts":2,"governed.retries":0,"governed.rate_limited":1,"governed.fallbacks":1,
///  "governed.waited_ms":0.0,"governed.backed_off_ms":0.0,"governed.cost_usd":0.000179,
///  "governed.keys":["sk-…1a2b3c4d5e6f"],
///  "governed.hops":[{"provider":"openai","model":"gpt-4o","reason":"..."}],
///  "governed.task":"scraper","governed.budget":{"spent_today_usd":1.5,"day_limit_usd":10.0}}
/// ```
///
/// - `timestamp`: when the call started, RFC 3339 in UTC with milliseconds (the OpenTelemetry
///   log record's Timestamp; the call ended `governed.latency_ms` later).
/// - `trace_id`, `span_id`: present when the record carries a valid (non-zero) id.
/// - `gen_ai.provider.name`: the provider that answered (or was tried last), by the convention's
///   well-known value; `gen_ai.system` repeats it for consumers of the conventions before 1.37,
///   which named the attribute so. `governed.provider` is governed's own name for it, the one
///   the metrics' labels carry, so a log line joins a Prometheus series.
/// - `gen_ai.operation.name`: always "chat"; `gen_ai.request.model` when the caller named a
///   model; `gen_ai.response.model` only when a model answered.
/// - `gen_ai.usage.*`: input and output always; cache reads, cache writes and reasoning tokens
///   when the provider reported some. Input includes the cached tokens, as the conventions say.
/// - `error.type`: on failure, the `Errc` name (`all_rate_limited`, …); `_OTHER`, the
///   convention's fallback, when a failure carries no code. `governed.error.message` is the
///   friendly message the call returned.
/// - `server.address` is left out: the record does not carry the endpoint.
///
/// Every text is redacted (`providers::redact` with the configured keys) — the error message
/// again, because a log line is where a leaked organisation id would live longest — and
/// invalid UTF-8 is replaced (U+FFFD) rather than refused, since a log line must always be
/// written. The line has no raw line feed anywhere: JSON escapes control characters inside
/// strings, so a pipeline that splits on line feeds reads exactly one object per line.

#include <governed/observe/stats.hpp>
#include <governed/providers/redact.hpp>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <span>
#include <string>
#include <string_view>

namespace governed {

/// The OpenTelemetry `gen_ai.provider.name` of a provider governed names `provider`.
/// The conventions' well-known values: openai, anthropic, gcp.gemini (the Gemini API;
/// gcp.vertex_ai is Vertex), groq, azure.ai.openai, mistral_ai. OpenRouter and a provider the
/// user configures (a local server) have none; their own name is the value, as the
/// conventions allow for a system they do not list.
constexpr std::string_view otel_provider_name(std::string_view provider) noexcept {
  if (provider == "gemini") return "gcp.gemini";
  if (provider == "azure") return "azure.ai.openai";
  if (provider == "mistral") return "mistral_ai";
  return provider;  // openai, anthropic and groq are spelled as governed spells them
}

namespace detail {

inline double millis(Duration d) noexcept { return std::chrono::duration<double, std::milli>(d).count(); }

/// The record's budget state, only the fields that are set; null when none is.
inline nlohmann::json budget_json(const BudgetState& b) {
  nlohmann::json j = nlohmann::json::object();
  const auto put = [&](const char* name, const auto& v) {
    if (v) j[name] = *v;
  };
  put("spent_today_usd", b.spent_today_usd);
  put("day_limit_usd", b.day_limit_usd);
  put("spent_this_month_usd", b.spent_this_month_usd);
  put("month_limit_usd", b.month_limit_usd);
  put("task_calls", b.task_calls);
  put("task_call_limit", b.task_call_limit);
  return j;
}

}  // namespace detail

/// The call as a JSON object (see the file comment for the fields). `keys`: secrets to remove
/// verbatim from every text (a State's `secrets()`).
inline nlohmann::json call_json(const CallRecord& r, std::span<const std::string> keys = {}) {
  using namespace std::chrono;
  const auto clean = [&](std::string_view s) { return providers::redact(s, keys); };
  const std::string provider = clean(r.provider);
  nlohmann::json j;
  j["timestamp"] = date::format("%FT%TZ", floor<milliseconds>(r.at));
  if (r.trace_id.valid()) j["trace_id"] = r.trace_id.hex();
  if (r.span_id.valid()) j["span_id"] = r.span_id.hex();

  j["gen_ai.operation.name"] = "chat";
  j["gen_ai.provider.name"] = otel_provider_name(provider);
  j["gen_ai.system"] = otel_provider_name(provider);
  if (!r.request_model.empty()) j["gen_ai.request.model"] = clean(r.request_model);
  if (r.success && !r.model.empty()) j["gen_ai.response.model"] = clean(r.model);
  j["gen_ai.usage.input_tokens"] = r.usage.input_tokens;
  j["gen_ai.usage.output_tokens"] = r.usage.output_tokens;
  if (r.usage.cached_input_tokens) j["gen_ai.usage.cache_read.input_tokens"] = r.usage.cached_input_tokens;
  if (r.usage.cache_write_tokens) j["gen_ai.usage.cache_creation.input_tokens"] = r.usage.cache_write_tokens;
  if (r.usage.reasoning_tokens) j["gen_ai.usage.reasoning.output_tokens"] = r.usage.reasoning_tokens;
  if (!r.success) j["error.type"] = r.error ? to_string(*r.error) : std::string_view("_OTHER");

  j["governed.provider"] = provider;
  j["governed.model"] = clean(r.model);
  if (!r.request_provider.empty()) j["governed.request.provider"] = clean(r.request_provider);
  j["governed.success"] = r.success;
  j["governed.cache_hit"] = r.cache_hit;
  j["governed.cancelled"] = r.cancelled;
  j["governed.latency_ms"] = detail::millis(r.latency);
  j["governed.attempts"] = r.attempts;
  j["governed.retries"] = r.retries;
  j["governed.rate_limited"] = r.rate_limited;
  j["governed.fallbacks"] = r.fallbacks;
  j["governed.waited_ms"] = detail::millis(r.waited);
  j["governed.backed_off_ms"] = detail::millis(r.backed_off);
  j["governed.cost_usd"] = std::isfinite(r.cost_usd) ? r.cost_usd : 0.0;
  auto used = nlohmann::json::array();
  for (std::string_view k : r.keys) used.push_back(clean(k));
  if (used.empty() && !r.key_fingerprint.empty()) used.push_back(clean(r.key_fingerprint));
  j["governed.keys"] = std::move(used);
  if (!r.hops.empty()) {
    auto hops = nlohmann::json::array();
    for (const FallbackHop& h : r.hops)
      hops.push_back({{"provider", clean(h.provider)}, {"model", clean(h.model)}, {"reason", clean(h.reason)}});
    j["governed.hops"] = std::move(hops);
  }
  if (!r.task.empty()) j["governed.task"] = clean(r.task);
  if (!r.task_id.empty()) j["governed.task_id"] = clean(r.task_id);
  if (auto b = detail::budget_json(r.budget); !b.empty()) j["governed.budget"] = std::move(b);
  if (!r.success) j["governed.error.message"] = clean(r.error_message);
  return j;
}

/// The call as one line of JSON, line feed included (see the file comment: never a raw line
/// feed inside, invalid UTF-8 replaced).
inline std::string call_json_line(const CallRecord& r, std::span<const std::string> keys = {}) {
  return call_json(r, keys).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace governed
