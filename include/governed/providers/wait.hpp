#pragma once
/// @file
/// Reading the waits providers state: in prose (`try again in 22m46.848s`, `retry after 6
/// seconds`, `Resets in 16 days`) here, and in the wire's own formats — Go-style durations
/// (`6m0s`, `1.5s`, `20ms`), plain seconds (`retry-after: 2`), HTTP-dates and RFC 3339
/// timestamps — through wire/time.hpp, whose readers the classifier uses under the names below.
///
/// Every reader returns an empty optional for anything it can not read as a sensible wait:
/// negative values, garbage, and absurd values (more than `max_usable_wait`) are not waits a
/// governor should sleep on, so the caller falls back to its own backoff.

#include <governed/ascii.hpp>
#include <governed/time.hpp>
#include <governed/wire/time.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace governed::providers {

using wire::max_usable_wait;
using wire::parse_go_duration;
using wire::parse_http_date;
using wire::parse_number_wait;
using wire::parse_retry_after;
using wire::parse_rfc3339;
using wire::wait_until;

namespace detail {
// The fixed date fields, for the classifier's reading of dates written in messages.
using wire::detail::civil;
using wire::detail::take_fixed;
}  // namespace detail

namespace detail {

/// A duration phrase at the front of `s`: `22m46.848s`, `45 seconds`, `1 hour and 5 minutes`,
/// `~3s`. Stops at the first word that is not a number or a unit.
inline std::optional<Duration> take_duration_phrase(std::string_view s) noexcept {
  double total = 0;
  bool any = false;
  for (int parts = 0; parts < 8; ++parts) {
    std::string_view t = s;
    while (!t.empty() && (ascii::is_space(t.front()) || t.front() == '~')) t.remove_prefix(1);
    if (any) {  // separators between parts
      if (!t.empty() && t.front() == ',') t.remove_prefix(1);
      while (!t.empty() && ascii::is_space(t.front())) t.remove_prefix(1);
      if (t.size() > 4 && ascii::iequals(t.substr(0, 4), "and ")) t.remove_prefix(4);
    }
    auto v = wire::detail::take_number(t);
    if (!v) break;
    std::string_view u = t;
    while (!u.empty() && u.front() == ' ') u.remove_prefix(1);
    std::size_t n = 0;
    while (n < u.size() && wire::detail::is_unit_char(u[n])) ++n;
    const double per = wire::detail::unit_ns(u.substr(0, n));
    if (per == 0) break;
    total += *v * per;
    any = true;
    s = u.substr(n);
  }
  if (!any) return std::nullopt;
  return wire::detail::to_duration(total);
}

}  // namespace detail

namespace detail {

/// `find_wait_in_text` over text already in lower case: the classifier lower-cases a message
/// once. One pass over the words; only words that can open a cue are compared.
inline std::optional<Duration> find_wait_in_lower(std::string_view text) noexcept {
  static constexpr std::string_view cues[] = {"try again in", "retry after", "retry in",
                                              "resets in",    "reset in",    "available in",
                                              "wait for",     "wait"};
  auto letter = [](char c) { return c >= 'a' && c <= 'z'; };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c != 't' && c != 'r' && c != 'a' && c != 'w') || (i > 0 && letter(text[i - 1]))) continue;
    const std::string_view at = text.substr(i);
    for (auto cue : cues) {
      if (cue.front() != c || !at.starts_with(cue)) continue;
      std::string_view rest = at.substr(cue.size());
      while (!rest.empty() && ascii::is_space(rest.front())) rest.remove_prefix(1);
      for (std::string_view filler : {"about ", "approximately ", "roughly ", "up to "})
        if (rest.starts_with(filler)) rest.remove_prefix(filler.size());
      if (auto d = take_duration_phrase(rest)) return d;
    }
  }
  return std::nullopt;
}

}  // namespace detail

/// A wait written in a message: the first duration after a phrase that announces one
/// (`try again in`, `retry after`, `retry in`, `resets in`, `available in`, `wait`).
/// Phrases are the providers' conventions, not their whole sentences, so rewording around
/// them keeps working.
inline std::optional<Duration> find_wait_in_text(std::string_view text) {
  return detail::find_wait_in_lower(ascii::lowered(text));
}

}  // namespace governed::providers
