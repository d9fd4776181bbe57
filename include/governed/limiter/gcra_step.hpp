#pragma once
/// @file
/// `limiter::gcra_step`: GCRA's admission arithmetic as one pure function — a theoretical
/// arrival time (TAT), a request's cells and the instant in; the decision and the TAT it leaves
/// out. No atomics and no clock: `limiter::gcra` calls it inside its compare-and-swap loop, and
/// the Redis admission script (`redis::admit_script`, redis/limit_scripts.hpp) repeats it line for
/// line in Lua, with the same names in the same order. tests/data/gcra_vectors.hpp holds the
/// vectors both are checked against (tests/limiter/gcra_vectors.cpp for this function and the
/// limiter, tests/redis/gcra_vectors.cpp for the script on a real redis-server).
///
/// Worked: T = 1 s, burst 1 (60 a minute), on a rested limit. At t = 0 one cell: the TAT moves
/// from the far past to 0 + 1 s, which is 1 s ahead of now, within the horizon of 1 · 1 s:
/// admitted, the TAT is 1 s. Again at t = 0: the TAT would move to 2 s, 2 s ahead, 1 s past the
/// horizon: not yet, wait 1 s.

#include <governed/limiter/decision.hpp>
#include <governed/saturating.hpp>

#include <algorithm>
#include <cstdint>

namespace governed::limiter {

/// The TAT of a limit that has never admitted anything: the far past, so the limit is rested
/// whatever instant the clock starts at. (The script's `rested` is -math.huge; a key that does
/// not exist, never written or expired after resting, reads as it.)
inline constexpr std::int64_t gcra_rested = governed::detail::i64_min;

/// A GCRA limit's constants, fixed when it is built. Units are the caller's: nanoseconds in
/// `limiter::gcra`, whole microseconds in Redis.
struct GcraRate {
  std::int64_t interval = 1;  ///< T, the emission interval: the time one cell occupies, ≥ 1
  std::uint64_t burst = 1;    ///< B: the cells a rested limit admits at once
  std::uint64_t largest = 1;  ///< the largest request ever admitted, ≥ B (above B: oversized)
  std::int64_t horizon = 1;   ///< B · T: how far ahead of now the TAT may run

  /// The rate of T, B and the largest request. T is at least 1, and a burst of 0 (refused by
  /// `validate(Limit)`) counts as 1 for the horizon, so the horizon is never empty.
  static constexpr GcraRate of(std::int64_t interval, std::uint64_t burst, std::uint64_t largest) noexcept {
    const std::int64_t t = std::max<std::int64_t>(1, interval);
    return {t, burst, std::max(burst, largest), governed::detail::sat_mul(burst == 0 ? 1 : burst, t)};
  }
};

/// What one admission step decides.
struct GcraStep {
  Answer answer = Answer::admitted;
  /// Not yet: how long from now until the same request would pass, > 0. Otherwise 0.
  std::int64_t wait = 0;
  /// The TAT an admission leaves: the new state when admitted; when refused, what admitting
  /// would have left (the script holds an oversized request's barrier against it).
  std::int64_t next_tat = 0;
  /// Cells that could still be taken at once after the decision.
  std::uint64_t remaining = 0;
};

/// The time `cells` occupy: cells · T, clamped at the end of time. T ≥ 1 (`GcraRate::of`), so
/// unlike `detail::sat_mul` it tests no sign, which keeps an admission five instructions
/// shorter at -O2.
constexpr std::int64_t gcra_span(const GcraRate& rate, std::uint64_t cells) noexcept {
  std::int64_t span = 0;
  if (cells > static_cast<std::uint64_t>(governed::detail::i64_max) ||
      __builtin_mul_overflow(static_cast<std::int64_t>(cells), rate.interval, &span))
    return governed::detail::i64_max;
  return span;
}

/// Whole cells in a span of the TAT's time (none when it is not positive).
constexpr std::uint64_t gcra_cells_in(const GcraRate& rate, std::int64_t span) noexcept {
  return span <= 0 ? 0 : static_cast<std::uint64_t>(span / rate.interval);
}

/// Cells that could be taken at once at `now` when the TAT is `tat`: the horizon less how far
/// the TAT runs ahead of now.
constexpr std::uint64_t gcra_remaining(const GcraRate& rate, std::int64_t tat, std::int64_t now) noexcept {
  const std::int64_t level = tat > now ? governed::detail::sat_sub(tat, now) : 0;
  return gcra_cells_in(rate, governed::detail::sat_sub(rate.horizon, level));
}

/// `gcra_step` for a request above the burst: admitted once the limit has been rested for
/// (cells − B)·T by the TAT it finds (see `limiter::gcra`), its cells then run from now. Above
/// the largest request, never: no wait would admit it.
constexpr GcraStep gcra_oversized_step(const GcraRate& rate, std::int64_t tat, std::uint64_t cells,
                                       std::int64_t now) noexcept {
  // Lua: the caller's (LimitSet refuses it before it asks Redis).
  if (cells > rate.largest) return {Answer::exceeds_capacity, 0, tat, 0};
  const std::int64_t wait =
      governed::detail::sat_sub(governed::detail::sat_add(tat, gcra_span(rate, cells - rate.burst)), now);
  const std::int64_t next_tat = governed::detail::sat_add(now, gcra_span(rate, cells));
  if (wait > 0) return {Answer::not_yet, wait, next_tat, gcra_remaining(rate, tat, now)};
  return {Answer::admitted, 0, next_tat, 0};
}

/// `gcra_step` for a request within the burst: each cell moves the TAT T past max(TAT, now); it
/// is admitted when that leaves the TAT at most the horizon ahead of now, and otherwise could
/// pass once it is no further ahead: after `wait`.
///
/// Always inlined: it is the whole of a common admission, which must cost what it did before
/// the step existed (`BM_Gcra_TryAcquire_Admit`), and GCC at -O2 left it out of line in
/// governed-bench.
[[gnu::always_inline]] constexpr GcraStep gcra_burst_step(const GcraRate& rate, std::int64_t tat, std::uint64_t cells,
                                                          std::int64_t now) noexcept {
  const std::int64_t next_tat = governed::detail::sat_add(std::max(tat, now), gcra_span(rate, cells));
  const std::int64_t ahead = governed::detail::sat_sub(next_tat, now);
  // The script's wait = ahead - horizon, refused when > 0. ahead ≥ 0 (next_tat ≥ now) and the
  // horizon too, so the difference never overflows.
  if (ahead > rate.horizon) return {Answer::not_yet, ahead - rate.horizon, next_tat, gcra_remaining(rate, tat, now)};
  // gcra_remaining(rate, next_tat, now), from the span already at hand.
  return {Answer::admitted, 0, next_tat, gcra_cells_in(rate, rate.horizon - ahead)};
}

/// One admission of `cells` at `now` on a limit whose TAT is `tat`: within the burst or above
/// it. (`limiter::gcra` makes this choice once, before its compare-and-swap loop.)
///
/// Saturating arithmetic: near the ends of the 64-bit range the TAT clamps instead of wrapping
/// to the far past (which would admit everything). The script counts in Lua numbers (doubles),
/// exact while every instant and product stays below 2^53 µs, about 285 years past 1970. It
/// reads what remains after deciding the whole set (its `available`), from the TAT found or
/// left, as `remaining` here.
constexpr GcraStep gcra_step(const GcraRate& rate, std::int64_t tat, std::uint64_t cells, std::int64_t now) noexcept {
  if (cells > rate.burst) return gcra_oversized_step(rate, tat, cells, now);
  return gcra_burst_step(rate, tat, cells, now);
}

}  // namespace governed::limiter
