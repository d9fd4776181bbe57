#pragma once
/// @file
/// Arithmetic the backoff curves share: clamping to [min, max] and an exponential that never
/// overflows.

#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace governed::backoff::detail {

/// The ceiling and floor a curve clamps to. A negative maximum reads as 0; a minimum above the
/// maximum yields the maximum, because the maximum is the promise made to the caller (a
/// curve configured as min 90 s, max 60 s never sleeps longer than 60 s).
struct Bounds {
  Duration lo;
  Duration hi;
  constexpr Bounds(Duration min, Duration max) noexcept
      : lo(std::clamp(min, Duration{0}, std::max(max, Duration{0}))), hi(std::max(max, Duration{0})) {}
  constexpr Duration clamp(Duration d) const noexcept { return std::clamp(d, lo, hi); }
};

/// clamp(base · factor^k, min, max) for any inputs. Computed in double: 2 s · 2^1000 is
/// infinity, not a wrapped integer, and anything at or above the ceiling (infinity and NaN
/// included) is the ceiling. Below 2^53 ns (104 days) the products of the usual factors are
/// exact: 2 s · 2^k is 4, 8, 16, 32 s to the nanosecond.
inline Duration exponential_wait(Duration base, double factor, std::uint32_t k, Bounds b) noexcept {
  if (base <= Duration{0}) return b.lo;  // 0 · ∞ would be NaN; a zero base never grows
  const double x = static_cast<double>(base.count()) * std::pow(factor, static_cast<double>(k));
  // double(hi) rounds up to 2^63 for the largest hi, so x < double(hi) also keeps the cast below
  // in range.
  if (!(x < static_cast<double>(b.hi.count()))) return b.hi;
  if (x <= static_cast<double>(b.lo.count())) return b.lo;
  return b.clamp(Duration{static_cast<std::int64_t>(x)});
}

/// The attempts of a policy: at least 1 (the first call), so 0 means "never retry", not "retry
/// forever".
constexpr std::uint32_t at_least_one(std::uint32_t attempts) noexcept { return attempts == 0 ? 1 : attempts; }

/// The validation messages every policy shares; `who` names the policy.
inline Result<void> check_span(std::string_view who, std::string_view name, Duration d) {
  if (d < Duration{0})
    return fail(Errc::invalid_argument, fmt::format("backoff::{}: {} must not be negative (got {} ns)", who, name, d.count()));
  return {};
}

inline Result<void> check_bounds(std::string_view who, Duration min, Duration max, std::uint32_t attempts) {
  if (auto r = check_span(who, "min", min); !r) return r;
  if (auto r = check_span(who, "max", max); !r) return r;
  if (min > max)
    return fail(Errc::invalid_argument,
                fmt::format("backoff::{}: min ({} ns) is above max ({} ns)", who, min.count(), max.count()));
  if (attempts == 0)
    return fail(Errc::invalid_argument, fmt::format("backoff::{}: attempts must be at least 1 (the first call)", who));
  return {};
}

inline Result<void> check_factor(std::string_view who, double factor) {
  if (!std::isfinite(factor) || factor < 1.0)
    return fail(Errc::invalid_argument,
                fmt::format("backoff::{}: factor must be a finite number of at least 1 (got {})", who, factor));
  return {};
}

}  // namespace governed::backoff::detail
