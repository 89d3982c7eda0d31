// Unit tests of core/keyspace/bitmap_ops.h on a bare keyspace: encodings, expiry, in-place
// writes and what is (not) created.
#include "core/keyspace/bitmap_ops.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

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

Encoding EncodingOf(DbAccess& db, std::string_view key) {
  const Entry* e = *OpGetString(db, key);
  REQUIRE(e != nullptr);
  return e->encoding();
}

void Set(DbAccess& db, std::string_view key, std::string_view value, int64_t expire_at) {
  SetParams p;
  p.expire_at_ms = expire_at;
  REQUIRE(OpSet(db, key, value, p).ok());
}

BitfieldOp Write(BitfieldOp::Kind kind, BitfieldType type, uint64_t offset, int64_t value,
                 BitfieldOverflow overflow = BitfieldOverflow::kWrap) {
  BitfieldOp op;
  op.kind = kind;
  op.type = type;
  op.offset = offset;
  op.value = value;
  op.overflow = overflow;
  return op;
}

}  // namespace

TEST_CASE("OpSetBit creates, grows, rewrites as raw and writes in place", "[bitmap_ops]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  CHECK(*OpSetBit(db, "b", 1, true) == false);
  CHECK(ValueOf(db, "b") == "\x40");
  CHECK(EncodingOf(db, "b") == Encoding::kRaw);
  CHECK(*OpSetBit(db, "b", 1, true) == true);
  CHECK(*OpSetBit(db, "b", 1, false) == true);
  CHECK(*OpSetBit(db, "b", 15, true) == false);
  CHECK(ValueOf(db, "b") == std::string("\x00\x01", 2));

  // Within the length of a raw value: the same entry, changed in place.
  const Entry* before = *OpGetString(db, "b");
  CHECK(*OpSetBit(db, "b", 0, true) == false);
  CHECK(*OpGetString(db, "b") == before);

  // int and embstr values become raw, even when no bit changes; the expiry stays.
  Set(db, "n", "1", kNow + 5000);
  CHECK(EncodingOf(db, "n") == Encoding::kInt);
  CHECK(*OpSetBit(db, "n", 0, false) == false);
  CHECK(EncodingOf(db, "n") == Encoding::kRaw);
  CHECK(ValueOf(db, "n") == "1");
  CHECK((*OpGetString(db, "n"))->expire_at() == kNow + 5000);
  Set(db, "s", "foo", kNoExpiry);
  CHECK(EncodingOf(db, "s") == Encoding::kEmbstr);
  CHECK(*OpSetBit(db, "s", 100, true) == false);
  CHECK(EncodingOf(db, "s") == Encoding::kRaw);
  CHECK(ValueOf(db, "s").size() == 13);
}

TEST_CASE("OpSetBit at rising offsets reallocates O(log n) times", "[bitmap_ops]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  const Entry* last = nullptr;
  int reallocations = 0;
  for (uint64_t offset = 0; offset < 800000; offset += 7) {
    REQUIRE(OpSetBit(db, "grow", offset, true).ok());
    const Entry* now = *OpGetString(db, "grow");
    if (now != last) ++reallocations;
    last = now;
  }
  CHECK(ValueOf(db, "grow").size() == 100000);
  CHECK(reallocations < 40);
}

TEST_CASE("OpBitOp stores raw, drops the expiry, deletes on empty", "[bitmap_ops]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  Set(db, "a", "\x01\x02\xff\xff", kNoExpiry);
  Set(db, "b", "\x01\x02\xff", kNoExpiry);
  Set(db, "d", "old", kNow + 1000);
  std::vector<std::string_view> srcs{"a", "b", "missing"};
  CHECK(*OpBitOp(db, BitOp::kOr, "d", srcs) == 4);
  CHECK(ValueOf(db, "d") == "\x01\x02\xff\xff");
  CHECK(EncodingOf(db, "d") == Encoding::kRaw);
  CHECK(!(*OpGetString(db, "d"))->has_expiry());
  CHECK(*OpBitOp(db, BitOp::kAnd, "d", srcs) == 4);
  CHECK(ValueOf(db, "d") == std::string(4, '\0'));

  Set(db, "e", "", kNoExpiry);
  std::vector<std::string_view> empty{"e", "missing"};
  CHECK(*OpBitOp(db, BitOp::kXor, "d", empty) == 0);
  CHECK(*OpGetString(db, "d") == nullptr);
}

TEST_CASE("OpBitfield with only GETs creates and rewrites nothing", "[bitmap_ops]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  std::vector<BitfieldOp> gets{Write(BitfieldOp::Kind::kGet, {false, 8}, 0, 0)};
  auto r = OpBitfield(db, "none", gets);
  REQUIRE(r.ok());
  CHECK(r->size() == 1);
  CHECK((*r)[0] == 0);
  CHECK(*OpGetString(db, "none") == nullptr);
  Set(db, "n", "12", kNoExpiry);
  CHECK((*OpBitfield(db, "n", gets))[0] == '1');
  CHECK(EncodingOf(db, "n") == Encoding::kInt);
}

TEST_CASE("OpBitfield grows first, even when every write fails", "[bitmap_ops]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  std::vector<BitfieldOp> ops{
      Write(BitfieldOp::Kind::kSet, {false, 8}, 96, 999, BitfieldOverflow::kFail)};
  auto r = OpBitfield(db, "f", ops);
  REQUIRE(r.ok());
  CHECK((*r)[0] == std::nullopt);
  CHECK(ValueOf(db, "f") == std::string(13, '\0'));
}

}  // namespace tessera::keyspace
