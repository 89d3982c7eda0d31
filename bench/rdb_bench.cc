// The RDB codec (persistence/rdb_*): writing and reading 100k string keys of 100 bytes (with
// and without LZF), and a mixed dataset of small aggregates (lists, sets, sorted sets,
// hashes, streams), each as a whole in-memory file.  Bytes per second are the file's size.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/base/crc64.h"
#include "core/keyspace/entry.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace {

using tessera::keyspace::Entry;
using tessera::keyspace::ValueType;
namespace rdb = tessera::persistence::rdb;
namespace types = tessera::types;

std::vector<Entry*> StringKeys(size_t n) {
  std::vector<Entry*> out;
  std::string value(100, 'v');
  for (size_t i = 0; i < n; ++i) {
    value.replace(0, 10, std::to_string(1000000000 + i));
    out.push_back(Entry::NewStringAutoEncoded("key:" + std::to_string(i), value,
                                              tessera::keyspace::kNoExpiry, 0));
  }
  return out;
}

std::vector<Entry*> MixedKeys(size_t n) {
  std::vector<Entry*> out;
  types::ListLimits ll;
  types::SetLimits sl;
  types::ZSetLimits zl;
  types::HashLimits hl{512, 64};
  types::StreamLimits stl;
  for (size_t i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    switch (i % 5) {
      case 0: {
        auto* l = new types::ListValue();
        for (int j = 0; j < 20; ++j)
          l->Push("item-" + std::to_string(j), types::ListEnd::kTail, ll);
        out.push_back(Entry::NewObject("list:" + k, ValueType::kList, l, -1, 0));
        break;
      }
      case 1: {
        auto* s = types::SetValue::Create("m", 20, sl);
        for (int j = 0; j < 20; ++j) types::SetValue::Add(&s, "member-" + std::to_string(j), sl);
        out.push_back(Entry::NewObject("set:" + k, ValueType::kSet, s, -1, 0));
        break;
      }
      case 2: {
        auto* z = types::ZSetValue::Create(20, 10, zl);
        for (int j = 0; j < 20; ++j) z->Set("player-" + std::to_string(j), j * 1.5, zl);
        out.push_back(Entry::NewObject("zset:" + k, ValueType::kZSet, z, -1, 0));
        break;
      }
      case 3: {
        auto* h = types::HashValue::New();
        for (int j = 0; j < 20; ++j) {
          types::HashValue::Set(&h, "field-" + std::to_string(j), "value-" + std::to_string(j), hl);
        }
        out.push_back(Entry::NewObject("hash:" + k, ValueType::kHash, h, -1, 0));
        break;
      }
      default: {
        auto* s = new types::StreamValue();
        for (uint64_t j = 1; j <= 20; ++j) {
          std::string v = "v" + std::to_string(j);
          std::string_view fv[] = {"event", v};
          s->Append(types::StreamID{j, 0}, fv, stl);
        }
        out.push_back(Entry::NewObject("stream:" + k, ValueType::kStream, s, -1, 0));
        break;
      }
    }
  }
  return out;
}

std::string WriteAll(const std::vector<Entry*>& keys, bool compress) {
  std::string f;
  rdb::WriteHeader(&f);
  rdb::WriteSelectDb(&f, 0);
  rdb::WriteResizeDb(&f, keys.size(), 0);
  rdb::WriteOptions opts;
  opts.compress = compress;
  for (const Entry* e : keys) rdb::WriteKey(&f, *e, opts);
  rdb::WriteEof(&f);
  rdb::AppendChecksum(&f, tessera::Crc64(0, f));
  return f;
}

void FreeAll(std::vector<Entry*>& keys) {
  for (Entry* e : keys) Entry::Free(e);
}

void Encode(benchmark::State& state, std::vector<Entry*> keys, bool compress) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string f = WriteAll(keys, compress);
    bytes = f.size();
    benchmark::DoNotOptimize(f.data());
  }
  state.SetBytesProcessed(int64_t(bytes) * state.iterations());
  state.counters["keys"] = double(keys.size());
  FreeAll(keys);
}

void Decode(benchmark::State& state, std::vector<Entry*> keys, bool compress) {
  const std::string f = WriteAll(keys, compress);
  FreeAll(keys);
  for (auto _ : state) {
    rdb::MemorySource src(f);
    rdb::LoadCallbacks cb;
    cb.on_key = [](int, Entry* e) { Entry::Free(e); };
    if (!rdb::Load(src, {}, cb).ok()) state.SkipWithError("load failed");
  }
  state.SetBytesProcessed(int64_t(f.size()) * state.iterations());
}

void BM_EncodeStrings(benchmark::State& s) { Encode(s, StringKeys(100000), s.range(0)); }
void BM_DecodeStrings(benchmark::State& s) { Decode(s, StringKeys(100000), s.range(0)); }
void BM_EncodeMixed(benchmark::State& s) { Encode(s, MixedKeys(20000), true); }
void BM_DecodeMixed(benchmark::State& s) { Decode(s, MixedKeys(20000), true); }

BENCHMARK(BM_EncodeStrings)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeStrings)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeMixed)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeMixed)->Unit(benchmark::kMillisecond);

}  // namespace
