#pragma once
/// @file
/// Saturating integer arithmetic for limiter time maths: at extreme rates (one cell a day),
/// huge costs or instants near the end of time, results clamp to the range instead of
/// wrapping into undefined behaviour.

#include <cstdint>
#include <limits>

namespace governed::detail {

/// 128-bit intermediates for products of a count and a span (cell·ns).
__extension__ using i128 = __int128;

inline constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();

constexpr std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? i64_max : i64_min;
  return r;
}

constexpr std::int64_t sat_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? i64_max : i64_min;
  return r;
}

/// n · t for a count and a non-negative span; saturates at int64 max.
constexpr std::int64_t sat_mul(std::uint64_t n, std::int64_t t) noexcept {
  if (t <= 0 || n == 0) return 0;
  std::int64_t r;
  if (n > static_cast<std::uint64_t>(i64_max) ||
      __builtin_mul_overflow(static_cast<std::int64_t>(n), t, &r))
    return i64_max;
  return r;
}

/// ceil(a / b) for a >= 0, b > 0.
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) noexcept {
  return a / b + (a % b != 0 ? 1 : 0);
}

}  // namespace governed::detail
