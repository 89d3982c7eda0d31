#include "core/keyspace/hash_ops.h"

#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

namespace tessera::keyspace {
namespace {

constexpr int64_t kNow = 1700000000000;
const types::HashLimits kLimits{128, 64};

size_t FieldsOf(Keyspace& ks, std::string_view key) {
  size_t n = 0;
  ks.shard(0).db(0).table.ForEach([&](Entry* e) {
    if (e->key() == key) n = e->object_as<types::HashValue>()->size();
  });
  return n;
}

}  // namespace

TEST_CASE("Active expiry reclaims expired hash fields and emptied hashes", "[hash]") {
  Keyspace ks(1, 1);
  {
    DbAccess db(&ks, 0, kNow, 0);
    std::vector<std::string_view> pairs = {"a", "1", "b", "2"};
    REQUIRE(*OpHSet(db, "gone", pairs, kLimits) == 2);
    REQUIRE(*OpHSet(db, "kept", pairs, kLimits) == 2);
    REQUIRE(*OpHSet(db, "plain", pairs, kLimits) == 2);
    std::vector<std::string_view> both = {"a", "b"};
    std::vector<std::string_view> one = {"a"};
    using Cond = types::HashValue::ExpireCondition;
    CHECK(*OpHExpire(db, "gone", kNow + 100, Cond::kNone, both) == std::vector<int>{1, 1});
    CHECK(*OpHExpire(db, "kept", kNow + 100, Cond::kNone, one) == std::vector<int>{1});
  }
  DbTable& t = ks.shard(0).db(0);
  CHECK(t.field_expiry);
  CHECK(ks.shard(0).ActiveExpire(0, kNow + 99, 100) == 0);
  CHECK(t.table.size() == 3);
  // The pass met hashes with expiring fields: the flag stays.
  CHECK(t.field_expiry);
  CHECK(ks.shard(0).ActiveExpire(0, kNow + 100, 100) == 1);
  CHECK(t.table.size() == 2);
  CHECK(FieldsOf(ks, "kept") == 1);
  CHECK(FieldsOf(ks, "plain") == 2);
  // A full pass that met no expiring field clears the flag: the sweep stops.
  CHECK(ks.shard(0).ActiveExpire(0, kNow + 200, 100) == 0);
  CHECK_FALSE(t.field_expiry);
}

TEST_CASE("Hash ops: type checks and lazy deletion of an emptied hash", "[hash]") {
  Keyspace ks(1, 1);
  DbAccess db(&ks, 0, kNow, 0);
  std::vector<std::string_view> pairs = {"a", "1"};
  REQUIRE(*OpHSet(db, "h", pairs, kLimits) == 1);
  std::vector<std::string_view> fields = {"a"};
  CHECK(*OpHExpire(db, "h", kNow + 10, types::HashValue::ExpireCondition::kNone, fields) ==
        std::vector<int>{1});
  DbAccess later(&ks, 0, kNow + 10, 0);
  CHECK(*OpGetHash(later, "h") == nullptr);
  CHECK(ks.shard(0).db(0).table.size() == 0);
  CHECK(OpHIncrBy(later, "h", "n", 5, kLimits).value() == 5);
  CHECK(*OpHIncrByFloat(later, "h", "n", 0.5L, kLimits) == "5.5");
  CHECK(OpHIncrBy(later, "h", "n", 1, kLimits).status() == OpStatus::kNotAnInteger);
  CHECK(*OpHDel(later, "h", fields) == 0);
  std::vector<std::string_view> n = {"n"};
  CHECK(*OpHDel(later, "h", n) == 1);
  CHECK(ks.shard(0).db(0).table.size() == 0);
}

}  // namespace tessera::keyspace
