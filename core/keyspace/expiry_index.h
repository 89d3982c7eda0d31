// Keys with an expiry, ordered by time, for one DbTable: the active expiry cycle reclaims each
// key soon after its time instead of finding it by sweeping the table (DESIGN 4).
//
// Approach: buckets of key hashes in a map ordered by the bucket's start time.  A key goes into
// a bucket whose width is about 1/64 of the time left when it is added (16 ms at least), so a
// key a month away costs the same 8 bytes as one a second away, and the number of buckets stays
// small.  When a bucket's start time has passed, each hash is looked up in the table: a key whose
// time has come is deleted, a key due later within the bucket's span goes back in a narrower
// bucket (a coarse bucket breaks up as its time approaches: a key is looked up about log64 of its
// TTL in ms times), and anything else (the key was deleted, or its expiry changed, which added
// another entry) is dropped.  Entries never need updating when a key changes, only adding when a
// key gets an expiry; the stale ones left by keys that changed expiry are bounded by rebuilding
// the index from the table when it holds more than twice the volatile keys.
//
// Rejected: a heap of (time, hash) pairs (16 bytes a key and O(log n) per add, where this adds
// in O(log buckets) to a vector); Redis's random sampling (it finds a key late, by minutes when
// there are many volatile keys, which is what `expired` events cannot afford); keeping entry
// pointers (entries move when they change size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace tessera::keyspace {

class ExpiryIndex {
 public:
  // Notes that the key with hash `hash` expires at `at_ms` (added at `now_ms`).
  void Add(int64_t at_ms, uint64_t hash, int64_t now_ms);

  // One due bucket's entries, taken out of the index: the caller looks each hash up and puts
  // back (Add) those not due yet.  `end_ms` is the end of the bucket's span: an entry whose key
  // expires at or after it is stale.
  struct Due {
    int64_t start_ms = 0;
    int64_t end_ms = 0;
    std::vector<uint64_t> hashes;
  };
  // Takes the earliest bucket whose start is at or before `now_ms`; false if there is none.
  bool TakeDue(int64_t now_ms, Due* out);
  // Puts back the entries of `due` from `from` on, unexamined (a budget ran out).
  void PutBack(const Due& due, size_t from);

  // Time of the earliest bucket's start; INT64_MAX when empty.
  int64_t next_ms() const { return buckets_.empty() ? INT64_MAX : buckets_.begin()->first; }
  size_t size() const { return size_; }
  size_t bucket_count() const { return buckets_.size(); }
  size_t BytesAllocated() const;
  void Clear() {
    buckets_.clear();
    size_ = 0;
  }

 private:
  struct Bucket {
    int64_t end_ms = 0;
    std::vector<uint64_t> hashes;
  };
  std::map<int64_t, Bucket> buckets_;  // by start time
  size_t size_ = 0;
};

}  // namespace tessera::keyspace
