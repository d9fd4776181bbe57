#pragma once
/// @file
/// `Limit` (what a limiter enforces) and `PublishedLimit` (what a provider publishes), and the
/// rule that turns one into the other with headroom.

#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstdint>

namespace governed::limiter {

/// A limiter's parameters: a sustained rate of `cells` per `window`, a `burst` — the most
/// cells that may be taken at one instant after a quiet spell —, and `largest`, the largest
/// single request that may ever be admitted.
///
/// Worked numbers: `Limit{60, 1min, 1}` admits one request a second, at t = 0, 1, 2 … s.
/// `Limit{60, 1min, 10}` admits 10 at once, then one a second. GCRA and the token bucket use
/// all the fields; the window algorithms admit `cells` per `window`, ignore `burst`, and read
/// `largest` as the most one window may ever hold.
///
/// A request above the burst but within `largest` is "oversized": it is not refused, it waits
/// until the limiter has rested long enough that taking it at once keeps every window within
/// `largest` (each family's comment says when that is). A family's `derive` sets `largest` to
/// the published limit, so headroom never makes unservable a request that the provider would
/// accept; 0 (the default) means the burst, and only a request above it is refused.
struct Limit {
  std::uint64_t cells = 1;
  Duration window = std::chrono::seconds{1};
  std::uint64_t burst = 1;
  std::uint64_t largest = 0;

  friend bool operator==(const Limit&, const Limit&) = default;
};

/// The largest request `l` ever admits: `largest`, and never less than the burst.
constexpr std::uint64_t largest_request(const Limit& l) noexcept { return std::max(l.burst, l.largest); }

/// Refuses a limit no algorithm can run: zero cells, a window that is not positive, a zero
/// burst, or a burst whose span (burst × window / cells) does not fit in 292 years.
inline Result<void> validate(const Limit& l) {
  if (l.cells == 0) return fail(Errc::invalid_argument, "a limit needs at least one cell per window");
  if (l.window.count() <= 0) return fail(Errc::invalid_argument, "a limit's window must be positive");
  if (l.burst == 0) return fail(Errc::invalid_argument, "a limit's burst must be at least one cell");
  const long double span = static_cast<long double>(l.burst) * l.window.count() / l.cells;
  if (span >= 9.2e18L)
    return fail(Errc::invalid_argument,
                fmt::format("a burst of {} cells at {} per {} ns spans more time than can be counted",
                            l.burst, l.cells, l.window.count()));
  return {};
}

/// A limit as a provider publishes it: `limit` per `window` (30 000 tokens per minute, 14 400
/// requests per day), enforced by the provider over any window of that length.
struct PublishedLimit {
  std::uint64_t limit = 0;
  Duration window = std::chrono::minutes{1};
};

/// How a published limit becomes a limiter, and why no window of the provider's length ever
/// holds more than `limit` cells:
/// - `headroom` (0 ≤ h < 1, default 0.15) is the share kept in reserve for estimates that
///   come in low, clock skew and other clients.
/// - `largest` is the largest single request expected, in cells: the rate families make their
///   burst at least that, so such a request passes without first waiting for the limit to
///   rest. A larger one (up to the published limit) is still admitted, after that wait.
/// Each algorithm turns these into a `Limit` by its own worst case (see its `derive`); every
/// `Limit` derived admits requests up to the published limit (`Limit::largest`).
/// - `skew` is how much later one admitted call may reach the provider than another
///   admitted at the same instant (network, queues, scheduling). The provider's window of
///   length W then spans up to W + skew of the limiter's clock, so the limiter plans its window
///   that much longer. Without it the busiest window can hold exactly the limit, and the call
///   that arrives late tips it over.
struct Headroom {
  double share = 0.15;
  std::uint64_t largest = 1;
  Duration skew{0};
};

/// floor((1 − h) · L), at least 1, at most L.
inline std::uint64_t sustained(std::uint64_t limit, double headroom) {
  const long double v = std::floor(static_cast<long double>(limit) * (1.0L - headroom));
  if (v < 1) return 1;
  if (v > static_cast<long double>(limit)) return limit;
  return static_cast<std::uint64_t>(v);
}

inline Result<void> check_published(const PublishedLimit& p, const Headroom& h) {
  if (p.limit == 0) return fail(Errc::invalid_argument, "a published limit of zero admits nothing");
  if (p.window.count() <= 0) return fail(Errc::invalid_argument, "a published limit's window must be positive");
  if (h.skew < Duration{0} || h.skew > p.window)
    return fail(Errc::invalid_argument, "the skew allowance must be between zero and the limit's window");
  if (!(h.share >= 0.0 && h.share < 1.0))
    return fail(Errc::invalid_argument, fmt::format("headroom must be in [0, 1), not {}", h.share));
  if (h.largest > p.limit)
    return fail(Errc::exceeds_capacity,
                fmt::format("a request of {} cells can never fit a published limit of {} per window",
                            h.largest, p.limit));
  return {};
}

/// The window a limiter plans over: the provider's, lengthened by the skew allowance.
inline Duration planned_window(const PublishedLimit& p, const Headroom& h) noexcept { return p.window + h.skew; }

/// For rate algorithms (GCRA, token bucket): with burst B and one cell every T, a closed
/// window of length W holds at most B + ⌊W/T⌋ cells. So B = clamp(⌈h·L⌉, largest, L) and
/// the rate is min(⌊(1−h)·L⌋, L − B) per window, making B + ⌊W/T⌋ ≤ L. (W here and below is
/// the planned window, the provider's plus the skew allowance.)
///
/// 30 000 TPM, h = 0.15, largest 1: B = 4 500, rate 25 500/min. With 7 000-token requests
/// declared the burst is 7 000 and the rate drops to 23 000/min, so the sum stays 30 000.
/// Undeclared, a 7 000-token request is oversized on the 4 500 burst: it passes once the
/// limit has been rested for (7 000 − 4 500)·T = 5.9 s (see `gcra`), and never more than
/// 30 000 land in one window. When the burst is the whole limit (L = 1 RPM), the rate is one
/// cell per W + 1 ns: the next cell comes only after the first has left every window.
inline Result<Limit> derive_rate(const PublishedLimit& p, const Headroom& h) {
  if (auto ok = check_published(p, h); !ok) return tl::unexpected(ok.error());
  const auto reserve =
      static_cast<std::uint64_t>(std::ceil(static_cast<long double>(p.limit) * h.share));
  const std::uint64_t burst = std::min(std::max<std::uint64_t>({reserve, h.largest, 1}), p.limit);
  const std::uint64_t rate = std::min(sustained(p.limit, h.share), p.limit - burst);
  if (rate == 0) return Limit{1, planned_window(p, h) + Duration{1}, burst, p.limit};
  return Limit{rate, planned_window(p, h), burst, p.limit};
}

/// For windows counted separately (fixed windows, the two-window estimate): a closed window
/// of length W overlaps two counted windows, so it may hold 2·C. C = min(⌊(1−h)·L⌋, ⌊L/2⌋),
/// at least 1. A request above C is admitted into a counted window only while that window
/// and each neighbour together stay within L (see detail/split_window.hpp).
inline Result<Limit> derive_split_window(const PublishedLimit& p, const Headroom& h) {
  if (auto ok = check_published(p, h); !ok) return tl::unexpected(ok.error());
  const std::uint64_t capacity = std::max<std::uint64_t>(1, std::min(sustained(p.limit, h.share), p.limit / 2));
  return Limit{capacity, planned_window(p, h), capacity, p.limit};
}

}  // namespace governed::limiter
