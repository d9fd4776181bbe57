#pragma once
/// @file
/// A latency histogram in fixed memory with lock-free recording, for p50/p99 without keeping
/// samples.
///
/// Buckets are log-linear, as in HdrHistogram: values below 128 ns each have a bucket of their
/// own; above, every power of two is split into 64 equal buckets, so a bucket is at most 1/64
/// of its lower bound wide and a percentile read from it is within 1.6 % of the true sample
/// (it reports the bucket's upper bound: a p99 never under-states). Values up to 2^44 ns
/// (4.9 hours) are kept apart; longer ones count in the last bucket. That is 2 496 buckets,
/// 19.5 KiB, whatever the number of samples.
///
/// Recording is three relaxed atomic increments (the fine bucket, the exposition bucket, the
/// sum): no lock, no allocation, safe from any number of threads. Readers add the buckets up
/// as they stand; a read concurrent with records sees each record whole or not at all per
/// bucket, which is what a metrics scrape needs.
///
/// Prometheus wants few buckets with fixed `le` bounds; those are counted exactly on the side
/// (`exposition_bounds`, 5 ms to 2 min: an LLM call takes 0.3–60 s, a cache hit microseconds).

#include <governed/time.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>

namespace governed {

class LatencyHistogram {
 public:
  static constexpr int sub_bits = 7;                       // 2^7 = 128 exact buckets first
  static constexpr std::uint64_t half = 1u << (sub_bits - 1);  // 64 buckets per power of two
  static constexpr int max_bits = 44;                      // 2^44 ns ≈ 4.9 h
  static constexpr std::uint64_t max_value = (std::uint64_t{1} << max_bits) - 1;
  static constexpr std::size_t bucket_count = (max_bits - sub_bits) * half + 2 * half;

  /// The `le` bounds of the exposition buckets, in nanoseconds (+Inf is implicit).
  static constexpr std::array<std::int64_t, 14> exposition_bounds{
      5'000'000,     10'000'000,    25'000'000,    50'000'000,     100'000'000,
      250'000'000,   500'000'000,   1'000'000'000, 2'500'000'000,  5'000'000'000,
      10'000'000'000, 30'000'000'000, 60'000'000'000, 120'000'000'000};

  /// The fine bucket of a value in nanoseconds.
  static constexpr std::size_t index_of(std::uint64_t v) noexcept {
    v = std::min(v, max_value);
    if (v < 2 * half) return static_cast<std::size_t>(v);
    const int shift = std::bit_width(v) - sub_bits;
    return static_cast<std::size_t>(std::uint64_t(shift) * half + (v >> shift));
  }
  /// The smallest value of fine bucket `i`.
  static constexpr std::uint64_t lower_of(std::size_t i) noexcept {
    if (i < 2 * half) return i;
    const std::uint64_t shift = i / half - 1;
    return (i - shift * half) << shift;
  }
  /// The largest value of fine bucket `i`.
  static constexpr std::uint64_t upper_of(std::size_t i) noexcept {
    if (i < 2 * half) return i;
    const std::uint64_t shift = i / half - 1;
    return ((i - shift * half + 1) << shift) - 1;
  }

  /// Records one sample. Negative durations (a clock set back in a test) count as 0.
  void record(Duration d) noexcept { record(d, 1); }

  /// Records `times` samples of `d` at once: how histograms kept in other processes are added
  /// into this one, bucket by bucket (`in_bucket`, `lower_of`).
  void record(Duration d, std::uint64_t times) noexcept {
    const std::uint64_t v = d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
    buckets_[index_of(v)].fetch_add(times, std::memory_order_relaxed);
    const auto le = std::lower_bound(exposition_bounds.begin(), exposition_bounds.end(), d.count());
    exposition_[static_cast<std::size_t>(le - exposition_bounds.begin())].fetch_add(times, std::memory_order_relaxed);
    sum_ns_.fetch_add(v * times, std::memory_order_relaxed);
  }

  /// Samples in fine bucket `i` (< bucket_count).
  std::uint64_t in_bucket(std::size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }

  std::uint64_t count() const noexcept {
    std::uint64_t n = 0;
    for (const auto& b : exposition_) n += b.load(std::memory_order_relaxed);
    return n;
  }

  /// Sum of every sample (for the Prometheus `_sum` and the mean).
  Duration sum() const noexcept {
    return Duration{static_cast<std::int64_t>(sum_ns_.load(std::memory_order_relaxed))};
  }

  /// The `q`-quantile (0.5 = p50, 0.99 = p99): the upper bound of the bucket holding the
  /// sample of rank ⌈q·n⌉. Zero when empty.
  Duration quantile(double q) const noexcept {
    std::uint64_t n = 0;
    for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
    if (n == 0) return Duration::zero();
    q = std::clamp(std::isnan(q) ? 0.0 : q, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen >= rank) return Duration{static_cast<std::int64_t>(upper_of(i))};
    }
    return Duration{static_cast<std::int64_t>(max_value)};
  }

  /// Cumulative counts at each exposition bound, then +Inf (the total).
  std::array<std::uint64_t, exposition_bounds.size() + 1> cumulative() const noexcept {
    std::array<std::uint64_t, exposition_bounds.size() + 1> out{};
    std::uint64_t run = 0;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = run += exposition_[i].load(std::memory_order_relaxed);
    return out;
  }

 private:
  std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
  std::array<std::atomic<std::uint64_t>, exposition_bounds.size() + 1> exposition_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace governed
