#pragma once
/// @file
/// `governed::Random`: the seedable random source behind backoff jitter and random key choices.
///
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014;
/// the generator Java's `SplittableRandom` uses and the seeder of the xoshiro family): 8 bytes
/// of state, one add and three xor-shift-multiplies per draw, and it passes BigCrush. That is
/// plenty for spreading retries and keys. It is not a cryptographic generator; nothing here
/// needs one. `std::mt19937_64` would carry 2.5 KB of state per call walk, and the standard
/// distributions give different numbers on different standard libraries, so a seeded test
/// would not be reproducible everywhere: uniform draws here are Lemire's multiply-shift
/// ("Fast random integer generation in an interval", 2019), exact and unbiased.
///
/// Thread safety: a `Random` is a plain value; one thread uses it at a time. Make one per call
/// walk — `Random::from_entropy()` is thread-safe (one relaxed atomic add) and gives every walk
/// its own stream — or seed it (`Random{42}`) in tests to get the same jitter every run.
///
/// ```cpp
/// governed::Random rng{42};
/// auto wait = backoff::full_jitter{}.next(state, rng);  // the same wait on every run
/// ```

#include <governed/time.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace governed {

class Random {
 public:
  using result_type = std::uint64_t;

  /// A stream fixed by `seed`: equal seeds give equal sequences on every platform.
  constexpr explicit Random(std::uint64_t seed) noexcept : state_(seed) {}

  /// A fresh stream for one call walk. Seeds come from one process-wide counter stepped by the
  /// SplitMix increment, so concurrent walks never share a stream; the counter starts from the
  /// clocks and an address (ASLR), so two processes started together differ too.
  static Random from_entropy() noexcept {
    static std::atomic<std::uint64_t> sequence{initial_seed()};
    // Relaxed: the counter only has to hand out distinct values; it orders no other memory.
    return Random{mix(sequence.fetch_add(gamma, std::memory_order_relaxed))};
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /// The next 64 random bits (a UniformRandomBitGenerator, so `<random>` accepts it too).
  constexpr result_type operator()() noexcept {
    state_ += gamma;
    return mix(state_);
  }

  /// Uniform in [0, n); 0 when n is 0.
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    if (n == 0) return 0;
    // Lemire: the high half of x·n is uniform in [0, n) once the few low halves below
    // 2^64 mod n are rejected (at most n/2^64 of draws: for n < 2^32, under one in 4 billion).
    wide m = wide{(*this)()} * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
      while (low < threshold) {
        m = wide{(*this)()} * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  /// Uniform in [lo, hi], both ends included; `lo` when hi <= lo.
  constexpr Duration between(Duration lo, Duration hi) noexcept {
    if (hi <= lo) return lo;
    // The span in unsigned arithmetic, so [int64 min, int64 max] does not overflow.
    const std::uint64_t span = static_cast<std::uint64_t>(hi.count()) - static_cast<std::uint64_t>(lo.count());
    const std::uint64_t offset = span == max() ? (*this)() : below(span + 1);
    return Duration{static_cast<std::int64_t>(static_cast<std::uint64_t>(lo.count()) + offset)};
  }

  /// Uniform in [0, 1), with the 53 bits a double holds.
  constexpr double unit() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

 private:
  __extension__ using wide = unsigned __int128;

  /// The golden-ratio increment SplitMix64 steps its state by.
  static constexpr std::uint64_t gamma = 0x9e3779b97f4a7c15ULL;

  /// SplitMix64's output function (Stafford's Mix13 variant).
  static constexpr std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  static std::uint64_t initial_seed() noexcept {
    static const int anchor = 0;
    const auto steady = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const auto wall = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    return mix(steady ^ mix(wall ^ reinterpret_cast<std::uintptr_t>(&anchor)));
  }

  std::uint64_t state_;
};

}  // namespace governed
