#include <governed/observe/histogram.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::LatencyHistogram;

namespace {

// The exact q-quantile of a sample: the value of rank ceil(q·n), as the histogram defines it.
std::int64_t exact_quantile(std::vector<std::int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))));
  return v[rank - 1];
}

// A reported quantile is the upper bound of the bucket of the exact one: at or above it, by
// less than one bucket width (≤ 1/64 of the value).
void check_within_bucket(const LatencyHistogram& h, const std::vector<std::int64_t>& sample, double q) {
  const std::int64_t exact = exact_quantile(sample, q);
  const std::int64_t got = h.quantile(q).count();
  INFO("q=" << q << " exact=" << exact << " reported=" << got);
  CHECK(got >= exact);
  CHECK(static_cast<double>(got - exact) <= static_cast<double>(exact) / 64.0);
}

}  // namespace

TEST_CASE("buckets are log-linear: exact below 128, at most 1/64 of the value wide above", "[histogram]") {
  CHECK(LatencyHistogram::bucket_count == 2496);
  for (std::uint64_t v = 0; v < 128; ++v) {
    CHECK(LatencyHistogram::index_of(v) == v);
    CHECK(LatencyHistogram::upper_of(v) == v);
  }
  std::uint64_t previous_upper = 127;
  for (std::size_t i = 128; i < LatencyHistogram::bucket_count; ++i) {
    const auto lo = LatencyHistogram::lower_of(i), hi = LatencyHistogram::upper_of(i);
    // Contiguous, every value in exactly one bucket, and narrow.
    REQUIRE(lo == previous_upper + 1);
    REQUIRE(LatencyHistogram::index_of(lo) == i);
    REQUIRE(LatencyHistogram::index_of(hi) == i);
    REQUIRE(static_cast<double>(hi - lo + 1) <= static_cast<double>(lo) / 64.0);
    previous_upper = hi;
  }
  CHECK(previous_upper == LatencyHistogram::max_value);
  CHECK(LatencyHistogram::index_of(~std::uint64_t{0}) == LatencyHistogram::bucket_count - 1);
}

TEST_CASE("percentiles of a uniform distribution are within the bucket error", "[histogram]") {
  LatencyHistogram h;
  std::vector<std::int64_t> sample;
  for (std::int64_t ms = 1; ms <= 10'000; ++ms) {  // 1 ms .. 10 s
    sample.push_back(ms * 1'000'000);
    h.record(std::chrono::milliseconds{ms});
  }
  CHECK(h.count() == 10'000);
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999, 1.0}) check_within_bucket(h, sample, q);
  CHECK(h.quantile(0.5) >= 5000ms);
  CHECK(h.quantile(0.5) < 5000ms + 5000ms / 64);
  CHECK(h.sum() == std::chrono::milliseconds{10'000LL * 10'001 / 2});
}

TEST_CASE("percentiles of a long-tailed distribution are within the bucket error", "[histogram]") {
  // Log-normal latencies around 800 ms with a heavy tail, as LLM calls have; a fixed seed.
  std::mt19937_64 rng(20261123);
  std::lognormal_distribution<double> dist(std::log(8e8), 0.9);
  LatencyHistogram h;
  std::vector<std::int64_t> sample;
  for (int i = 0; i < 50'000; ++i) {
    const auto v = static_cast<std::int64_t>(dist(rng));
    sample.push_back(v);
    h.record(Duration{v});
  }
  for (double q : {0.5, 0.9, 0.99, 0.999}) check_within_bucket(h, sample, q);
}

TEST_CASE("a bimodal mix keeps its modes apart: cache hits and provider calls", "[histogram]") {
  LatencyHistogram h;
  std::vector<std::int64_t> sample;
  for (int i = 0; i < 900; ++i) {  // 90 % answered from the cache in 2-3 µs
    sample.push_back(2000 + i);
    h.record(Duration{2000 + i});
  }
  for (std::int64_t i = 0; i < 100; ++i) {  // 10 % go out, 1.2-2.2 s
    sample.push_back(1'200'000'000 + i * 10'000'000);
    h.record(Duration{1'200'000'000 + i * 10'000'000});
  }
  check_within_bucket(h, sample, 0.5);
  check_within_bucket(h, sample, 0.95);
  check_within_bucket(h, sample, 0.99);
  CHECK(h.quantile(0.5) < 3us);
  CHECK(h.quantile(0.99) > 2s);
}

TEST_CASE("empty, negative, and beyond-range samples are safe", "[histogram]") {
  LatencyHistogram h;
  CHECK(h.quantile(0.99) == Duration::zero());
  CHECK(h.count() == 0);
  h.record(Duration{-5});
  CHECK(h.quantile(0.5) == Duration::zero());
  h.record(std::chrono::hours{24 * 365});
  CHECK(h.quantile(1.0).count() == static_cast<std::int64_t>(LatencyHistogram::max_value));
  CHECK(h.quantile(std::nan("")) == Duration::zero());
  CHECK(h.quantile(7.0).count() == static_cast<std::int64_t>(LatencyHistogram::max_value));
}

TEST_CASE("exposition buckets count exactly at their bounds", "[histogram]") {
  LatencyHistogram h;
  h.record(5ms);                   // le 0.005: inclusive
  h.record(5ms + 1ns);             // le 0.01
  h.record(2min);                  // le 120
  h.record(2min + 1ns);            // +Inf only
  const auto c = h.cumulative();
  CHECK(c[0] == 1);
  CHECK(c[1] == 2);
  CHECK(c[12] == 2);
  CHECK(c[13] == 3);
  CHECK(c[14] == 4);
  CHECK(h.count() == 4);
}

TEST_CASE("records from many threads are all counted", "[histogram][concurrency]") {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) h.record(Duration{(t + 1) * 1'000'000 + i});
    });
  }
  for (auto& th : threads) th.join();
  CHECK(h.count() == 160'000);
  CHECK(h.quantile(1.0) >= 8ms);
}

TEST_CASE("histograms of several processes add up bucket by bucket to the histogram of all samples",
          "[histogram]") {
  // Two replicas each record their own calls; the parent adds their buckets into one.
  std::mt19937_64 rng{7};
  std::lognormal_distribution<double> seconds{0.5, 1.0};
  LatencyHistogram a, b, all, merged;
  std::vector<std::int64_t> sample;
  for (int i = 0; i < 5000; ++i) {
    const auto d = Duration{static_cast<std::int64_t>(seconds(rng) * 1e9)};
    (i % 3 == 0 ? a : b).record(d);
    all.record(d);
    sample.push_back(d.count());
  }
  for (const auto* part : {&a, &b})
    for (std::size_t i = 0; i < LatencyHistogram::bucket_count; ++i)
      if (const auto n = part->in_bucket(i)) merged.record(Duration{static_cast<std::int64_t>(LatencyHistogram::lower_of(i))}, n);
  CHECK(merged.count() == 5000);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    CHECK(merged.quantile(q) == all.quantile(q));
    check_within_bucket(merged, sample, q);
  }
  // The sum is kept at each bucket's lower bound: below the true sum by less than 1/64.
  CHECK(merged.sum() <= all.sum());
  CHECK(static_cast<double>((all.sum() - merged.sum()).count()) <= static_cast<double>(all.sum().count()) / 64.0);
}
