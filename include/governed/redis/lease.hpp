#pragma once
/// @file
/// `redis::Lease`: lease batching's bookkeeping (`BackendOptions::lease`). With a lease of N,
/// a limit set in Redis (redis/limits.hpp) takes the cells of N calls like the one asking in a
/// single admission, and the next calls of this process spend them here without a round trip.
/// The cells are counted in Redis before they are spent, so the shared limit still holds
/// exactly; what a lease has not spent when it ends — its hold ran out, a call did not fit, or
/// the set goes away — is handed back to Redis as a refund of the admission it was taken in.
///
/// Worked: a lease of 10 on a limit of burst 4, calls of 1 request each. The first call asks
/// Redis for min(10 · 1, 4) = 4 cells, keeps 3 and is admitted; the next three calls within the
/// hold spend those 3 at once; the fifth finds nothing left, the lease ends with 0 unspent
/// (nothing to refund) and that call asks Redis for the next block of 4.
///
/// Pure bookkeeping over the caller's instants: no lock, no clock, no Redis. The limit set
/// holds its lease lock around every use, and sends the refund `end` answers.

#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace governed::redis {

class Lease {
 public:
  using Cells = std::array<std::uint64_t, 6>;
  /// Per rate dimension, its burst, or nothing when the limit set has no such dimension.
  using Bursts = std::array<std::optional<std::uint64_t>, 6>;

  Lease() = default;
  /// A lease of `calls` calls at a time, kept `hold` after it is taken, over dimensions whose
  /// bursts are `bursts`. `calls` of 0 or 1: no batching, every admission goes to Redis.
  Lease(std::uint32_t calls, Duration hold, const Bursts& bursts) noexcept
      : calls_(calls), hold_(hold), bursts_(bursts) {}

  bool batching() const noexcept { return calls_ > 1; }

  /// The decision for `cells` out of the lease, when one is held at `now` (before its hold ran
  /// out) and covers them in every dimension; its cells are then spent. `available` in the
  /// answer is what the lease has left (UINT64_MAX for a dimension the set does not have).
  std::optional<SharedDecision> spend(const Cells& cells, Instant now) {
    if (!active_ || now >= expires_ || !fits(cells)) return std::nullopt;
    SharedDecision d = taken_;
    for (std::size_t i = 0; i < 6; ++i) {
      left_[i] -= cells[i];
      d.available[i] = bursts_[i] ? left_[i] : UINT64_MAX;
    }
    return d;
  }

  /// What the next lease should take for calls like `cells`: `calls` of them, within each
  /// dimension's burst, and never less than this call's own cells.
  Cells block_for(const Cells& cells) const noexcept {
    Cells block{};
    for (std::size_t i = 0; i < 6; ++i) {
      if (!bursts_[i] || cells[i] == 0) continue;
      block[i] = std::max(cells[i], std::min(*bursts_[i], cells[i] * calls_));
    }
    return block;
  }

  /// Holds what the admitted `block` (decision `d`, taken at `now`) leaves beyond this call's
  /// `cells`, until `now` + hold. A lease still held must be ended first.
  void take(const SharedDecision& d, const Cells& block, const Cells& cells, Instant now) noexcept {
    active_ = true;
    taken_ = d;
    expires_ = now + hold_;
    for (std::size_t i = 0; i < 6; ++i) left_[i] = block[i] - cells[i];
  }

  /// What an ended lease hands back: the admission its cells were taken in, the cells not
  /// spent per dimension, and the instant they go back at.
  struct Unspent {
    SharedDecision taken;
    Cells cells;
    Instant at;
  };

  /// Ends the lease held, if any, and answers what of it goes back to Redis: nothing when none
  /// was held or every cell was spent. `now` of `Instant{}` (the set is going away and has no
  /// instant of its own) gives them back as of the lease's end.
  std::optional<Unspent> end(Instant now) noexcept {
    if (!active_) return std::nullopt;
    active_ = false;
    const bool any = std::any_of(left_.begin(), left_.end(), [](std::uint64_t n) { return n > 0; });
    if (!any) return std::nullopt;
    return Unspent{taken_, left_, now == Instant{} ? expires_ : now};
  }

 private:
  bool fits(const Cells& cells) const noexcept {
    for (std::size_t i = 0; i < 6; ++i)
      if (bursts_[i] && cells[i] > left_[i]) return false;
    return true;
  }

  std::uint32_t calls_ = 0;
  Duration hold_{};
  Bursts bursts_{};
  bool active_ = false;
  SharedDecision taken_{};
  Cells left_{};  ///< what is not spent yet, per dimension
  Instant expires_{};
};

}  // namespace governed::redis
