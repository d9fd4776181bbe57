#pragma once
/// @file
/// What a successful reply says it used, from OpenAI (chat and Responses), Anthropic and
/// Gemini bodies, in one shape. The shapes differ in a way that matters for cost: OpenAI's
/// `prompt_tokens` include the cached ones, Anthropic's `input_tokens` exclude both cache
/// reads and cache writes, and Gemini bills thinking tokens as output. The readers of those
/// shapes live with the dialects: `dialect::decode_completion` (dialect/reply.hpp) on the call
/// path, `dialect::usage_from_json` (dialect/answer_json.hpp) over a parsed document.

#include <cstdint>

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

}  // namespace governed::providers
