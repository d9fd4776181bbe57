#pragma once
/// @file
/// `Request` and `Response`: what a caller hands `Governed` and what it gets back.

#include <governed/observe/event.hpp>
#include <governed/parameters.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/usage.hpp>
#include <governed/time.hpp>
#include <governed/trace.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace governed {

/// One chat message; `role` is "system", "user", "assistant" or "tool".
struct Message {
  std::string role;
  std::string content;

  friend bool operator==(const Message&, const Message&) = default;
};

/// A call as the application states it. `provider` and `model` say where it would like to go
/// (a task's routing may choose instead); the fallback policy decides where it may go.
struct Request {
  std::string provider;
  std::string model;
  std::vector<Message> messages;
  /// Output tokens asked for, per choice; with `n` choices the call may produce n × max_tokens.
  std::uint32_t max_tokens = 1024;
  std::uint32_t n = 1;
  std::optional<double> temperature{};
  /// Any other parameter of the provider's API, passed through (top_p, stop, tools, …):
  /// `request.parameters = nlohmann::json{{"top_p", 0.9}};` (see parameters.hpp).
  Parameters parameters{};

  /// The task's kind (scraper, worker, …): picks its call budget and its model route.
  std::string task;
  /// This task instance: budgets count per instance.
  std::string task_id;
  /// Idempotent and safe to answer from the response cache.
  bool cacheable = false;
  /// The longest one admission may wait for a limit (default: the total-wait cap below).
  std::optional<Duration> max_wait{};
  /// The most the call sleeps backing off on one target before it falls back instead
  /// (default: `StateConfig::max_total_wait`, 60 s). Negative is refused.
  std::optional<Duration> max_total_wait{};
  /// At most this many moves to another model or provider (default:
  /// `StateConfig::max_fallbacks`; none there either: as many as the plan holds). A call that
  /// would move once more ends with the error it would give were nothing left, saying so.
  std::optional<std::uint32_t> max_fallbacks{};
  /// Give up after this instant, whatever is left to try.
  std::optional<Instant> deadline{};
  /// Waiters of a higher priority class are admitted first; first come, first served within.
  int priority = 0;
  /// The caller's W3C trace context (`00-<trace id>-<parent id>-<flags>`): the call joins
  /// that trace. Empty: the call starts a trace of its own. A malformed one is refused.
  std::string traceparent{};
};

/// A completed call.
struct Response {
  std::string content;
  providers::Usage usage{};
  providers::Cost cost{};
  /// Where it ran: the provider, the model and the fingerprint of the key (never the key).
  std::string provider;
  std::string model;
  std::string key_fingerprint;
  /// Transport attempts the walk made, across every candidate.
  std::uint32_t attempts = 0;
  bool from_cache = false;
  /// The trace the call belongs to: the caller's (`Request::traceparent`) or its own.
  TraceId trace_id{};
  /// From the call's start to its result, waits included.
  Duration latency{0};
  /// What the walk did on the way, beyond the plain path (waits, retries, switches, keys,
  /// cooldowns, budget alerts, a cache hit), each with its message for people.
  std::vector<Event> events{};
};

}  // namespace governed
