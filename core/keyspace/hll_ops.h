// Operations on HyperLogLog values, for the HyperLogLog command family (PFADD PFCOUNT PFMERGE
// PFDEBUG).  The format itself (Redis's "HYLL" strings) is core/base/hyperloglog.h.
//
// An HLL is a string entry, changed in place through mutable_raw_data().  A sparse value
// grows a few bytes per register update through Entry::ResizeString without spare room: in
// place while the allocator's size class has room, else into an entry allocated to size.
// Redis keeps up to 300 spare bytes per sparse HLL; the size classes (at most ~25% apart)
// bound the copies to a few dozen over a sparse value's life at a fraction of that memory.
// While an operation runs the string keeps hll::kSparseMaxGrowth bytes past the value's real
// length, trimmed before it returns.  Promotion to dense builds a new, exactly sized entry.
// Expiry is kept throughout.
//
// Checks, in Redis 7.2's order for each key: another type -> kWrongType; a string without a
// valid header (or an int) -> kNotHll; sparse opcodes that do not cover exactly 16384
// registers -> kCorruptHll.  Every sparse value is validated as a whole before it is read or
// written, so a corrupt value is never partly updated.  This differs from Redis 7.2 on
// purpose: its PFADD walks a sparse value only up to the register it sets, so on a corrupt
// value it usually succeeds (writing into the corrupt bytes) and fails only when a later
// PFCOUNT, PFMERGE or promotion reads the whole value; here PFADD answers INVALIDOBJ at once.
// Only PFCOUNT of one key with a valid cached cardinality answers without looking at the
// registers, as Redis does.
//
// Like Redis's dbUnshareStringValue, every operation that finds a valid header on a key it
// may write turns an embstr value raw, even when nothing else changes (OBJECT ENCODING shows
// it).
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hyperloglog.h"
#include "core/base/status.h"
#include "core/keyspace/keyspace.h"

namespace tessera::keyspace {

// PFADD: adds `elements` (possibly none), creating an empty sparse HLL if the key is missing.
// Returns true iff the key was created or a register changed; the cache is then invalidated.
OpResult<bool> OpPfAdd(DbAccess& db, std::string_view key,
                       std::span<const std::string_view> elements, size_t sparse_max_bytes);

// PFCOUNT: one key: its cached cardinality, or the estimate, which is then cached in the value
// (a missing key counts 0).  Several keys: the estimate of their union, nothing written.
// REQUIRES: !keys.empty().
OpResult<uint64_t> OpPfCount(DbAccess& db, std::span<const std::string_view> keys);

// PFMERGE: merges the HLLs of `keys` (keys[0] is the destination, also read as a source) into
// keys[0], created if missing.  The destination becomes dense if any input is dense.
// REQUIRES: !keys.empty().
OpStatus OpPfMerge(DbAccess& db, std::span<const std::string_view> keys, size_t sparse_max_bytes);

enum class PfDebugOp : uint8_t {
  kCheck,   // only the lookup and checks every subcommand starts with
  kGetReg,  // converts a sparse value to dense, returns the registers
  kDecode,  // the sparse opcodes as text; nullopt for a dense value
  kEncoding,
  kToDense,  // converts a sparse value to dense
};
struct PfDebugResult {
  hll::Encoding encoding = hll::Encoding::kSparse;  // before any conversion
  std::vector<uint8_t> registers;                   // kGetReg
  std::optional<std::string> decoded;               // kDecode
  bool converted = false;                           // kToDense
};
// PFDEBUG: kKeyNotFound for a missing key, then the usual checks; kCorruptHll when a
// conversion meets invalid opcodes.
OpResult<PfDebugResult> OpPfDebug(DbAccess& db, std::string_view key, PfDebugOp op);

}  // namespace tessera::keyspace
