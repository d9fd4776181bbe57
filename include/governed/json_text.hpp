#pragma once
/// @file
/// `JsonText`: a JSON value carried by a request as canonical text — a tool's parameter
/// schema, an output schema, a request's further parameters (`Parameters`, parameters.hpp).
///
/// Built from an `nlohmann::json` in code that includes nlohmann/json.hpp, or read from
/// untrusted text within limits by `parse_json_text` (json_text_parse.hpp). Either way the
/// text is valid JSON, so an encoder that writes it into a body parses it without limits.
///
/// The text is canonical, so two values compare equal (and key one cache entry, cache.hpp)
/// exactly when a provider would read the same: object keys sorted, and every number that
/// holds an integer written as that integer (1.0 and -0.0 as 1 and 0; a provider's JSON
/// reader takes 1 for 1.0, and a field that must be an integer then gets one). Strings that
/// are not valid UTF-8 are written with U+FFFD in their place, as every request body is, and
/// `valid_utf8()` says so: such a request is sent but never cached.
///
/// Only the declarations of nlohmann::json are needed here (json_fwd.hpp): `Request`, the
/// call walk and the cache read the text, and only the request encoders parse it.

#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace governed {

namespace detail {

/// JSON text in canonical form, and whether its strings were valid UTF-8 (when not, the
/// invalid bytes are written as U+FFFD).
struct CanonicalJson {
  std::string text;
  bool valid_utf8 = true;
};

/// Rewrites every float of `j` that holds an integer as that integer (1.0 → 1, -0.0 → 0).
/// Iterative: a tree built by the program may be deep, and nothing here recurses on its depth.
template <class Json>
void canonical_numbers(Json& j) {
  std::vector<Json*> todo{&j};
  while (!todo.empty()) {
    Json* v = todo.back();
    todo.pop_back();
    if (v->is_structured()) {
      for (auto& child : *v) todo.push_back(&child);
    } else if (v->is_number_float()) {
      const double d = v->template get<double>();
      // 2^53: beyond it a double no longer holds every integer, and it stays a float.
      if (std::isfinite(d) && std::trunc(d) == d && std::abs(d) <= 9007199254740992.0)
        *v = static_cast<std::int64_t>(d);
    }
  }
}

/// `j` as canonical JSON text. Object keys need no work: nlohmann::json keeps them sorted.
/// A template, so that only code that builds one needs nlohmann/json.hpp.
template <class Json>
  requires std::same_as<Json, nlohmann::json>
CanonicalJson canonical_json(Json j) {
  canonical_numbers(j);
  try {
    return {j.dump(), true};
  } catch (const typename Json::type_error&) {  // dump() refuses a string that is not UTF-8
    return {j.dump(-1, ' ', false, Json::error_handler_t::replace), false};
  }
}

}  // namespace detail

/// A JSON value as canonical text (see the file comment). Empty: no value was given.
class JsonText {
 public:
  JsonText() = default;

  /// `json` as canonical text; null is no value (`empty()`), while `{}` and `[]` are values.
  template <class Json>
    requires std::same_as<Json, nlohmann::json>
  // Implicit, so that `tool.parameters = nlohmann::json{...}` reads as an assignment.
  JsonText(const Json& json) {
    if (json.is_null()) return;
    auto canonical = detail::canonical_json(json);
    text_ = std::move(canonical.text);
    valid_utf8_ = canonical.valid_utf8;
  }

  /// The canonical JSON text; empty when there is no value.
  const std::string& text() const noexcept { return text_; }
  bool empty() const noexcept { return text_.empty(); }
  /// An object (canonical text starts with its first byte, never with a space).
  bool is_object() const noexcept { return !text_.empty() && text_.front() == '{'; }
  /// False when a string in it was not valid UTF-8 (and `text()` holds U+FFFD instead).
  bool valid_utf8() const noexcept { return valid_utf8_; }

  friend bool operator==(const JsonText&, const JsonText&) = default;

 private:
  std::string text_;
  bool valid_utf8_ = true;
};

}  // namespace governed
