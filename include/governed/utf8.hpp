#pragma once
/// @file
/// Whether bytes are well-formed UTF-8, as JSON writers (nlohmann's `dump()` among them) and
/// providers require of every string they take.
///
/// Well-formed is Unicode's Table 3-7 (RFC 3629): no overlong forms (0xC0 0x80 for U+0000),
/// no UTF-16 surrogates (U+D800–U+DFFF, 0xED 0xA0…), nothing above U+10FFFF, no sequence cut
/// short. Text that fails could not be compared or sent faithfully, so the response cache
/// keys no request holding it (cache.hpp).
///
/// It includes nothing of governed: every folder may use it without an include loop.

#include <cstddef>
#include <string_view>

namespace governed::utf8 {

/// The length of the well-formed sequence at the front of `s`, or 0 when it is not one.
constexpr std::size_t sequence_length(std::string_view s) noexcept {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](std::size_t i) { return i < s.size() && (at(i) & 0xC0) == 0x80; };
  if (s.empty()) return 0;
  const unsigned char lead = at(0);
  if (lead < 0x80) return 1;
  if (lead < 0xC2 || lead > 0xF4) return 0;  // a continuation byte, an overlong lead, or past U+10FFFF
  if (lead < 0xE0) return continuation(1) ? 2 : 0;
  // The second byte's range is narrower after four leads: it is what rules out overlong
  // forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
  if (s.size() < 2) return 0;
  const unsigned char second = at(1);
  const unsigned char low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  const unsigned char high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  if (second < low || second > high) return 0;
  if (lead < 0xF0) return continuation(2) ? 3 : 0;
  return continuation(2) && continuation(3) ? 4 : 0;
}

/// Whether all of `s` is well-formed UTF-8. ASCII runs cost one compare a byte.
constexpr bool valid(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence_length(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace governed::utf8
