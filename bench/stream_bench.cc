// StreamValue: the cost of appending (including closing and packing a node every 100 entries),
// and of reading 10 entries from a closed node that is packed (decompressed, or copied from
// the thread's cache of decompressed nodes) or plain, and from the open tail.  Entries look like the mem-compare stream dataset: three fields,
// the same names in every entry.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/types/stream_value.h"

namespace {

using tessera::types::StreamID;
using tessera::types::StreamLimits;
using tessera::types::StreamValue;

std::vector<std::string> EventFields(uint64_t i) {
  return {"type", "click", "user", "user" + std::to_string(100000 + (i * 7919) % 100000),
          "page", "/item/" + std::to_string(i % 97)};
}

void Fill(StreamValue* s, uint64_t n) {
  for (uint64_t i = 1; i <= n; ++i) {
    std::vector<std::string> f = EventFields(i);
    std::vector<std::string_view> v(f.begin(), f.end());
    s->Append(StreamID{1700000000000 + i, 0}, v, StreamLimits{});
  }
}

void BM_Append(benchmark::State& state) {
  std::vector<std::vector<std::string>> fields;
  for (uint64_t i = 0; i < 1000; ++i) fields.push_back(EventFields(i));
  for (auto _ : state) {
    StreamValue s;
    for (uint64_t i = 0; i < 1000; ++i) {
      std::vector<std::string_view> v(fields[i].begin(), fields[i].end());
      s.Append(StreamID{i + 1, 0}, v, StreamLimits{});
    }
    benchmark::DoNotOptimize(s.length());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_Append);

// Reads 10 entries starting at `first`, as XRANGE key first + COUNT 10 does.
void ReadTen(const StreamValue& s, StreamID first) {
  StreamValue::Iterator it(s, first, StreamID::Max(), false);
  for (int n = 0; n < 10 && it.Next(); ++n) {
    for (size_t f = 0; f < it.num_fields(); ++f) {
      std::string_view k, v;
      it.NextField(&k, &v);
      benchmark::DoNotOptimize(v.data());
    }
  }
}

void BM_ReadTenPackedNode(benchmark::State& state) {
  StreamValue s;
  Fill(&s, 500);
  for (auto _ : state) ReadTen(s, StreamID{1700000000000 + 150, 0});
  state.SetItemsProcessed(state.iterations() * 10);
  state.counters["packed"] = s.node_packed(1);
}
BENCHMARK(BM_ReadTenPackedNode);

// The same read over 64 streams in turn: more packed segments than a thread keeps decompressed,
// so every read decompresses what it needs (a cold read of old entries, half a node in).
void BM_ReadTenPackedNodeCold(benchmark::State& state) {
  std::vector<StreamValue> streams(64);
  for (StreamValue& s : streams) Fill(&s, 500);
  size_t i = 0;
  for (auto _ : state) ReadTen(streams[i++ % streams.size()], StreamID{1700000000000 + 150, 0});
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_ReadTenPackedNodeCold);

// The first ten entries of a packed node (XRANGE key - + COUNT 10 on a long stream), cold.
void BM_ReadTenPackedHeadCold(benchmark::State& state) {
  std::vector<StreamValue> streams(64);
  for (StreamValue& s : streams) Fill(&s, 500);
  size_t i = 0;
  for (auto _ : state) ReadTen(streams[i++ % streams.size()], StreamID{1700000000000 + 101, 0});
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_ReadTenPackedHeadCold);

void BM_ReadTenTail(benchmark::State& state) {
  StreamValue s;
  Fill(&s, 500);
  for (auto _ : state) ReadTen(s, StreamID{1700000000000 + 450, 0});
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_ReadTenTail);

void BM_ReadTenPlainClosedNode(benchmark::State& state) {
  StreamValue s;
  Fill(&s, 500);
  StreamID del[] = {{1700000000000 + 199, 0}};
  s.Delete(del);  // a change makes the node plain again
  for (auto _ : state) ReadTen(s, StreamID{1700000000000 + 150, 0});
  state.SetItemsProcessed(state.iterations() * 10);
  state.counters["packed"] = s.node_packed(1);
}
BENCHMARK(BM_ReadTenPlainClosedNode);

}  // namespace
