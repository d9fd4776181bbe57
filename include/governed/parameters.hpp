#pragma once
/// @file
/// `Parameters`: a request's parameters beyond the typed ones — a provider's own fields, or
/// one the typed `Request` does not carry — kept as canonical JSON text (`JsonText`).
///
/// Built from an `nlohmann::json` in code that includes nlohmann/json.hpp:
///
/// ```cpp
/// request.parameters = nlohmann::json{{"top_p", 0.9}, {"stop", {"\n"}}};
/// ```
///
/// They are merged into the body last, as an RFC 7386 patch: a parameter of the same name as
/// a typed field replaces what the typed field wrote. Two parameter sets compare equal (and
/// key one cache entry) exactly when a provider would read the same (json_text.hpp says what
/// canonical means); a string that is not valid UTF-8 makes the request one that is sent but
/// never cached. A call without parameters is never parsed.

#include <governed/json_text.hpp>

#include <nlohmann/json_fwd.hpp>

#include <concepts>

namespace governed {

/// A request's further parameters as canonical JSON text (see the file comment). Empty: none.
class Parameters : public JsonText {
 public:
  Parameters() = default;

  /// The parameters in `json`, an object of fields as the provider's API names them. Null,
  /// `{}` and `[]` are none. A value that is not an object is kept but sent by no encoder.
  template <class Json>
    requires std::same_as<Json, nlohmann::json>
  // Implicit, so that `request.parameters = nlohmann::json{...}` reads as an assignment.
  Parameters(const Json& json) : JsonText(json.empty() ? Json{} : json) {}

  friend bool operator==(const Parameters&, const Parameters&) = default;
};

}  // namespace governed
