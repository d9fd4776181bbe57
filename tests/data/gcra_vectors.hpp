#pragma once
// GCRA's vectors: limits, arrivals and the decisions they must meet, checked against
// `limiter::gcra_step` and `limiter::gcra` (tests/limiter/gcra_vectors.cpp) and against the
// Redis admission script on a real redis-server (tests/redis/gcra_vectors.cpp).
//
// Numbers are ticks: nanoseconds for the C++ limiter, microseconds for the script (which
// receives T in whole µs). Every arrival says what the C++ step answers; where the script
// answers otherwise — it keeps a barrier for a refused oversized request, which the in-process
// limiter leaves to its wait line — the row says what it answers and why. Vectors whose numbers
// a Lua double can not hold exactly are C++ only, and say so.
//
// The step, for a limit of emission interval T, burst B, horizon B·T and largest request L:
//   cells ≤ B:   next = max(TAT, now) + cells·T; admitted when next − now ≤ B·T, else
//                wait = next − now − B·T; remaining = ⌊(B·T − max(TAT − now, 0)) / T⌋ at the
//                TAT it leaves (admitted) or finds (refused).
//   B < cells ≤ L: admitted when TAT + (cells − B)·T ≤ now (rested long enough), leaving
//                TAT = now + cells·T; else wait = TAT + (cells − B)·T − now.
//   cells > L:   never (exceeds_capacity); the TAT stays.

#include <governed/limiter/decision.hpp>
#include <governed/limiter/gcra_step.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

namespace governed_test::gcra_vectors {

using governed::limiter::Answer;

/// A TAT that has never moved: the far past (`limiter::gcra_rested`).
inline constexpr std::int64_t rested = governed::limiter::gcra_rested;
inline constexpr std::int64_t end_of_time = std::numeric_limits<std::int64_t>::max();

/// What the Redis script answers for an arrival when it differs from the C++ step.
struct InRedis {
  enum class Is : std::uint8_t {
    the_same,   ///< the script answers as the step
    different,  ///< the script answers `answer`, `wait`, `remaining` instead
    not_asked,  ///< the script never sees it: `LimitSet` refuses it before it asks Redis
  };
  Is is = Is::the_same;
  Answer answer = Answer::admitted;
  std::int64_t wait = 0;
  std::uint64_t remaining = 0;
  std::string_view why{};
};

struct Arrival {
  std::int64_t at = 0;         ///< the instant
  std::uint64_t cells = 0;     ///< the request's cost
  Answer answer = Answer::admitted;
  std::int64_t wait = 0;       ///< not yet: how long until the same request would pass
  std::uint64_t remaining = 0; ///< cells that could still be taken at once after the decision
  std::int64_t tat = 0;        ///< the TAT after the decision (refused: the one it found)
  InRedis redis{};
};

constexpr Arrival admitted(std::int64_t at, std::uint64_t cells, std::uint64_t remaining, std::int64_t tat) {
  return {at, cells, Answer::admitted, 0, remaining, tat};
}
constexpr Arrival not_yet(std::int64_t at, std::uint64_t cells, std::int64_t wait, std::uint64_t remaining,
                          std::int64_t tat) {
  return {at, cells, Answer::not_yet, wait, remaining, tat};
}
constexpr Arrival exceeds_capacity(std::int64_t at, std::uint64_t cells, std::int64_t tat) {
  return {at, cells, Answer::exceeds_capacity, 0, 0, tat,
          {InRedis::Is::not_asked, {}, 0, 0,
           "a request above the largest is refused by LimitSet::prepare_shared before Redis is asked"}};
}
/// `a`, answered otherwise by the script.
constexpr Arrival in_redis(Arrival a, Answer answer, std::int64_t wait, std::uint64_t remaining,
                           std::string_view why) {
  a.redis = {InRedis::Is::different, answer, wait, remaining, why};
  return a;
}

struct Vector {
  std::string_view name;
  std::int64_t interval;  ///< T
  std::uint64_t burst;    ///< B
  std::uint64_t largest;  ///< L (= B: nothing above the burst is admitted)
  std::span<const Arrival> arrivals;
  /// Empty: the script is checked on every arrival. Otherwise why it is not.
  std::string_view cpp_only{};

  constexpr governed::limiter::GcraRate rate() const { return governed::limiter::GcraRate::of(interval, burst, largest); }
};

// T = 1 000, B = 3: the horizon is 3 000.
inline constexpr std::array burst_then_rate{
    // Worked: the TAT is the far past, so next = max(far past, 0) + 1·1 000 = 1 000; 1 000 ahead
    // of now is within the horizon 3 000: admitted, and (3 000 − 1 000) / 1 000 = 2 remain.
    admitted(0, 1, 2, 1'000),
    admitted(0, 1, 1, 2'000),
    // next − now = 3 000, the horizon exactly: still admitted.
    admitted(0, 1, 0, 3'000),
    // Worked: next = 3 000 + 1 000 = 4 000, 4 000 ahead, 1 000 past the horizon: wait 1 000.
    // Remaining at the TAT it found: (3 000 − (3 000 − 0)) / 1 000 = 0.
    not_yet(0, 1, 1'000, 0, 3'000),
    // One tick early: next = 4 000 is 3 001 ahead of 999, wait 1; 999 ticks free make no cell.
    not_yet(999, 1, 1, 0, 3'000),
    // At the instant it was told: next − now = 4 000 − 1 000 = 3 000, admitted.
    admitted(1'000, 1, 0, 4'000),
    // The clock stepped back to 500: the TAT only looks further away, so it refuses more.
    not_yet(500, 1, 1'500, 0, 4'000),
    // One cell remains at 2 500 (4 000 − 2 500 = 1 500 ahead, 1 500 of room), two do not fit:
    // next = 6 000 is 3 500 ahead, wait 500.
    not_yet(2'500, 2, 500, 1, 4'000),
    admitted(3'000, 2, 0, 6'000),
};

// 60 a minute with a burst of 1, in µs: T = 1 s. The worked numbers of `limiter::gcra`.
inline constexpr std::array one_a_second{
    admitted(0, 1, 0, 1'000'000),
    not_yet(0, 1, 1'000'000, 0, 1'000'000),
    admitted(1'000'000, 1, 0, 2'000'000),
    admitted(2'000'000, 1, 0, 3'000'000),
    // Half a second early: next = 4 000 000 is 1 500 000 ahead, half a second past the horizon.
    not_yet(2'500'000, 1, 500'000, 0, 3'000'000),
    admitted(3'000'000, 1, 0, 4'000'000),
    // Nothing above the burst is admitted here (L = B), whatever the wait.
    exceeds_capacity(3'000'000, 2, 4'000'000),
};

// 30 000 tokens a minute at 15 % headroom: B = 4 500, 25 500 a minute, T = 2 353 µs (60 s /
// 25 500, rounded up to whole µs), L = 30 000. The numbers of the limiter docs.
inline constexpr std::array oversized_after_rest{
    // Worked: 7 000 > B on a rested limit: far past + 2 500·2 353 is long before now, so it is
    // admitted and its cells run from now: TAT = 0 + 7 000·2 353 = 16 471 000.
    admitted(0, 7'000, 0, 16'471'000),
    // The burst after it: next = 16 471 000 + 4 500·2 353 = 27 059 500, which is 16 471 000
    // past the horizon 10 588 500: the 16.47 s of the docs.
    not_yet(0, 4'500, 16'471'000, 0, 16'471'000),
    admitted(16'471'000, 4'500, 0, 27'059'500),
    // Worked: at the TAT, 7 000 needs (7 000 − 4 500)·2 353 = 5 882 500 of rest by it: wait
    // 27 059 500 + 5 882 500 − 27 059 500 = 5.88 s. The whole burst is free meanwhile.
    in_redis(not_yet(27'059'500, 7'000, 5'882'500, 4'500, 27'059'500), Answer::not_yet, 5'882'500, 0,
             "a refused oversized request leaves a barrier holding the rest for it: nothing remains for others"),
    // Rested exactly as long as it needs: admitted (in Redis it also clears its barrier).
    admitted(32'942'000, 7'000, 0, 49'413'000),
};

// T = 1 000, B = 3, L = 6: a small request while an oversized one waits for rest.
inline constexpr std::array small_while_oversized_waits{
    admitted(0, 3, 0, 3'000),
    // 5 cells need 2·1 000 of rest by the TAT 3 000: wait 5 000.
    not_yet(0, 5, 5'000, 0, 3'000),
    // The step admits one cell at 3 000 (the TAT then is 4 000). Redis holds other requests to
    // the TAT the oversized one was refused at (3 000) until it is due (5 000) and a second's
    // grace (1 000 000 µs) after: wait 5 000 + 1 000 000 − 3 000.
    in_redis(admitted(3'000, 1, 2, 4'000), Answer::not_yet, 1'002'000, 0,
             "Redis only: across processes nobody's wait line keeps the others back, so a barrier does"),
};

// T = 1 000, B = 3, L = 5.
inline constexpr std::array above_the_largest{
    exceeds_capacity(0, 6, rested),
    admitted(0, 5, 0, 5'000),
    exceeds_capacity(0, 6, 5'000),
    // Any rest is not enough: no wait admits it.
    exceeds_capacity(1'000'000'000'000, 6, 5'000),
};

// T = 1 000, B = 3: rest does not pile up beyond the burst.
inline constexpr std::array after_a_long_idle{
    admitted(0, 3, 0, 3'000),
    admitted(1'000'000'000'000, 1, 2, 1'000'000'001'000),
    // next = 10¹² + 4 000, 4 000 ahead: wait 1 000, and the 2 that remain.
    not_yet(1'000'000'000'000, 3, 1'000, 2, 1'000'000'001'000),
    admitted(1'000'000'000'000, 2, 0, 1'000'000'003'000),
};

// T = 1 000, B = 2, L = 4: a request of no cells.
inline constexpr std::array no_cells{
    // It takes nothing, yet moves a rested TAT to now (max(far past, 0) + 0).
    admitted(0, 0, 2, 0),
    admitted(0, 2, 0, 2'000),
    admitted(0, 0, 0, 2'000),
    // Rested long enough for 4: its cells run from 5 000 to 9 000, past the horizon.
    admitted(5'000, 4, 0, 9'000),
    // So even no cells wait until the TAT is back within the horizon: 9 000 − 5 000 − 2 000.
    not_yet(5'000, 0, 2'000, 0, 9'000),
    admitted(7'000, 0, 0, 9'000),
};

// T = 1 000, B = 2, L = 4: no cells on a rested limit start its rest now, so a request above
// the burst right after waits the full (4 − 2)·1 000 though nothing was ever taken.
inline constexpr std::array no_cells_then_oversized{
    admitted(0, 0, 2, 0),
    in_redis(not_yet(0, 4, 2'000, 2, 0), Answer::not_yet, 2'000, 0,
             "a refused oversized request leaves a barrier holding the rest for it: nothing remains for others"),
};

// T = 1 000, B = 3 at instants just below 2⁵³ (9 007 199 254 740 992) µs, about 285 years past
// 1970: the largest the script still counts exactly.
inline constexpr std::array near_the_script_bound{
    admitted(9'007'199'254'000'000, 3, 0, 9'007'199'254'003'000),
    not_yet(9'007'199'254'000'000, 1, 1'000, 0, 9'007'199'254'003'000),
    admitted(9'007'199'254'001'000, 1, 0, 9'007'199'254'004'000),
};

// T = 1 000, B = 3 within 1 500 ticks of the end of the 64-bit range: the TAT clamps there
// instead of wrapping to the far past (which would admit everything after). Saturated, the
// limit is no longer exact: the last row admits though the rate says wait — the bound of
// `limiter::gcra` (292 years of nanoseconds from the clock's epoch).
inline constexpr std::array at_the_end_of_time{
    admitted(end_of_time - 1'500, 1, 2, end_of_time - 500),
    // next = end − 500 + 2 000 clamps to the end: 1 500 ahead, within the horizon; one remains.
    admitted(end_of_time - 1'500, 2, 1, end_of_time),
    admitted(end_of_time - 1'500, 2, 1, end_of_time),
};

// One cell a day (T = 8.64·10¹³ ns) and a request of a billion: (10⁹ − 1)·T overflows. A rested
// limit admits it and the TAT clamps at the end of time; what follows waits until nearly then.
inline constexpr std::array a_billion_a_day{
    admitted(0, 1'000'000'000, 0, end_of_time),
    not_yet(1'000'000'000'000'000'000, 1, end_of_time - 1'000'000'000'000'000'000 - 86'400'000'000'000, 0,
            end_of_time),
};

inline constexpr std::string_view beyond_doubles =
    "its numbers pass 2^53, beyond what a Lua double holds exactly (and 2^63, beyond a Redis integer reply)";

inline constexpr std::array vectors{
    Vector{"a rested limit admits its burst at once, then a cell each T", 1'000, 3, 3, burst_then_rate},
    Vector{"60 a minute with a burst of 1 admits one a second", 1'000'000, 1, 1, one_a_second},
    Vector{"a request above the burst waits until the limit has rested (n - B)·T", 2'353, 4'500, 30'000,
           oversized_after_rest},
    Vector{"a small request while an oversized one waits for rest", 1'000, 3, 6, small_while_oversized_waits},
    Vector{"a request above the largest is never admitted", 1'000, 3, 5, above_the_largest},
    Vector{"after a long idle a limit holds its burst, no more", 1'000, 3, 3, after_a_long_idle},
    Vector{"a request of no cells takes nothing and waits only past the horizon", 1'000, 2, 4, no_cells},
    Vector{"a request of no cells on a rested limit starts its rest", 1'000, 2, 4, no_cells_then_oversized},
    Vector{"instants just below 2^53 are exact in both", 1'000, 3, 3, near_the_script_bound},
    Vector{"near the end of the 64-bit range the TAT clamps", 1'000, 3, 3, at_the_end_of_time, beyond_doubles},
    Vector{"a billion cells of a day-long interval saturate", 86'400'000'000'000, 1, 1'000'000'000, a_billion_a_day,
           beyond_doubles},
};

}  // namespace governed_test::gcra_vectors
