#pragma once
/// @file
/// `Parameters`: a request's parameters beyond the typed ones — any other field of the
/// provider's API (top_p, stop, tools, response_format, a provider's own extras) — kept as
/// canonical JSON text.
///
/// Built from an `nlohmann::json` in code that includes nlohmann/json.hpp:
///
/// ```cpp
/// request.parameters = nlohmann::json{{"top_p", 0.9}, {"stop", {"\n"}}};
/// ```
///
/// The text is canonical, so two parameter sets compare equal (and key one cache entry,
/// cache.hpp) exactly when a provider would read the same: object keys sorted, and every
/// number that holds an integer written as that integer (1.0 and -0.0 as 1 and 0; a
/// provider's JSON reader takes 1 for 1.0, and a field that must be an integer then gets
/// one). Strings that are not valid UTF-8 are written with U+FFFD in their place, as every
/// request body is, and `valid_utf8()` says so: such a request is sent but never cached.
///
/// Only the declarations of nlohmann::json are needed here (json_fwd.hpp): `Request`, the
/// call walk and the cache read the text, and only the request encoders parse it — when it is
/// not empty, so a call without parameters never does.

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

/// A request's further parameters as canonical JSON text (see the file comment). Empty: none.
class Parameters {
 public:
  Parameters() = default;

  /// The parameters in `json`, an object of fields as the provider's API names them. Null,
  /// `{}` and `[]` are none. A value that is not an object is kept but sent by no encoder.
  template <class Json>
    requires std::same_as<Json, nlohmann::json>
  // Implicit, so that `request.parameters = nlohmann::json{...}` reads as an assignment.
  Parameters(const Json& json) {
    if (json.empty()) return;
    auto canonical = detail::canonical_json(json);
    text_ = std::move(canonical.text);
    valid_utf8_ = canonical.valid_utf8;
  }

  /// The canonical JSON text; empty when there are none.
  const std::string& text() const noexcept { return text_; }
  bool empty() const noexcept { return text_.empty(); }
  /// False when a string in them was not valid UTF-8 (and `text()` holds U+FFFD instead).
  bool valid_utf8() const noexcept { return valid_utf8_; }

  friend bool operator==(const Parameters&, const Parameters&) = default;

 private:
  std::string text_;
  bool valid_utf8_ = true;
};

}  // namespace governed
