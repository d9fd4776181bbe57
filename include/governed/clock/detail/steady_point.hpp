#pragma once
/// @file
/// `detail::steady_point`: where an instant of governed's monotonic time line falls on
/// std::chrono::steady_clock, for the clocks that run on CLOCK_MONOTONIC (`steady`, `coarse`).

#include <governed/time.hpp>

#include <chrono>

namespace governed::detail {

/// The steady_clock instant of a point on governed's monotonic time line: the two share
/// CLOCK_MONOTONIC's epoch for `clock::steady` and `clock::coarse`.
inline std::chrono::steady_clock::time_point steady_point(Instant t) noexcept {
  return std::chrono::steady_clock::time_point{
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch())};
}

}  // namespace governed::detail
