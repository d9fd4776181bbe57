#pragma once
/// @file
/// How providers write times and durations on the wire, both directions in one place: Go
/// durations (OpenAI, Groq, Azure `x-ratelimit-reset-*` and "try again in" texts), delay
/// numbers (`retry-after`, `retry-after-ms`), HTTP-dates (`date`, `retry-after`), RFC 3339
/// (Anthropic resets), protobuf durations (Gemini `retryDelay`) and epoch milliseconds
/// (OpenRouter's `x-ratelimit-reset`). governed reads them; governed-sim writes them.
///
/// Every reader returns an empty optional for anything it can not read as a sensible wait:
/// negative values, garbage, and absurd values (more than `max_usable_wait`) are not waits a
/// governor should sleep on, so the caller falls back to its own backoff. Every writer rounds
/// a wait up, never down: a client that waits exactly what it was told must find the window
/// open, as it does with the real providers. So a wait written and read back is the wait
/// rounded up to the writer's precision.

#include <governed/ascii.hpp>
#include <governed/time.hpp>

#include <date/date.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace governed::wire {

/// The longest wait taken at face value: a monthly quota resets within 31 days, so anything
/// longer is a sentinel or garbage (one server sent `retry-after: 99999999999999999999`).
inline constexpr Duration max_usable_wait = std::chrono::hours{24 * 31};

namespace detail {

// The lexicon of a duration (numbers, units), which providers/wait.hpp also reads waits
// written in prose with.

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

/// The fixed fields of a date, read in place.
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

/// Seconds with up to three decimals, trailing zeros dropped: 46848 ms → "46.848", 5000 → "5".
inline std::string seconds_text(std::int64_t ms) {
  std::string s = fmt::format("{}.{:03}", ms / 1000, ms % 1000);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace detail

// Delay numbers.

/// `retry-after` / `retry-after-ms` style numbers: non-negative decimal, in `unit`.
inline std::optional<Duration> parse_number_wait(std::string_view text,
                                                 Duration unit = std::chrono::seconds{1}) noexcept {
  std::string_view s = ascii::trim(text);
  auto v = detail::take_number(s);
  if (!v || !s.empty()) return std::nullopt;
  return detail::to_duration(*v * static_cast<double>(unit.count()));
}

/// `d` rounded up to whole seconds (negative: zero): `retry-after` is delay-seconds
/// (RFC 9110 §10.2.3), so 120 ms is "1", never "0".
inline std::int64_t delay_seconds(Duration d) noexcept {
  if (d <= Duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::seconds>(d).count();
}

/// `d` rounded up to whole milliseconds (negative: zero): `retry-after-ms`.
inline std::int64_t delay_ms(Duration d) noexcept {
  if (d <= Duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::milliseconds>(d).count();
}

// Go durations.

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

/// Go's `time.Duration.String()` at millisecond precision: "0s", "644ms", "5.289s", "6m0s",
/// "22m46.848s", "1h2m3s" — what OpenAI and Groq print in headers and messages.
inline std::string go_duration(Duration d) {
  const std::int64_t ms = delay_ms(d);
  if (ms == 0) return "0s";
  if (ms < 1000) return fmt::format("{}ms", ms);
  const std::int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, rest = ms % 60'000;
  std::string out;
  if (h) out += fmt::format("{}h", h);
  if (h || m) out += fmt::format("{}m", m);
  return out + detail::seconds_text(rest) + "s";
}

/// A protobuf `Duration` in JSON, as Gemini's RetryInfo carries it: "26s", "0.25s". Read back
/// by `parse_go_duration`, whose syntax it is a part of.
inline std::string proto_duration(Duration d) { return detail::seconds_text(delay_ms(d)) + "s"; }

// Dates and times.

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

/// RFC 3339 in UTC at whole seconds, rounded up: "2024-03-26T20:00:00Z".
inline std::string rfc3339(WallTime t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::ceil<std::chrono::seconds>(t));
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

/// IMF-fixdate, the `date` header: "Tue, 26 Mar 2024 19:59:59 GMT".
inline std::string http_date(WallTime t) {
  return date::format("%a, %d %b %Y %H:%M:%S GMT", date::floor<std::chrono::seconds>(t));
}

/// Milliseconds since the Unix epoch, rounded up (OpenRouter's `x-ratelimit-reset`).
inline std::int64_t epoch_ms(WallTime t) {
  return std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()).count();
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

}  // namespace governed::wire
