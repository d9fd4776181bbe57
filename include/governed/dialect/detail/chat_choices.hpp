#pragma once
/// @file
/// `ChatChoices`: the choices of a chat-completions reply (OpenAI and every API that answers
/// in its shape), read in one pass by the answer reader (answer_reader.hpp).
///
/// Each `choices[i]` gives a choice: `message.content` (a string, or text blocks joined),
/// `message.refusal`, `message.tool_calls[j]` (`id`, `function.name`, `function.arguments` as
/// the string it is), `message.reasoning_content` (DeepSeek's and vLLM's reasoning, one block),
/// `finish_reason`; a choice without a `message` object is a legacy completion, its `text`.
/// As in a parsed document, the last of a repeated member counts, and a member of the wrong
/// type reads as absent. dialect/answer_json.hpp reads the same from a document.

#include <governed/dialect/detail/answer_path.hpp>
#include <governed/dialect/detail/json_capture.hpp>
#include <governed/dialect/detail/reply_choice.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/dialect.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace governed::dialect::detail {

class ChatChoices {
 public:
  ChatChoices(providers::Dialect d, const JsonLimits& limits) noexcept : dialect_(d), limits_(limits) {}

  /// A value begins at `p`.
  void value(const Path& p, const Value& v, JsonCapture&) {
    using N = Name;
    constexpr N E = N::element;
    if (p.frames[0].array || p.frames[0].name != N::choices) return;  // most values: usage, ids
    if (p.is(N::choices)) return choices_.clear();
    if (p.is(N::choices, E)) {
      reading_.clear();
      if (!v.is_object()) add_choice();
      return;
    }
    if (p.depth < 3) return;
    if (p.is(N::choices, E, N::message)) return reading_.message(v.is_object());
    if (p.is(N::choices, E, N::text)) return v.string_into(reading_.legacy);
    if (p.is(N::choices, E, N::finish_reason)) return v.string_into(reading_.finish);
    if (p.is(N::choices, E, N::message, N::content)) {
      reading_.text.clear();
      reading_.content = v.string() ? Content::string : v.is_array() ? Content::blocks : Content::none;
      if (v.string()) reading_.text = *v.string();
      return;
    }
    if (p.is(N::choices, E, N::message, N::content, E)) return void(block_has_text_ = false);
    if (p.is(N::choices, E, N::message, N::content, E, N::text)) {
      block_has_text_ = v.string() != nullptr;
      if (block_has_text_) block_text_ = *v.string();
      return;
    }
    if (p.is(N::choices, E, N::message, N::refusal)) return v.string_into(reading_.refusal);
    if (p.is(N::choices, E, N::message, N::reasoning_content)) return v.string_into(reading_.reasoning);
    if (p.depth >= 4 && p.frames[3].name == N::tool_calls) tool_call_value(p, v);
  }

  /// The object at `p` closed (the reader tells of objects only: every choice, block and call is one).
  void closed(const Path& p, const JsonCapture&) {
    using N = Name;
    constexpr N E = N::element;
    if (p.is(N::choices, E)) return add_choice();
    if (p.is(N::choices, E, N::message, N::content, E)) {
      if (block_has_text_) reading_.text += block_text_;
      return;
    }
    if (p.is(N::choices, E, N::message, N::tool_calls, E))
      reading_.calls.push_back(chat_tool_call(std::move(call_.id), std::move(call_.name), std::move(call_.arguments),
                                              call_.has_arguments, limits_));
  }

  void finish(providers::Completion& out) { choices_.into(out); }

 private:
  enum class Content : std::uint8_t { none, string, blocks };

  /// The choice being read.
  struct Reading {
    bool message_is_object = false;
    Content content = Content::none;
    std::string text, legacy, refusal, reasoning, finish;
    std::vector<ToolCall> calls;

    void clear() {
      message(false);
      legacy.clear(), finish.clear();
    }
    /// A `message` member begins: what an earlier one said is gone.
    void message(bool is_object) {
      message_is_object = is_object, content = Content::none;
      text.clear(), refusal.clear(), reasoning.clear(), calls.clear();
    }
  };

  /// The tool call being read.
  struct Call {
    std::string id, name, arguments;
    bool has_arguments = false;
  };

  void tool_call_value(const Path& p, const Value& v) {
    using N = Name;
    constexpr N E = N::element;
    if (p.is(N::choices, E, N::message, N::tool_calls)) return reading_.calls.clear();
    if (p.is(N::choices, E, N::message, N::tool_calls, E)) {
      call_.id.clear();
      return function(v);
    }
    if (p.is(N::choices, E, N::message, N::tool_calls, E, N::id)) return v.string_into(call_.id);
    if (p.is(N::choices, E, N::message, N::tool_calls, E, N::function)) return function(v);
    if (p.is(N::choices, E, N::message, N::tool_calls, E, N::function, N::name)) return v.string_into(call_.name);
    if (p.is(N::choices, E, N::message, N::tool_calls, E, N::function, N::arguments)) {
      v.string_into(call_.arguments);
      call_.has_arguments = v.string() != nullptr;
    }
  }

  /// A `function` member begins (or a call, which has none yet).
  void function(const Value&) {
    call_.name.clear(), call_.arguments.clear();
    call_.has_arguments = false;
  }

  void add_choice() {
    providers::Choice c;
    Reading& r = reading_;
    const bool from_message = r.message_is_object;
    if (from_message && r.content != Content::none) c.content = std::move(r.text);
    else if (!from_message) c.content = std::move(r.legacy);
    set_finish(c, dialect_, std::move(r.finish), false);
    std::vector<ReasoningBlock> reasoning;
    if (!r.reasoning.empty()) reasoning.push_back(ReasoningBlock{std::move(r.reasoning)});
    c.detail = detail_of(std::move(r.calls), std::move(r.refusal), std::move(reasoning));
    choices_.add(std::move(c));
    r.clear();
  }

  providers::Dialect dialect_;
  JsonLimits limits_;
  ChoiceList choices_;
  Reading reading_;
  Call call_;
  std::string block_text_;
  bool block_has_text_ = false;
};

}  // namespace governed::dialect::detail
