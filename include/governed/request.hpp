#pragma once
/// @file
/// `Request` and `Response`: what a caller hands `Governed` and what it gets back.

#include <governed/boxed.hpp>
#include <governed/message.hpp>
#include <governed/observe/event.hpp>
#include <governed/output_format.hpp>
#include <governed/parameters.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/request_id.hpp>
#include <governed/providers/usage.hpp>
#include <governed/reasoning.hpp>
#include <governed/time.hpp>
#include <governed/tools.hpp>
#include <governed/trace.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed {

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
  /// Any other parameter of the provider's API, passed through as it is named there:
  /// `request.parameters = nlohmann::json{{"logprobs", true}};` (see parameters.hpp). Merged
  /// last: a parameter named as a typed field's form replaces what that field wrote.
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

  // What the call asks of the model beyond its messages. Each encoder writes these in its
  // provider's form; a candidate whose model can not carry one is skipped, never sent to fail.

  /// The functions the model may call, and whether it must.
  std::vector<Tool> tools{};
  ToolChoice tool_choice{};
  /// False: at most one tool call per turn (OpenAI's `parallel_tool_calls`, Anthropic's
  /// `disable_parallel_tool_use`). Unset: the provider's default, which allows several.
  std::optional<bool> parallel_tool_calls{};
  /// The answer's shape: free text (default), any JSON object, or JSON under a schema.
  OutputFormat output{};
  /// Text at which the model stops (OpenAI takes at most 4).
  std::vector<std::string> stop{};
  /// Sampling: a seed for repeatable answers where the provider takes one, and nucleus
  /// sampling's probability mass.
  std::optional<std::int64_t> seed{};
  std::optional<double> top_p{};
  /// How much the model may think before it answers (reasoning.hpp).
  std::optional<Reasoning> reasoning{};
  /// Who the end user is, for the provider's abuse monitoring (OpenAI `user`, Anthropic
  /// `metadata.user_id`); a provider without such a field does not get it.
  std::string user{};
  /// Tags the provider stores with the call (OpenAI `metadata`).
  std::vector<std::pair<std::string, std::string>> metadata{};
  /// Keep the reply's body in `Response::raw_body` (moved from the reply, never copied).
  bool keep_raw_body = false;
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

  /// Why the answer ended, normalised (`tool_calls`: run them and call again), and the
  /// provider's own word for it.
  providers::FinishReason finish = providers::FinishReason::unknown;
  std::string provider_finish{};
  /// The answer's tool calls, refusal and reasoning, when it has any (`tool_calls()`,
  /// `refusal()` and `reasoning()` read them either way).
  Boxed<providers::ChoiceDetail> detail{};
  /// The choices after the first, for a call with `n` > 1.
  std::vector<providers::Choice> more_choices{};
  /// The provider's id for the request (from its request-id header, else the reply's own id):
  /// what its support asks for.
  providers::RequestId request_id{};
  /// The reply's body as it came, when the request asked for it (`Request::keep_raw_body`);
  /// a streamed answer keeps none.
  std::string raw_body{};

  const std::vector<ToolCall>& tool_calls() const noexcept { return detail ? detail->tool_calls : no_calls(); }
  std::string_view refusal() const noexcept { return detail ? std::string_view(detail->refusal) : std::string_view{}; }
  const std::vector<ReasoningBlock>& reasoning() const noexcept { return detail ? detail->reasoning : no_reasoning(); }
  /// How many choices the answer holds (1 unless the call asked for more).
  std::size_t choice_count() const noexcept { return 1 + more_choices.size(); }

  /// The answer as the assistant's turn, to append to the conversation: its text, its tool
  /// calls (with their signatures) and its reasoning, and the provider that wrote it — so
  /// that the reasoning goes back to that provider only.
  Message as_message() const {
    Message m{"assistant", content};
    if (detail) {
      m.tool_calls = detail->tool_calls;
      m.reasoning = detail->reasoning;
    }
    m.origin = provider;
    return m;
  }

 private:
  static const std::vector<ToolCall>& no_calls() noexcept {
    static const std::vector<ToolCall> none;
    return none;
  }
  static const std::vector<ReasoningBlock>& no_reasoning() noexcept {
    static const std::vector<ReasoningBlock> none;
    return none;
  }
};

}  // namespace governed
