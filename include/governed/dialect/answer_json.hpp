#pragma once
/// @file
/// A successful reply's text and usage read from a parsed document, in each provider's shape.
///
/// The call path reads replies in one pass without a document (`dialect::decode_completion`,
/// dialect/reply.hpp). These readers are for callers that already hold a document — a
/// transport that received a whole body where it asked for a stream, governed-sim reading a
/// canned reply — and they are the oracle the one-pass reader is held to (tests/dialect/reply.cpp,
/// fuzz/dialect_<home>.cpp).
///
/// Text: OpenAI and the compatibles put it in `choices[0].message.content`, Anthropic in the
/// `text` blocks of `content`, Gemini in the `text` parts of `candidates[0].content.parts`. A
/// reply without text (a tool call, an empty candidate) is an empty string, not an error: the
/// caller still has the whole body. A body that is not JSON is a `parse_error`.
///
/// Usage: every shape is read whatever the dialect (OpenAI chat and Responses, Anthropic,
/// Gemini), as providers::Usage describes them.
///
/// `content_from_json` walks a tree it is given and copies parts of it, which recurses on
/// their depth: give it trees from `parse_json`, whose depth is bounded.

#include <governed/error.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/usage.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace governed::dialect {

namespace detail {

/// The concatenated `text` members of the objects in `blocks` (Anthropic blocks, Gemini parts).
inline std::string joined_text(const nlohmann::json& blocks) {
  std::string out;
  if (!blocks.is_array()) return out;
  for (const auto& b : blocks) {
    if (!b.is_object()) continue;
    auto t = b.find("text");
    if (t != b.end() && t->is_string()) out += t->get_ref<const std::string&>();
  }
  return out;
}

}  // namespace detail

/// The text of the first choice of a successful reply in `dialect`, from its parsed body.
inline std::string content_from_json(providers::Dialect dialect, const nlohmann::json& j) {
  if (!j.is_object()) return std::string{};
  switch (dialect) {
    case providers::Dialect::anthropic: return detail::joined_text(j.value("content", nlohmann::json{}));
    case providers::Dialect::gemini: {
      auto c = j.find("candidates");
      if (c == j.end() || !c->is_array() || c->empty() || !(*c)[0].is_object()) return std::string{};
      const auto& content = (*c)[0].value("content", nlohmann::json::object());
      return content.is_object() ? detail::joined_text(content.value("parts", nlohmann::json{})) : std::string{};
    }
    default: {
      auto c = j.find("choices");
      if (c == j.end() || !c->is_array() || c->empty() || !(*c)[0].is_object()) return std::string{};
      const auto& first = (*c)[0];
      auto m = first.find("message");
      if (m != first.end() && m->is_object()) {
        auto t = m->find("content");
        if (t != m->end() && t->is_string()) return t->get<std::string>();
        if (t != m->end() && t->is_array()) return detail::joined_text(*t);
        return std::string{};
      }
      auto t = first.find("text");  // legacy completions
      return t != first.end() && t->is_string() ? t->get<std::string>() : std::string{};
    }
  }
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

}  // namespace governed::dialect
