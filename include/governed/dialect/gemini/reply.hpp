#pragma once
/// @file
/// A successful Gemini `generateContent` reply, read: every candidate — the joined `text`
/// parts of its content, its `functionCall` parts as tool calls, its thought parts as
/// reasoning, its `finishReason` (dialect/detail/gemini_candidates.hpp) — the `responseId`,
/// and the `usageMetadata`, whose thinking tokens are billed as output; and written
/// (`encode_completion`), as governed-sim answers.

#include <governed/dialect/detail/answer_reader.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/finish.hpp>
#include <governed/providers/table.hpp>
#include <governed/reasoning.hpp>
#include <governed/tool_call.hpp>
#include <governed/result.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect::gemini {

/// Every candidate, the usage and the id of a successful reply; a `parse_error` when the body is not JSON or is
/// past `limits` (its size measured before it is read).
inline Result<providers::Completion> decode_completion(std::string_view body, const JsonLimits& limits = {}) {
  return governed::dialect::detail::decode_answer(providers::Dialect::gemini, body, limits);
}

}  // namespace governed::dialect::gemini

namespace governed::dialect::detail {

/// A `functionCall` part: the call's id, name and `args` (its arguments as the object they
/// are; `{}` for arguments that are not one), with the call's `thoughtSignature`.
inline nlohmann::json gemini_call_part(const ToolCall& call) {
  nlohmann::json args = nlohmann::json::object();
  if (call.arguments_object)
    if (auto parsed = parse_json(call.arguments, JsonLimits{}, "the tool call's arguments"); parsed && parsed->is_object())
      args = std::move(*parsed);
  nlohmann::json part = {{"functionCall", {{"id", call.id}, {"name", call.name}, {"args", std::move(args)}}}};
  if (!call.signature.empty()) part["thoughtSignature"] = call.signature;
  return part;
}

/// A candidate's `parts`: the thoughts first (`thought: true`, with their signatures), then the
/// text (always, when there is nothing else), then the calls.
inline nlohmann::json gemini_parts_of(const WrittenChoice& w) {
  nlohmann::json parts = nlohmann::json::array();
  const providers::ChoiceDetail* d = w.detail;
  if (d)
    for (const auto& r : d->reasoning) {
      nlohmann::json part = {{"text", r.text}, {"thought", true}};
      if (!r.signature.empty()) part["thoughtSignature"] = r.signature;
      parts.push_back(std::move(part));
    }
  if (!w.content.empty() || !w.has_calls()) parts.push_back({{"text", w.content}});
  if (d)
    for (const ToolCall& c : d->tool_calls) parts.push_back(gemini_call_part(c));
  return parts;
}

}  // namespace governed::dialect::detail

namespace governed::dialect::gemini {

/// A successful reply written as Gemini writes it: each of the completion's choices
/// (`written_choices`: `meta.n` of a text answer) as a candidate with its `parts` and
/// `finishReason` (a turn that called tools is `STOP`), the `usageMetadata`, `modelVersion`
/// and `responseId`.
inline std::string encode_completion(const providers::Completion& c, const ReplyMeta& meta) {
  const providers::Usage u = c.usage.value_or(providers::Usage{});
  nlohmann::json candidates = nlohmann::json::array();
  std::uint32_t index = 0;
  for (const WrittenChoice& w : written_choices(c, meta))
    candidates.push_back({{"content", {{"parts", detail::gemini_parts_of(w)}, {"role", "model"}}},
                          {"finishReason", providers::finish_word(providers::Dialect::gemini, w.finish)},
                          {"index", index++}});
  const nlohmann::json body = {
      {"candidates", std::move(candidates)},
      {"usageMetadata", {{"promptTokenCount", u.input_tokens}, {"candidatesTokenCount", u.output_tokens},
                         {"totalTokenCount", u.input_tokens + u.output_tokens}}},
      {"modelVersion", meta.model}, {"responseId", meta.id}};
  return body.dump();
}

}  // namespace governed::dialect::gemini
