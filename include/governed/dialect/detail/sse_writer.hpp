#pragma once
/// @file
/// One server-sent event written from a JSON object, as the homes' `encode_stream` write
/// them: `data: …` (after `event: <name>` for Anthropic), then a blank line. Text that is not
/// valid UTF-8 is written with replacement characters rather than refused: a stream already
/// under way has no status left to refuse it with.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace governed::dialect::detail {

inline std::string sse_data(const nlohmann::json& j) {
  return "data: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

inline std::string sse_event(std::string_view name, const nlohmann::json& j) {
  return fmt::format("event: {}\n", name) + sse_data(j);
}

}  // namespace governed::dialect::detail
