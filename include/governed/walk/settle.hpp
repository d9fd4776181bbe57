#pragma once
/// @file
/// The walk's settle step: what an answered (or broken-off) attempt used and cost, and what it
/// charges — the limit set's real usage in place of the estimate, the task's tokens, the spend
/// budget's hold. Functions of the reply, the model and the call's holds: tests/walk/settle.cpp
/// drives them directly.

#include <governed/attempt.hpp>
#include <governed/budget/spend.hpp>
#include <governed/budget/task.hpp>
#include <governed/limit_set.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/providers/usage.hpp>
#include <governed/request.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

namespace governed::walk {

/// What a limit set counts for one call of `input` and `output` tokens (negative counts as 0).
constexpr Cost limit_cost(std::int64_t input, std::int64_t output) noexcept {
  return Cost{1, static_cast<std::uint64_t>(std::max<std::int64_t>(0, input)),
              static_cast<std::uint64_t>(std::max<std::int64_t>(0, output))};
}

/// What a stream used: the usage of its final event; when it reported none (OpenAI without
/// `include_usage`, a stream that broke off), the prompt's estimate `prompt_estimate` and the
/// streamed text's tokens estimated with the model's tokenizer parameters — the provider
/// bills what it generated, so zero output tokens would undercount every limit and budget.
inline providers::Usage stream_usage(const transport::Streamed& s, const providers::Model& m,
                                     std::int64_t prompt_estimate) {
  if (s.usage && s.usage->total() > 0) return *s.usage;
  providers::Usage u;
  u.input_tokens = prompt_estimate;
  u.output_tokens = static_cast<std::int64_t>(std::ceil(providers::text_tokens(s.content, m.estimate.letters_per_token)));
  return u;
}

/// What an answer used, and whether that is the provider's own count (the calibration learns
/// only from those).
struct Used {
  providers::Usage usage{};
  bool counted_by_provider = false;
};

/// Takes a whole reply's answer into `r` — the first choice's text, finish and detail, the
/// later choices, the reply's own id when no header gave one — and its usage into `u` when it
/// reported one; whether it did. Each member is moved, never copied.
inline bool take_completion(providers::Completion& read, Used& u, Response& r) {
  const bool counted = read.usage && read.usage->total() > 0;
  if (counted) u.usage = *read.usage;
  r.content = std::move(read.content);
  r.finish = read.finish;
  r.provider_finish = std::move(read.provider_finish);
  r.detail = std::move(read.detail);
  if (!read.more.empty()) r.more_choices = std::move(read.more);
  if (r.request_id.empty()) r.request_id = read.id;
  return counted;
}

/// Takes a stream's answer into `r`: the text the caller was shown, the provider's finish word
/// (read in `dialect`), and the tool calls, refusal and reasoning put together from its pieces.
inline void take_streamed(transport::Streamed& s, providers::Dialect dialect, Response& r) {
  r.content = std::move(s.content);
  r.finish = providers::finish_of(dialect, s.finish);
  r.provider_finish = std::move(s.finish);
  // Gemini's word for a turn of function calls is STOP: the calls say what it was.
  if (r.finish == providers::FinishReason::stop && !s.tool_calls.empty()) r.finish = providers::FinishReason::tool_calls;
  if (s.tool_calls.empty() && s.refusal.empty() && s.reasoning.empty()) return;
  auto& d = r.detail.make();
  d.tool_calls = std::move(s.tool_calls);
  d.refusal = std::move(s.refusal);
  d.reasoning = std::move(s.reasoning);
}

/// Reads a successful reply from `model`, which speaks `dialect`, into `r`: its answer moved
/// out of `reply` (a stream's was assembled as it went out; a whole reply's was read by the
/// transport, or by `Governed` for one that hands back bytes, into `reply.completion`), the
/// provider's id for the request, the body when the call asked to keep it; and what it used —
/// the usage it reported, a stream's estimate when the stream reported none, else the prompt's
/// estimate `prompt_estimate` and no output (a body that was not a readable reply).
[[gnu::always_inline]] inline Used read_answer(transport::Reply& reply, const providers::Model& model,
                                               providers::Dialect dialect, std::int64_t prompt_estimate,
                                               bool keep_body, Response& r) {
  Used u;
  bool have_usage = false;
  r.request_id = reply.request_id;
  if (reply.streamed) {
    u.usage = stream_usage(*reply.streamed, model, prompt_estimate);  // before the text is taken
    take_streamed(*reply.streamed, dialect, r);
    have_usage = true;
  } else if (reply.completion) {
    have_usage = take_completion(*reply.completion, u, r);
  }
  if (keep_body && !reply.streamed) r.raw_body = std::move(reply.body);
  if (!have_usage) u.usage = providers::Usage{prompt_estimate, 0, 0, 0, 0};
  else u.counted_by_provider = !reply.streamed || (reply.streamed->usage && reply.streamed->usage->total() > 0);
  return u;
}

/// Whether a reply of `answered` teaches the calibration of the model whose parameters made
/// the estimate, `origin`: only a model estimated the same way (the same tokenizer figures).
constexpr bool estimated_alike(const providers::Model& answered, const providers::Model& origin) noexcept {
  const auto& a = answered.estimate;
  const auto& o = origin.estimate;
  return a.letters_per_token == o.letters_per_token && a.tokens_per_message == o.tokens_per_message &&
         a.tokens_per_reply == o.tokens_per_reply;
}

/// Charges an attempt that used `used` and cost `cost_usd`: the limit set `set` counts the
/// real usage in place of `admission`'s estimate, the task's ticket its tokens, and the spend
/// hold (when one is held) the real cost; `alert(BudgetAlert&)` hears each spend alert it trips.
template <class Set, class OnAlert>
void charge(Set& set, Admission& admission, TaskTicket& task, SpendReservation& spend, const providers::Usage& used,
            double cost_usd, Instant t, WallTime w, OnAlert&& alert) {
  set.reconcile(admission, limit_cost(used.input_tokens, used.output_tokens), t);
  task.settle(used.total());
  if (spend.active()) {
    for (auto& a : spend.settle(cost_usd, w)) alert(a);
  }
}

}  // namespace governed::walk
