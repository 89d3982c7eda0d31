#include "core/keyspace/string_ops.h"

#include <catch2/catch.hpp>
#include <limits>

namespace tessera::keyspace {
namespace {

constexpr int64_t kNow = 1700000000000;

OpStatus StatusOf(const OpResult<int64_t>& r) { return r.status(); }

}  // namespace

TEST_CASE("ResolveExpiry scales, offsets and rejects", "[string_ops]") {
  CHECK(*ResolveExpiry({"10", true, true}, kNow) == kNow + 10000);
  CHECK(*ResolveExpiry({"10", false, true}, kNow) == kNow + 10);
  CHECK(*ResolveExpiry({"10", true, false}, kNow) == 10000);
  CHECK(*ResolveExpiry({"10", false, false}, kNow) == 10);
  CHECK(StatusOf(ResolveExpiry({"0", false, false}, kNow)) == OpStatus::kInvalidExpire);
  CHECK(StatusOf(ResolveExpiry({"-1", true, true}, kNow)) == OpStatus::kInvalidExpire);
  CHECK(StatusOf(ResolveExpiry({"x", true, true}, kNow)) == OpStatus::kNotAnInteger);
  CHECK(StatusOf(ResolveExpiry({"", true, true}, kNow)) == OpStatus::kNotAnInteger);
  // INT64_MAX / 1000 scales; one more second does not.
  CHECK(*ResolveExpiry({"9223372036854775", true, false}, kNow) == 9223372036854775000);
  CHECK(StatusOf(ResolveExpiry({"9223372036854776", true, false}, kNow)) ==
        OpStatus::kInvalidExpire);
  // Adding now: the largest relative value that fits, and one more.
  const int64_t room = std::numeric_limits<int64_t>::max() - kNow;
  CHECK(*ResolveExpiry({std::to_string(room), false, true}, kNow) ==
        std::numeric_limits<int64_t>::max());
  CHECK(StatusOf(ResolveExpiry({std::to_string(room + 1), false, true}, kNow)) ==
        OpStatus::kInvalidExpire);
}

TEST_CASE("StringRange clamps like GETRANGE", "[string_ops]") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  CHECK(StringRange("Hello World", 0, 3) == "Hell");
  CHECK(StringRange("Hello World", -4, -1) == "orld");
  CHECK(StringRange("Hello World", 5, 3).empty());
  CHECK(StringRange("Hello World", -1, -5).empty());
  CHECK(StringRange("Hello World", kMin, kMax) == "Hello World");
  CHECK(StringRange("Hello World", kMax, kMax).empty());
  CHECK(StringRange("Hello World", kMin, kMin) == "H");
  CHECK(StringRange("", 0, -1).empty());
  CHECK(StringRange("", kMin, kMax).empty());
}

TEST_CASE("String operations on a bare keyspace", "[string_ops]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  CHECK(*OpIncrBy(db, "n", 5) == 5);
  CHECK(OpIncrBy(db, "n", std::numeric_limits<int64_t>::max()).status() == OpStatus::kOverflow);
  CHECK(*OpAppend(db, "n", "0", 100) == 2);
  CHECK(*OpIncrBy(db, "n", 1) == 51);
  CHECK((*OpGetString(db, "n"))->is_int());

  SetParams p;
  p.expire_at_ms = kNow + 10;
  CHECK(OpSet(db, "k", "v", p)->applied);
  CHECK((*OpGetString(db, "k"))->expire_at() == kNow + 10);
  DbAccess later(&ks, 0, kNow + 10, 0);
  CHECK(*OpGetString(later, "k") == nullptr);

  CHECK(*OpSetRange(db, "r", 3, "ab", 5) == 5);
  CHECK(OpSetRange(db, "r", 4, "ab", 5).status() == OpStatus::kSizeLimit);
  CHECK(OpSetRange(db, "r", std::numeric_limits<int64_t>::max(), "a", 5).status() ==
        OpStatus::kSizeLimit);
  CHECK((*OpGetString(db, "r"))->raw_value() == std::string("\0\0\0ab", 5));

  std::string_view kv[] = {"a", "1", "a", "2"};
  CHECK(OpMSetNx(db, kv, 4));
  char buf[24];
  CHECK((*OpGetString(db, "a"))->StringValue(buf) == "2");
  CHECK_FALSE(OpMSetNx(db, kv, 4));
}

}  // namespace tessera::keyspace
