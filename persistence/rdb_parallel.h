// Decoding RDB values on other threads while the reading thread goes on (internal to
// persistence/; LoadOptions::decode_threads turns it on).
//
// The reading thread keeps everything that is sequential by nature: reading the file, its
// CRC, the opcodes, the keys, and finding where each value ends.  For a value whose decoding
// costs (LZF, walking and validating packed blobs, building the value), it copies the value's
// raw bytes (as they are in the file, still compressed) into a job; decoder threads run the
// very ReadValue of the serial load on those bytes, through an Input whose offsets are the
// file's, so every error has the serial load's text and offset.  Jobs are delivered (the
// callbacks run) on the reading thread, in file order, so callers see exactly the sequence of
// callbacks and the first error the serial load gives.
//
// Rejected: inserting into the shards from the decoder threads.  It would spread the
// keyspace's share of the work too, but the callbacks (counters, the duplicate-key check,
// warnings, key-load-delay) would run concurrently and out of order, and the keyspace's
// share measured small beside decoding.
//
// Finding a value's end ("framing") walks its lengths without decoding.  If that walk fails
// (a short file, a malformed length), the serial ReadValue is run on the bytes the walk read,
// which fails where the serial load fails, with its message.
//
// Memory in flight is bounded: kRingBatches batches of kBatchJobs jobs; the reading thread
// waits (or decodes a batch itself) when they are all taken.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "persistence/rdb_input.h"
#include "persistence/rdb_reader.h"

namespace tessera::persistence::rdb {

// What the opcodes before a key leave for it.
struct KeyPrefix {
  int64_t expire_ms = keyspace::kNoExpiry;
  int64_t idle = -1;
};

// The serial load's handling of a decoded value: empty-key warnings, expired keys, the IDLE
// clock, on_key.  Takes ownership of `e`.  Returns `st` unless it is kEmptyKey.
Status DeliverKey(Status st, keyspace::Entry* e, std::string_view key, int db,
                  const KeyPrefix& prefix, const LoadOptions& opts, const LoadCallbacks& cb);

// True iff values of `type` go to the decoder threads (the others are decoded in place).
bool IsDeferredType(uint8_t type);

class ParallelDecoder {
 public:
  // Starts opts.decode_threads threads.
  ParallelDecoder(const LoadOptions& opts, const LoadCallbacks& cb);
  ~ParallelDecoder();  // joins the threads; frees entries never delivered
  ParallelDecoder(const ParallelDecoder&) = delete;
  ParallelDecoder& operator=(const ParallelDecoder&) = delete;

  // The key of type `type` (IsDeferredType) whose key string was just read: reads its value's
  // bytes from `in` and queues it.  A non-OK status is an error of this key or an earlier one,
  // the first in file order; nothing more may be read then.
  Status AddDeferred(Input& in, uint8_t type, std::string key, int db, const KeyPrefix& prefix);
  // A key decoded in place (st, e from ReadValue): delivered after the keys queued before it.
  Status AddDecoded(Status st, keyspace::Entry* e, std::string key, int db,
                    const KeyPrefix& prefix);
  // Delivers every queued key; returns the first error among them.  Call before anything
  // else that runs a callback or ends the load.
  Status Drain();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace tessera::persistence::rdb
