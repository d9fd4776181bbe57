#pragma once
/// @file
/// The generated text of a successful reply, in each provider's shape.
///
/// OpenAI and the compatibles put it in `choices[0].message.content`, Anthropic in the `text`
/// blocks of `content`, Gemini in the `text` parts of `candidates[0].content.parts`. A reply
/// without text (a tool call, an empty candidate) is an empty string, not an error: the caller
/// still has the whole body. A body that is not JSON is a `parse_error`.
///
/// `content_from_json` walks a tree it is given and copies parts of it, which recurses on
/// their depth: give it trees from `parse_json`, whose depth is bounded.

#include <governed/json_limits.hpp>
#include <governed/error.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace governed::providers {

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
inline std::string content_from_json(Dialect dialect, const nlohmann::json& j) {
  if (!j.is_object()) return std::string{};
  switch (dialect) {
    case Dialect::anthropic: return detail::joined_text(j.value("content", nlohmann::json{}));
    case Dialect::gemini: {
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
inline Result<std::string> extract_content(Dialect dialect, std::string_view body, const JsonLimits& limits = {}) {
  auto j = parse_json(body, limits, "the reply body");
  if (!j) return tl::unexpected(j.error());
  if (!j->is_object()) return fail(Errc::parse_error, "the reply body is not a JSON object");
  return content_from_json(dialect, *j);
}

}  // namespace governed::providers
