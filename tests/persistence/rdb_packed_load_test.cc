// The one-pass builders the RDB loader uses for listpack-sized values (HashValue::NewPacked,
// SetValue::NewIntset / NewListpack, ZSetValue::NewPacked, ListValue::FromSingleNode): a value
// loaded this way equals the one built entry by entry, keeps working under every mutation, and
// a duplicate or bad score gives the error the entry-by-entry load gave.  Also the Source's
// CRC64, folded over whole buffers, across refills and reads that bypass the buffer.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/base/crc64.h"
#include "core/base/find_duplicate.h"
#include "core/ds/listpack.h"
#include "core/keyspace/entry.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/zset_value.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace tessera::persistence::rdb {
namespace {

using keyspace::Entry;
using types::HashValue;
using types::ListValue;
using types::SetValue;
using types::ZSetValue;

std::string Listpack(const std::vector<std::string>& items) {
  std::vector<std::string_view> views(items.begin(), items.end());
  uint8_t* l = ds::lp::AppendAll(ds::lp::New(), views);
  std::string s(reinterpret_cast<const char*>(l), ds::lp::Bytes(l));
  ds::lp::Free(l);
  return s;
}

// A DUMP payload of one value of `type` whose body is the RDB string `blob`.
std::string Payload(uint8_t type, const std::string& blob) {
  std::string p(1, static_cast<char>(type));
  WriteString(&p, blob, false);
  p.push_back(11);
  p.push_back(0);
  const uint64_t crc = Crc64(0, p);
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>(crc >> (8 * i)));
  return p;
}

// Loads the payload; REQUIREs success.  The caller frees the entry.
Entry* Load(uint8_t type, const std::string& blob, LoadOptions opts = {}) {
  auto r = ParseDumpPayload("k", Payload(type, blob), opts);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return *r;
}

std::string LoadError(uint8_t type, const std::string& blob) {
  auto r = ParseDumpPayload("k", Payload(type, blob), {});
  REQUIRE(!r.ok());
  return r.status().message();
}

TEST_CASE("HasDuplicate finds a repeated item in any position", "[rdb][rdbload]") {
  std::vector<std::string> items;
  for (int i = 0; i < 1000; ++i) items.push_back("m" + std::to_string(i));
  auto has = [&](size_t n) {
    return HasDuplicate(
        n, [&](size_t i) { return HashBytes(items[i]); },
        [&](size_t i, size_t j) { return items[i] == items[j]; });
  };
  CHECK_FALSE(has(0));
  CHECK_FALSE(has(1));
  CHECK_FALSE(has(1000));  // past the inline table: the heap one
  items[999] = "m0";
  CHECK(has(1000));
  CHECK_FALSE(has(999));
  items[999] = "m999";
  items[1] = "m0";
  CHECK(has(2));
}

TEST_CASE("a loaded listpack hash equals one built field by field and takes every change",
          "[rdb][rdbload]") {
  Entry* e = Load(kTypeHashListpack, Listpack({"f1", "v1", "n", "12345", "f2", "", "-7", "x"}));
  HashValue* h = e->object_as<HashValue>();
  HashValue* ref = HashValue::New();
  const types::HashLimits big{1000, 1000};
  for (auto [f, v] : {std::pair{"f1", "v1"}, {"n", "12345"}, {"f2", ""}, {"-7", "x"}}) {
    HashValue::Set(&ref, f, v, big);
  }
  CHECK(h->EncodingName() == "listpack");
  CHECK(h->size() == 4);
  CHECK(h->AllocationSize() == ref->AllocationSize());
  CHECK(h->Pairs().size() == 4);
  for (const auto& p : ref->Pairs()) CHECK(h->Find(p.field) == p.value);
  CHECK(h->CheckInvariants());
  // Mutations: overwrite, add, delete, then past the limit into a table.
  const types::HashLimits limits{8, 64};
  CHECK_FALSE(HashValue::Set(&h, "n", "1", limits));
  CHECK(HashValue::Set(&h, "new", "v", limits));
  CHECK(HashValue::Delete(&h, "f2"));
  CHECK(h->Find("n") == "1");
  CHECK_FALSE(h->Find("f2").has_value());
  CHECK(h->CheckInvariants());
  for (int i = 0; i < 10; ++i) HashValue::Set(&h, "g" + std::to_string(i), "v", limits);
  CHECK(h->EncodingName() == "hashtable");
  CHECK(h->Find("-7") == "x");
  CHECK(h->CheckInvariants());
  e->set_object(h);
  Entry::Free(e);
  delete ref;
}

TEST_CASE("a loaded listpack set equals one built member by member and takes every change",
          "[rdb][rdbload]") {
  // "007" and "+5" are not canonical integers: they stay strings; "12" becomes an integer.
  Entry* e = Load(kTypeSetListpack, Listpack({"a", "12", "007", "+5", "-3", "b"}));
  SetValue* s = e->object_as<SetValue>();
  SetValue* ref = SetValue::New(SetValue::Encoding::kListpack);
  const types::SetLimits big{1000, 1000, 1000};
  for (const char* m : {"a", "12", "007", "+5", "-3", "b"}) SetValue::Add(&ref, m, big);
  CHECK(s->EncodingName() == "listpack");
  CHECK(s->size() == 6);
  CHECK(s->AllocationSize() == ref->AllocationSize());
  std::vector<std::string> got, want;
  s->ForEach([&](const types::SetMember& m) { got.push_back(m.ToString()); });
  ref->ForEach([&](const types::SetMember& m) { want.push_back(m.ToString()); });
  CHECK(got == want);
  CHECK(s->Contains("12"));
  CHECK(s->Contains("007"));
  CHECK_FALSE(s->Contains("7"));
  const types::SetLimits limits{512, 8, 64};
  CHECK_FALSE(SetValue::Add(&s, "12", limits));
  CHECK(SetValue::Add(&s, "c", limits));
  CHECK(SetValue::Remove(&s, "-3"));
  CHECK(s->size() == 6);
  for (int i = 0; i < 5; ++i) SetValue::Add(&s, "z" + std::to_string(i), limits);
  CHECK(s->EncodingName() == "hashtable");
  CHECK(s->Contains("+5"));
  CHECK(s->size() == 11);
  e->set_object(s);
  Entry::Free(e);
  delete ref;
  // An integer entry and the same number as a string entry are one member twice.
  const std::string int_and_text = {12, 0, 0, 0, 2, 0, 0x05, 0x01, '\x81', '5', 0x02, '\xFF'};
  CHECK(LoadError(kTypeSetListpack, int_and_text).find("Set listpack integrity") !=
        std::string::npos);
}

TEST_CASE("a loaded intset has the format adding its members one by one gives", "[rdb][rdbload]") {
  std::vector<std::vector<int64_t>> cases = {
      {1},
      {0, 1, 2, 3},
      {-1},
      {-1, 5},
      {-300, -2, 0, 70000},
      {5, 1LL << 40},
      {INT64_MIN, -1, 0, INT64_MAX},
  };
  for (const auto& values : cases) {
    std::string blob;
    auto le = [&](uint64_t v, int n) {
      for (int i = 0; i < n; ++i) blob.push_back(static_cast<char>(v >> (8 * i)));
    };
    le(8, 4);
    le(values.size(), 4);
    for (int64_t v : values) le(static_cast<uint64_t>(v), 8);
    Entry* e = Load(kTypeSetIntset, blob);
    SetValue* s = e->object_as<SetValue>();
    SetValue* ref = SetValue::New(SetValue::Encoding::kIntset);
    for (int64_t v : values) SetValue::Add(&ref, types::SetMember::Int(v), {});
    INFO(values.size() << " members from " << values.front());
    CHECK(s->EncodingName() == "intset");
    CHECK(s->intset_bits() == ref->intset_bits());
    CHECK(s->intset_signed() == ref->intset_signed());
    std::vector<int64_t> got;
    s->ForEach([&](const types::SetMember& m) { got.push_back(m.num); });
    CHECK(got == values);
    // Mutations: a member below, above and inside; a removal; a string converts it.
    CHECK(SetValue::Add(&s, types::SetMember::Int(-1000000), {}));
    CHECK(SetValue::Add(&s, "123456789012", {}));
    CHECK(SetValue::Remove(&s, types::SetMember::Int(values.front())));
    CHECK(s->Contains("-1000000"));
    CHECK(s->size() == values.size() + 1);
    CHECK(SetValue::Add(&s, "text", {}));
    CHECK(s->EncodingName() == "listpack");
    CHECK(s->Contains("123456789012"));
    e->set_object(s);
    Entry::Free(e);
    delete ref;
  }
}

TEST_CASE("a loaded listpack sorted set is in order and takes every change", "[rdb][rdbload]") {
  // Out of order on purpose (Redis never writes that): it is put in order, as adding would.
  Entry* e = Load(kTypeZSetListpack,
                  Listpack({"c", "3", "a", "1.5", "b", "1.5", "d", "-2", "e", "1e300"}));
  ZSetValue* z = e->object_as<ZSetValue>();
  CHECK(z->EncodingName() == "listpack");
  CHECK(z->CheckInvariants());
  std::vector<std::string> order;
  for (auto it = z->IterateFrom(0, false); it.valid(); it.Next()) order.emplace_back(it.member());
  CHECK(order == std::vector<std::string>{"d", "a", "b", "c", "e"});
  CHECK(z->Score("e") == 1e300);
  CHECK(z->Rank("c") == 3u);
  const types::ZSetLimits limits{6, 64};
  CHECK(z->Set("a", 10, limits) == ZSetValue::AddOutcome::kUpdated);
  CHECK(z->Set("f", 0, limits) == ZSetValue::AddOutcome::kAdded);
  CHECK(z->Remove("d"));
  CHECK(z->Rank("f") == 0u);
  CHECK(z->CheckInvariants());
  for (int i = 0; i < 3; ++i) z->Set("g" + std::to_string(i), i, limits);
  CHECK(z->EncodingName() == "skiplist");
  CHECK(z->Score("a") == 10);
  CHECK(z->CheckInvariants());
  Entry::Free(e);
}

TEST_CASE("loaded packed values refuse duplicates and bad scores as before", "[rdb][rdbload]") {
  const std::string internal = "Internal error in RDB reading offset ";
  auto reason = [&](uint8_t type, const std::vector<std::string>& items) {
    const std::string m = LoadError(type, Listpack(items));
    REQUIRE(m.rfind(internal, 0) == 0);
    return m.substr(m.find(" -> ") + 4);
  };
  CHECK(reason(kTypeHashListpack, {"f", "1", "g", "2", "f", "3"}) ==
        "Hash listpack integrity check failed.");
  CHECK(reason(kTypeSetListpack, {"1", "x", "1"}) == "Set listpack integrity check failed.");
  CHECK(reason(kTypeSetListpack, {"x", "y", "x"}) == "Set listpack integrity check failed.");
  CHECK(reason(kTypeZSetListpack, {"m", "1", "m", "2"}) == "Duplicate zset fields detected");
  // The first failing pair decides, in order: a repeat before a bad score, or the score.
  CHECK(reason(kTypeZSetListpack, {"m", "1", "m", "2", "n", "bad"}) ==
        "Duplicate zset fields detected");
  CHECK(reason(kTypeZSetListpack, {"m", "1", "n", "bad", "m", "2"}) ==
        "Zset listpack has an invalid score");
  CHECK(reason(kTypeZSetListpack, {"m", "nan"}) == "Zset listpack has an invalid score");
}

TEST_CASE("a loaded one-node list is a listpack within the node limits, else a quicklist",
          "[rdb][rdbload]") {
  std::vector<std::string> items;
  for (int i = 0; i < 10; ++i) items.push_back("item-" + std::to_string(i));
  std::string value(1, 1);                               // one node
  value.push_back(static_cast<char>(kQuicklistPacked));  // container
  WriteString(&value, Listpack(items), false);
  auto payload = [&](const std::string& v) {
    std::string p(1, static_cast<char>(kTypeListQuicklist2));
    p += v;
    p.push_back(11);
    p.push_back(0);
    const uint64_t crc = Crc64(0, p);
    for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>(crc >> (8 * i)));
    return p;
  };
  auto r = ParseDumpPayload("k", payload(value), {});
  REQUIRE(r.ok());
  Entry* e = *r;
  ListValue* l = e->object_as<ListValue>();
  CHECK(l->EncodingName() == "listpack");
  CHECK(l->Length() == 10);
  const types::ListLimits limits{5, size_t{1} << 30};
  l->Push("tail", types::ListEnd::kTail, limits);
  CHECK(l->Pop(types::ListEnd::kHead) == "item-0");
  char buf[32];
  CHECK(l->At(-1).Get(buf) == "tail");
  l->ConvertForGrowth(100, 10, limits);
  CHECK(l->EncodingName() == "quicklist");
  Entry::Free(e);
  // With a fill of 5 elements per node, the same node stays a quicklist.
  LoadOptions small;
  small.list.fill = 5;
  r = ParseDumpPayload("k", payload(value), small);
  REQUIRE(r.ok());
  e = *r;
  l = e->object_as<ListValue>();
  CHECK(l->EncodingName() == "quicklist");
  CHECK(l->Length() == 10);
  l->Push("x", types::ListEnd::kHead, small.list);
  CHECK(l->At(0).Get(buf) == "x");
  CHECK(l->quicklist_info().nodes == 2);
  Entry::Free(e);
}

TEST_CASE("FileSource's CRC covers every byte across refills and large reads", "[rdb][rdbload]") {
  std::string f;
  WriteHeader(&f);
  WriteSelectDb(&f, 0);
  WriteOptions opts;
  opts.compress = false;
  std::vector<Entry*> entries;
  for (int i = 0; i < 50; ++i) {
    const std::string value =
        i % 10 == 0 ? std::string(5000, 'a' + i % 26) : "v" + std::to_string(i);
    Entry* e =
        Entry::NewStringAutoEncoded("key" + std::to_string(i), value, keyspace::kNoExpiry, 0);
    WriteKey(&f, *e, opts);
    Entry::Free(e);
  }
  WriteEof(&f);
  AppendChecksum(&f, Crc64(0, f));
  auto load = [&](const std::string& bytes, size_t buffer) {
    char path[] = "/tmp/rdbload-crc-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    ::lseek(fd, 0, SEEK_SET);
    FileSource src(fd, buffer);
    size_t keys = 0;
    LoadCallbacks cb;
    cb.on_key = [&](int, Entry* e) {
      ++keys;
      Entry::Free(e);
    };
    Status st = Load(src, {}, cb);
    ::close(fd);
    ::unlink(path);
    return std::pair{st, keys};
  };
  for (size_t buffer : {size_t{7}, size_t{64}, size_t{4096}, size_t{1} << 20}) {
    INFO("buffer " << buffer);
    auto [st, keys] = load(f, buffer);
    CHECK(st.ok());
    CHECK(keys == 50);
    // A flipped byte inside a long string (read past the small buffers) is caught.
    std::string bad = f;
    bad[bad.size() / 2] ^= 0x20;
    auto [st2, keys2] = load(bad, buffer);
    CHECK(st2.message().rfind("Wrong RDB checksum expected: (", 0) == 0);
  }
}

}  // namespace
}  // namespace tessera::persistence::rdb
