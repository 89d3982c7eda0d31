// Operations that write bitmaps, for the bitmap command family (SETBIT, BITOP, BITFIELD).
// The reads (GETBIT, BITCOUNT, BITPOS, and a BITFIELD of GETs only) need no operation of their
// own: they are OpGetString (string_ops.h) followed by the pure bit arithmetic of
// core/base/bitmap.h.
//
// A bitmap is a string value.  Writes leave it raw-encoded, as Redis does: an int or embstr
// value is rewritten as raw on the first bit write, even one that changes no bit.  A write
// inside a raw value changes its bytes in place, so SETBIT on a large bitmap costs O(1).
// Growth goes through Entry::ResizeString, as APPEND does: in place while the allocation has
// room, else a copy with 50% spare room, so setting bits at ever higher offsets is amortized
// O(1) like Redis's greedy sds growth.  A bitmap created by a write is sized exactly.
//
// Offsets are trusted: the command layer refuses any whose byte is at or past
// proto-max-bulk-len before calling, so a value grows at most to that length (BITFIELD: plus
// the up to 8 bytes its widest field spills past the offset, as in Redis).
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/bitmap.h"
#include "core/base/status.h"
#include "core/keyspace/keyspace.h"

namespace tessera::keyspace {

// SETBIT: sets the bit at `offset` and returns the bit it replaced.  A missing key becomes a
// zero string just long enough to hold the bit.  kWrongType for another type.  `changed` (may
// be null) tells whether the key was created, grew, or had its bit flipped: what Redis counts
// as a modification (WATCH, the event, the write log).
OpResult<bool> OpSetBit(DbAccess& db, std::string_view key, uint64_t offset, bool value,
                        bool* changed = nullptr);

enum class BitOp : uint8_t { kAnd, kOr, kXor, kNot };

// BITOP: combines the strings of `sources` (a missing key reads as zeros; shorter strings are
// zero-padded to the longest) and stores the result at `dest` as a raw string without expiry,
// replacing any value of any type.  When every source is empty or missing, `dest` is deleted
// instead.  Returns the result's length.  kWrongType if a source is not a string, before any
// change.  REQUIRES: op != kNot or exactly one source.
OpResult<size_t> OpBitOp(DbAccess& db, BitOp op, std::string_view dest,
                         std::span<const std::string_view> sources);

struct BitfieldOp {
  enum class Kind : uint8_t { kGet, kSet, kIncrBy };
  Kind kind = Kind::kGet;
  BitfieldType type;
  uint64_t offset = 0;  // in bits; "#N" already multiplied out
  int64_t value = 0;    // SET's value or INCRBY's increment
  // The OVERFLOW mode in force for a SET or INCRBY.
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
};

// BITFIELD: runs `ops` in order and returns one result each: GET the field, SET the value it
// replaced, INCRBY the new value; nullopt for a SET or INCRBY that overflowed under kFail (and
// wrote nothing).  With only GETs nothing is created or rewritten.  Otherwise the value is
// first created or grown to hold the farthest field written, even if every write then fails,
// as in Redis.  kWrongType for another type.
OpResult<std::vector<std::optional<int64_t>>> OpBitfield(DbAccess& db, std::string_view key,
                                                         std::span<const BitfieldOp> ops);

}  // namespace tessera::keyspace
