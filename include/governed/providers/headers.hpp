#pragma once
/// @file
/// Response headers as the classifier sees them, and the rate-limit state they carry.
///
/// Every provider that limits also reports: OpenAI, Groq, Azure and DeepSeek send
/// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets as Go durations, `6m0s`),
/// Anthropic `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-*` (resets as
/// RFC 3339 times), Mistral `x-ratelimit-{limit,remaining}-{req,tokens}-{minute,month}`,
/// OpenRouter `x-ratelimit-{limit,remaining,reset}` (reset in epoch milliseconds). A
/// `HeaderSnapshot` is the provider-neutral reading a limit set adopts, on successes too.
/// `write_limit_headers` writes a snapshot in a family's names, as governed-sim sends them;
/// `read_limit_headers` reads them back.

#include <governed/ascii.hpp>
#include <governed/dimension.hpp>
#include <governed/providers/wait.hpp>
#include <governed/wire/time.hpp>
#include <governed/time.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::providers {

/// One response header; names compare case-insensitively.
struct Header {
  std::string_view name;
  std::string_view value;
};

/// A non-owning view of a reply's headers.
class HeaderView {
 public:
  HeaderView() = default;
  HeaderView(std::span<const Header> headers) noexcept : headers_(headers) {}
  HeaderView(const std::vector<Header>& headers) noexcept : headers_(headers) {}

  /// The first header of that name, compared case-insensitively.
  std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const auto& h : headers_)
      if (ascii::iequals(h.name, name)) return h.value;
    return std::nullopt;
  }

  auto begin() const noexcept { return headers_.begin(); }
  auto end() const noexcept { return headers_.end(); }
  std::size_t size() const noexcept { return headers_.size(); }

 private:
  std::span<const Header> headers_{};
};

/// Which rate-limit header names a provider sends.
enum class HeaderFamily : std::uint8_t { openai, anthropic, mistral, openrouter, none };

/// The rate-limit dimensions providers report.
enum class Dimension : std::uint8_t { requests, tokens, input_tokens, output_tokens };

/// One dimension's state as of the reply: how much the window allows, how much is left, and
/// when it is back to full (from the reply).
struct LimitReading {
  std::optional<std::int64_t> limit{};
  std::optional<std::int64_t> remaining{};
  std::optional<Duration> reset_after{};
  /// The window the limit is counted over when the provider says or the table knows (Groq's
  /// request headers count a day, Mistral names its windows); empty when unknown.
  std::optional<Duration> window{};

  bool empty() const noexcept { return !limit && !remaining && !reset_after; }
  friend bool operator==(const LimitReading&, const LimitReading&) = default;
};

/// Everything a reply's headers say about limits: what `LimitSet::sync(dimension, remaining,
/// reset_after)` consumes.
struct HeaderSnapshot {
  LimitReading requests{};
  LimitReading tokens{};
  LimitReading input_tokens{};
  LimitReading output_tokens{};

  LimitReading& operator[](Dimension d) noexcept {
    switch (d) {
      case Dimension::requests: return requests;
      case Dimension::tokens: return tokens;
      case Dimension::input_tokens: return input_tokens;
      case Dimension::output_tokens: return output_tokens;
    }
    return requests;
  }
  const LimitReading& operator[](Dimension d) const noexcept {
    return (*const_cast<HeaderSnapshot*>(this))[d];
  }
  bool empty() const noexcept {
    return requests.empty() && tokens.empty() && input_tokens.empty() && output_tokens.empty();
  }
  friend bool operator==(const HeaderSnapshot&, const HeaderSnapshot&) = default;
};

/// What the provider table knows about a header family's windows when the names do not say.
struct HeaderWindows {
  std::optional<Duration> requests{};
  std::optional<Duration> tokens{};
  friend bool operator==(const HeaderWindows&, const HeaderWindows&) = default;
};

namespace detail {

/// A count header: a non-negative integer. Azure sends -1 for "not applicable", which is not
/// a count; so is anything that is not a number.
inline std::optional<std::int64_t> parse_count(std::string_view v) noexcept {
  v = ascii::trim(v);
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n < 0) return std::nullopt;
  return n;
}

/// A reset header: RFC 3339 time (Anthropic), epoch seconds or milliseconds (OpenRouter), or
/// a Go duration / plain seconds (OpenAI family).
inline std::optional<Duration> parse_reset(std::string_view v, const HeaderView& headers,
                                           std::optional<WallTime>& reply_date, bool& date_read,
                                           WallTime now) noexcept {
  v = ascii::trim(v);
  if (v.size() >= 20 && v[4] == '-' && v[10] == 'T') {
    auto t = parse_rfc3339(v);
    if (!t) return std::nullopt;
    if (!date_read) {
      date_read = true;
      if (auto d = headers.get("date")) reply_date = parse_http_date(*d);
    }
    const WallTime ref = reply_date.value_or(now);
    if (*t <= ref) return Duration::zero();
    return wait_until(*t, ref);
  }
  if (auto n = parse_count(v); n && *n >= 1'000'000'000) {
    // An epoch: milliseconds from 10^12 on (year 2001), seconds below; beyond year 2200 it is
    // neither, and would not fit in nanoseconds.
    constexpr std::int64_t max_s = 7'258'118'400;  // 2200-01-01
    if (*n >= 1'000'000'000'000 ? *n / 1000 > max_s : *n > max_s) return std::nullopt;
    const WallTime t = *n >= 1'000'000'000'000 ? WallTime{std::chrono::milliseconds{*n}}
                                                : WallTime{std::chrono::seconds{*n}};
    if (t <= now) return Duration::zero();
    return wait_until(t, now);
  }
  return parse_go_duration(v);
}

inline std::optional<Dimension> dimension_of(std::string_view s) noexcept {
  if (s == "requests" || s == "request" || s == "req") return Dimension::requests;
  if (s == "tokens") return Dimension::tokens;
  if (s == "input-tokens") return Dimension::input_tokens;
  if (s == "output-tokens") return Dimension::output_tokens;
  return std::nullopt;
}

inline std::optional<Duration> window_of(std::string_view s) noexcept {
  using namespace std::chrono;
  if (s == "second") return seconds{1};
  if (s == "minute") return minutes{1};
  if (s == "hour") return hours{1};
  if (s == "day") return hours{24};
  if (s == "month") return hours{24 * 30};
  return std::nullopt;
}

}  // namespace detail

/// Reads every rate-limit header of a reply in one pass. `now` is the wall-clock time the
/// reply arrived; reset times are read against the reply's own `date` when it has one, so a
/// skewed local clock does not stretch or shrink the wait.
inline HeaderSnapshot read_limit_headers(const HeaderView& headers, WallTime now,
                                         const HeaderWindows& windows = {}) noexcept {
  HeaderSnapshot snap;
  std::optional<WallTime> reply_date;
  bool date_read = false;
  // Mistral reports a minute and a month window for the same dimension: the shortest window
  // is the one that throttles, so it wins.
  auto assign = [&](Dimension dim, std::string_view field, std::string_view value,
                    std::optional<Duration> window) {
    LimitReading& r = snap[dim];
    if (window && r.window && *r.window < *window) return;
    if (window && r.window && *r.window > *window) r = LimitReading{};
    if (window) r.window = window;
    if (field == "limit") {
      r.limit = detail::parse_count(value);
    } else if (field == "remaining") {
      r.remaining = detail::parse_count(value);
    } else if (field == "reset") {
      r.reset_after = detail::parse_reset(value, headers, reply_date, date_read, now);
    }
  };
  for (const auto& h : headers) {
    // Every limit header starts "x-ratelimit-" or "anthropic-ratelimit-": most headers of a
    // reply are neither and are passed over on their first letter.
    if (h.name.size() < 13 || h.name.size() > 80) continue;
    if (const char c = ascii::lower(h.name[0]); c != 'x' && c != 'a') continue;
    char buf[80];
    for (std::size_t i = 0; i < h.name.size(); ++i) buf[i] = ascii::lower(h.name[i]);
    std::string_view name{buf, h.name.size()};
    if (name.starts_with("x-ratelimit-")) {
      // x-ratelimit-<field>[-<dimension>[-<window>]]
      std::string_view rest = name.substr(12);
      const auto dash = rest.find('-');
      const std::string_view field = rest.substr(0, dash);
      if (field != "limit" && field != "remaining" && field != "reset") continue;
      if (dash == std::string_view::npos) {
        assign(Dimension::requests, field, h.value, std::nullopt);
        continue;
      }
      std::string_view dim_window = rest.substr(dash + 1);
      std::optional<Duration> window;
      auto dim = detail::dimension_of(dim_window);
      if (!dim) {
        const auto last = dim_window.rfind('-');
        if (last == std::string_view::npos) continue;
        window = detail::window_of(dim_window.substr(last + 1));
        dim = detail::dimension_of(dim_window.substr(0, last));
        if (!dim || !window) continue;
      }
      if (!window) window = *dim == Dimension::requests ? windows.requests : windows.tokens;
      assign(*dim, field, h.value, window);
    } else if (name.starts_with("anthropic-ratelimit-")) {
      // anthropic-ratelimit-<dimension>-<field>
      std::string_view rest = name.substr(20);
      const auto last = rest.rfind('-');
      if (last == std::string_view::npos) continue;
      auto dim = detail::dimension_of(rest.substr(0, last));
      if (!dim) continue;
      assign(*dim, rest.substr(last + 1), h.value, std::chrono::minutes{1});
    }
  }
  return snap;
}

/// Hands `sync(dimension, remaining, reset_after)` every reading of `h` that states both what
/// is left and when the window is full again, with the limit-set dimension it counts in: a
/// window of an hour or more is the day's, else the minute's (input and output tokens are
/// counted per minute only). In the order requests, tokens, input tokens, output tokens.
template <class Sync>
void for_each_limit_reading(const HeaderSnapshot& h, Sync&& sync) {
  const auto one = [&](const LimitReading& r, governed::Dimension minute, governed::Dimension day) {
    if (!r.remaining || !r.reset_after || *r.remaining < 0) return;
    const bool daily = r.window && *r.window >= std::chrono::hours{1};
    sync(daily ? day : minute, static_cast<std::uint64_t>(*r.remaining), *r.reset_after);
  };
  using D = governed::Dimension;
  one(h.requests, D::requests_per_minute, D::requests_per_day);
  one(h.tokens, D::tokens_per_minute, D::tokens_per_day);
  one(h.input_tokens, D::input_tokens_per_minute, D::input_tokens_per_minute);
  one(h.output_tokens, D::output_tokens_per_minute, D::output_tokens_per_minute);
}

namespace limit_writing {

using Lines = std::vector<std::pair<std::string, std::string>>;

inline void put(Lines& out, std::string name, const std::optional<std::int64_t>& v) {
  if (v) out.emplace_back(std::move(name), std::to_string(*v));
}

/// The name Mistral gives a window (the inverse of `detail::window_of`); a minute when unknown.
inline std::string_view window_name(const std::optional<Duration>& w) noexcept {
  using namespace std::chrono;
  if (w == Duration{seconds{1}}) return "second";
  if (w == Duration{hours{1}}) return "hour";
  if (w == Duration{hours{24}}) return "day";
  if (w == Duration{hours{24 * 30}}) return "month";
  return "minute";
}

/// OpenAI's family (Groq, Azure, DeepSeek): requests and tokens, resets as Go durations.
inline void openai_family(const HeaderSnapshot& h, Lines& out) {
  put(out, "x-ratelimit-limit-requests", h.requests.limit);
  put(out, "x-ratelimit-limit-tokens", h.tokens.limit);
  put(out, "x-ratelimit-remaining-requests", h.requests.remaining);
  put(out, "x-ratelimit-remaining-tokens", h.tokens.remaining);
  if (h.requests.reset_after) out.emplace_back("x-ratelimit-reset-requests", wire::go_duration(*h.requests.reset_after));
  if (h.tokens.reset_after) out.emplace_back("x-ratelimit-reset-tokens", wire::go_duration(*h.tokens.reset_after));
}

/// Anthropic's: each dimension's limit, remaining and reset (an RFC 3339 time).
inline void anthropic_family(const HeaderSnapshot& h, WallTime now, Lines& out) {
  const std::pair<std::string_view, const LimitReading*> dims[] = {
      {"requests", &h.requests}, {"input-tokens", &h.input_tokens}, {"output-tokens", &h.output_tokens}, {"tokens", &h.tokens}};
  for (const auto& [dim, r] : dims) {
    const std::string prefix = "anthropic-ratelimit-" + std::string(dim);
    put(out, prefix + "-limit", r->limit);
    put(out, prefix + "-remaining", r->remaining);
    if (r->reset_after) out.emplace_back(prefix + "-reset", wire::rfc3339(now + *r->reset_after));
  }
}

/// Mistral's: requests and tokens, each named with its window, no reset.
inline void mistral_family(const HeaderSnapshot& h, Lines& out) {
  const std::string req(window_name(h.requests.window)), tok(window_name(h.tokens.window));
  put(out, "x-ratelimit-limit-req-" + req, h.requests.limit);
  put(out, "x-ratelimit-remaining-req-" + req, h.requests.remaining);
  put(out, "x-ratelimit-limit-tokens-" + tok, h.tokens.limit);
  put(out, "x-ratelimit-remaining-tokens-" + tok, h.tokens.remaining);
}

/// OpenRouter's: requests only, the reset in epoch milliseconds.
inline void openrouter_family(const HeaderSnapshot& h, WallTime now, Lines& out) {
  put(out, "x-ratelimit-limit", h.requests.limit);
  put(out, "x-ratelimit-remaining", h.requests.remaining);
  if (h.requests.reset_after) put(out, "x-ratelimit-reset", wire::epoch_ms(now + *h.requests.reset_after));
}

}  // namespace limit_writing

/// Appends to `out` the rate-limit headers of `family` that state `h` at `now`, each field a
/// reading holds and the family has a name for: what `read_limit_headers` reads back (resets to
/// the millisecond; Anthropic's, a time of day, to the second). Gemini's family, `none`,
/// writes nothing.
inline void write_limit_headers(const HeaderSnapshot& h, HeaderFamily family, WallTime now,
                                std::vector<std::pair<std::string, std::string>>& out) {
  switch (family) {
    case HeaderFamily::openai: limit_writing::openai_family(h, out); break;
    case HeaderFamily::anthropic: limit_writing::anthropic_family(h, now, out); break;
    case HeaderFamily::mistral: limit_writing::mistral_family(h, out); break;
    case HeaderFamily::openrouter: limit_writing::openrouter_family(h, now, out); break;
    case HeaderFamily::none: break;
  }
}

}  // namespace governed::providers
