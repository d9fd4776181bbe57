#pragma once
/// @file
/// The rules both reply readers — the one-pass reader (answer_reader.hpp) and the document
/// readers (answer_json.hpp) — apply when they make a `providers::Choice` of what they read,
/// kept in one place so the two can not drift: when a choice has a detail, whether arguments
/// are an object, what an id-less Gemini call is named, and when Gemini's `STOP` means tools.

#include <governed/dialect/detail/tool_ids.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/dialect.hpp>
#include <governed/providers/finish.hpp>
#include <governed/reasoning.hpp>
#include <governed/tool_call.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect::detail {

/// Whether `text` is one JSON object within `limits`: checked by a depth scan and
/// `nlohmann::json::accept`, without building it.
inline bool is_json_object(std::string_view text, const JsonLimits& limits) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] != '{') return false;
  if (text.size() > limits.max_bytes) return false;
  if (governed::detail::json_depth(text, limits.max_depth) > limits.max_depth) return false;
  return nlohmann::json::accept(text.begin(), text.end());
}

/// A chat-completions tool call: its `arguments` string as it came (a call without one has
/// none: `{}`), marked an object only when the string is one.
inline ToolCall chat_tool_call(std::string id, std::string name, std::string arguments, bool has_arguments,
                               const JsonLimits& limits) {
  ToolCall call{std::move(id), std::move(name), has_arguments ? std::move(arguments) : std::string("{}")};
  call.arguments_object = is_json_object(call.arguments, limits);
  return call;
}

/// What a choice holds besides its text: none (a null box, no allocation) when it holds nothing.
inline Boxed<providers::ChoiceDetail> detail_of(std::vector<ToolCall>&& calls, std::string&& refusal,
                                                std::vector<ReasoningBlock>&& reasoning) {
  Boxed<providers::ChoiceDetail> out;
  if (calls.empty() && refusal.empty() && reasoning.empty()) return out;
  providers::ChoiceDetail& d = out.make();
  d.tool_calls = std::move(calls);
  d.refusal = std::move(refusal);
  d.reasoning = std::move(reasoning);
  return out;
}

/// The choice's end, from the provider's word: Gemini's `STOP` after a `functionCall` part is
/// a turn that called tools (providers/finish.hpp leaves this to the reader, which sees them).
inline void set_finish(providers::Choice& c, providers::Dialect d, std::string&& word, bool called_tools) {
  c.finish = providers::finish_of(d, word);
  if (d == providers::Dialect::gemini && called_tools && c.finish == providers::FinishReason::stop)
    c.finish = providers::FinishReason::tool_calls;
  c.provider_finish = std::move(word);
}

/// The choices of a reply, in order: the first kept apart (it becomes the `Completion`'s own
/// members), the rest in `more`.
struct ChoiceList {
  providers::Choice first{};
  std::vector<providers::Choice> more{};
  std::size_t count = 0;

  void clear() {
    first = providers::Choice{};
    more.clear();
    count = 0;
  }
  void add(providers::Choice&& c) {
    if (count++ == 0) first = std::move(c);
    else more.push_back(std::move(c));
  }
  /// Moves the choices into `out`.
  void into(providers::Completion& out) {
    out.content = std::move(first.content);
    out.finish = first.finish;
    out.provider_finish = std::move(first.provider_finish);
    out.detail = std::move(first.detail);
    out.more = std::move(more);
  }
};

}  // namespace governed::dialect::detail
