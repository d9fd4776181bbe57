// governed-bench's main: Google Benchmark with the ratios table after the usual output.
#include "ratios.hpp"

#include <cstdio>

int main(int argc, char** argv) {
#ifdef GOVERNED_BENCH_COMPILE_ONLY
  std::fprintf(stderr, "governed-bench was built unoptimised, to check that it compiles: its figures mean "
                       "nothing. Build and run it with ./dev bench.\n");
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  governed_bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
