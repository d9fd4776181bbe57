#pragma once
/// @file
/// The fields of a provider's error body, read once into one provider-neutral shape.
///
/// Providers nest the same facts differently: OpenAI and its compatibles
/// `{"error":{"message","type","code","param"}}`, Anthropic
/// `{"type":"error","error":{"type","message"}}`, Gemini and Vertex
/// `{"error":{"code","message","status","details":[QuotaFailure, RetryInfo, ErrorInfo]}}`
/// (streaming endpoints wrap it in an array), OpenRouter adds `error.metadata.headers` and
/// `error.metadata.raw`, Mistral `{"object":"error","message","type","code":"1300"}`, RFC 7807
/// gateways `{"title","detail","status"}`, Bedrock `{"message"}`, and some send plain text.

#include <governed/providers/wait.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace governed::providers {

struct ErrorBody {
  bool json = false;           ///< the body parsed as JSON
  std::string message;         ///< the human text (error.message, message, detail, or the text)
  std::string code;            ///< error.code, numbers as decimal text
  std::string type;            ///< error.type (Anthropic, OpenAI) or the top-level type
  std::string status;          ///< Gemini's error.status (RESOURCE_EXHAUSTED, ...)
  std::vector<std::string> reasons;    ///< errors[].reason, ErrorInfo.reason
  std::vector<std::string> quota_ids;  ///< QuotaFailure violations: quotaId and quotaMetric
  std::optional<Duration> retry_delay; ///< RetryInfo.retryDelay
  std::string upstream;        ///< OpenRouter's error.metadata.raw: the upstream's own words
  std::vector<std::pair<std::string, std::string>> meta_headers;  ///< error.metadata.headers
};

namespace detail {

/// Bodies nested deeper than this are not provider errors; refusing them before parsing keeps
/// hostile input from costing stack or time.
inline constexpr int max_body_depth = 32;
inline constexpr std::size_t max_body_bytes = 256 * 1024;

inline bool shallow_enough(std::string_view body) noexcept {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_body_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

inline std::string scalar_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<std::int64_t>());
  if (j.is_number_unsigned()) return std::to_string(j.get<std::uint64_t>());
  return {};
}

inline const nlohmann::json* member(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline std::string member_text(const nlohmann::json& j, std::string_view key) {
  const auto* m = member(j, key);
  return m ? scalar_text(*m) : std::string{};
}

inline void read_details(const nlohmann::json& details, ErrorBody& out) {
  if (!details.is_array()) return;
  for (const auto& d : details) {
    if (!d.is_object()) continue;
    const std::string at = member_text(d, "@type");
    if (at.ends_with("QuotaFailure")) {
      if (const auto* v = member(d, "violations"); v && v->is_array())
        for (const auto& x : *v) {
          if (auto id = member_text(x, "quotaId"); !id.empty()) out.quota_ids.push_back(id);
          if (auto m = member_text(x, "quotaMetric"); !m.empty()) out.quota_ids.push_back(m);
        }
    } else if (at.ends_with("RetryInfo")) {
      // google.protobuf.Duration in JSON: "26s", "1.5s".
      if (auto rd = member_text(d, "retryDelay"); !rd.empty()) out.retry_delay = parse_go_duration(rd);
    } else if (at.ends_with("ErrorInfo")) {
      if (auto r = member_text(d, "reason"); !r.empty()) out.reasons.push_back(r);
    }
  }
}

}  // namespace detail

/// Reads an error body. Never throws for any input; a body that is not JSON (or is too deep
/// or too large to be an error) becomes the message text.
inline ErrorBody read_error_body(std::string_view body) {
  ErrorBody out;
  std::string_view trimmed = detail::trim(body);
  if (trimmed.empty()) return out;
  const bool looks_json = trimmed.front() == '{' || trimmed.front() == '[';
  nlohmann::json j;
  if (looks_json && trimmed.size() <= detail::max_body_bytes && detail::shallow_enough(trimmed)) {
    j = nlohmann::json::parse(trimmed.begin(), trimmed.end(), nullptr, false);
  } else {
    j = nlohmann::json(nlohmann::json::value_t::discarded);
  }
  if (j.is_discarded()) {
    out.message.assign(trimmed.substr(0, 2000));
    return out;
  }
  out.json = true;
  // Streaming endpoints (Gemini, Vertex) send the error as the first element of an array.
  if (j.is_array() && !j.empty()) j = nlohmann::json(j.front());
  if (!j.is_object()) return out;

  const nlohmann::json* err = detail::member(j, "error");
  if (err && err->is_string()) {
    out.message = err->get<std::string>();
    err = nullptr;
  }
  if (err && err->is_object()) {
    out.message = detail::member_text(*err, "message");
    out.code = detail::member_text(*err, "code");
    out.type = detail::member_text(*err, "type");
    out.status = detail::member_text(*err, "status");
    if (const auto* es = detail::member(*err, "errors"); es && es->is_array())
      for (const auto& e : *es) {
        if (auto r = detail::member_text(e, "reason"); !r.empty()) out.reasons.push_back(r);
        if (out.message.empty()) out.message = detail::member_text(e, "message");
      }
    if (const auto* d = detail::member(*err, "details")) detail::read_details(*d, out);
    if (const auto* md = detail::member(*err, "metadata"); md && md->is_object()) {
      out.upstream = detail::member_text(*md, "raw");
      if (const auto* h = detail::member(*md, "headers"); h && h->is_object())
        for (const auto& [k, v] : h->items())
          if (v.is_string() || v.is_number()) out.meta_headers.emplace_back(k, detail::scalar_text(v));
    }
    if (out.type.empty()) out.type = detail::member_text(j, "type");
  } else {
    // Flat shapes: Mistral, Bedrock, RFC 7807 problem details, gateways.
    if (out.message.empty()) out.message = detail::member_text(j, "message");
    if (out.message.empty()) out.message = detail::member_text(j, "detail");
    if (out.message.empty()) out.message = detail::member_text(j, "title");
    out.code = detail::member_text(j, "code");
    out.type = detail::member_text(j, "type");
    if (const auto* s = detail::member(j, "status"); s && s->is_string()) out.status = s->get<std::string>();
  }
  if (out.type == "error") out.type.clear();  // Anthropic's envelope, not a kind
  return out;
}

}  // namespace governed::providers
