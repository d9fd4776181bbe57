#pragma once
/// @file
/// What a successful reply says it used, from OpenAI (chat and Responses), Anthropic and
/// Gemini bodies, in one shape. The shapes differ in a way that matters for cost: OpenAI's
/// `prompt_tokens` include the cached ones, Anthropic's `input_tokens` exclude both cache
/// reads and cache writes, and Gemini bills thinking tokens as output.

#include <governed/json_limits.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

namespace governed::providers {

struct Usage {
  std::int64_t input_tokens = 0;         ///< every prompt token, cached or not
  std::int64_t cached_input_tokens = 0;  ///< of those, read from the prompt cache
  std::int64_t cache_write_tokens = 0;   ///< of those, written to the cache (Anthropic)
  std::int64_t output_tokens = 0;        ///< every generated token, reasoning included
  std::int64_t reasoning_tokens = 0;     ///< of those, hidden reasoning
  std::int64_t total() const noexcept { return input_tokens + output_tokens; }
  friend bool operator==(const Usage&, const Usage&) = default;
};

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
inline Result<Usage> usage_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail(Errc::parse_error, "reply body is not a JSON object");
  Usage u;
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
inline Result<Usage> extract_usage(std::string_view body, const JsonLimits& limits = {}) {
  auto j = parse_json(body, limits, "the reply body");
  if (!j) return tl::unexpected(j.error());
  return usage_from_json(*j);
}

}  // namespace governed::providers
