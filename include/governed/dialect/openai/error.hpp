#pragma once
/// @file
/// An error reply from OpenAI and the providers that speak its API (Groq, DeepSeek; Mistral's flat
/// `{"object":"error","message","type","code"}`; OpenRouter's `error.metadata` with the upstream's
/// own words and limit headers), read into `providers::ErrorBody`:
/// `{"error":{"message","type","code","param"}}`. The reading is the shape-neutral one
/// (dialect/detail/error_reader.hpp): a gateway in front of the provider may answer in another
/// shape, and every shape is read. Written (`encode_error`) in each flavour's own shape, as
/// governed-sim answers.

#include <governed/dialect/detail/error_reader.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/table.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

namespace governed::dialect::openai {

/// The fields of an error body. Never throws; a body that is not JSON, or is past `limits`,
/// is its text (the first 2000 bytes) as the message.
inline providers::ErrorBody decode_error(std::string_view body, const JsonLimits& limits = error_body_limits) {
  return governed::dialect::detail::read_error_body(body, limits);
}

namespace error_writing {

/// A field's text, or `null` when it is empty.
inline nlohmann::json text_or_null(std::string_view s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

/// `code` as the number it spells (OpenRouter writes the HTTP status), else as text.
inline nlohmann::json number_or_text(std::string_view code) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), v);
  if (ec == std::errc{} && end == code.data() + code.size()) return v;
  return code;
}

}  // namespace error_writing

/// An error written as a provider of `flavour` writes it: OpenAI's
/// `{"error":{"message","type","param","code"}}` (Groq, DeepSeek and the compatibles too; an
/// empty type, code or param is `null`); Mistral's flat `{"object":"error","message","type",
/// "param","code"}`, or its gateway's `{"message","request_id"}` when `e.type` is empty;
/// OpenRouter's `{"error":{"message","code"}}` with the HTTP status as the code.
inline std::string encode_error(const providers::ErrorBody& e, providers::Dialect flavour = providers::Dialect::openai,
                                const ErrorMeta& meta = {}) {
  using error_writing::text_or_null;
  switch (flavour) {
    case providers::Dialect::mistral:
      if (e.type.empty()) return nlohmann::json{{"message", e.message}, {"request_id", meta.request_id}}.dump();
      return nlohmann::json{{"object", "error"}, {"message", e.message}, {"type", e.type},
                            {"param", text_or_null(meta.param)}, {"code", text_or_null(e.code)}}.dump();
    case providers::Dialect::openrouter:
      return nlohmann::json{{"error", {{"message", e.message}, {"code", error_writing::number_or_text(e.code)}}}}.dump();
    default:
      return nlohmann::json{{"error", {{"message", e.message}, {"type", text_or_null(e.type)},
                                       {"param", text_or_null(meta.param)}, {"code", text_or_null(e.code)}}}}.dump();
  }
}

}  // namespace governed::dialect::openai
