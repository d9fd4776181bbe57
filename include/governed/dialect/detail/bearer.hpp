#pragma once
/// @file
/// The credential of an `authorization: Bearer <key>` header, as the chat-completions homes
/// write it (`wire::add_auth`) and as Anthropic's and Azure's APIs also take it: read back by
/// the homes' `key_of`.

#include <governed/ascii.hpp>

#include <string_view>

namespace governed::dialect::detail {

/// The credential of an `authorization` value in the `Bearer` scheme (the scheme's case and the
/// spaces after it do not matter); empty for any other scheme.
inline std::string_view bearer_credential(std::string_view value) noexcept {
  constexpr std::string_view scheme = "Bearer ";
  if (!ascii::istarts_with(value, scheme)) return {};
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value;
}

}  // namespace governed::dialect::detail
