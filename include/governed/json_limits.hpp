#pragma once
/// @file
/// `JsonLimits` and `parse_json`: the one way untrusted JSON text becomes an `nlohmann::json`.
///
/// nlohmann's parser and its destructor do not recurse, but everything that walks the tree
/// afterwards may (`dump()`, comparisons, a reader's own descent). So the text is measured
/// first — its size, and its nesting by one linear scan that skips strings and comments —
/// and only text within both limits is parsed. A tree that came through here is at most
/// `max_depth` deep, so walking it recursively is bounded.

#include <governed/error.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace governed {

/// The most a JSON reader of untrusted text accepts. The defaults are well above what any
/// provider reply, stream event, client request or configuration file holds.
struct JsonLimits {
  std::size_t max_bytes = std::size_t{16} << 20;  ///< 16 MiB
  std::size_t max_depth = 64;                     ///< objects and arrays inside each other
};

namespace detail {

/// The deepest nesting of objects and arrays in `text`, counted without recursion; strings
/// (with their escapes) and, when `comments`, `//` and `/* */` comments are skipped. Stops
/// counting once past `limit` and returns limit + 1.
inline std::size_t json_depth(std::string_view text, std::size_t limit, bool comments = false) noexcept {
  std::size_t depth = 0, deepest = 0;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < n && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
    } else if (comments && c == '/' && i + 1 < n && text[i + 1] == '/') {
      while (i < n && text[i] != '\n') ++i;
    } else if (comments && c == '/' && i + 1 < n && text[i + 1] == '*') {
      for (i += 2; i + 1 < n && !(text[i] == '*' && text[i + 1] == '/'); ++i) {
      }
      ++i;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return limit + 1;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace detail

/// Checks `text` against `limits`: a clear error naming `what` when it is too long or too deep.
inline Result<void> check_json_limits(std::string_view text, const JsonLimits& limits, std::string_view what,
                                      bool comments = false) {
  if (text.size() > limits.max_bytes)
    return fail(Errc::parse_error, fmt::format("{} is {} bytes, more than the limit of {}", what, text.size(),
                                               limits.max_bytes));
  if (detail::json_depth(text, limits.max_depth, comments) > limits.max_depth)
    return fail(Errc::parse_error,
                fmt::format("{} nests deeper than the limit of {} levels", what, limits.max_depth));
  return {};
}

/// Parses untrusted JSON text within `limits`. Errors name `what` ("the reply body", "line 3")
/// and, for malformed text, the byte offset; never the text itself, which may hold secrets.
inline Result<nlohmann::json> parse_json(std::string_view text, const JsonLimits& limits, std::string_view what,
                                         bool comments = false) {
  if (auto ok = check_json_limits(text, limits, what, comments); !ok) return tl::unexpected(ok.error());
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false, comments);
  if (j.is_discarded()) return fail(Errc::parse_error, fmt::format("{} is not valid JSON", what));
  return j;
}

}  // namespace governed
