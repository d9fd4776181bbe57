#pragma once
/// @file
/// `sim::Meter`: one account's (or key's) use of one model, counted the way providers count
/// it — exact sliding windows of 60 s and 24 h over requests and tokens, every dimension
/// admitted together or not at all.

#include <governed/limiter/sliding_window.hpp>
#include <governed/sim/limits.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace governed::sim {

/// What a limit counts.
enum class Measure : std::uint8_t { requests, tokens, input_tokens, output_tokens };
/// Over how long.
enum class Span : std::uint8_t { minute, day };

constexpr Duration length(Span s) noexcept {
  return s == Span::minute ? Duration{std::chrono::minutes{1}} : Duration{std::chrono::hours{24}};
}

/// What one request costs. `tokens` is input + output: the combined limits (TPM, TPD) count
/// both, Anthropic's ITPM and OTPM one each.
struct Charge {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t tokens() const noexcept { return input_tokens + output_tokens; }
};

/// Why a request was refused: the first limit it did not fit, with what the provider's
/// message reports (limit, used, requested) and when the same request would pass.
struct Refusal {
  Measure measure = Measure::requests;
  Span span = Span::minute;
  std::int64_t limit = 0;
  std::int64_t used = 0;
  std::int64_t requested = 0;
  /// Empty when the request is larger than the limit itself: no wait admits it.
  std::optional<Duration> wait{};
};

/// One limit's state for the rate-limit headers.
struct Reading {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  /// Until the window frees room for one more than `remaining` (zero when it is empty): with
  /// `remaining` 0, what a client must wait before the next request can pass — what
  /// `LimitSet::sync` and the classifier take the reset for.
  Duration reset{0};
};

/// The limits of one account on one model. Not thread-safe: the provider serialises calls.
class Meter {
 public:
  explicit Meter(const Limits& l) {
    // The exact window logs one entry per admission: sized to the most admissions a window
    // can hold (its request limit), capped at 2^17 entries (2 MiB) per window; beyond that
    // the limiter merges entries and errs on the side of refusing.
    constexpr std::int64_t cap = std::int64_t{1} << 17;
    auto per_minute = l.rpm ? *l.rpm : l.rpd ? *l.rpd : cap;
    auto per_day = l.rpd ? *l.rpd : l.rpm ? *l.rpm * 1440 : cap;
    set(Measure::requests, Span::minute, l.rpm, per_minute);
    set(Measure::requests, Span::day, l.rpd, per_day);
    set(Measure::tokens, Span::minute, l.tpm, per_minute);
    set(Measure::tokens, Span::day, l.tpd, per_day);
    set(Measure::input_tokens, Span::minute, l.itpm, per_minute);
    set(Measure::output_tokens, Span::minute, l.otpm, per_minute);
  }

  /// The first limit `c` does not fit at `now`, or nothing when it fits all. A request larger
  /// than a limit is reported before any wait (no wait helps); otherwise a daily limit before
  /// a per-minute one, because it is the one that will not clear by waiting a minute.
  std::optional<Refusal> check(const Charge& c, Instant now) const {
    std::optional<Refusal> worst;
    auto rank = [](const Refusal& r) { return !r.wait ? 2 : r.span == Span::day ? 1 : 0; };
    for (const auto& s : slots_) {
      if (!s.limit) continue;
      const std::int64_t n = cost(s.measure, c);
      if (n == 0 && *s.limit > 0) continue;
      Refusal r{s.measure, s.span, *s.limit, used(s, now), n, std::nullopt};
      if (!s.window || n > *s.limit) {
        // A zero limit (a model the tier does not offer) or a request above the limit.
      } else {
        const auto d = s.window->peek(static_cast<std::uint64_t>(n), now);
        if (d.admitted()) continue;
        r.wait = d.retry_after;
      }
      if (!worst || rank(r) > rank(*worst) || (rank(r) == rank(*worst) && r.wait > worst->wait)) worst = r;
    }
    return worst;
  }

  /// Counts `c` at `now`. Call after `check` found room (the provider holds its lock between).
  void commit(const Charge& c, Instant now) {
    for (auto& s : slots_) {
      const std::int64_t n = cost(s.measure, c);
      if (s.window && n > 0) s.window->consume(static_cast<std::uint64_t>(n), now);
    }
  }

  /// The state of one limit, or nothing when it is not limited.
  std::optional<Reading> reading(Measure m, Span sp, Instant now) const {
    const Slot& s = slot(m, sp);
    if (!s.limit) return std::nullopt;
    Reading r{*s.limit, 0, Duration::zero()};
    if (!s.window) return r;
    r.remaining = static_cast<std::int64_t>(s.window->available(now));
    if (r.remaining < r.limit) r.reset = s.window->peek(static_cast<std::uint64_t>(r.remaining) + 1, now).retry_after;
    return r;
  }

 private:
  struct Slot {
    Measure measure = Measure::requests;
    Span span = Span::minute;
    std::optional<std::int64_t> limit{};
    std::unique_ptr<limiter::sliding_window> window{};
  };

  static std::size_t index(Measure m, Span s) noexcept {
    return static_cast<std::size_t>(m) * 2 + static_cast<std::size_t>(s);
  }
  const Slot& slot(Measure m, Span s) const noexcept { return slots_[index(m, s)]; }

  void set(Measure m, Span sp, std::optional<std::int64_t> limit, std::int64_t admissions) {
    Slot& s = slots_[index(m, sp)];
    s.measure = m;
    s.span = sp;
    if (!limit) return;
    s.limit = std::max<std::int64_t>(*limit, 0);
    if (*s.limit == 0) return;
    const auto cells = static_cast<std::uint64_t>(*s.limit);
    const auto entries = static_cast<std::size_t>(std::clamp<std::int64_t>(admissions + 1, 2, std::int64_t{1} << 17));
    s.window = std::make_unique<limiter::sliding_window>(limiter::Limit{cells, length(sp), cells}, entries);
  }

  static std::int64_t cost(Measure m, const Charge& c) noexcept {
    switch (m) {
      case Measure::requests: return 1;
      case Measure::tokens: return c.tokens();
      case Measure::input_tokens: return c.input_tokens;
      case Measure::output_tokens: return c.output_tokens;
    }
    return 0;
  }

  static std::int64_t used(const Slot& s, Instant now) {
    if (!s.window) return 0;
    return *s.limit - static_cast<std::int64_t>(s.window->available(now));
  }

  std::array<Slot, 8> slots_{};
};

}  // namespace governed::sim
