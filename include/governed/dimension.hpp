#pragma once
/// @file
/// `Dimension`: what a limit set counts — requests, tokens and their split per minute and per
/// day, concurrency and stagger. Its own light header: the provider headers' readings name the
/// dimension they sync (providers/headers.hpp) without the limit sets' machinery.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace governed {

/// The dimensions a provider limits. The rate dimensions run the set's limiter family;
/// concurrency and stagger are dimensions of their own kind.
enum class Dimension : std::uint8_t {
  requests_per_minute,
  tokens_per_minute,
  input_tokens_per_minute,   // Anthropic splits tokens per minute into input and output
  output_tokens_per_minute,
  requests_per_day,
  tokens_per_day,
  concurrency,
  stagger,
  none,
};

inline constexpr std::size_t rate_dimensions = 6;

constexpr std::string_view to_string(Dimension d) noexcept {
  switch (d) {
    case Dimension::requests_per_minute: return "requests_per_minute";
    case Dimension::tokens_per_minute: return "tokens_per_minute";
    case Dimension::input_tokens_per_minute: return "input_tokens_per_minute";
    case Dimension::output_tokens_per_minute: return "output_tokens_per_minute";
    case Dimension::requests_per_day: return "requests_per_day";
    case Dimension::tokens_per_day: return "tokens_per_day";
    case Dimension::concurrency: return "concurrency";
    case Dimension::stagger: return "stagger";
    case Dimension::none: return "none";
  }
  return "unknown";
}

}  // namespace governed
