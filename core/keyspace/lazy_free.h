// Lazy freeing, the keyspace side (Redis 7.2's lazyfree.c): what a value costs to free, and
// where an entry removed from its table goes.
//
// Freeing an aggregate walks all of its elements.  Done under a shard lock on a worker, a DEL
// of a set of a million members stalls that worker's clients and every command that needs
// the shard.  So a removal that may be lazy (UNLINK, DEL with lazyfree-lazy-user-del, an
// expiry with lazyfree-lazy-expire, ...) hands the detached entry to a FreeSink, whose
// implementation (server/lazy_free.h) frees it on a background thread.  Only values whose
// FreeEffort() exceeds kLazyFreeThreshold go there: queueing a value costs a lock and a
// wake-up, more than freeing a handful of allocations, so small values are freed in place,
// as Redis does.
//
// Ownership: an entry handed to a sink is detached from every table and nothing else points
// at it: a fork-less snapshot never reads it (a marked shard is written out when it is first
// locked, before any command can detach an entry of it: server/snapshot.h), and a script's
// undo images are deep copies (undo.h).  The sink owns it from the call on.
//
// Core starts no thread: the sink is an interface, and a null sink means "free now".
#pragma once

#include <cstddef>

#include "core/keyspace/entry.h"

namespace tessera::keyspace {

// Redis's LAZYFREE_THRESHOLD: a value is freed in the background iff its effort is above it.
inline constexpr size_t kLazyFreeThreshold = 64;

// A number proportional to the allocations freeing `e` walks, computed in O(1) per type as
// Redis's lazyfreeGetFreeEffort: a list's quicklist nodes; the members of a hashtable set, of
// a skiplist sorted set, of a hashtable hash; a stream's nodes plus, per consumer group, one
// plus the first group's pending entries.  Strings and the packed encodings (listpack,
// intset) are one allocation: 1.
size_t FreeEffort(const Entry& e);

class FreeSink {
 public:
  // Takes ownership of `e`, detached from its table, and frees it later on another thread.
  virtual void FreeLater(Entry* e) = 0;

 protected:
  ~FreeSink() = default;
};

// Frees `e` (detached) now, or hands it to `sink` when `sink` is not null and FreeEffort(*e)
// is above kLazyFreeThreshold.  Returns true iff it went to the sink.
bool FreeEntry(Entry* e, FreeSink* sink);

}  // namespace tessera::keyspace
