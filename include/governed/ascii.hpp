#pragma once
/// @file
/// ASCII text helpers: classifying bytes, lower-casing, trimming and comparing without regard
/// to case. Header names, URL schemes and hosts, the units and words of a provider's wait,
/// error codes, environment values: everything governed reads case-insensitively or trims is
/// ASCII by its protocol, so none of this looks at the locale, and bytes of 0x80 and above
/// (UTF-8) pass through unchanged.
///
/// It includes nothing of governed: every folder may use it without an include loop.

#include <cstddef>
#include <string>
#include <string_view>

namespace governed::ascii {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }

/// White space as the protocols governed reads use it: space, tab, CR and LF.
constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/// White space within a line: space and tab (HTTP's optional white space).
constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

/// A control byte (0x00–0x1f, 0x7f): never part of a name, a header value or a URL.
constexpr bool is_control(char c) noexcept { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

/// 0–15 for a hex digit of either case, -1 for anything else.
constexpr int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_hex_digit(char c) noexcept { return hex_value(c) >= 0; }

/// `c` with A–Z lowered. Branch-free (one unsigned compare), since the limit headers of every
/// reply are lowered byte by byte.
constexpr char lower(char c) noexcept { return char(c + (static_cast<unsigned char>(c - 'A') < 26 ? 32 : 0)); }

/// `s` with A–Z lowered.
inline std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

/// `s` without the bytes `drop` holds for at its front.
constexpr std::string_view trim_front(std::string_view s, bool (*drop)(char) noexcept = is_space) noexcept {
  while (!s.empty() && drop(s.front())) s.remove_prefix(1);
  return s;
}

/// `s` without the bytes `drop` holds for at its back.
constexpr std::string_view trim_back(std::string_view s, bool (*drop)(char) noexcept = is_space) noexcept {
  while (!s.empty() && drop(s.back())) s.remove_suffix(1);
  return s;
}

/// `s` without the white space (`is_space`, or what `drop` holds for) at either end.
constexpr std::string_view trim(std::string_view s, bool (*drop)(char) noexcept = is_space) noexcept {
  return trim_back(trim_front(s, drop), drop);
}


/// Whether `a` and `b` are equal but for the case of their letters.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

/// Whether `s` starts with `prefix`, letters compared without regard to case.
constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace governed::ascii
