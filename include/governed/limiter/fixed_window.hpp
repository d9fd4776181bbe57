#pragma once
/// @file
/// `limiter::fixed_window`: at most C cells per aligned window — the naive baseline.

#include <governed/limiter/detail/split_window.hpp>
#include <governed/family.hpp>

#include <string_view>

namespace governed::limiter {

/// Counts cells per aligned window [k·W, (k+1)·W) and admits while the count stays within
/// `cells`. Simple and cheap, but a provider that counts a sliding window sees up to twice that
/// across a boundary (C at the end of one window, C at the start of the next); `derive`
/// therefore plans at most half the published limit per window. A request above that (up to
/// the published limit) goes into a window whose neighbours leave room for it (see
/// detail/split_window.hpp).
///
/// 25 500 tokens a minute with 7 000-token requests: three launches a minute, at the start of
/// each window (21 000 tokens), the fourth waits for the next window.
class fixed_window : public governed::detail::split_window<false> {
 public:
  using family = governed::family::limiter;
  static constexpr std::string_view name = "fixed_window";
  using split_window::split_window;

  static Result<Limit> derive(const PublishedLimit& p, const Headroom& h) {
    return derive_split_window(p, h);
  }
};

}  // namespace governed::limiter
