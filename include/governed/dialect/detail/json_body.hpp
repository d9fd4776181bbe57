#pragma once
/// @file
/// Pieces every dialect's JSON reading shares: a stream event's data read as an object within
/// the limits, the events that say why it could not be, and small lookups.

#include <governed/dialect/stream_event.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/usage.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace governed::detail {

/// The usage in `j` (a body or a stream chunk), when it has a readable one.
inline std::optional<providers::Usage> usage_in(const nlohmann::json& j) {
  auto u = providers::usage_from_json(j);
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

}  // namespace governed::detail
