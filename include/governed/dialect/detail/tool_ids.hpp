#pragma once
/// @file
/// Tool-call ids carried from one provider's format to another's. Anthropic accepts only ids
/// matching `^[a-zA-Z0-9_-]+$` (OpenAI's `call_…` do; another gateway's or Gemini's may
/// not), so an id outside that set is rewritten — the same way in the assistant's call and in
/// the tool result that answers it, so the pair still matches — and one longer than 64
/// characters is shortened. Rewritten ids carry a hash of the original, so two ids that differ
/// only in the characters replaced stay two ids.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace governed::dialect::detail {

inline bool tool_id_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/// `id` when every provider takes it as it is; else the characters outside the set as `_`,
/// at most 55 of them, then `_` and 8 hex digits of the id's FNV-1a hash (64 at most).
inline std::string portable_tool_id(std::string_view id) {
  bool fits = !id.empty() && id.size() <= 64;
  for (char c : id) fits = fits && tool_id_char(c);
  if (fits) return std::string(id);
  std::uint32_t hash = 2166136261u;
  for (char c : id) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  std::string out;
  for (char c : id.substr(0, 55)) out += tool_id_char(c) ? c : '_';
  return fmt::format("{}_{:08x}", out, hash);
}

/// The id governed gives a call its provider named none (Gemini may not): `call_<n>`, its
/// place among its choice's calls. The stream assembler and the reply reader both name calls so.
inline std::string placed_tool_id(std::size_t place) { return fmt::format("call_{}", place); }

/// Whether `id` is one `placed_tool_id` made, never one a provider issued: the Gemini encoder
/// leaves such ids out of what it sends back, since Gemini never gave them.
inline bool is_placed_tool_id(std::string_view id) noexcept {
  constexpr std::string_view prefix = "call_";
  if (!id.starts_with(prefix) || id.size() == prefix.size() || id.size() > prefix.size() + 20) return false;
  for (char c : id.substr(prefix.size()))
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace governed::dialect::detail
