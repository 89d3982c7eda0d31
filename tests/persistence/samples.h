// Sample keys of every type and encoding, built through the value classes' own APIs, for the
// RDB round-trip tests and for tests/tools/rdb_tool's "write" mode.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/keyspace/entry.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"

namespace tessera::testing {

struct Sample {
  keyspace::Entry* entry;
  const char* encoding;  // the OBJECT ENCODING it must have, before and after a round trip
};

inline keyspace::Entry* ObjectEntry(const std::string& key, keyspace::ValueType t, void* obj,
                                    int64_t expire = keyspace::kNoExpiry) {
  return keyspace::Entry::NewObject(key, t, obj, expire, 0);
}

// Every sample has a distinct key.  `scale` multiplies the sizes of the big ones.
inline std::vector<Sample> SampleEntries(int scale = 1) {
  using keyspace::Entry;
  using keyspace::ValueType;
  std::vector<Sample> out;
  out.push_back({Entry::NewStringAutoEncoded("str:int", "12345", keyspace::kNoExpiry, 0), "int"});
  out.push_back(
      {Entry::NewStringAutoEncoded("str:bigint", "-9223372036854775808", keyspace::kNoExpiry, 0),
       "int"});
  out.push_back({Entry::NewStringAutoEncoded("str:embstr", "hello", 4102444800000, 0), "embstr"});
  out.push_back({Entry::NewStringAutoEncoded("str:raw", std::string(100 * scale, 'x'),
                                             keyspace::kNoExpiry, 0),
                 "raw"});
  std::string bin;
  for (int i = 0; i < 300; ++i) bin.push_back(static_cast<char>(i * 7));
  out.push_back({Entry::NewStringAutoEncoded("str:binary", bin, keyspace::kNoExpiry, 0), "raw"});

  types::ListLimits ll;
  auto* small = new types::ListValue();
  for (const char* s : {"a", "1", "-7", "bcd", "100000"}) small->Push(s, types::ListEnd::kTail, ll);
  out.push_back({ObjectEntry("list:lp", ValueType::kList, small), "listpack"});
  auto* big = new types::ListValue();
  for (int i = 0; i < 700 * scale; ++i) {
    big->ConvertForGrowth(20, 1, ll);
    big->Push("element-" + std::to_string(i), types::ListEnd::kTail, ll);
  }
  out.push_back({ObjectEntry("list:ql", ValueType::kList, big, 4102444800123), "quicklist"});
  types::ListLimits plain_limits;
  plain_limits.packed_threshold = 100;
  auto* plain = types::ListValue::NewQuicklist(plain_limits);
  plain->Push(std::string(500, 'p'), types::ListEnd::kTail, plain_limits);
  plain->Push("small", types::ListEnd::kTail, plain_limits);
  plain->Push(std::string(300, 'q'), types::ListEnd::kHead, plain_limits);
  out.push_back({ObjectEntry("list:plain", ValueType::kList, plain), "quicklist"});

  types::SetLimits sl;
  auto* is = types::SetValue::Create("1", 3, sl);
  for (const char* m : {"1", "-5", "70000", "9000000000", "3"}) types::SetValue::Add(&is, m, sl);
  out.push_back({ObjectEntry("set:intset", ValueType::kSet, is), "intset"});
  auto* sp = types::SetValue::Create("a", 3, sl);
  for (const char* m : {"a", "b", "12", "ccc"}) types::SetValue::Add(&sp, m, sl);
  out.push_back({ObjectEntry("set:lp", ValueType::kSet, sp), "listpack"});
  auto* st = types::SetValue::Create("m", 1000, sl);
  for (int i = 0; i < 300 * scale; ++i)
    types::SetValue::Add(&st, "member:" + std::to_string(i), sl);
  out.push_back({ObjectEntry("set:ht", ValueType::kSet, st), "hashtable"});

  types::ZSetLimits zl;
  auto* zp = types::ZSetValue::Create(3, 1, zl);
  zp->Set("a", 1.5, zl);
  zp->Set("b", -3, zl);
  zp->Set("c", 1e300, zl);
  zp->Set("inf", std::numeric_limits<double>::infinity(), zl);
  zp->Set("d", 0.1, zl);
  out.push_back({ObjectEntry("zset:lp", ValueType::kZSet, zp), "listpack"});
  auto* zs = types::ZSetValue::Create(500, 1, zl);
  for (int i = 0; i < 200 * scale; ++i) zs->Set("m" + std::to_string(i), i * 0.25 - 7, zl);
  out.push_back({ObjectEntry("zset:sl", ValueType::kZSet, zs), "skiplist"});

  const types::HashLimits hl{512, 64};  // Redis's defaults
  auto* hp = types::HashValue::New();
  types::HashValue::Set(&hp, "f1", "v1", hl);
  types::HashValue::Set(&hp, "n", "42", hl);
  types::HashValue::Set(&hp, "", "empty-field", hl);
  out.push_back({ObjectEntry("hash:lp", ValueType::kHash, hp), "listpack"});
  auto* ht = types::HashValue::New();
  for (int i = 0; i < 600 * scale; ++i) {
    types::HashValue::Set(&ht, "field" + std::to_string(i), "value" + std::to_string(i), hl);
  }
  out.push_back({ObjectEntry("hash:ht", ValueType::kHash, ht), "hashtable"});
  auto* hx = types::HashValue::New();
  types::HashValue::Set(&hx, "a", "1", hl);
  types::HashValue::Set(&hx, "b", "2", hl);
  types::HashValue::Set(&hx, "c", "3", hl);
  types::HashValue::SetExpiry(&hx, "b", 4102444800000, types::HashValue::ExpireCondition::kNone, 0);
  types::HashValue::SetExpiry(&hx, "c", 4102444700000, types::HashValue::ExpireCondition::kNone, 0);
  out.push_back({ObjectEntry("hash:lpex", ValueType::kHash, hx), "listpackex"});
  auto* hxt = types::HashValue::New();
  for (int i = 0; i < 600; ++i) types::HashValue::Set(&hxt, "f" + std::to_string(i), "v", hl);
  types::HashValue::SetExpiry(&hxt, "f7", 4102444800000, types::HashValue::ExpireCondition::kNone,
                              0);
  types::HashValue::SetExpiry(&hxt, "f9", 4102444600000, types::HashValue::ExpireCondition::kNone,
                              0);
  out.push_back({ObjectEntry("hash:htex", ValueType::kHash, hxt), "hashtable"});

  auto* s = new types::StreamValue();
  types::StreamLimits sl2{4096, 10};
  for (uint64_t i = 1; i <= 35; ++i) {
    std::string v = "value" + std::to_string(i);
    std::vector<std::string_view> fv = {"field", v};
    if (i % 3 == 0) fv = {"other", v, "x", "y"};
    s->Append(types::StreamID{1000 + i, i % 2}, fv, sl2);
  }
  types::StreamID del[] = {{1003, 1}, {1020, 0}};
  s->Delete(del);
  types::StreamGroup* g = s->CreateGroup("g1", types::StreamID{1010, 0}, 10);
  types::StreamConsumer* c = g->CreateConsumer("alice", 5000);
  c->active_time = 6000;
  g->CreateConsumer("bob", 7000);
  for (uint64_t i : {1005, 1007}) {
    auto nack = std::make_unique<types::StreamNack>();
    nack->delivery_time = 5555;
    nack->delivery_count = i - 1000;
    nack->consumer = c;
    c->pel.emplace(types::StreamID{i, i % 2}, nack.get());
    g->pel.emplace(types::StreamID{i, i % 2}, std::move(nack));
  }
  s->CreateGroup("g2", types::StreamID{0, 0}, types::kInvalidEntriesRead);
  out.push_back({ObjectEntry("stream", ValueType::kStream, s), "stream"});
  out.push_back(
      {ObjectEntry("stream:empty", ValueType::kStream, new types::StreamValue()), "stream"});
  return out;
}

}  // namespace tessera::testing
