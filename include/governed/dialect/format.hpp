#pragma once
/// @file
/// Which wire API an attempt speaks: a dialect's home.
///
/// The provider table's dialect is a provider's flavour (OpenAI, Groq, OpenRouter, Mistral,
/// DeepSeek, Azure, Anthropic, Gemini); the format is the API it speaks. Anthropic and Gemini
/// have their own, Azure its deployment URLs, and every other flavour (an OpenAI-compatible
/// base URL too) speaks chat completions. A provider the table does not know speaks chat
/// completions.

#include <governed/providers/table.hpp>

#include <cstdint>
#include <string_view>

namespace governed::dialect {

enum class Format : std::uint8_t { openai, azure, anthropic, gemini };

constexpr Format format_of(providers::Dialect d) noexcept {
  switch (d) {
    case providers::Dialect::anthropic: return Format::anthropic;
    case providers::Dialect::gemini: return Format::gemini;
    case providers::Dialect::azure: return Format::azure;
    default: return Format::openai;
  }
}

constexpr std::string_view to_string(Format f) noexcept {
  switch (f) {
    case Format::openai: return "openai";
    case Format::azure: return "azure";
    case Format::anthropic: return "anthropic";
    case Format::gemini: return "gemini";
  }
  return "openai";
}

}  // namespace governed::dialect
