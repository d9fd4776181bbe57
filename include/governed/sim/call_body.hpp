#pragma once
/// @file
/// A request body read into a simulated call (`sim::CallBody`): the model, the messages
/// (each content's text, whatever shape it came in), the output asked for and the stream
/// flags — in each wire format's own field names. What a body gets wrong comes back as a
/// `BodyProblem`, which the server words in the provider's 400.
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
///
/// Anyone may send the simulator a body: each is measured against `JsonLimits` (size and
/// nesting) before it is parsed, and one past them is a 400 that says which limit.

#include <governed/json_limits.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/sim/call.hpp>
#include <governed/dialect/route.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::sim {

/// What is wrong with a body: a sentence, and the field it is about (may be empty).
struct BodyProblem {
  enum class Kind : std::uint8_t { not_json, missing, invalid };
  Kind kind = Kind::invalid;
  std::string param;
  std::string message;
};

/// A body read: owns its strings; `call(key)` lends them to a `sim::Call`.
struct CallBody {
  std::string model;
  std::vector<std::string> roles, contents;
  std::uint32_t max_tokens = 1024;
  std::uint32_t n = 1;
  bool stream = false;
  /// OpenAI's `stream_options.include_usage`: a final chunk with the usage.
  bool include_usage = false;

  /// The call as `sim::Provider::handle` takes it. `messages` is filled here and must outlive
  /// the call, as must this body and `key`.
  Call call(std::string_view key, std::vector<providers::ChatMessage>& messages) const {
    messages.clear();
    messages.reserve(contents.size());
    for (std::size_t i = 0; i < contents.size(); ++i) messages.push_back({roles[i], contents[i]});
    return Call{model, key, messages, max_tokens, n, stream};
  }
};

namespace body_detail {

using json = nlohmann::json;

inline const char* type_name(const json& j) noexcept {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_float: return "a decimal";
    default: return "an integer";
  }
}

inline BodyProblem missing(std::string param) {
  std::string message = fmt::format("Missing required parameter: '{}'.", param);
  return {BodyProblem::Kind::missing, std::move(param), std::move(message)};
}

inline BodyProblem wrong_type(std::string param, const char* expected, const json& got) {
  std::string message = fmt::format("Invalid type for '{}': expected {}, but got {} instead.", param, expected, type_name(got));
  return {BodyProblem::Kind::invalid, std::move(param), std::move(message)};
}

/// An integer field within [lo, hi]; `fallback` when absent or null.
inline tl::expected<std::uint32_t, BodyProblem> integer(const json& body, const char* name, std::int64_t lo,
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

inline tl::expected<bool, BodyProblem> boolean(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean()) return tl::unexpected(wrong_type(name, "a boolean", *it));
  return it->get<bool>();
}

/// The text of a content: a string, or the text of an array of parts (`text` fields joined;
/// any other part counted by its JSON).
inline tl::expected<std::string, BodyProblem> content_text(const json& c, const std::string& param) {
  if (c.is_string()) return c.get<std::string>();
  if (c.is_null()) return std::string{};
  if (!c.is_array()) return tl::unexpected(wrong_type(param, "a string or an array", c));
  std::string out;
  for (const auto& part : c) {
    if (!part.is_object()) return tl::unexpected(wrong_type(param + "[]", "an object", part));
    if (auto t = part.find("text"); t != part.end() && t->is_string()) {
      out += t->get_ref<const std::string&>();
    } else {
      out += part.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  return out;
}

/// The body as a JSON object. Its size and nesting are measured before it is parsed: the
/// readers below walk and copy parts of the tree, which recurses on their depth.
inline tl::expected<json, BodyProblem> object_of(std::string_view text, const JsonLimits& limits) {
  if (auto within = check_json_limits(text, limits, "the request body"); !within) {
    std::string message = std::move(within.error().message);  // "the request body nests deeper than …"
    message.front() = 'T';
    message += '.';
    return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, {}, std::move(message)});
  }
  json body = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return tl::unexpected(BodyProblem{BodyProblem::Kind::not_json, {}, "The request body is not valid JSON."});
  if (!body.is_object())
    return tl::unexpected(BodyProblem{BodyProblem::Kind::not_json, {}, "The request body must be a JSON object."});
  return body;
}

inline tl::expected<void, BodyProblem> model_field(const json& body, CallBody& out) {
  auto m = body.find("model");
  if (m == body.end() || m->is_null()) return tl::unexpected(missing("model"));
  if (!m->is_string()) return tl::unexpected(wrong_type("model", "a string", *m));
  out.model = m->get<std::string>();
  if (out.model.empty()) return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, "model", "'model' must not be empty."});
  return {};
}

/// `messages: [{role, content}]`, as OpenAI and Anthropic take them.
inline tl::expected<void, BodyProblem> messages_field(const json& body, CallBody& out) {
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

}  // namespace body_detail

/// OpenAI chat completions (and Azure's, whose deployment `route.model` names the model).
inline tl::expected<CallBody, BodyProblem> openai_call(std::string_view text, const governed::dialect::Route& route, const JsonLimits& limits = {}) {
  using namespace body_detail;
  auto parsed = object_of(text, limits);
  if (!parsed) return tl::unexpected(parsed.error());
  const json& body = *parsed;
  CallBody out;
  if (!route.model.empty()) {
    out.model = route.model;
  } else if (auto m = model_field(body, out); !m) {
    return tl::unexpected(m.error());
  }
  if (auto m = messages_field(body, out); !m) return tl::unexpected(m.error());
  const char* limit = body.contains("max_completion_tokens") && !body["max_completion_tokens"].is_null()
                          ? "max_completion_tokens" : "max_tokens";
  auto max = integer(body, limit, 1, std::numeric_limits<std::int32_t>::max(), out.max_tokens);
  if (!max) return tl::unexpected(max.error());
  out.max_tokens = *max;
  auto n = integer(body, "n", 1, 128, 1);
  if (!n) return tl::unexpected(n.error());
  out.n = *n;
  auto stream = boolean(body, "stream");
  if (!stream) return tl::unexpected(stream.error());
  out.stream = *stream;
  if (auto so = body.find("stream_options"); so != body.end() && !so->is_null()) {
    if (!so->is_object()) return tl::unexpected(wrong_type("stream_options", "an object", *so));
    if (!out.stream)
      return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, "stream_options",
                                        "The 'stream_options' parameter is only allowed when 'stream' is enabled."});
    auto usage = boolean(*so, "include_usage");
    if (!usage) return tl::unexpected(BodyProblem{BodyProblem::Kind::invalid, "stream_options.include_usage", usage.error().message});
    out.include_usage = *usage;
  }
  return out;
}

/// Anthropic messages: `max_tokens` is required, `system` a string or text blocks.
inline tl::expected<CallBody, BodyProblem> anthropic_call(std::string_view text, const JsonLimits& limits = {}) {
  using namespace body_detail;
  auto parsed = object_of(text, limits);
  if (!parsed) return tl::unexpected(parsed.error());
  const json& body = *parsed;
  CallBody out;
  if (auto m = model_field(body, out); !m) return tl::unexpected(m.error());
  if (auto s = body.find("system"); s != body.end() && !s->is_null()) {
    auto sys = content_text(*s, "system");
    if (!sys) return tl::unexpected(sys.error());
    out.roles.emplace_back("system");
    out.contents.push_back(std::move(*sys));
  }
  if (auto m = messages_field(body, out); !m) return tl::unexpected(m.error());
  if (!body.contains("max_tokens") || body["max_tokens"].is_null()) return tl::unexpected(missing("max_tokens"));
  auto max = integer(body, "max_tokens", 1, std::numeric_limits<std::int32_t>::max(), out.max_tokens);
  if (!max) return tl::unexpected(max.error());
  out.max_tokens = *max;
  auto stream = boolean(body, "stream");
  if (!stream) return tl::unexpected(stream.error());
  out.stream = *stream;
  out.include_usage = true;
  return out;
}

/// Gemini generateContent: the model and the stream come from the route.
inline tl::expected<CallBody, BodyProblem> gemini_call(std::string_view text, const governed::dialect::Route& route, const JsonLimits& limits = {}) {
  using namespace body_detail;
  auto parsed = object_of(text, limits);
  if (!parsed) return tl::unexpected(parsed.error());
  const json& body = *parsed;
  CallBody out;
  out.model = route.model;
  out.stream = route.stream;
  out.include_usage = true;
  auto parts_text = [&](const json& holder, const std::string& at) -> tl::expected<std::string, BodyProblem> {
    if (!holder.is_object()) return tl::unexpected(wrong_type(at, "an object", holder));
    auto parts = holder.find("parts");
    if (parts == holder.end() || parts->is_null()) return std::string{};
    return content_text(*parts, at + ".parts");
  };
  if (auto s = body.find("systemInstruction"); s != body.end() && !s->is_null()) {
    auto sys = parts_text(*s, "systemInstruction");
    if (!sys) return tl::unexpected(sys.error());
    out.roles.emplace_back("system");
    out.contents.push_back(std::move(*sys));
  }
  auto contents = body.find("contents");
  if (contents == body.end() || contents->is_null() || (contents->is_array() && contents->empty()))
    return tl::unexpected(BodyProblem{BodyProblem::Kind::missing, "contents", "* GenerateContentRequest.contents: contents is not specified\n"});
  if (!contents->is_array()) return tl::unexpected(wrong_type("contents", "an array", *contents));
  std::size_t i = 0;
  for (const auto& c : *contents) {
    const std::string at = fmt::format("contents[{}]", i++);
    auto t = parts_text(c, at);
    if (!t) return tl::unexpected(t.error());
    std::string role = "user";
    if (auto r = c.find("role"); r != c.end() && r->is_string()) role = r->get<std::string>() == "model" ? "assistant" : "user";
    out.roles.push_back(std::move(role));
    out.contents.push_back(std::move(*t));
  }
  if (auto g = body.find("generationConfig"); g != body.end() && !g->is_null()) {
    if (!g->is_object()) return tl::unexpected(wrong_type("generationConfig", "an object", *g));
    auto max = integer(*g, "maxOutputTokens", 1, std::numeric_limits<std::int32_t>::max(), out.max_tokens);
    if (!max) return tl::unexpected(max.error());
    out.max_tokens = *max;
    auto n = integer(*g, "candidateCount", 1, 8, 1);
    if (!n) return tl::unexpected(n.error());
    out.n = *n;
  }
  return out;
}

/// The body of a request on `route`, in its format. A body past `limits` (16 MiB, 64 levels by
/// default) is refused before it is parsed.
inline tl::expected<CallBody, BodyProblem> read_call(std::string_view text, const governed::dialect::Route& route, const JsonLimits& limits = {}) {
  switch (route.format) {
    case governed::dialect::Format::anthropic: return anthropic_call(text, limits);
    case governed::dialect::Format::gemini: return gemini_call(text, route, limits);
    case governed::dialect::Format::openai:
    case governed::dialect::Format::azure: break;
  }
  return openai_call(text, route, limits);
}

}  // namespace governed::sim
