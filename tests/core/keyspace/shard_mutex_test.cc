// ShardMutex's per-thread marks: what EXEC relies on to run its commands' own locking as
// no-ops on the shards it holds, and only on those.
#include <catch2/catch.hpp>

#include <future>

#include "core/keyspace/keyspace.h"

namespace tessera::keyspace {
namespace {

// True iff another thread can take `mu` right now.
bool FreeForOthers(ShardMutex& mu) {
  return std::async(std::launch::async,
                    [&] {
                      if (!mu.try_lock()) return false;
                      mu.unlock();
                      return true;
                    })
      .get();
}

TEST_CASE("a marked shard's lock is a no-op on the marking thread only", "[shard_mutex]") {
  Keyspace ks(1, 4);
  ShardSet held;
  held.set(1);
  held.set(3);
  ks.shard(1).mutex().lock_raw();
  ks.shard(3).mutex().lock_raw();
  {
    ShardMutex::ScopedShardsHeld mark(&held);
    CHECK(ks.shard(1).mutex().HeldHere());
    CHECK_FALSE(ks.shard(2).mutex().HeldHere());
    CHECK_FALSE(ShardMutex::HeldAll());
    // The command's own lock and unlock leave the real lock alone.
    ks.shard(1).mutex().lock();
    CHECK(ks.shard(1).mutex().try_lock());
    ks.shard(1).mutex().unlock();
    ks.shard(1).mutex().unlock();
    CHECK_FALSE(FreeForOthers(ks.shard(1).mutex()));
    CHECK_FALSE(FreeForOthers(ks.shard(3).mutex()));
    CHECK(FreeForOthers(ks.shard(0).mutex()));
  }
  CHECK_FALSE(ks.shard(1).mutex().HeldHere());
  ks.shard(3).mutex().unlock_raw();
  ks.shard(1).mutex().unlock_raw();
  CHECK(FreeForOthers(ks.shard(1).mutex()));
}

TEST_CASE("every shard counts as held inside ScopedAllShardsHeld", "[shard_mutex]") {
  Keyspace ks(1, 2);
  for (unsigned i = 0; i < 2; ++i) ks.shard(i).mutex().lock_raw();
  {
    ShardMutex::ScopedAllShardsHeld all;
    CHECK(ShardMutex::HeldAll());
    CHECK(ks.shard(0).mutex().HeldHere());
    CHECK(ks.shard(1).mutex().HeldHere());
    ks.shard(0).mutex().lock();
    ks.shard(0).mutex().unlock();
    CHECK_FALSE(FreeForOthers(ks.shard(0).mutex()));
  }
  CHECK_FALSE(ShardMutex::HeldAll());
  for (unsigned i = 2; i > 0; --i) ks.shard(i - 1).mutex().unlock_raw();
}

}  // namespace
}  // namespace tessera::keyspace
