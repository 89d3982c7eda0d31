// Request parsing cost per command for a pipelined batch of 16, the shape a busy client sends.
// The per_cmd counter is the time per command: `build/bench/resp_parser_bench`.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "core/resp/request_parser.h"

namespace {

using tessera::resp::ParserLimits;
using tessera::resp::ParseStatus;
using tessera::resp::RequestParser;

constexpr int kPipeline = 16;

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string KeyName(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "key:%06d", 123 + i);
  return key;
}

std::string SetPipeline() {
  std::string out;
  for (int i = 0; i < kPipeline; ++i) {
    out += "*3\r\n" + Bulk("SET") + Bulk(KeyName(i)) + Bulk(std::string(100, 'v'));
  }
  return out;
}

std::string GetPipeline() {
  std::string out;
  for (int i = 0; i < kPipeline; ++i) out += "*2\r\n" + Bulk("GET") + Bulk(KeyName(i));
  return out;
}

// Parses the whole pipeline, as the connection does after one read, touching every argument.
void ParsePipeline(benchmark::State& state, const std::string& input) {
  RequestParser parser;
  ParserLimits limits;
  for (auto _ : state) {
    std::string_view rest = input;
    size_t consumed = 0;
    while (!rest.empty()) {
      ParseStatus st = parser.Parse(rest, limits, &consumed);
      if (st != ParseStatus::kCommand) {
        state.SkipWithError("unexpected parse result");
        return;
      }
      for (size_t i = 0; i < parser.ArgCount(); ++i) {
        benchmark::DoNotOptimize(parser.Arg(rest, i).data());
      }
      rest.remove_prefix(consumed);
    }
  }
  state.SetItemsProcessed(state.iterations() * kPipeline);
  // Seconds per command, printed with an SI prefix: "78n" is 78 ns per command.
  state.counters["per_cmd"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kPipeline),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}

void BM_ParseSetPipeline(benchmark::State& state) { ParsePipeline(state, SetPipeline()); }
void BM_ParseGetPipeline(benchmark::State& state) { ParsePipeline(state, GetPipeline()); }

BENCHMARK(BM_ParseSetPipeline);
BENCHMARK(BM_ParseGetPipeline);

}  // namespace
