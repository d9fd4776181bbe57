#pragma once
/// @file
/// `limiter::sliding_window_approx`: the two-window estimate of a sliding window.

#include <governed/limiter/detail/split_window.hpp>
#include <governed/family.hpp>

#include <string_view>

namespace governed::limiter {

/// Estimates the count of the sliding window ending now as
/// previous · (1 − elapsed/W) + current, assuming the previous window's cells were spread
/// evenly; two counters, constant memory. The estimate is exact for steady traffic, but
/// traffic bunched at the end of the previous window can put up to 2·C in a true sliding
/// window, so `derive` plans at most half the published limit; a request above that (up to the
/// published limit) goes into a window whose neighbours leave room for it (see
/// detail/split_window.hpp). Use `sliding_window` (the exact log) where the whole limit is
/// wanted.
class sliding_window_approx : public governed::detail::split_window<true> {
 public:
  using family = governed::family::limiter;
  static constexpr std::string_view name = "sliding_window_approx";
  using split_window::split_window;

  static Result<Limit> derive(const PublishedLimit& p, const Headroom& h) {
    return derive_split_window(p, h);
  }
};

}  // namespace governed::limiter
