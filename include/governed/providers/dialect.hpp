#pragma once
/// @file
/// `providers::Dialect`: the flavour of API a provider speaks, as the table names it. A light
/// header of its own, so what passes between `Governed` and a transport (attempt.hpp) can say
/// which dialect an attempt is in without the table and its JSON reader.

#include <cstdint>

namespace governed::providers {

/// Which dialect a provider's requests are written in and its replies and errors read in.
enum class Dialect : std::uint8_t {
  openai, anthropic, gemini, azure, openrouter, mistral, groq, deepseek,
};

}  // namespace governed::providers
