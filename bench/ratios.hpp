#pragma once
// Ratios between benchmarks of one run. Every figure governed quotes is a ratio to a baseline
// measured in the same process moments apart, because absolute nanoseconds on a shared 2-core
// machine drift from run to run while ratios hold.
//
//   GOVERNED_RATIO(gcra_vs_floor, "gcra try_acquire / (clock read + CAS)",
//                  {"BM_Gcra_TryAcquire_Admit/threads:1"},
//                  {"BM_Baseline_ClockNow/threads:1", "BM_Baseline_AtomicCas/threads:1"}, 1.5);
//
// reads: time of the numerator benchmarks (summed) over time of the denominators (summed),
// goal ≤ 1.5. A name written "-BM_…" is subtracted instead, to quote one part of a larger
// path (a call minus the reading of its reply). The reporter prints every ratio whose
// benchmarks ran, and the verdict.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace governed_bench {

struct Ratio {
  std::string label;
  std::vector<std::string> numerator;
  std::vector<std::string> denominator;
  double goal;  // the ratio must be at most this; 0 = no goal, reported only
};

inline std::vector<Ratio>& ratios() {
  static std::vector<Ratio> all;
  return all;
}

struct RegisterRatio {
  RegisterRatio(Ratio r) { ratios().push_back(std::move(r)); }
};

/// Console output as usual, then the ratios table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal, so redirected output and CI logs stay plain text.
  RatioReporter() : ConsoleReporter(isatty(1) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.run_type == Run::RT_Iteration && !r.error_occurred)
        ns_[r.benchmark_name()] = r.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    auto sum = [&](const std::vector<std::string>& names, bool& ok) {
      double s = 0;
      for (const auto& n : names) {
        const bool minus = !n.empty() && n.front() == '-';
        auto it = ns_.find(minus ? n.substr(1) : n);
        if (it == ns_.end()) {
          ok = false;
          return 0.0;
        }
        s += minus ? -it->second : it->second;
      }
      return s;
    };
    bool header = false;
    for (const auto& r : ratios()) {
      bool ok = true;
      const double num = sum(r.numerator, ok);
      const double den = sum(r.denominator, ok);
      if (!ok || den <= 0) continue;
      if (!header) {
        std::printf("\n%-62s %8s %8s %s\n", "ratio (same run)", "value", "goal", "verdict");
        header = true;
      }
      const double v = num / den;
      if (r.goal > 0) {
        std::printf("%-62s %8.2f %8.2f %s\n", r.label.c_str(), v, r.goal, v <= r.goal ? "met" : "MISSED");
      } else {
        std::printf("%-62s %8.2f %8s %s\n", r.label.c_str(), v, "-", "reported");
      }
    }
    std::fflush(stdout);
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace governed_bench

#define GOVERNED_BENCH_CAT2(a, b) a##b
#define GOVERNED_BENCH_CAT(a, b) GOVERNED_BENCH_CAT2(a, b)
#define GOVERNED_RATIO(label, num, den, goal)                                                 \
  static ::governed_bench::RegisterRatio GOVERNED_BENCH_CAT(governed_ratio_, __COUNTER__){       \
      ::governed_bench::Ratio{label, std::vector<std::string> num, std::vector<std::string> den, goal}}
