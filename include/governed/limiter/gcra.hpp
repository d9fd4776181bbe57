#pragma once
/// @file
/// `limiter::gcra`: the generic cell rate algorithm — one atomic, a compare-and-swap loop, no
/// lock and no allocation.

#include <governed/saturating.hpp>
#include <governed/family.hpp>
#include <governed/limiter/decision.hpp>
#include <governed/limiter/gcra_step.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <string_view>

namespace governed::limiter {

/// GCRA keeps one number: the theoretical arrival time (TAT), the instant at which the limit
/// would be fully rested given everything admitted so far. Each cell moves it `T` (the
/// emission interval, window / cells, rounded up so the rate is never exceeded) past
/// max(TAT, now). A request of n cells is admitted when the new TAT is at most `burst · T`
/// ahead of now; otherwise it would be admissible at TAT + n·T − burst·T. That arithmetic is
/// `gcra_step` (limiter/gcra_step.hpp), which the Redis script repeats; this class keeps the
/// TAT in an atomic around it.
///
/// 60 RPM with burst 1: T = 1 s; admissions at t = 0, 1, 2 … s, and a second request at t = 0
/// is told to retry after 1 s. 25 500 TPM with burst 7 000: T = 2.353 ms; 7 000-token
/// launches go 16.47 s apart.
///
/// A request above the burst B but within `Limit::largest` (n ≤ L, the published limit, when
/// derived) is oversized. It is admitted at t when the limit has been fully rested for
/// (n − B)·T — TAT ≤ t − (n − B)·T, the stored TAT, not clamped to t — and moves TAT to
/// t + n·T. Why every window of length W then still holds at most max(n, B + ⌊W/T⌋) ≤ L: each
/// admission's cells occupy slots of T after max(TAT, t), so the cells admitted within
/// [s, s + W] occupy disjoint slots that start at or after s. If the last of them is normal,
/// its slots end by its time + B·T ≤ s + W + B·T, so they number at most ⌊W/T⌋ + B. If it is
/// an oversized n at t, all before it end by t − (n − B)·T: they number at most
/// (t − s)/T − (n − B), and with its n at most ⌊W/T⌋ + B again. Later requests queue behind
/// its slots as behind any others. `derive_rate` makes B + W/T ≤ L.
///
/// 30 000 TPM at 15 % headroom (B = 4 500, 25 500/min, T = 2.353 ms): a 7 000-token request
/// passes after 5.88 s of rest, and the next 4 500-token one 16.47 s after it.
///
/// `try_acquire` holds no place for an oversized request: while other threads take cells at
/// the sustained rate, the TAT never rests (n − B)·T behind now and it is refused every time.
/// A `State` serves its calls through the set's wait line, one at a time in order, so nobody
/// behind an oversized call takes cells while it waits at the head; a caller using the limiter
/// directly from several threads should `reserve` an oversized request, which takes its slot
/// at once and makes later requests queue behind it.
///
/// A clock that steps backwards only makes TAT look further away, so it refuses more, never
/// admits more. All arithmetic saturates: one cell a day (T = 8.64·10¹³ ns) with a billion-cell
/// request, or a billion cells a second (T = 1 ns), stay defined.
class gcra {
 public:
  using family = governed::family::limiter;
  static constexpr std::string_view name = "gcra";

  explicit gcra(const Limit& limit) noexcept
      : limit_(limit), rate_(GcraRate::of(interval_of(limit), limit.burst, largest_request(limit))) {}

  gcra(const gcra&) = delete;
  gcra& operator=(const gcra&) = delete;

  /// The `Limit` for a provider's published one; see `derive_rate`.
  static Result<Limit> derive(const PublishedLimit& p, const Headroom& h) {
    return derive_rate(p, h);
  }

  /// Takes `n` cells at `now` if they fit.
  Decision try_acquire(std::uint64_t n, Instant now) noexcept {
    // `gcra_step`'s choice between its halves, made once before the CAS loop: the loop around
    // the common half stays as short as it was before the step existed.
    if (n > rate_.burst) return admit<gcra_oversized_step>(n, now);
    return admit<gcra_burst_step>(n, now);
  }

  /// What `try_acquire(n, now)` would answer, without taking anything: its remaining count is
  /// the one before the request.
  Decision peek(std::uint64_t n, Instant now) const noexcept {
    const std::int64_t t = now.time_since_epoch().count();
    const std::int64_t tat = tat_.load(std::memory_order_relaxed);
    const GcraStep step = gcra_step(rate_, tat, n, t);
    if (step.answer == Answer::exceeds_capacity) return {step.answer, Duration{0}, 0};
    return {step.answer, Duration{step.wait}, gcra_remaining(rate_, tat, t)};
  }

  /// Takes `n` cells in the earliest slot they fit, however far ahead, and says when that is.
  /// Later requests queue behind it: first come, first served.
  /// An oversized request's slot is the first instant the limit has been rested for
  /// (n − B)·T (see the class comment).
  Result<Reservation> reserve(std::uint64_t n, Instant now) noexcept {
    if (n > rate_.largest) return capacity_error(n);
    const bool oversized = n > limit_.burst;
    const std::int64_t t = now.time_since_epoch().count();
    const std::int64_t cost = governed::detail::sat_mul(n, rate_.interval);
    const std::int64_t returned = returned_.load(std::memory_order_acquire);
    std::int64_t tat = tat_.load(std::memory_order_relaxed);
    for (;;) {
      const std::int64_t start =
          oversized ? governed::detail::sat_add(t, std::max<std::int64_t>(0, oversized_wait(n, tat, t)))
                    : std::max(tat, t);
      const std::int64_t next = governed::detail::sat_add(start, cost);
      if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
        const std::int64_t ready = oversized ? start : std::max(t, governed::detail::sat_sub(next, rate_.horizon));
        // A waiting reservation will send at `ready`, however much room refunds make before:
        // its slots must stay where they are (see `refund`).
        if (ready > t) raise_floor(next);
        return Reservation{Instant{Duration{ready}}, n, stamp_of(next, returned)};
      }
    }
  }

  /// Gives a reservation's cells back (a cancelled wait, or an admission undone at once): one
  /// neither refunded nor cancelled before. The latest reservation returns its slots at once;
  /// one with others queued behind it keeps them until they drain, since the reservations
  /// behind it will send at the times they were promised. The latest oversized one also gives
  /// back the rest it waited for, so cancelling it leaves the limit as it found it.
  void cancel(const Reservation& r, Instant now) noexcept {
    const std::int64_t end = governed::detail::sat_sub(r.stamp.time_since_epoch().count(),
                                                       returned_.load(std::memory_order_acquire));
    const std::int64_t lead =
        r.cells > limit_.burst ? governed::detail::sat_mul(r.cells - limit_.burst, rate_.interval) : 0;
    const std::int64_t start = governed::detail::sat_sub(end, governed::detail::sat_mul(r.cells, rate_.interval));
    std::int64_t floor = end;
    floor_.compare_exchange_strong(floor, governed::detail::sat_sub(start, lead), std::memory_order_relaxed);
    if (lead > 0) {
      // Nothing was taken after it (TAT is still its end): the limit had rested since at most
      // start − lead before it came, and may again.
      std::int64_t tat = end;
      const std::int64_t back = std::max(governed::detail::sat_sub(start, lead), floor_.load(std::memory_order_relaxed));
      if (back < end && tat_.compare_exchange_strong(tat, back, std::memory_order_relaxed)) return;
    }
    refund(r.cells, r.stamp, now);
  }

  /// Gives back `n` cells of the admission stamped `stamp` (its real usage came in under the
  /// estimate). The admission's cells occupy the slots just before the TAT it left; only
  /// those still ahead of `now` can be returned — the others have drained and already made
  /// room. Later admissions were stacked right after it (any gap would put its slots in the
  /// past), so pulling the TAT back by the returned slots is the schedule the smaller request
  /// would have produced, and no admission's slots move before the time it was admitted.
  ///
  /// Earlier refunds pull every later slot back, so a stamp is the admission's TAT plus all
  /// the time returned before it; subtracting all the time returned since gives where its
  /// slots end now, or earlier (returns after it) — which only ever returns less. The TAT never
  /// goes below the end of the latest waiting reservation: that request will be sent at its
  /// promised time, so its slots can not move earlier.
  void refund(std::uint64_t n, Instant stamp, Instant now) noexcept {
    const std::int64_t t = now.time_since_epoch().count();
    const std::int64_t end = governed::detail::sat_sub(stamp.time_since_epoch().count(),
                                                       returned_.load(std::memory_order_acquire));
    const std::int64_t ahead = governed::detail::sat_sub(end, t);
    if (ahead <= 0) return;
    const std::int64_t back = std::min(governed::detail::sat_mul(n, rate_.interval), ahead);
    std::int64_t tat = tat_.load(std::memory_order_relaxed);
    for (;;) {
      if (tat <= t) return;
      const std::int64_t next = std::max({governed::detail::sat_sub(tat, back), t,
                                          floor_.load(std::memory_order_relaxed)});
      if (next >= tat) return;
      if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
        // Slots after these moved back; none did when these were the last (end == TAT).
        // After the CAS, with release: an admission that sees this shift sees the TAT too.
        if (end < tat) returned_.fetch_add(tat - next, std::memory_order_release);
        return;
      }
    }
  }

  /// Takes `n` cells whether or not they fit (the real usage came in above the estimate).
  /// Later requests wait for the debt to drain.
  void consume(std::uint64_t n, Instant now) noexcept {
    const std::int64_t t = now.time_since_epoch().count();
    const std::int64_t cost = governed::detail::sat_mul(n, rate_.interval);
    std::int64_t tat = tat_.load(std::memory_order_relaxed);
    while (!tat_.compare_exchange_weak(tat, governed::detail::sat_add(std::max(tat, t), cost),
                                       std::memory_order_relaxed)) {
    }
  }

  /// Adopts a provider's view — `remaining` cells left, the window full again after
  /// `reset_after` — where it is more conservative than ours. With nothing remaining, the next
  /// cell passes no earlier than now + reset_after.
  void sync(std::uint64_t remaining, Duration reset_after, Instant now) noexcept {
    const std::int64_t t = now.time_since_epoch().count();
    std::int64_t floor_tat;
    if (remaining == 0) {
      floor_tat = governed::detail::sat_add(governed::detail::sat_add(t, std::max<std::int64_t>(reset_after.count(), 0)),
                                  governed::detail::sat_sub(rate_.horizon, rate_.interval));
    } else if (remaining < limit_.burst) {
      floor_tat = governed::detail::sat_add(t, governed::detail::sat_mul(limit_.burst - remaining, rate_.interval));
    } else if (remaining < rate_.largest) {
      // Room for the burst, but an oversized request above `remaining` must wait.
      floor_tat = governed::detail::sat_sub(t, governed::detail::sat_mul(remaining - limit_.burst, rate_.interval));
    } else {
      return;
    }
    std::int64_t tat = tat_.load(std::memory_order_relaxed);
    while (tat < floor_tat &&
           !tat_.compare_exchange_weak(tat, floor_tat, std::memory_order_relaxed)) {
    }
  }

  /// Cells that could be taken at once at `now`.
  std::uint64_t available(Instant now) const noexcept {
    return gcra_remaining(rate_, tat_.load(std::memory_order_relaxed), now.time_since_epoch().count());
  }

  const Limit& limit() const noexcept { return limit_; }
  /// The emission interval T: the time one cell occupies.
  Duration interval() const noexcept { return Duration{rate_.interval}; }
  /// The instant the limit is fully rested again.
  Instant rested_at() const noexcept { return Instant{Duration{tat_.load(std::memory_order_relaxed)}}; }

 private:
  /// `try_acquire` around one half of `gcra_step`: the step decides from the TAT read, and a
  /// compare-and-swap installs the TAT it leaves if nobody moved it meanwhile.
  template <GcraStep (*Step)(const GcraRate&, std::int64_t, std::uint64_t, std::int64_t) noexcept>
  Decision admit(std::uint64_t n, Instant now) noexcept {
    const std::int64_t t = now.time_since_epoch().count();
    // Read before the CAS, with acquire: a refund whose shift this sees has also moved the TAT
    // this CAS builds on (see `refund`).
    const std::int64_t returned = returned_.load(std::memory_order_acquire);
    // Relaxed is enough for the TAT: it guards no other memory, and a compare-and-swap is
    // atomic in the variable's modification order at any ordering, so no two admissions share
    // a slot.
    std::int64_t tat = tat_.load(std::memory_order_relaxed);
    for (;;) {
      const GcraStep step = Step(rate_, tat, n, t);
      if (step.answer != Answer::admitted) return {step.answer, Duration{step.wait}, step.remaining};
      // A failed CAS reloads `tat`, and the step decides again from it.
      if (tat_.compare_exchange_weak(tat, step.next_tat, std::memory_order_relaxed))
        return {Answer::admitted, Duration{0}, step.remaining, stamp_of(step.next_tat, returned)};
    }
  }

  /// How long from t until a TAT of `tat` has been rested for (n − B)·T (≤ 0: it has): the
  /// wait of `gcra_oversized_step`, for a reservation that takes the slot after it.
  std::int64_t oversized_wait(std::uint64_t n, std::int64_t tat, std::int64_t t) const noexcept {
    const std::int64_t lead = governed::detail::sat_mul(n - limit_.burst, rate_.interval);
    return governed::detail::sat_sub(governed::detail::sat_add(tat, lead), t);
  }

  static std::int64_t interval_of(const Limit& l) noexcept {
    const std::int64_t w = l.window.count() > 0 ? l.window.count() : 1;
    const std::uint64_t c = l.cells == 0 ? 1 : l.cells;
    if (c > static_cast<std::uint64_t>(w)) return 1;  // finer than 1 ns a cell: 1 ns
    return std::max<std::int64_t>(1, governed::detail::ceil_div(w, static_cast<std::int64_t>(c)));
  }

  void raise_floor(std::int64_t end) noexcept {
    std::int64_t f = floor_.load(std::memory_order_relaxed);
    while (f < end && !floor_.compare_exchange_weak(f, end, std::memory_order_relaxed)) {
    }
  }

  static Instant stamp_of(std::int64_t tat, std::int64_t returned) noexcept {
    return Instant{Duration{governed::detail::sat_add(tat, returned)}};
  }

  Result<Reservation> capacity_error(std::uint64_t n) const {
    return fail(Errc::exceeds_capacity,
                fmt::format("{} cells can never be admitted by a limit that admits at most {} at once", n,
                            rate_.largest));
  }

  Limit limit_;
  // T in ns per cell (≥ 1), the burst, the largest request admitted (the burst, or more:
  // oversized) and burst · T, how far ahead of now the TAT may run.
  GcraRate rate_;
  // Starts in the far past: the limit is rested, whatever instant the clock starts at.
  std::atomic<std::int64_t> tat_{gcra_rested};
  // Total time refunds have pulled the TAT back by: the coordinate of every stamp.
  std::atomic<std::int64_t> returned_{0};
  // The end of the latest waiting reservation's slots: refunds never pull the TAT below it.
  std::atomic<std::int64_t> floor_{governed::detail::i64_min};
};

}  // namespace governed::limiter
