// GCRA's vectors (tests/data/gcra_vectors.hpp) against the pure step and against the lock-free
// limiter that runs it in its CAS loop. tests/redis/gcra_vectors.cpp runs the same table
// through the Redis script.
#include <governed/limiter/gcra_step.hpp>

#include <governed/limiter/gcra.hpp>

#include "../data/gcra_vectors.hpp"

#include <catch2/catch.hpp>

#include <string>

using governed::Duration;
using governed::Instant;
using namespace governed::limiter;
namespace vec = governed_test::gcra_vectors;

namespace {

std::string describe_arrival(const vec::Vector& v, std::size_t row, const vec::Arrival& a) {
  return std::string(v.name) + ", row " + std::to_string(row + 1) + ": " + std::to_string(a.cells) + " cells at " +
         std::to_string(a.at);
}

}  // namespace

TEST_CASE("gcra_step decides every GCRA vector as worked by hand", "[limiter][gcra][vectors]") {
  for (const vec::Vector& v : vec::vectors) {
    const GcraRate rate = v.rate();
    std::int64_t tat = gcra_rested;
    for (std::size_t row = 0; row < v.arrivals.size(); ++row) {
      const vec::Arrival& a = v.arrivals[row];
      INFO(describe_arrival(v, row, a));
      const GcraStep step = gcra_step(rate, tat, a.cells, a.at);
      CHECK(to_string(step.answer) == to_string(a.answer));
      CHECK(step.wait == a.wait);
      CHECK(step.remaining == a.remaining);
      // Only an admission moves the TAT; a refusal leaves the one it found.
      if (step.answer == Answer::admitted) tat = step.next_tat;
      CHECK(tat == a.tat);
    }
  }
}

TEST_CASE("limiter::gcra answers every GCRA vector as its step does, and peek foretells it",
          "[limiter][gcra][vectors]") {
  for (const vec::Vector& v : vec::vectors) {
    // One cell per window of T ns: the limiter's emission interval is T exactly.
    gcra limiter(Limit{1, Duration{v.interval}, v.burst, v.largest});
    REQUIRE(limiter.interval() == Duration{v.interval});
    for (std::size_t row = 0; row < v.arrivals.size(); ++row) {
      const vec::Arrival& a = v.arrivals[row];
      INFO(describe_arrival(v, row, a));
      const Instant at{Duration{a.at}};
      const Decision foretold = limiter.peek(a.cells, at);
      const Decision d = limiter.try_acquire(a.cells, at);
      CHECK(to_string(foretold.answer) == to_string(d.answer));
      CHECK(foretold.retry_after == d.retry_after);
      CHECK(to_string(d.answer) == to_string(a.answer));
      CHECK(d.retry_after == Duration{a.wait});
      CHECK(d.remaining == a.remaining);
      CHECK(limiter.rested_at() == Instant{Duration{a.tat}});
    }
  }
}

TEST_CASE("the worked numbers of gcra_step hold at compile time", "[limiter][gcra][vectors]") {
  // 60 a minute, burst 1 (T = 1 s): the first cell at t = 0 passes, the second waits a second.
  constexpr GcraRate per_second = GcraRate::of(1'000'000'000, 1, 1);
  constexpr GcraStep first = gcra_step(per_second, gcra_rested, 1, 0);
  static_assert(first.answer == Answer::admitted && first.next_tat == 1'000'000'000);
  static_assert(gcra_step(per_second, first.next_tat, 1, 0).wait == 1'000'000'000);
  // 25 500 a minute with a burst of 7 000 (T = 2.353 ms): 7 000-token launches go 16.47 s apart.
  constexpr GcraRate tokens = GcraRate::of(2'352'942, 7'000, 7'000);
  constexpr GcraStep launch = gcra_step(tokens, gcra_rested, 7'000, 0);
  static_assert(gcra_step(tokens, launch.next_tat, 7'000, 0).wait == 16'470'594'000);
  SUCCEED("checked by static_assert");
}
