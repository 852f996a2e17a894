// placeholder: replaced by the real benchmark
#include <benchmark/benchmark.h>
BENCHMARK_MAIN();
