#pragma once
/// @file
/// Pieces every dialect's JSON shares: `Request::parameters` over a request body, a name as one
/// URL path segment; a stream event's data read as an object within the limits, the events
/// that say why it could not be, and small lookups.

#include <governed/dialect/stream_event.hpp>
#include <governed/json_limits.hpp>
#include <governed/dialect/answer_json.hpp>
#include <governed/parameters.hpp>
#include <governed/providers/usage.hpp>

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace governed::dialect::detail {

/// `Request::parameters` over the body the format built: a JSON merge patch (RFC 7386), so
/// a parameter replaces a field of the same name, a nested object merges into its
/// namesake (`generationConfig`), and `null` removes a field. Parameters that are not an
/// object are ignored. `replaces` lists fields the format set that a parameter
/// names differently: when the caller passes `max_tokens`, the format's
/// `max_completion_tokens` goes, so the provider never sees both.
///
/// The text is parsed only when there is some (a call without parameters never parses), and
/// as it is, without `parse_json`'s limits: it is the canonical dump `Parameters` made of a
/// tree the program built, never bytes from outside, and nlohmann's parser does not recurse.
inline void apply_parameters(nlohmann::json& body, const Parameters& parameters,
                             std::initializer_list<std::pair<std::string_view, std::string_view>> replaces = {}) {
  if (parameters.empty()) return;
  const auto patch = nlohmann::json::parse(parameters.text(), nullptr, /*allow_exceptions=*/false);
  if (!patch.is_object() || patch.empty()) return;
  for (const auto& [theirs, ours] : replaces)
    if (patch.contains(theirs) && theirs != ours) body.erase(std::string(ours));
  body.merge_patch(patch);
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

/// The usage in `j` (a body or a stream chunk), when it has a readable one.
inline std::optional<providers::Usage> usage_in(const nlohmann::json& j) {
  auto u = dialect::usage_from_json(j);
  if (!u) return std::nullopt;
  return *u;
}

/// The event for data that does not parse as the dialect's JSON.
inline dialect::StreamEvent malformed_event() {
  dialect::StreamEvent e;
  e.malformed = true;
  return e;
}

/// A stream event's data read as a JSON object within `limits` — or, when it is not one, the
/// event that says why: too large, too deep, or malformed. Size and depth are measured
/// before anything is parsed, so a hostile event costs one linear scan and no stack.
inline std::variant<nlohmann::json, dialect::StreamEvent> event_object(std::string_view data, const JsonLimits& limits) {
  if (!check_json_limits(data, limits, "a stream event")) {
    dialect::StreamEvent e;
    (data.size() > limits.max_bytes ? e.too_large : e.too_deep) = true;
    return e;
  }
  nlohmann::json j = nlohmann::json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return malformed_event();
  return j;
}

/// The event reporting the provider's error in `data`, kept as it came.
inline dialect::StreamEvent error_event(std::string_view data) {
  dialect::StreamEvent e;
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

}  // namespace governed::dialect::detail
