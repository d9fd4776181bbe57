#pragma once
/// @file
/// How providers write times and durations on the wire, for the simulated replies: Go
/// durations (OpenAI, Groq, Azure `x-ratelimit-reset-*` and "try again in" texts), HTTP-dates
/// (`date`), RFC 3339 (Anthropic resets), protobuf durations (Gemini `retryDelay`), and
/// `retry-after` seconds.
///
/// Every wait is rounded up, never down: a client that waits exactly what it was told must
/// find the window open, as it does with the real providers.

#include <governed/time.hpp>

#include <date/date.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace governed::sim::time_text {

/// `d` rounded up to whole milliseconds (negative: zero).
inline std::int64_t ceil_ms(Duration d) noexcept {
  if (d <= Duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::milliseconds>(d).count();
}

/// `d` rounded up to whole seconds (negative: zero): `retry-after` is delay-seconds
/// (RFC 9110 §10.2.3), so 120 ms is "1", never "0".
inline std::int64_t ceil_seconds(Duration d) noexcept {
  if (d <= Duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::seconds>(d).count();
}

namespace detail {
/// Seconds with up to three decimals, trailing zeros dropped: 46848 ms → "46.848", 5000 → "5".
inline std::string seconds_text(std::int64_t ms) {
  std::string s = fmt::format("{}.{:03}", ms / 1000, ms % 1000);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}
}  // namespace detail

/// Go's `time.Duration.String()` at millisecond precision: "0s", "644ms", "5.289s", "6m0s",
/// "22m46.848s", "1h2m3s" — what OpenAI and Groq print in headers and messages.
inline std::string go_duration(Duration d) {
  const std::int64_t ms = ceil_ms(d);
  if (ms == 0) return "0s";
  if (ms < 1000) return fmt::format("{}ms", ms);
  const std::int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, rest = ms % 60'000;
  std::string out;
  if (h) out += fmt::format("{}h", h);
  if (h || m) out += fmt::format("{}m", m);
  return out + detail::seconds_text(rest) + "s";
}

/// A protobuf `Duration` in JSON, as Gemini's RetryInfo carries it: "26s", "0.250s".
inline std::string proto_duration(Duration d) { return detail::seconds_text(ceil_ms(d)) + "s"; }

/// IMF-fixdate, the `date` header: "Tue, 26 Mar 2024 19:59:59 GMT".
inline std::string http_date(WallTime t) {
  return date::format("%a, %d %b %Y %H:%M:%S GMT", date::floor<std::chrono::seconds>(t));
}

/// RFC 3339 in UTC at whole seconds, rounded up: "2024-03-26T20:00:00Z".
inline std::string rfc3339(WallTime t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::ceil<std::chrono::seconds>(t));
}

/// Milliseconds since the Unix epoch, rounded up (OpenRouter's `x-ratelimit-reset`).
inline std::int64_t epoch_ms(WallTime t) {
  return std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace governed::sim::time_text
