#pragma once
/// @file
/// The field readers every home's `decode_request` shares: the body parsed within its
/// `JsonLimits`, the model, the messages, integers within a range, booleans, a content's text.
/// Their messages are the words OpenAI's 400s use ("Missing required parameter: 'model'."),
/// which governed-sim sends back for every format.
///
/// Anyone may send a body: each is measured against `JsonLimits` (size and nesting) before it
/// is parsed, and one past them is a problem that says which limit.

#include <governed/dialect/request_body.hpp>
#include <governed/json_limits.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace governed::dialect::detail {

inline const char* type_name(const nlohmann::json& j) noexcept {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_float: return "a decimal";
    default: return "an integer";
  }
}

inline BodyProblem missing(std::string param) {
  std::string message = fmt::format("Missing required parameter: '{}'.", param);
  return {BodyProblem::Kind::missing, std::move(param), std::move(message)};
}

inline BodyProblem wrong_type(std::string param, const char* expected, const nlohmann::json& got) {
  std::string message = fmt::format("Invalid type for '{}': expected {}, but got {} instead.", param, expected, type_name(got));
  return {BodyProblem::Kind::invalid, std::move(param), std::move(message)};
}

/// An integer field within [lo, hi]; `fallback` when absent or null.
inline tl::expected<std::uint32_t, BodyProblem> integer(const nlohmann::json& body, const char* name, std::int64_t lo,
                                                        std::int64_t hi, std::uint32_t fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return tl::unexpected(wrong_type(name, "an integer", *it));
  // Read as signed or unsigned: a huge unsigned value is above the maximum, not negative.
  const bool negative = it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() < 0;
  const std::uint64_t magnitude = negative ? 0 : it->get<std::uint64_t>();
  if (negative || magnitude < static_cast<std::uint64_t>(lo))
    return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, name,
                                      fmt::format("Invalid '{}': integer below minimum value. Expected a value >= {}, but got {} instead.",
                                                  name, lo, it->dump())});
  if (magnitude > static_cast<std::uint64_t>(hi))
    return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, name,
                                      fmt::format("Invalid '{}': integer above maximum value. Expected a value <= {}, but got {} instead.",
                                                  name, hi, it->dump())});
  return static_cast<std::uint32_t>(magnitude);
}

inline tl::expected<bool, BodyProblem> boolean(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean()) return tl::unexpected(wrong_type(name, "a boolean", *it));
  return it->get<bool>();
}

/// The text of a content: a string, or the text of an array of parts (`text` fields joined;
/// any other part counted by its JSON).
inline tl::expected<std::string, BodyProblem> content_text(const nlohmann::json& c, const std::string& param) {
  if (c.is_string()) return c.get<std::string>();
  if (c.is_null()) return std::string{};
  if (!c.is_array()) return tl::unexpected(wrong_type(param, "a string or an array", c));
  std::string out;
  for (const auto& part : c) {
    if (!part.is_object()) return tl::unexpected(wrong_type(param + "[]", "an object", part));
    if (auto t = part.find("text"); t != part.end() && t->is_string()) {
      out += t->get_ref<const std::string&>();
    } else {
      out += part.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return out;
}

/// The body as a JSON object. Its size and nesting are measured before it is parsed: the
/// readers below walk and copy parts of the tree, which recurses on their depth.
inline tl::expected<nlohmann::json, BodyProblem> object_of(std::string_view text, const JsonLimits& limits) {
  if (auto within = check_json_limits(text, limits, "the request body"); !within) {
    std::string message = std::move(within.error().message);  // "the request body nests deeper than …"
    message.front() = 'T';
    message += '.';
    return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, {}, std::move(message)});
  }
  nlohmann::json body = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return tl::unexpected(BodyProblem{BodyProblem::Kind::not_json, {}, "The request body is not valid JSON."});
  if (!body.is_object())
    return tl::unexpected(BodyProblem{BodyProblem::Kind::not_json, {}, "The request body must be a JSON object."});
  return body;
}

inline tl::expected<void, BodyProblem> model_field(const nlohmann::json& body, RequestBody& out) {
  auto m = body.find("model");
  if (m == body.end() || m->is_null()) return tl::unexpected(missing("model"));
  if (!m->is_string()) return tl::unexpected(wrong_type("model", "a string", *m));
  out.model = m->get<std::string>();
  if (out.model.empty()) return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, "model", "'model' must not be empty."});
  return {};
}

/// `messages: [{role, content}]`, as OpenAI and Anthropic take them.
inline tl::expected<void, BodyProblem> messages_field(const nlohmann::json& body, RequestBody& out) {
  auto ms = body.find("messages");
  if (ms == body.end() || ms->is_null()) return tl::unexpected(missing("messages"));
  if (!ms->is_array()) return tl::unexpected(wrong_type("messages", "an array", *ms));
  if (ms->empty())
    return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, "messages",
                                      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."});
  std::size_t i = 0;
  for (const auto& m : *ms) {
    const std::string at = fmt::format("messages[{}]", i++);
    if (!m.is_object()) return tl::unexpected(wrong_type(at, "an object", m));
    auto role = m.find("role");
    if (role == m.end() || role->is_null()) return tl::unexpected(missing(at + ".role"));
    if (!role->is_string()) return tl::unexpected(wrong_type(at + ".role", "a string", *role));
    auto content = m.find("content");
    auto text = content == m.end() ? tl::expected<std::string, BodyProblem>(std::string{})
                                   : content_text(*content, at + ".content");
    if (!text) return tl::unexpected(text.error());
    out.roles.push_back(role->get<std::string>());
    out.contents.push_back(std::move(*text));
  }
  return {};
}

}  // namespace governed::dialect::detail
