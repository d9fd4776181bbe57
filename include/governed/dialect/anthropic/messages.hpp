#pragma once
/// @file
/// The conversation in Anthropic's messages format: the top-level `system` and the `messages`
/// array of user and assistant turns, written from governed's `Message`s
/// (https://docs.anthropic.com/en/api/messages).
///
/// - A text-only message is `{"role", "content": "<text>"}`, as governed always wrote it; a
///   "tool" message without a call id is still the user's text. System messages are joined
///   by blank lines into the string `system`; when one of them carries a cache mark, `system`
///   is an array of text blocks instead, the mark on that message's last block.
/// - Other messages are arrays of blocks: text, images and documents
///   (dialect/anthropic/content.hpp), a cache mark on a marked message's last block.
/// - An assistant's turn: its thinking first (`{"type": "thinking", "thinking", "signature"}`,
///   `{"type": "redacted_thinking", "data"}`), only when the turn came from the provider the
///   call goes to (the signature is that provider's, and no other takes it); then its text;
///   then `{"type": "tool_use", "id", "name", "input"}` per call, the arguments parsed within
///   the JSON limits, since they may be anything a model wrote: arguments that are not an
///   object have no place in `input`, and such a call is refused.
/// - Tool results: `{"type": "tool_result", "tool_use_id", "content", "is_error"?}` blocks of
///   one user turn, ahead of that turn's other blocks as the API requires
///   (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use).
///   Ids are rewritten the same way in a call and its result when Anthropic would refuse
///   them (dialect/detail/tool_ids.hpp).
/// - A turn of blocks next to a turn of the same role joins it: consecutive tool results and
///   the user's words after them make one user turn. Two text-only turns of one role stay two,
///   as they always were; the API combines consecutive turns of one role itself.

#include <governed/dialect/anthropic/content.hpp>
#include <governed/dialect/detail/tool_ids.hpp>
#include <governed/json_limits.hpp>
#include <governed/message.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect::anthropic {

/// A message Anthropic takes as a plain string: text, and nothing more.
inline bool plain_text(const Message& m) noexcept { return m.text_only() && m.tool_call_id.empty() && !m.cache; }

inline nlohmann::json reasoning_block(const ReasoningBlock& r) {
  if (!r.redacted.empty()) return {{"type", "redacted_thinking"}, {"data", r.redacted}};
  return {{"type", "thinking"}, {"thinking", r.text}, {"signature", r.signature}};
}

/// `{"type": "tool_use"}` for `call`. The arguments are text a model wrote (OpenAI's string):
/// parsed within `limits`, and refused unless they are an object. No arguments are `{}`.
inline Result<nlohmann::json> tool_use_block(const ToolCall& call, const JsonLimits& limits) {
  std::string id = detail::portable_tool_id(call.id);
  nlohmann::json input = nlohmann::json::object();
  if (!call.arguments.empty()) {
    auto parsed = call.arguments_object ? parse_json(call.arguments, limits, "a tool call's arguments")
                                        : Result<nlohmann::json>(nlohmann::json());
    if (!parsed || !parsed->is_object())
      return fail(Errc::invalid_argument,
                  fmt::format("the arguments of tool call {} are not a JSON object, and Anthropic's tool_use input "
                              "must be one",
                              id));
    input = std::move(*parsed);
  }
  return nlohmann::json{{"type", "tool_use"}, {"id", std::move(id)}, {"name", call.name}, {"input", std::move(input)}};
}

/// An assistant's turn as blocks: reasoning (only back to `origin`), text and parts, calls.
inline Result<nlohmann::json> assistant_blocks(const Message& m, std::string_view provider, const JsonLimits& limits) {
  nlohmann::json blocks = nlohmann::json::array();
  if (m.origin == provider)
    for (const ReasoningBlock& r : m.reasoning) blocks.push_back(reasoning_block(r));
  if (auto c = append_content(blocks, m); !c) return tl::unexpected(c.error());
  for (const ToolCall& call : m.tool_calls) {
    auto block = tool_use_block(call, limits);
    if (!block) return tl::unexpected(block.error());
    blocks.push_back(std::move(*block));
  }
  if (auto marked = mark_last(blocks, m); !marked) return tl::unexpected(marked.error());
  return blocks;
}

/// A tool's result: a user turn of one `tool_result` block holding its text, or its parts as blocks.
inline Result<nlohmann::json> tool_result_block(const Message& m) {
  nlohmann::json block = {{"type", "tool_result"}, {"tool_use_id", detail::portable_tool_id(m.tool_call_id)}};
  if (m.parts.empty()) {
    block["content"] = m.content;
  } else {
    nlohmann::json content = nlohmann::json::array();
    if (auto c = append_content(content, m); !c) return tl::unexpected(c.error());
    block["content"] = std::move(content);
  }
  if (m.is_error) block["is_error"] = true;
  if (m.cache) block["cache_control"] = cache_control(*m.cache);
  return nlohmann::json::array({std::move(block)});
}

/// The content of a user's (or a tool's) turn that is more than text, as blocks.
inline Result<nlohmann::json> user_blocks(const Message& m) {
  if (m.role == "tool" && !m.tool_call_id.empty()) return tool_result_block(m);
  nlohmann::json blocks = nlohmann::json::array();
  if (auto c = append_content(blocks, m); !c) return tl::unexpected(c.error());
  if (auto marked = mark_last(blocks, m); !marked) return tl::unexpected(marked.error());
  return blocks;
}

/// A turn's content as blocks: a string becomes one text block (none when empty).
inline nlohmann::json as_blocks(nlohmann::json content) {
  if (content.is_array()) return content;
  nlohmann::json blocks = nlohmann::json::array();
  if (const auto& text = content.get_ref<const std::string&>(); !text.empty()) blocks.push_back(text_block(text));
  return blocks;
}

/// Appends a turn of `role` to `messages`. When either it or the turn before, of the same
/// role, is blocks, they join into one turn, tool results ahead of the rest. Two plain
/// strings stay two turns, as governed always wrote them. `last_blocks` says whether the last
/// turn is blocks, so that a text-only call looks nothing up.
inline void append_turn(nlohmann::json& messages, bool& last_blocks, const char* role, nlohmann::json content) {
  const bool blocks = content.is_array();
  if ((blocks || last_blocks) && !messages.empty() &&
      messages.back()["role"].get_ref<const std::string&>() == role) {
    nlohmann::json& had = messages.back()["content"];
    had = as_blocks(std::move(had));
    for (auto& block : as_blocks(std::move(content))) had.push_back(std::move(block));
    std::stable_partition(had.begin(), had.end(),
                          [](const nlohmann::json& b) { return b.value("type", "") == "tool_result"; });
    last_blocks = true;
    return;
  }
  messages.push_back({{"role", role}, {"content", std::move(content)}});
  last_blocks = blocks;
}

/// System messages as text blocks, for a `system` that carries cache marks. Anthropic's
/// system prompt takes only text.
inline Result<nlohmann::json> system_blocks(const std::vector<Message>& messages) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const Message& m : messages) {
    if (m.role != "system") continue;
    const bool only_text = std::all_of(m.parts.begin(), m.parts.end(),
                                       [](const ContentPart& p) { return p.kind == ContentPart::Kind::text; });
    if (!only_text || !m.tool_calls.empty())
      return fail(Errc::invalid_argument, "Anthropic's system prompt takes only text, and a system message holds more");
    nlohmann::json own = nlohmann::json::array();
    if (auto c = append_content(own, m); !c) return tl::unexpected(c.error());
    if (auto marked = mark_last(own, m); !marked) return tl::unexpected(marked.error());
    for (auto& block : own) blocks.push_back(std::move(block));
  }
  return blocks;
}

/// The body's `messages` and `system` (null when there is none).
struct Conversation {
  nlohmann::json messages;
  nlohmann::json system;
};

/// The conversation of `messages` for a call to `provider` (reasoning goes back only to the
/// provider that wrote it).
inline Result<Conversation> conversation(const std::vector<Message>& messages, std::string_view provider,
                                         const JsonLimits& limits = {}) {
  Conversation out{nlohmann::json::array(), nullptr};
  std::string system;
  bool system_blocks_needed = false, last_blocks = false;
  for (const Message& m : messages) {
    if (m.role == "system") {
      if (!system.empty()) system += "\n\n";
      system += m.content;
      system_blocks_needed = system_blocks_needed || !plain_text(m);
      continue;
    }
    const char* role = m.role == "assistant" ? "assistant" : "user";
    if (plain_text(m) && !last_blocks) {  // as governed always wrote it, built in place
      out.messages.push_back({{"role", role}, {"content", m.content}});
      continue;
    }
    if (plain_text(m)) {
      append_turn(out.messages, last_blocks, role, m.content);
      continue;
    }
    auto blocks = m.role == "assistant" ? assistant_blocks(m, provider, limits) : user_blocks(m);
    if (!blocks) return tl::unexpected(blocks.error());
    // A turn left with nothing (only thinking, sent to another provider) is no turn: the API
    // refuses empty content.
    if (!blocks->empty()) append_turn(out.messages, last_blocks, role, std::move(*blocks));
  }
  if (system_blocks_needed) {
    auto blocks = system_blocks(messages);
    if (!blocks) return tl::unexpected(blocks.error());
    out.system = std::move(*blocks);
  } else if (!system.empty()) {
    out.system = std::move(system);
  }
  return out;
}

}  // namespace governed::dialect::anthropic
