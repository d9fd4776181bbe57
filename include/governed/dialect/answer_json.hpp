#pragma once
/// @file
/// A successful reply read from a parsed document, in each provider's shape: every choice
/// with its text, tool calls, refusal, reasoning and finish reason, the usage, the reply's id.
///
/// The call path reads replies in one pass without a document (`dialect::decode_completion`,
/// dialect/reply.hpp). These readers are for callers that already hold a document — a
/// transport that received a whole body where it asked for a stream, governed-sim reading a
/// canned reply — and they are the oracle the one-pass reader is held to (tests/dialect/reply.cpp,
/// fuzz/dialect_<home>.cpp): both make their choices by the rules of
/// dialect/detail/reply_choice.hpp, and read each family's shape as its one-pass reader's
/// header says (dialect/detail/chat_choices.hpp, message_blocks.hpp, gemini_candidates.hpp).
///
/// Text: OpenAI and the compatibles put it in `choices[i].message.content`, Anthropic in the
/// `text` blocks of `content`, Gemini in the `text` parts of `candidates[i].content.parts`. A
/// reply without text (a tool call, an empty candidate) is an empty string, not an error: the
/// caller still has the whole body. A body that is not JSON is a `parse_error`.
///
/// Usage: every shape is read whatever the dialect (OpenAI chat and Responses, Anthropic,
/// Gemini), as providers::Usage describes them.
///
/// These readers walk a tree they are given and copy parts of it (a tool call's arguments are
/// `dump()`ed), which recurses on their depth: give them trees from `parse_json`, whose depth
/// is bounded.

#include <governed/error.hpp>
#include <governed/json_limits.hpp>
#include <governed/dialect/detail/reply_choice.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/request_id.hpp>
#include <governed/providers/table.hpp>
#include <governed/reasoning.hpp>
#include <governed/tool_call.hpp>
#include <governed/providers/usage.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect {

namespace detail {

using Json = nlohmann::json;

/// The member `name` of `o`, when `o` is an object that has it.
inline const Json* member(const Json& o, const char* name) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(name);
  return it == o.end() ? nullptr : &*it;
}

/// The string member `name` of `o`; empty when absent or of another type.
inline std::string string_member(const Json& o, const char* name) {
  const Json* m = member(o, name);
  return m && m->is_string() ? m->get<std::string>() : std::string{};
}

/// A tool call's arguments given as a value (Anthropic's `input`, Gemini's `args`), written
/// as JSON text into `call`; a call without them has none: `{}`.
inline void object_arguments(const Json* args, ToolCall& call) {
  call.arguments = args ? args->dump() : std::string("{}");
  call.arguments_object = !args || args->is_object();
}

/// The concatenated `text` members of the objects in `blocks` (chat-completions text blocks).
inline std::string joined_text(const Json& blocks) {
  std::string out;
  if (!blocks.is_array()) return out;
  for (const auto& b : blocks) {
    const Json* t = member(b, "text");
    if (t && t->is_string()) out += t->get_ref<const std::string&>();
  }
  return out;
}

/// One of a chat completion's `choices` (chat_choices.hpp says what it holds).
inline providers::Choice chat_choice(providers::Dialect d, const Json& c, const JsonLimits& limits) {
  providers::Choice out;
  if (!c.is_object()) return out;
  std::string refusal, reasoning;
  std::vector<ToolCall> calls;
  const Json* m = member(c, "message");
  if (m && m->is_object()) {
    const Json* t = member(*m, "content");
    if (t && t->is_string()) out.content = t->get<std::string>();
    else if (t && t->is_array()) out.content = joined_text(*t);
    refusal = string_member(*m, "refusal");
    reasoning = string_member(*m, "reasoning_content");
    const Json* tc = member(*m, "tool_calls");
    for (const Json& e : tc && tc->is_array() ? *tc : Json::array()) {
      if (!e.is_object()) continue;
      const Json* f = member(e, "function");
      const Json* a = f ? member(*f, "arguments") : nullptr;
      calls.push_back(chat_tool_call(string_member(e, "id"), f ? string_member(*f, "name") : std::string{},
                                     a && a->is_string() ? a->get<std::string>() : std::string{},
                                     a && a->is_string(), limits));
    }
  } else {
    out.content = string_member(c, "text");  // legacy completions
  }
  set_finish(out, d, string_member(c, "finish_reason"), false);
  std::vector<ReasoningBlock> blocks;
  if (!reasoning.empty()) blocks.push_back(ReasoningBlock{std::move(reasoning)});
  out.detail = detail_of(std::move(calls), std::move(refusal), std::move(blocks));
  return out;
}

/// An Anthropic message's one choice, from its `content` blocks (message_blocks.hpp).
inline providers::Choice message_choice(const Json& j) {
  providers::Choice out;
  std::vector<ToolCall> calls;
  std::vector<ReasoningBlock> reasoning;
  const Json* content = member(j, "content");
  for (const Json& b : content && content->is_array() ? *content : Json::array()) {
    if (!b.is_object()) continue;
    const Json* type = member(b, "type");
    const std::string_view kind = type && type->is_string() ? type->get_ref<const std::string&>() : std::string_view{};
    if (kind == "tool_use") {
      ToolCall& call = calls.emplace_back(ToolCall{string_member(b, "id"), string_member(b, "name")});
      object_arguments(member(b, "input"), call);
    } else if (kind == "thinking") {
      reasoning.push_back(ReasoningBlock{string_member(b, "thinking"), string_member(b, "signature")});
    } else if (kind == "redacted_thinking") {
      reasoning.push_back(ReasoningBlock{{}, {}, string_member(b, "data")});
    } else if (const Json* t = member(b, "text"); t && t->is_string()) {
      out.content += t->get_ref<const std::string&>();
    }
  }
  set_finish(out, providers::Dialect::anthropic, string_member(j, "stop_reason"), !calls.empty());
  out.detail = detail_of(std::move(calls), std::string{}, std::move(reasoning));
  return out;
}

/// One of a Gemini reply's `candidates`, from its `content.parts` (gemini_candidates.hpp).
inline providers::Choice gemini_choice(const Json& c) {
  providers::Choice out;
  if (!c.is_object()) return out;
  std::vector<ToolCall> calls;
  std::vector<ReasoningBlock> reasoning;
  const Json* content = member(c, "content");
  const Json* parts = content ? member(*content, "parts") : nullptr;
  for (const Json& p : parts && parts->is_array() ? *parts : Json::array()) {
    if (!p.is_object()) continue;
    const Json* call = member(p, "functionCall");
    const Json* text = member(p, "text");
    const Json* thought = member(p, "thought");
    if (call && call->is_object()) {
      ToolCall& t = calls.emplace_back(ToolCall{string_member(*call, "id"), string_member(*call, "name")});
      if (t.id.empty()) t.id = placed_tool_id(calls.size() - 1);
      object_arguments(member(*call, "args"), t);
      t.signature = string_member(p, "thoughtSignature");
    } else if (text && text->is_string() && thought && thought->is_boolean() && thought->get<bool>()) {
      reasoning.push_back(ReasoningBlock{text->get<std::string>(), string_member(p, "thoughtSignature")});
    } else if (text && text->is_string()) {
      out.content += text->get_ref<const std::string&>();
    }
  }
  set_finish(out, providers::Dialect::gemini, string_member(c, "finishReason"), !calls.empty());
  out.detail = detail_of(std::move(calls), std::string{}, std::move(reasoning));
  return out;
}

}  // namespace detail

/// Every choice of a successful reply in `dialect`, from its parsed body, with its usage (when
/// it reads, as `usage_from_json` reads it) and its id: what the one-pass reader
/// (dialect/detail/answer_reader.hpp) reads from the same body, by the same rules. `limits`
/// bound the check of a chat-completions call's arguments string (is it one JSON object?).
inline providers::Completion completion_from_json(providers::Dialect dialect, const nlohmann::json& j,
                                                  const JsonLimits& limits = {});

/// The text of the first choice of a successful reply in `dialect`, from its parsed body.
inline std::string content_from_json(providers::Dialect dialect, const nlohmann::json& j) {
  return completion_from_json(dialect, j).content;
}

/// The text of the first choice of a successful reply in `dialect`; a `parse_error` when
/// the body is not a JSON object or is past `limits` (measured before it is parsed).
inline Result<std::string> extract_content(providers::Dialect dialect, std::string_view body, const JsonLimits& limits = {}) {
  auto j = parse_json(body, limits, "the reply body");
  if (!j) return tl::unexpected(j.error());
  if (!j->is_object()) return fail(Errc::parse_error, "the reply body is not a JSON object");
  return content_from_json(dialect, *j);
}

namespace detail {

/// A token count at `ptr`: 0 when absent, an error when present but not a count.
inline Result<std::int64_t> count_at(const nlohmann::json& j, const char* ptr) {
  const nlohmann::json::json_pointer p(ptr);
  if (!j.contains(p)) return 0;
  const auto& v = j.at(p);
  if (v.is_null()) return 0;
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
    return fail(Errc::parse_error, fmt::format("usage field {} is not a token count", ptr));
  return v.get<std::int64_t>();
}

}  // namespace detail

/// Reads usage from a parsed reply body.
inline Result<providers::Usage> usage_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail(Errc::parse_error, "reply body is not a JSON object");
  providers::Usage u;
  auto get = [&](const char* ptr, std::int64_t& out) -> bool {
    auto r = detail::count_at(j, ptr);
    if (!r) return false;
    out = *r;
    return true;
  };
  bool ok = true;
  if (j.contains("usageMetadata")) {  // Gemini
    std::int64_t thoughts = 0;
    ok = get("/usageMetadata/promptTokenCount", u.input_tokens) &&
         get("/usageMetadata/cachedContentTokenCount", u.cached_input_tokens) &&
         get("/usageMetadata/candidatesTokenCount", u.output_tokens) &&
         get("/usageMetadata/thoughtsTokenCount", thoughts);
    u.output_tokens += thoughts;
    u.reasoning_tokens = thoughts;
  } else if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("prompt_tokens")) {
    ok = get("/usage/prompt_tokens", u.input_tokens) &&  // OpenAI chat and compatibles
         get("/usage/completion_tokens", u.output_tokens) &&
         get("/usage/prompt_tokens_details/cached_tokens", u.cached_input_tokens) &&
         get("/usage/completion_tokens_details/reasoning_tokens", u.reasoning_tokens);
  } else if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("input_tokens")) {
    if (j["usage"].contains("input_tokens_details")) {  // OpenAI Responses API
      ok = get("/usage/input_tokens", u.input_tokens) && get("/usage/output_tokens", u.output_tokens) &&
           get("/usage/input_tokens_details/cached_tokens", u.cached_input_tokens) &&
           get("/usage/output_tokens_details/reasoning_tokens", u.reasoning_tokens);
    } else {  // Anthropic: input_tokens excludes the cache
      std::int64_t fresh = 0;
      ok = get("/usage/input_tokens", fresh) && get("/usage/output_tokens", u.output_tokens) &&
           get("/usage/cache_read_input_tokens", u.cached_input_tokens) &&
           get("/usage/cache_creation_input_tokens", u.cache_write_tokens);
      u.input_tokens = fresh + u.cached_input_tokens + u.cache_write_tokens;
    }
  } else {
    return fail(Errc::parse_error, "reply body has no usage");
  }
  if (!ok) return fail(Errc::parse_error, "reply usage has a field that is not a token count");
  if (u.cached_input_tokens + u.cache_write_tokens > u.input_tokens || u.reasoning_tokens > u.output_tokens)
    return fail(Errc::parse_error, "reply usage is inconsistent (cached tokens exceed the prompt)");
  return u;
}

/// Reads usage from reply text; a `parse_error` when it is not JSON or is past `limits`
/// (measured before it is parsed).
inline Result<providers::Usage> extract_usage(std::string_view body, const JsonLimits& limits = {}) {
  auto j = parse_json(body, limits, "the reply body");
  if (!j) return tl::unexpected(j.error());
  return usage_from_json(*j);
}

inline providers::Completion completion_from_json(providers::Dialect dialect, const nlohmann::json& j,
                                                  const JsonLimits& limits) {
  providers::Completion out;
  if (!j.is_object()) return out;
  detail::ChoiceList choices;
  if (dialect == providers::Dialect::anthropic) {
    choices.add(detail::message_choice(j));
  } else {
    const bool gemini = dialect == providers::Dialect::gemini;
    const nlohmann::json* list = detail::member(j, gemini ? "candidates" : "choices");
    for (const auto& c : list && list->is_array() ? *list : nlohmann::json::array())
      choices.add(gemini ? detail::gemini_choice(c) : detail::chat_choice(dialect, c, limits));
  }
  choices.into(out);
  if (auto u = usage_from_json(j)) out.usage = *u;
  const nlohmann::json* id = detail::member(j, dialect == providers::Dialect::gemini ? "responseId" : "id");
  if (id && id->is_string()) out.id = providers::RequestId(id->get_ref<const std::string&>());
  return out;
}

}  // namespace governed::dialect
