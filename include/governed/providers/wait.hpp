#pragma once
/// @file
/// Reading the waits providers state: Go-style durations (`6m0s`, `1.5s`, `20ms`), plain
/// seconds (`retry-after: 2`), HTTP-dates and RFC 3339 timestamps, and waits written in
/// prose (`try again in 22m46.848s`, `retry after 6 seconds`, `Resets in 16 days`).
///
/// Every parser returns an empty optional for anything it can not read as a sensible wait:
/// negative values, garbage, and absurd values (more than `max_usable_wait`) are not waits a
/// governor should sleep on, so the caller falls back to its own backoff.

#include <governed/ascii.hpp>
#include <governed/time.hpp>

#include <date/date.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace governed::providers {

/// The longest wait taken at face value: a monthly quota resets within 31 days, so anything
/// longer is a sentinel or garbage (one server sent `retry-after: 99999999999999999999`).
inline constexpr Duration max_usable_wait = std::chrono::hours{24 * 31};

namespace detail {

/// Reads an unsigned decimal number `123` or `12.5` at the front of `s`; advances `s`.
inline std::optional<double> take_number(std::string_view& s) noexcept {
  std::size_t n = 0;
  while (n < s.size() && ascii::is_digit(s[n])) ++n;
  if (n == 0) return std::nullopt;
  if (n + 1 < s.size() && s[n] == '.' && ascii::is_digit(s[n + 1])) {
    ++n;
    while (n < s.size() && ascii::is_digit(s[n])) ++n;
  }
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + n, v);
  if (ec != std::errc{} || !std::isfinite(v)) {
    // from_chars reports out-of-range for huge digit strings: that is an absurd wait.
    s.remove_prefix(n);
    return std::numeric_limits<double>::infinity();
  }
  s.remove_prefix(static_cast<std::size_t>(p - s.data()));
  return v;
}

/// Nanoseconds per unit for a unit word or suffix; 0 when it is not a time unit. Dispatches on
/// the first letter: this runs for every reset header of every reply.
constexpr double unit_ns(std::string_view u) noexcept {
  if (u.empty() || u.size() > 12) return 0;
  char buf[12] = {};
  for (std::size_t i = 0; i < u.size(); ++i) buf[i] = ascii::lower(u[i]);
  const std::string_view l{buf, u.size()};
  constexpr double s = 1e9;
  auto any = [&](std::initializer_list<std::string_view> names) {
    for (auto n : names)
      if (l == n) return true;
    return false;
  };
  switch (l[0]) {
    case 'n': return l == "ns" ? 1 : 0;
    case 'u': return l == "us" ? 1e3 : 0;
    case '\xc2': return l == "\xc2\xb5s" ? 1e3 : 0;
    case 'm':
      if (any({"m", "min", "mins", "minute", "minutes"})) return 60 * s;
      return any({"ms", "millisecond", "milliseconds"}) ? 1e6 : 0;
    case 's': return any({"s", "sec", "secs", "second", "seconds"}) ? s : 0;
    case 'h': return any({"h", "hr", "hrs", "hour", "hours"}) ? 3600 * s : 0;
    case 'd': return any({"d", "day", "days"}) ? 86400 * s : 0;
    case 'w': return any({"week", "weeks"}) ? 604800 * s : 0;
    default: return 0;
  }
}

constexpr bool is_unit_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\xc2' || c == '\xb5';
}

inline std::optional<Duration> to_duration(double ns) noexcept {
  if (!std::isfinite(ns) || ns < 0) return std::nullopt;
  if (ns > static_cast<double>(max_usable_wait.count())) return std::nullopt;
  return Duration{static_cast<std::int64_t>(std::llround(ns))};
}

}  // namespace detail

/// Go's duration syntax as OpenAI, Groq and Azure send it in `x-ratelimit-reset-*`:
/// `6m0s`, `1.5s`, `20ms`, `50.597142857s`, `1h2m3s`. The whole text must be one duration;
/// a bare number is read as seconds (some servers drop the unit).
inline std::optional<Duration> parse_go_duration(std::string_view text) noexcept {
  std::string_view s = ascii::trim(text);
  if (s.empty() || s.size() > 64) return std::nullopt;
  double total = 0;
  bool any = false;
  while (!s.empty()) {
    auto v = detail::take_number(s);
    if (!v) return std::nullopt;
    std::size_t n = 0;
    while (n < s.size() && detail::is_unit_char(s[n])) ++n;
    double per = 1e9;
    if (n == 0) {
      if (!s.empty() || any) return std::nullopt;  // "5" alone is seconds; "5m3" is garbage
    } else {
      per = detail::unit_ns(s.substr(0, n));
      if (per == 0) return std::nullopt;
      s.remove_prefix(n);
    }
    total += *v * per;
    any = true;
  }
  return detail::to_duration(total);
}

/// `retry-after` / `retry-after-ms` style numbers: non-negative decimal, in `unit`.
inline std::optional<Duration> parse_number_wait(std::string_view text,
                                                 Duration unit = std::chrono::seconds{1}) noexcept {
  std::string_view s = ascii::trim(text);
  auto v = detail::take_number(s);
  if (!v || !s.empty()) return std::nullopt;
  return detail::to_duration(*v * static_cast<double>(unit.count()));
}

namespace detail {

inline std::optional<int> take_fixed(std::string_view s, std::size_t pos, std::size_t len) noexcept {
  if (pos + len > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (!ascii::is_digit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/// Wall times governed represents: int64 nanoseconds reach 1677..2262, and no provider
/// states a reset outside this range.
inline constexpr int min_year = 1900;
inline constexpr int max_year = 2200;

inline std::optional<WallTime> civil(int y, int mo, int d, int h, int mi, int sec) noexcept {
  if (y < min_year || y > max_year) return std::nullopt;
  const date::year_month_day ymd{date::year{y}, date::month{unsigned(mo)}, date::day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return WallTime{date::sys_days{ymd}.time_since_epoch()} + std::chrono::hours{h} +
         std::chrono::minutes{mi} + std::chrono::seconds{sec};
}

}  // namespace detail

/// RFC 3339 timestamps as Anthropic sends them in `anthropic-ratelimit-*-reset`:
/// `2024-03-26T20:00:00Z`, with optional fraction and `±hh:mm` offset. The grammar is fixed,
/// so the fields are read in place and date/tz does the calendar: this runs on every
/// successful Anthropic reply, where an iostream parse would cost more than the rest.
inline std::optional<WallTime> parse_rfc3339(std::string_view text) noexcept {
  using detail::take_fixed;
  const std::string_view s = ascii::trim(text);
  auto y = take_fixed(s, 0, 4), mo = take_fixed(s, 5, 2), d = take_fixed(s, 8, 2);
  auto h = take_fixed(s, 11, 2), mi = take_fixed(s, 14, 2), sec = take_fixed(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto t = detail::civil(*y, *mo, *d, *h, *mi, *sec);
  if (!t) return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::int64_t frac = 0, scale = 1'000'000'000;
    while (i < s.size() && ascii::is_digit(s[i])) {
      if (scale > 1) {
        scale /= 10;
        frac += (s[i] - '0') * scale;
      }
      ++i;
    }
    *t += Duration{frac};
  }
  if (i == s.size()) return std::nullopt;  // RFC 3339 requires a zone
  if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return t;
  if ((s[i] == '+' || s[i] == '-') && i + 6 == s.size() && s[i + 3] == ':') {
    auto oh = take_fixed(s, i + 1, 2), om = take_fixed(s, i + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    const auto off = std::chrono::hours{*oh} + std::chrono::minutes{*om};
    return s[i] == '+' ? *t - off : *t + off;
  }
  return std::nullopt;
}

/// HTTP-dates (RFC 9110 §5.6.7): IMF-fixdate `Fri, 29 Sep 2023 16:26:37 GMT` read in place,
/// the obsolete RFC 850 and asctime forms through date::parse.
inline std::optional<WallTime> parse_http_date(std::string_view text) noexcept {
  const std::string_view s = ascii::trim(text);
  if (s.size() > 64) return std::nullopt;
  static constexpr std::string_view months = "janfebmaraprmayjunjulaugsepoctnovdec";
  if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {
    int mo = 0;
    for (int m = 0; m < 12; ++m)
      if (ascii::iequals(s.substr(8, 3), months.substr(std::size_t(m) * 3, 3))) mo = m + 1;
    auto d = detail::take_fixed(s, 5, 2), y = detail::take_fixed(s, 12, 4);
    auto h = detail::take_fixed(s, 17, 2), mi = detail::take_fixed(s, 20, 2),
         sec = detail::take_fixed(s, 23, 2);
    if (mo == 0 || !d || !y || !h || !mi || !sec || s[16] != ' ' || s[19] != ':' || s[22] != ':')
      return std::nullopt;
    return detail::civil(*y, mo, *d, *h, *mi, *sec);
  }
  for (const char* fmt : {"%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::istringstream in{std::string(s)};
    date::sys_seconds tp;
    in >> date::parse(fmt, tp);
    if (!in.fail()) {
      in.peek();
      const int y = int(date::year_month_day{date::floor<date::days>(tp)}.year());
      if (in.eof() && y >= detail::min_year && y <= detail::max_year) return WallTime{tp};
    }
  }
  return std::nullopt;
}

/// The wait until `then`, as seen at `reference`; empty when it is in the past or absurd.
inline std::optional<Duration> wait_until(WallTime then, WallTime reference) noexcept {
  if (then <= reference) return std::nullopt;
  const Duration d = then - reference;
  if (d > max_usable_wait) return std::nullopt;
  return d;
}

/// `retry-after`: delay-seconds or an HTTP-date read against the reply's `date` (or `now`
/// when the reply had none).
inline std::optional<Duration> parse_retry_after(std::string_view value,
                                                 std::optional<WallTime> reply_date,
                                                 WallTime now) noexcept {
  const std::string_view s = ascii::trim(value);
  if (s.empty()) return std::nullopt;
  if (ascii::is_digit(s.front()) || s.front() == '-' || s.front() == '+' || s.front() == '.')
    return parse_number_wait(s);
  if (auto t = parse_http_date(s)) return wait_until(*t, reply_date.value_or(now));
  return std::nullopt;
}

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
    auto v = take_number(t);
    if (!v) break;
    std::string_view u = t;
    while (!u.empty() && u.front() == ' ') u.remove_prefix(1);
    std::size_t n = 0;
    while (n < u.size() && is_unit_char(u[n])) ++n;
    const double per = unit_ns(u.substr(0, n));
    if (per == 0) break;
    total += *v * per;
    any = true;
    s = u.substr(n);
  }
  if (!any) return std::nullopt;
  return to_duration(total);
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
