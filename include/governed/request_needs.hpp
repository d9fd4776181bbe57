#pragma once
/// @file
/// What a call needs of a model beyond plain text (`needs_of`): the capabilities a candidate
/// must have (providers/capabilities.hpp) for the call to keep its meaning there, and the
/// prompt-cache breakpoints it places. The walk reckons it once per call, beside the token
/// estimate (walk/plan.hpp), and skips a candidate whose model lacks any of it with a stated
/// `skipped` event (walk/enter.hpp).
///
/// A text-only request needs nothing: every candidate's check is then one AND that finds
/// nothing missing.

#include <governed/content_part.hpp>
#include <governed/message.hpp>
#include <governed/output_format.hpp>
#include <governed/providers/capabilities.hpp>
#include <governed/reasoning.hpp>
#include <governed/request.hpp>
#include <governed/tools.hpp>

#include <cstdint>

namespace governed {

/// What a call needs of a model.
struct Needs {
  /// The capabilities every candidate's model must have. Reasoning is needed in both forms at
  /// once, meaning either (`Capabilities::missing`).
  providers::Capabilities required{};
  /// Prompt-cache breakpoints over the parts, messages and tools. Not a need: providers that
  /// cache on their own take none, and their encoders leave the marks out. Anthropic takes
  /// at most 4, so more is refused before the call starts.
  std::uint32_t cache_marks = 0;
  friend bool operator==(const Needs&, const Needs&) = default;
};

/// The most prompt-cache breakpoints one call may place (Anthropic's limit: "up to 4 cache
/// breakpoints", https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching).
inline constexpr std::uint32_t max_cache_marks = 4;

namespace detail {

using providers::Capability;

// The common call is text only: each part below is tested for at the cost of a load and a
// compare in `needs_of`, which every call inlines (BM_Governed_Send_Success counts its
// instructions), and is out of line itself.

/// What a message that is more than text adds: its parts (an image in a tool's result needs
/// more than one in a user's turn), and its history's tool calls.
[[gnu::noinline]] inline void add_message_needs(Needs& n, const Message& m) {
  const bool tool_result = m.role == "tool";
  for (const auto& p : m.parts) {
    if (p.cache) ++n.cache_marks;
    if (p.kind == ContentPart::Kind::image) {
      n.required = n.required.with(Capability::vision);
      if (!p.url.empty()) n.required = n.required.with(Capability::image_urls);
      if (tool_result) n.required = n.required.with(Capability::tool_result_images);
    } else if (p.kind == ContentPart::Kind::document) {
      n.required = n.required.with(Capability::documents);
      if (!p.url.empty()) n.required = n.required.with(Capability::document_urls);
    }
  }
  // Only the chat-completions formats keep a tool call's arguments as a string: any other
  // needs a JSON object there, which such arguments are not.
  for (const auto& call : m.tool_calls)
    if (!call.arguments_object) n.required = n.required.with(Capability::verbatim_tool_arguments);
}

/// What the tools add: the tools themselves, their cache marks, and the parallel switch
/// turned off (on or unset asks nothing of a model).
[[gnu::noinline]] inline void add_tool_needs(Needs& n, const Request& r) {
  if (!r.tools.empty()) n.required = n.required.with(Capability::tools);
  for (const auto& t : r.tools)
    if (t.cache) ++n.cache_marks;
  if (r.parallel_tool_calls == false) n.required = n.required.with(Capability::parallel_tool_control);
}

/// What an answer's format other than text adds.
[[gnu::noinline]] inline void add_output_needs(Needs& n, const OutputFormat& output) {
  if (output.kind == OutputFormat::Kind::json_object) n.required = n.required.with(Capability::json_mode);
  if (output.kind != OutputFormat::Kind::json_schema) return;
  n.required = n.required.with(Capability::json_schema);
  if (output.strict) n.required = n.required.with(Capability::json_schema_strict);
}

/// What reasoning adds: either form of it, and a forced tool call while thinking.
[[gnu::noinline]] inline void add_reasoning_needs(Needs& n, const Reasoning& reasoning, ToolChoice::Mode mode) {
  // Effort none or a budget of 0 asks for no thinking: nothing a model may lack.
  const bool thinks = (reasoning.effort && *reasoning.effort != Reasoning::Effort::none) ||
                      (reasoning.budget_tokens && *reasoning.budget_tokens > 0);
  if (!thinks) return;
  // Either form will do: the encoder converts (reasoning.hpp), so both are named and
  // `Capabilities::missing` asks for one of them.
  n.required = n.required.with(Capability::reasoning_effort).with(Capability::reasoning_budget);
  if (mode == ToolChoice::Mode::required || mode == ToolChoice::Mode::named)
    n.required = n.required.with(Capability::thinking_with_forced_tool);
}

}  // namespace detail

/// Adds what the message `m` needs to `n`: a message of text only adds nothing, at the cost of
/// one test.
[[gnu::always_inline]] inline void add_needs_of(Needs& n, const Message& m) {
  if (m.cache) ++n.cache_marks;
  if (!m.text_only()) [[unlikely]] detail::add_message_needs(n, m);
}

/// What `r` needs of a model: from its tools, tool choice and parallel switch, output format,
/// reasoning, and each message that is more than text. `seed`, `user` and `metadata` are
/// advisory, not needs: an encoder whose provider has no such field leaves it out, and the
/// call is still the call that was asked for.
[[gnu::always_inline]] inline Needs needs_of(const Request& r) {
  Needs n;
  for (const auto& m : r.messages) add_needs_of(n, m);
  if (!r.tools.empty() || r.parallel_tool_calls) [[unlikely]] detail::add_tool_needs(n, r);
  if (r.output.kind != OutputFormat::Kind::text) [[unlikely]] detail::add_output_needs(n, r.output);
  if (r.reasoning) [[unlikely]] detail::add_reasoning_needs(n, *r.reasoning, r.tool_choice.mode);
  return n;
}

}  // namespace governed
