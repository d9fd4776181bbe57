#pragma once
/// @file
/// `OutputFormat`: what shape the answer's text must have — free text, any JSON object (JSON
/// mode), or JSON valid under a schema. OpenAI's `response_format` (`json_object`,
/// `json_schema: {name, schema, strict}`), Gemini's `responseMimeType` and `responseSchema`,
/// and for Anthropic, which has no such field, a tool the model is made to call whose input is
/// the answer.

#include <governed/json_text.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace governed {

struct OutputFormat {
  enum class Kind : std::uint8_t { text, json_object, json_schema };
  Kind kind = Kind::text;
  /// The schema's name (OpenAI requires one: `^[a-zA-Z0-9_-]{1,64}$`).
  std::string name{};
  /// The JSON schema of the answer (json_schema only).
  JsonText schema{};
  /// Hold the answer to the schema exactly (OpenAI's strict mode and its subset of JSON
  /// Schema); a provider that can only follow a schema loosely is then no candidate.
  bool strict = false;

  /// Any JSON object.
  static OutputFormat json() { return {Kind::json_object, {}, {}, false}; }
  /// JSON valid under `schema`, named `name`.
  static OutputFormat json_schema(std::string name, JsonText schema, bool strict = true) {
    return {Kind::json_schema, std::move(name), std::move(schema), strict};
  }

  friend bool operator==(const OutputFormat&, const OutputFormat&) = default;
};

}  // namespace governed
