#pragma once
/// @file
/// `OversizedCap`: what a provider last said remains, as it bears on requests above a window
/// limiter's planned capacity.

#include <algorithm>
#include <cstdint>
#include <limits>

namespace governed::detail {

/// The window families admit an oversized request by their own count of the window; a
/// provider's rate-limit headers may know of more traffic (other clients of the account). When
/// they say only `remaining` cells are left until `reset`, an oversized request above that
/// waits for the reset; requests within the capacity follow the count, which `sync` already
/// lowers.
class OversizedCap {
 public:
  /// The provider said `remaining` are left at `now`, until `reset`.
  void lower(std::uint64_t remaining, std::int64_t now, std::int64_t reset) noexcept {
    if (until_ <= now) {
      cap_ = remaining;
      until_ = reset;
    } else {
      cap_ = std::min(cap_, remaining);
      until_ = std::max(until_, reset);
    }
  }

  /// The earliest instant at or after `from` an oversized request of `n` may pass.
  std::int64_t until(std::uint64_t n, std::int64_t from) const noexcept {
    return n > cap_ && until_ > from ? until_ : from;
  }

 private:
  std::uint64_t cap_ = std::numeric_limits<std::uint64_t>::max();
  std::int64_t until_ = std::numeric_limits<std::int64_t>::min();
};

}  // namespace governed::detail
