#include "core/keyspace/expiry_index.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/keyspace/keyspace.h"

namespace tessera::keyspace {
namespace {

constexpr int64_t kNow = 1700000000000;

// Runs ExpireDue at `at` until nothing is due; returns the names it deleted.
std::vector<std::string> ExpireAt(Keyspace& ks, int64_t at) {
  std::vector<std::string> names;
  bool more = true;
  while (more) ks.shard(0).ExpireDue(0, at, 64, &names, &more);
  return names;
}

void SetWithExpiry(Keyspace& ks, int64_t now, const std::string& key, int64_t at) {
  DbAccess db(&ks, 0, now, 0);
  Entry* e = Entry::NewStringAutoEncoded(key, "v", at, 0);
  if (Entry* old = db.Find(key, false)) {
    db.Replace(old, e);
  } else {
    db.Insert(e);
  }
}

}  // namespace

TEST_CASE("ExpiryIndex buckets by time left and gives due buckets in order", "[expiry]") {
  ExpiryIndex index;
  index.Add(kNow + 40, 1, kNow);              // 16 ms bucket
  index.Add(kNow + 3600 * 1000, 2, kNow);     // an hour away: a bucket of about a minute
  index.Add(kNow + 20, 3, kNow);
  CHECK(index.size() == 3);
  ExpiryIndex::Due due;
  CHECK_FALSE(index.TakeDue(kNow + 10, &due));
  REQUIRE(index.TakeDue(kNow + 50, &due));
  CHECK(due.hashes == std::vector<uint64_t>{3});  // bucket [kNow+16, kNow+32) of its own
  CHECK(due.end_ms - due.start_ms == 16);
  REQUIRE(index.TakeDue(kNow + 50, &due));
  CHECK(due.hashes == std::vector<uint64_t>{1});
  CHECK_FALSE(index.TakeDue(kNow + 50, &due));
  REQUIRE(index.TakeDue(kNow + 3600 * 1000, &due));
  CHECK(due.hashes == std::vector<uint64_t>{2});
  CHECK(due.end_ms - due.start_ms == 65536);
  CHECK(index.size() == 0);
}

TEST_CASE("ExpireDue deletes each key at its time, whatever its TTL", "[expiry]") {
  Keyspace ks(1, 1);
  // Times from 10 ms to 30 days ahead.
  const std::vector<int64_t> ttls = {10, 250, 999, 60000, 3600000, 30LL * 86400000};
  for (size_t i = 0; i < ttls.size(); ++i) {
    SetWithExpiry(ks, kNow, "k" + std::to_string(i), kNow + ttls[i]);
  }
  {
    DbAccess db(&ks, 0, kNow, 0);
    db.Insert(Entry::NewStringAutoEncoded("persistent", "v", kNoExpiry, 0));
  }
  DbTable& t = ks.shard(0).db(0);
  CHECK(t.volatile_keys == ttls.size());
  for (size_t i = 0; i < ttls.size(); ++i) {
    const int64_t at = kNow + ttls[i];
    CHECK(ExpireAt(ks, at - 1).empty());  // not a millisecond early
    CHECK(ExpireAt(ks, at) == std::vector<std::string>{"k" + std::to_string(i)});
  }
  CHECK(t.table.size() == 1);
  CHECK(t.volatile_keys == 0);
  CHECK(t.expiry_index.size() == 0);
}

TEST_CASE("ExpireDue follows changed and removed expiries", "[expiry]") {
  Keyspace ks(1, 1);
  SetWithExpiry(ks, kNow, "later", kNow + 100);
  SetWithExpiry(ks, kNow, "later", kNow + 5000);  // extended: the old entry goes stale
  SetWithExpiry(ks, kNow, "sooner", kNow + 5000);
  SetWithExpiry(ks, kNow, "sooner", kNow + 100);
  SetWithExpiry(ks, kNow, "kept", kNow + 100);
  {
    DbAccess db(&ks, 0, kNow, 0);
    Entry* e = db.Find("kept", false);
    db.Replace(e, Entry::WithExpiry(e, kNoExpiry));  // PERSIST
  }
  CHECK(ExpireAt(ks, kNow + 100) == std::vector<std::string>{"sooner"});
  CHECK(ExpireAt(ks, kNow + 4999).empty());
  CHECK(ExpireAt(ks, kNow + 5000) == std::vector<std::string>{"later"});
  CHECK(ExpireAt(ks, kNow + 100000000).empty());
  CHECK(ks.shard(0).db(0).table.size() == 1);  // "kept"
}

TEST_CASE("Stale index entries stay bounded by the live ones", "[expiry]") {
  Keyspace ks(1, 1);
  // A session store refreshing each key's TTL on every request.
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 100; ++k) {
      SetWithExpiry(ks, kNow + round, "s" + std::to_string(k), kNow + round + 1800000);
    }
  }
  DbTable& t = ks.shard(0).db(0);
  CHECK(t.expiry_index.size() == 20000);
  CHECK(ExpireAt(ks, kNow + 1000).empty());  // rebuilds: one entry per key
  CHECK(t.expiry_index.size() == 100);
  CHECK(ExpireAt(ks, kNow + 199 + 1800000).size() == 100);
}

}  // namespace tessera::keyspace
