#pragma once
/// @file
/// The two kinds of time governed works in.
///
/// Limiters run on a monotonic `Instant` in integer nanoseconds: it never jumps with NTP or
/// daylight saving, so rates stay exact. Provider resets, persisted "exhausted until" times
/// and HTTP `date` headers are wall-clock UTC (`WallTime`). Every clock policy supplies both.

#include <chrono>
#include <cstdint>
#include <limits>

namespace governed {

/// A span of monotonic time, in nanoseconds (int64: ±292 years).
using Duration = std::chrono::nanoseconds;

/// The epoch tag of governed's monotonic time line. For `clock::steady` and `clock::coarse`
/// it is the epoch of CLOCK_MONOTONIC; `clock::manual` starts wherever the test says.
struct MonotonicEpoch {};

/// A point on the monotonic time line.
using Instant = std::chrono::time_point<MonotonicEpoch, Duration>;

/// Wall-clock UTC, for provider resets and anything persisted.
using WallTime = std::chrono::time_point<std::chrono::system_clock, Duration>;

/// The furthest instant representable; "never" for waits that can not end.
inline constexpr Instant instant_max = Instant{Duration{std::numeric_limits<std::int64_t>::max()}};

}  // namespace governed
