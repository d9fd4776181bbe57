#pragma once
/// @file
/// `Message`: one turn of a conversation — the system's instructions, the user's words and
/// pictures, the assistant's answer with the tools it called, or a tool's result.
///
/// A text message is two strings, as it always was: `Message{"user", "Say hello."}`. The
/// other members are empty unless the turn carries more:
///
/// ```cpp
/// Message{.role = "user", .parts = {ContentPart::of_text("What is in it?"),
///                                   ContentPart::image_bytes(png, "image/png")}};
/// Message{.role = "tool", .content = R"({"temperature": 21})", .tool_call_id = call.id};
/// history.push_back(response.as_message());  // the assistant's turn, tool calls included
/// ```
///
/// Every dialect's encoder writes the same `Message` in its provider's form, so a
/// conversation begun on one provider continues on another after a fallback.

#include <governed/cache_mark.hpp>
#include <governed/content_part.hpp>
#include <governed/reasoning.hpp>
#include <governed/tool_call.hpp>

#include <optional>
#include <string>
#include <vector>

namespace governed {

/// One chat message; `role` is "system", "user", "assistant" or "tool".
struct Message {
  std::string role{};
  /// The message's text. With `parts` too, this text comes first, before them.
  std::string content{};
  /// The content in order, when it is more than text: text, images, documents.
  std::vector<ContentPart> parts{};
  /// An assistant's turn: the tools it called, after its text.
  std::vector<ToolCall> tool_calls{};
  /// A tool's result: the id of the call it answers (`ToolCall::id`).
  std::string tool_call_id{};
  /// A tool's result: the tool's name. Gemini's format needs it; when empty, encoders find it
  /// from the call with `tool_call_id` earlier in the conversation.
  std::string name{};
  /// A tool's result: the tool failed, and `content` says how (Anthropic's `is_error`).
  bool is_error = false;
  /// An assistant's turn: its reasoning, before its text and calls, sent back only to
  /// `origin`.
  std::vector<ReasoningBlock> reasoning{};
  /// An assistant's turn: the provider that wrote it (`Response::provider`). Reasoning and
  /// signatures go back only to it.
  std::string origin{};
  /// A prompt-cache breakpoint after this message (Anthropic only).
  std::optional<CacheMark> cache{};

  /// Only a role and its text: every encoder writes it as a plain string.
  bool text_only() const noexcept { return parts.empty() && tool_calls.empty() && reasoning.empty(); }

  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace governed
