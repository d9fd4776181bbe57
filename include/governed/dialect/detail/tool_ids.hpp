#pragma once
/// @file
/// Tool-call ids carried from one provider's format to another's. Anthropic accepts only ids
/// matching `^[a-zA-Z0-9_-]+$` (OpenAI's `call_…` do; another gateway's or Gemini's may
/// not), so an id outside that set is rewritten — the same way in the assistant's call and in
/// the tool result that answers it, so the pair still matches — and one longer than 64
/// characters is shortened. Rewritten ids carry a hash of the original, so two ids that differ
/// only in the characters replaced stay two ids.

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

}  // namespace governed::dialect::detail
