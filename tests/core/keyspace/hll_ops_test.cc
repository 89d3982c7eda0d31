// Unit tests of core/keyspace/hll_ops.h on a bare keyspace.  The byte-exact fixtures were
// produced by redis-server: PFADD of "el:0" .. "el:<n-1>" (in batches), then GET (value 1) and
// PFCOUNT, then GET again (value 2, with the cardinality cached); SHA-1 of each GET.
#include "core/keyspace/hll_ops.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/base/sha1.h"
#include "core/keyspace/string_ops.h"

namespace tessera::keyspace {
namespace {

constexpr int64_t kNow = 1700000000000;

std::string ValueOf(DbAccess& db, std::string_view key) {
  const Entry* e = *OpGetString(db, key);
  REQUIRE(e != nullptr);
  char buf[24];
  return std::string(e->StringValue(buf));
}

std::string Hex(std::string_view s) {
  return ToHex(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
std::string ShaOf(std::string_view s) { return ToHex(Sha1::Of(s)); }

void Set(DbAccess& db, std::string_view key, std::string_view value) {
  REQUIRE(OpSet(db, key, value, SetParams{}).ok());
}

std::vector<std::string> Elements(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("el:" + std::to_string(i));
  return out;
}

void Add(DbAccess& db, std::string_view key, const std::vector<std::string>& elements,
         size_t max_bytes = 3000) {
  for (size_t i = 0; i < elements.size(); i += 1000) {
    std::vector<std::string_view> batch(elements.begin() + i,
                                        elements.begin() + std::min(elements.size(), i + 1000));
    REQUIRE(OpPfAdd(db, key, batch, max_bytes).ok());
  }
}

uint64_t CountOf(DbAccess& db, std::vector<std::string_view> keys) {
  OpResult<uint64_t> r = OpPfCount(db, keys);
  REQUIRE(r.ok());
  return *r;
}

struct Fixture {
  int n;
  size_t max_bytes;
  size_t length;
  const char* sha_added;
  uint64_t count;
  const char* sha_counted;
};

const Fixture kFixtures[] = {
    {1, 3000, 21, "2399d10f75bb12336591427b8465c733df360f83", 1,
     "ffcf0295c675df893cb85517f5632b08a3d8dff7"},
    {10, 3000, 48, "218e7c6d931fc3fdf317ae9460d903305812fb21", 10,
     "3c77fbefd62c4545e548ed0c1f2656e4f57a9722"},
    {100, 3000, 289, "9b3302f66662d95bff73f289675498b51c47a23e", 100,
     "248fc4990a984973c5816702f759a4cd34d8b5e4"},
    {300, 3000, 692, "fb6c86fe158ae875f9e5f1407cb0b7711135c431", 303,
     "df321a85046418fa1038e8f4fe0d1e86a04c6ddc"},
    {1000, 3000, 1892, "b0e8969ee5b29a5ed2c3297d7f011603ce69c251", 999,
     "1422173d633882bde371759acbbbc0116e92cd08"},
    {2000, 3000, 12304, "65a0bedc1a8eda07bc5b8d0f71e252b5e86182e0", 1987,
     "5f85c852296ef88d29d9f80e69003452ec66283c"},
    {5000, 3000, 12304, "4d0a18c3baa905e00c7b2a7dec642fe09c0d227e", 4959,
     "06d0c8b66536365e146953882b85815e63bb59f1"},
    {20000, 3000, 12304, "b9c47693d928bdd5f3d23b9b6b56eb46ccd3f7a5", 20030,
     "f67a557292050fa641277c3c4ed75c27127a0e1b"},
    {200000, 3000, 12304, "9ead5971c0f5ed9a3b42a621c22678159cdc1d4b", 197365,
     "8e4a9f9c894c59153fe3c19b73ca287fbfb7ba4c"},
    {100, 100, 12304, "b51e68cc1591953d640de8c3b3bec80611c1c78e", 100,
     "403e1204ab59623c553f5ad6a2d348ea0e6bfd66"},
    {300, 100, 12304, "1ee70fc51dc72c7c745f391b0514218ade8d68cc", 303,
     "44944e9c82bd3dad1ac8dcda09a4098f104e17e8"},
    {100, 500, 289, "9b3302f66662d95bff73f289675498b51c47a23e", 100,
     "248fc4990a984973c5816702f759a4cd34d8b5e4"},
    {1000, 500, 12304, "cb47554e98f132d195e76546542c9fa3f1786aad", 999,
     "936caa92ddd3202db47d106806f770dfaaa38170"},
};

TEST_CASE("hll_ops: PFADD and PFCOUNT write what Redis writes", "[hll]") {
  for (const Fixture& f : kFixtures) {
    INFO("n=" << f.n << " hll-sparse-max-bytes=" << f.max_bytes);
    Keyspace ks(1, 1);
    DbAccess db(&ks, 0, kNow, 0);
    Add(db, "k", Elements(0, f.n), f.max_bytes);
    std::string added = ValueOf(db, "k");
    CHECK(added.size() == f.length);
    CHECK(ShaOf(added) == f.sha_added);
    CHECK(CountOf(db, {"k"}) == f.count);
    CHECK(ShaOf(ValueOf(db, "k")) == f.sha_counted);
    CHECK(CountOf(db, {"k"}) == f.count);  // from the cache now
  }
}

TEST_CASE("hll_ops: short values byte for byte", "[hll]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  std::vector<std::string_view> abc = {"a", "b", "c"};
  CHECK(*OpPfAdd(db, "k", abc, 3000));
  CHECK(Hex(ValueOf(db, "k")) == "48594c4c01000000000000000000008060f38050b1844bfb80425a");
  CHECK_FALSE(*OpPfAdd(db, "k", abc, 3000));
  CHECK(CountOf(db, {"k"}) == 3);
  CHECK(Hex(ValueOf(db, "k")) == "48594c4c01000000030000000000000060f38050b1844bfb80425a");
  CHECK_FALSE(*OpPfAdd(db, "k", abc, 3000));  // unchanged: the cache stays valid
  CHECK(Hex(ValueOf(db, "k")).substr(16, 16) == "0300000000000000");

  CHECK(*OpPfAdd(db, "empty", {}, 3000));  // creating counts as an update
  CHECK(Hex(ValueOf(db, "empty")) == "48594c4c0100000000000000000000807fff");
  CHECK_FALSE(*OpPfAdd(db, "empty", {}, 3000));
  std::vector<std::string_view> empty_string = {""};
  CHECK(*OpPfAdd(db, "es", empty_string, 3000));
  CHECK(Hex(ValueOf(db, "es")) == "48594c4c01000000000000000000008057318468cc");
}

TEST_CASE("hll_ops: PFMERGE and PFCOUNT of several keys", "[hll]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  Add(db, "s1", Elements(0, 100));
  Add(db, "s2", Elements(50, 150));
  Add(db, "d1", Elements(0, 5000));
  Add(db, "d2", Elements(2500, 7500));
  CHECK(CountOf(db, {"s1", "s2"}) == 151);
  CHECK(CountOf(db, {"s1", "d1", "d2", "nokey"}) == 7455);

  std::vector<std::string_view> m1 = {"m1", "s1", "s2"};
  REQUIRE(OpPfMerge(db, m1, 3000) == OpStatus::kOk);
  CHECK(ValueOf(db, "m1").size() == 398);
  CHECK(ShaOf(ValueOf(db, "m1")) == "19571c4146efb687cb1dd502aa882b5dea76f1a6");
  CHECK(CountOf(db, {"m1"}) == 151);

  std::vector<std::string_view> m2 = {"m2", "s1", "d2"};
  REQUIRE(OpPfMerge(db, m2, 3000) == OpStatus::kOk);
  CHECK(ShaOf(ValueOf(db, "m2")) == "fc4e7c6363795738042af940defeba390488ad0a");
  CHECK(CountOf(db, {"m2"}) == 5074);

  std::vector<std::string_view> into_s1 = {"s1", "s2"};
  REQUIRE(OpPfMerge(db, into_s1, 3000) == OpStatus::kOk);
  CHECK(ShaOf(ValueOf(db, "s1")) == "19571c4146efb687cb1dd502aa882b5dea76f1a6");

  std::vector<std::string_view> m3 = {"m3"};
  REQUIRE(OpPfMerge(db, m3, 3000) == OpStatus::kOk);
  CHECK(Hex(ValueOf(db, "m3")) == "48594c4c0100000000000000000000807fff");

  std::vector<std::string_view> into_d1 = {"d1", "s2"};
  REQUIRE(OpPfMerge(db, into_d1, 3000) == OpStatus::kOk);
  CHECK(ShaOf(ValueOf(db, "d1")) == "4d0a18c3baa905e00c7b2a7dec642fe09c0d227e");
}

TEST_CASE("hll_ops: type and validity checks, nothing written on error", "[hll]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  std::vector<std::string_view> one = {"x"};
  Set(db, "str", "bar");
  Set(db, "int", "12345678901234567");
  CHECK(OpPfAdd(db, "str", one, 3000).status() == OpStatus::kNotHll);
  CHECK(OpPfAdd(db, "int", one, 3000).status() == OpStatus::kNotHll);
  std::vector<std::string_view> k = {"str"};
  CHECK(OpPfCount(db, k).status() == OpStatus::kNotHll);
  std::vector<std::string_view> merge = {"dest", "str"};
  CHECK(OpPfMerge(db, merge, 3000) == OpStatus::kNotHll);
  CHECK(db.Find("dest") == nullptr);

  // Sparse registers that stop short: refused before any write.
  std::string corrupt = "HYLL\x01" + std::string(10, '\0') + "\x80" + "\x7f\xfe";
  Set(db, "bad", corrupt);
  std::vector<std::string_view> many = {"a", "b", "c", "d"};
  CHECK(OpPfAdd(db, "bad", many, 3000).status() == OpStatus::kCorruptHll);
  CHECK(ValueOf(db, "bad") == corrupt);
  std::vector<std::string_view> bad = {"bad"};
  CHECK(OpPfCount(db, bad).status() == OpStatus::kCorruptHll);
  std::vector<std::string_view> two = {"bad", "str"};
  CHECK(OpPfCount(db, two).status() == OpStatus::kCorruptHll);  // keys in order
  std::vector<std::string_view> two_rev = {"str", "bad"};
  CHECK(OpPfCount(db, two_rev).status() == OpStatus::kNotHll);
  std::vector<std::string_view> merge_bad = {"dest", "bad"};
  CHECK(OpPfMerge(db, merge_bad, 3000) == OpStatus::kCorruptHll);
  CHECK(db.Find("dest") == nullptr);
  CHECK(ValueOf(db, "bad") == corrupt);

  // A valid cached cardinality is answered without reading the registers, as in Redis.
  std::string cached = "HYLL\x01" + std::string(3, '\0') + "\x07" + std::string(7, '\0');
  Set(db, "cached", cached + "\x7f\xfe");
  std::vector<std::string_view> c = {"cached"};
  CHECK(*OpPfCount(db, c) == 7);

  // Another type.
  REQUIRE(db.Find("str") != nullptr);
  std::vector<std::string_view> list_key = {"missing"};
  CHECK(*OpPfCount(db, list_key) == 0);
  CHECK(db.Find("missing") == nullptr);
}

TEST_CASE("hll_ops: encodings and expiry", "[hll]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  std::vector<std::string_view> one = {"a"};
  REQUIRE(*OpPfAdd(db, "k", one, 3000));
  CHECK(db.Find("k")->encoding() == Encoding::kRaw);
  // A copy stored with SET is embstr (21 bytes); PFCOUNT turns it raw, as Redis does.
  std::string value = ValueOf(db, "k");
  Set(db, "copy", value);
  REQUIRE(db.Find("copy")->encoding() == Encoding::kEmbstr);
  std::vector<std::string_view> copy = {"copy"};
  CHECK(*OpPfCount(db, copy) == 1);
  CHECK(db.Find("copy")->encoding() == Encoding::kRaw);

  // Growth and promotion keep the expiry.
  SetParams p;
  p.expire_at_ms = kNow + 5000;
  REQUIRE(OpSet(db, "ttl", value, p).ok());
  Add(db, "ttl", Elements(0, 3000));
  const Entry* e = db.Find("ttl");
  REQUIRE(e->StringLength() == hll::kDenseSize);
  CHECK(e->expire_at_or_none() == kNow + 5000);
}

TEST_CASE("hll_ops: PFDEBUG", "[hll]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  CHECK(OpPfDebug(db, "nokey", PfDebugOp::kEncoding).status() == OpStatus::kKeyNotFound);
  Add(db, "p", Elements(0, 20));
  OpResult<PfDebugResult> decoded = OpPfDebug(db, "p", PfDebugOp::kDecode);
  REQUIRE(decoded.ok());
  CHECK(*decoded->decoded ==
        "Z:1016 v:1,1 Z:211 v:3,1 Z:2825 v:2,1 Z:381 v:3,1 Z:1735 v:1,1 Z:505 v:2,1 Z:159 "
        "v:2,1 Z:251 v:1,1 Z:1138 v:3,1 Z:581 v:2,1 Z:677 v:3,1 Z:308 v:1,1 Z:1318 v:5,1 Z:243 "
        "v:3,1 Z:693 v:1,1 Z:323 v:4,1 Z:980 v:1,1 Z:342 v:2,1 Z:401 v:5,1 Z:2133 v:4,1 Z:144");
  CHECK(OpPfDebug(db, "p", PfDebugOp::kEncoding)->encoding == hll::Encoding::kSparse);
  OpResult<PfDebugResult> regs = OpPfDebug(db, "p", PfDebugOp::kGetReg);
  REQUIRE(regs->registers.size() == hll::kRegisters);
  CHECK(regs->registers[1016] == 1);
  CHECK(regs->registers[1016 + 1 + 211] == 3);
  CHECK(OpPfDebug(db, "p", PfDebugOp::kEncoding)->encoding == hll::Encoding::kDense);
  CHECK(ValueOf(db, "p").size() == hll::kDenseSize);
  CHECK_FALSE(OpPfDebug(db, "p", PfDebugOp::kDecode)->decoded.has_value());
  CHECK_FALSE(OpPfDebug(db, "p", PfDebugOp::kToDense)->converted);
  Add(db, "q", Elements(0, 5));
  CHECK(OpPfDebug(db, "q", PfDebugOp::kToDense)->converted);
  CHECK(CountOf(db, {"q"}) == 5);
}

}  // namespace
}  // namespace tessera::keyspace
