#pragma once
/// @file
/// Pieces every wire format's JSON body shares.

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

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

}  // namespace governed::detail
