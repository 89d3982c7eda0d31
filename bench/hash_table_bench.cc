// HashTable against std::unordered_map: Find hit/miss, Insert, Erase at 1e3, 1e5 and 1e6
// elements, plus the 1.5x vs 2.0x growth-factor comparison (memory over a fill, insert latency).
// Each lookup hashes its key, as a command would; elements are a key string and a cached hash,
// and Traits::Hash rehashes the key (as the keyspace will).
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/hash.h"
#include "core/ds/hash_table.h"

namespace {

struct Elem {
  std::string key;
  uint64_t hash;
};

struct ElemTraits {
  static uint64_t Hash(const Elem* e) { return tessera::HashBytes(e->key); }
  static bool Equals(const Elem* e, std::string_view key) { return e->key == key; }
};
struct ElemTraitsGrow2 : ElemTraits {
  static constexpr double kGrowthFactor = 2.0;
};

using Table = tessera::ds::HashTable<Elem, ElemTraits>;
using Table2 = tessera::ds::HashTable<Elem, ElemTraitsGrow2>;

struct SvHash {
  size_t operator()(std::string_view s) const { return tessera::HashBytes(s); }
};
using StdMap = std::unordered_map<std::string_view, Elem*, SvHash>;

struct Data {
  std::vector<Elem> elems;          // present keys
  std::vector<std::string> misses;  // absent keys
  std::vector<uint32_t> order;      // a random permutation of [0, n)
};

std::string MakeKey(const char* prefix, size_t i) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s:session:%010zu", prefix, i);
  return buf;
}

const Data& GetData(size_t n) {
  static std::map<size_t, std::unique_ptr<Data>> cache;
  auto& d = cache[n];
  if (!d) {
    d = std::make_unique<Data>();
    for (size_t i = 0; i < n; ++i) {
      std::string key = MakeKey("user", i);
      uint64_t hash = tessera::HashBytes(key);
      d->elems.push_back({std::move(key), hash});
      d->misses.push_back(MakeKey("miss", i));
    }
    d->order.resize(n);
    for (size_t i = 0; i < n; ++i) d->order[i] = i;
    std::shuffle(d->order.begin(), d->order.end(), std::mt19937_64(42));
  }
  return *d;
}

template <class T>
void Fill(T& table, const Data& d) {
  for (uint32_t i : d.order) {
    Elem* e = const_cast<Elem*>(&d.elems[i]);
    table.Insert(e, tessera::HashBytes(e->key));
  }
}
void Fill(StdMap& map, const Data& d) {
  for (uint32_t i : d.order) {
    Elem* e = const_cast<Elem*>(&d.elems[i]);
    map.emplace(e->key, e);
  }
}

// Ends any migration the fill left in progress, so lookups see the steady state.
template <class T>
void Settle(T& table) {
  while (table.RehashStep(size_t{1} << 20) != 0) {
  }
}
void Settle(StdMap&) {}

template <class T>
void SetMemoryCounter(benchmark::State& state, const T& table, size_t n) {
  state.counters["bytes_per_elem"] = static_cast<double>(table.BytesAllocated()) / n;
}
void SetMemoryCounter(benchmark::State& state, const StdMap& map, size_t n) {
  // 48-byte nodes (next, string_view, pointer, cached hash: 40, rounded by malloc) + buckets.
  state.counters["bytes_per_elem"] = (48.0 * n + 8.0 * map.bucket_count()) / n;
}

template <class T>
Elem* Lookup(const T& table, std::string_view key) {
  return table.Find(key, tessera::HashBytes(key));
}
Elem* Lookup(const StdMap& map, std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : it->second;
}

template <class T>
void BM_FindHit(benchmark::State& state) {
  const Data& d = GetData(state.range(0));
  T table;
  Fill(table, d);
  Settle(table);
  size_t k = 0;
  for (auto _ : state) {
    const Elem& e = d.elems[d.order[k]];
    benchmark::DoNotOptimize(Lookup(table, e.key));
    if (++k == d.order.size()) k = 0;
  }
  SetMemoryCounter(state, table, d.elems.size());
}

template <class T>
void BM_FindMiss(benchmark::State& state) {
  const Data& d = GetData(state.range(0));
  T table;
  Fill(table, d);
  Settle(table);
  size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Lookup(table, d.misses[d.order[k]]));
    if (++k == d.order.size()) k = 0;
  }
}

void SetPerOpCounter(benchmark::State& state, size_t n) {
  state.counters["per_op"] = benchmark::Counter(
      n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Builds the table from empty (all growth included).
template <class T>
void BM_Insert(benchmark::State& state) {
  const Data& d = GetData(state.range(0));
  for (auto _ : state) {
    T table;
    Fill(table, d);
    benchmark::DoNotOptimize(&table);
    state.PauseTiming();  // keep the destructor (freeing) out of the figure
    table = T();
    state.ResumeTiming();
  }
  SetPerOpCounter(state, d.elems.size());
}

template <class T>
bool EraseKey(T& table, std::string_view key) {
  return table.Erase(key, tessera::HashBytes(key)) != nullptr;
}
bool EraseKey(StdMap& map, std::string_view key) { return map.erase(key) == 1; }

// Erases every element in random order (all shrinking included).
template <class T>
void BM_Erase(benchmark::State& state) {
  const Data& d = GetData(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    T table;
    Fill(table, d);
    state.ResumeTiming();
    for (size_t i = d.order.size(); i-- > 0;) {
      benchmark::DoNotOptimize(EraseKey(table, d.elems[d.order[i]].key));
    }
  }
  SetPerOpCounter(state, d.elems.size());
}

// This thread's CPU time: the machine is shared, and preemption would swamp the latency tail.
double ThreadNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Growth factor: slot bytes per element averaged over every size of a fill to n, and insert
// latency percentiles in thread CPU time (bounded work per operation: no full-table pause).
template <class T>
void BM_FillProfile(benchmark::State& state) {
  const Data& d = GetData(state.range(0));
  std::vector<double> ns;
  double bytes_sum = 0;
  for (auto _ : state) {
    T table;
    ns.clear();
    bytes_sum = 0;
    for (uint32_t i : d.order) {
      Elem* e = const_cast<Elem*>(&d.elems[i]);
      const double t0 = ThreadNanos();
      table.Insert(e, tessera::HashBytes(e->key));
      ns.push_back(ThreadNanos() - t0);
      bytes_sum += static_cast<double>(table.BytesAllocated()) / table.size();
    }
  }
  std::sort(ns.begin(), ns.end());
  state.counters["avg_bytes_per_elem"] = bytes_sum / d.elems.size();
  state.counters["p99_ns"] = ns[ns.size() * 99 / 100];
  state.counters["p9999_ns"] = ns[ns.size() * 9999 / 10000];
  state.counters["max_ns"] = ns.back();
}

void BM_FillProfileStd(benchmark::State& state) {
  const Data& d = GetData(state.range(0));
  std::vector<double> ns;
  for (auto _ : state) {
    StdMap map;
    ns.clear();
    for (uint32_t i : d.order) {
      Elem* e = const_cast<Elem*>(&d.elems[i]);
      const double t0 = ThreadNanos();
      map.emplace(e->key, e);
      ns.push_back(ThreadNanos() - t0);
    }
  }
  std::sort(ns.begin(), ns.end());
  state.counters["p99_ns"] = ns[ns.size() * 99 / 100];
  state.counters["p9999_ns"] = ns[ns.size() * 9999 / 10000];
  state.counters["max_ns"] = ns.back();
}

#define SIZES Arg(1000)->Arg(100000)->Arg(1000000)

BENCHMARK_TEMPLATE(BM_FindHit, Table)->SIZES;
BENCHMARK_TEMPLATE(BM_FindHit, Table2)->SIZES;
BENCHMARK_TEMPLATE(BM_FindHit, StdMap)->SIZES;
BENCHMARK_TEMPLATE(BM_FindMiss, Table)->SIZES;
BENCHMARK_TEMPLATE(BM_FindMiss, StdMap)->SIZES;
BENCHMARK_TEMPLATE(BM_Insert, Table)->SIZES;
BENCHMARK_TEMPLATE(BM_Insert, Table2)->SIZES;
BENCHMARK_TEMPLATE(BM_Insert, StdMap)->SIZES;
BENCHMARK_TEMPLATE(BM_Erase, Table)->SIZES;
BENCHMARK_TEMPLATE(BM_Erase, StdMap)->SIZES;
BENCHMARK_TEMPLATE(BM_FillProfile, Table)->Arg(1000000)->Iterations(1);
BENCHMARK_TEMPLATE(BM_FillProfile, Table2)->Arg(1000000)->Iterations(1);
BENCHMARK(BM_FillProfileStd)->Arg(1000000)->Iterations(1);

}  // namespace
