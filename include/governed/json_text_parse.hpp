#pragma once
/// @file
/// `parse_json_text`: untrusted JSON text (a client's request, a configuration file) made a
/// `JsonText`, within limits. The only way text from outside becomes one, so every `JsonText`
/// an encoder meets is valid JSON.

#include <governed/json_limits.hpp>
#include <governed/json_text.hpp>
#include <governed/result.hpp>

#include <nlohmann/json.hpp>

#include <string_view>

namespace governed {

/// `text` as canonical JSON text; an error naming `what` when it is past `limits` or not
/// JSON (never quoting the text, which may hold secrets). JSON `null` gives an empty one.
inline Result<JsonText> parse_json_text(std::string_view text, const JsonLimits& limits = {},
                                        std::string_view what = "the JSON value") {
  auto json = parse_json(text, limits, what);
  if (!json) return tl::unexpected(std::move(json.error()));
  return JsonText{*json};
}

}  // namespace governed
