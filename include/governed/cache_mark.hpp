#pragma once
/// @file
/// `CacheMark`: a prompt-cache breakpoint the caller places after a part, a message or a tool
/// (Anthropic's `cache_control: {"type": "ephemeral", "ttl": "5m" | "1h"}`). The provider
/// caches the prompt up to it; the next call that repeats that prefix reads it at the cached
/// input price, and the call that writes it pays the cache-write price (providers/cost.hpp).
/// Providers that cache on their own (OpenAI, Gemini) take no marks: their encoders leave
/// them out.
///
/// https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching

#include <cstdint>

namespace governed {

struct CacheMark {
  /// How long the provider keeps the prefix: 5 minutes, or an hour at a higher write price.
  enum class Ttl : std::uint8_t { five_minutes, one_hour };
  Ttl ttl = Ttl::five_minutes;

  friend bool operator==(const CacheMark&, const CacheMark&) = default;
};

}  // namespace governed
