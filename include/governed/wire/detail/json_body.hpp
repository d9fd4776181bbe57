#pragma once
/// @file
/// Pieces every wire format's JSON body shares.

#include <governed/json_limits.hpp>
#include <governed/dialect/answer_json.hpp>
#include <governed/providers/usage.hpp>
#include <governed/wire/stream_event.hpp>

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace governed::detail {

/// `Request::parameters` over the body the format built: a JSON merge patch (RFC 7386), so
/// a parameter replaces a field of the same name, a nested object merges into its
/// namesake (`generationConfig`), and `null` removes a field. A `parameters` value that is
/// not an object is ignored. `replaces` lists fields the format set that a parameter
/// names differently: when the caller passes `max_tokens`, the format's
/// `max_completion_tokens` goes, so the provider never sees both.
inline void apply_parameters(nlohmann::json& body, const nlohmann::json& parameters,
                             std::initializer_list<std::pair<std::string_view, std::string_view>> replaces = {}) {
  if (!parameters.is_object() || parameters.empty()) return;
  for (const auto& [theirs, ours] : replaces)
    if (parameters.contains(theirs) && theirs != ours) body.erase(std::string(ours));
  body.merge_patch(parameters);
}

/// The usage in `j` (a body or a stream chunk), when it has a readable one.
inline std::optional<providers::Usage> usage_in(const nlohmann::json& j) {
  auto u = dialect::usage_from_json(j);
  if (!u) return std::nullopt;
  return *u;
}

/// `s` as one path segment: unreserved bytes as they are, the rest percent-encoded, so a
/// deployment or model name can not add a path, a query or a header to the request.
inline std::string path_segment(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_' || c == '~';
    if (plain) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// The event for data that does not parse as the dialect's JSON.
inline wire::StreamEvent malformed_event() {
  wire::StreamEvent e;
  e.malformed = true;
  return e;
}

/// A stream event's data read as a JSON object within `limits` — or, when it is not one, the
/// event that says why: too large, too deep, or malformed. Size and depth are measured
/// before anything is parsed, so a hostile event costs one linear scan and no stack.
inline std::variant<nlohmann::json, wire::StreamEvent> event_object(std::string_view data, const JsonLimits& limits) {
  if (!check_json_limits(data, limits, "a stream event")) {
    wire::StreamEvent e;
    (data.size() > limits.max_bytes ? e.too_large : e.too_deep) = true;
    return e;
  }
  nlohmann::json j = nlohmann::json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return malformed_event();
  return j;
}

/// The event reporting the provider's error in `data`, kept as it came.
inline wire::StreamEvent error_event(std::string_view data) {
  wire::StreamEvent e;
  e.error = true;
  e.error_body.assign(data);
  return e;
}

/// A string member of `j`, or empty.
inline std::string_view string_at(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>()) : std::string_view{};
}

}  // namespace governed::detail
