#pragma once
/// @file
/// A request body as a provider reads it (`dialect::RequestBody`): the model, the messages
/// (each content's text, whatever shape it came in), the output asked for and the stream
/// flags. Each home reads its own format's field names (`dialect/<home>/request.hpp`,
/// `decode_request`); the dispatch over the formats is `dialect::decode_request` in
/// dialect/request.hpp. What a body gets wrong comes back as a `BodyProblem`, which
/// governed-sim words in the provider's 400 (sim/request_errors.hpp).
///
/// | format    | model            | output limit                                 | choices               | stream |
/// |-----------|------------------|----------------------------------------------|-----------------------|--------|
/// | openai    | `model`          | `max_completion_tokens` or `max_tokens`      | `n` (1..128)          | `stream`, `stream_options.include_usage` |
/// | azure     | the deployment   | the same                                     | the same              | the same |
/// | anthropic | `model`          | `max_tokens` (required)                      | one                   | `stream` |
/// | gemini    | the path         | `generationConfig.maxOutputTokens`           | `candidateCount` (1..8) | the endpoint |
///
/// Message content may be a string or an array of parts (`{"type": "text", "text"}`,
/// Gemini's `{"text"}`); the text parts are joined, other parts (images, tool calls) are
/// counted by their JSON size. System prompts (Anthropic's `system`, Gemini's
/// `systemInstruction`) count as a system message.

#include <cstdint>
#include <string>
#include <vector>

namespace governed::dialect {

/// What is wrong with a body: a sentence, and the field it is about (may be empty).
struct BodyProblem {
  enum class Kind : std::uint8_t { not_json, missing, invalid };
  Kind kind = Kind::invalid;
  std::string param;
  std::string message;
};

/// A body read; owns its strings (governed-sim lends them to a `sim::Call`, sim/call.hpp).
struct RequestBody {
  std::string model;
  std::vector<std::string> roles, contents;
  std::uint32_t max_tokens = 1024;
  std::uint32_t n = 1;
  bool stream = false;
  /// OpenAI's `stream_options.include_usage`: a final chunk with the usage.
  bool include_usage = false;
};

}  // namespace governed::dialect
