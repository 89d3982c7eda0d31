// HyperLogLog in Redis 7.2's exact string representation (PFADD, PFCOUNT, PFMERGE).
//
// A HyperLogLog is a plain string value, so a value written by Redis (SET, later RDB and
// replication) reads the same here and vice versa.  Layout, all of it Redis's:
//
//   bytes 0-3    "HYLL"
//   byte 4       encoding: 0 dense, 1 sparse
//   bytes 5-7    unused (kept as found)
//   bytes 8-15   cached cardinality, little endian; bit 7 of byte 15 set = cache invalid
//   bytes 16-    dense: 16384 registers of 6 bits, packed from the low bit of each byte
//                (exactly 12288 bytes); sparse: run-length opcodes covering 16384 registers:
//                  00xxxxxx           ZERO: 1-64 zero registers
//                  01xxxxxx yyyyyyyy  XZERO: 1-16384 zero registers (14-bit length - 1)
//                  1vvvvvxx           VAL: 1-4 registers holding value 1-32
//
// An element hashes with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register,
// the run of zero bits above them (plus one) is the value it offers.  The estimate is Ertl's
// improved estimator over the register histogram, computed with the same floating-point steps
// as Redis so that counts agree exactly.  A sparse value is promoted to dense when a register
// needs a value above 32 or the value would grow past `hll-sparse-max-bytes`.
//
// Untrusted input: any string may be presented as an HLL (SET, SETRANGE, RESTORE), so nothing
// here trusts a sparse value's opcodes.  `ValidSparse` accepts a value iff its opcodes are all
// complete and cover exactly 16384 registers, none running past the last one; every function
// that walks a sparse value REQUIRES that it passed (the keyspace layer checks before any
// read or write).  This is stricter than Redis 7.2.4, whose walks trusted the runs and allowed
// out-of-bounds writes (CVE-2025-32023 and the 2019 sparse-overflow fixes): a corrupt value is
// refused as a whole, before anything is written.  A dense value is valid iff it has the exact
// length, since any 6-bit register content is a legal register.
//
// Pure: no allocation except where a std::string is returned, no clock, no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::hll {

inline constexpr int kPrecision = 14;
inline constexpr uint32_t kRegisters = 1u << kPrecision;  // 16384
inline constexpr int kQ = 64 - kPrecision;                // hash bits left for the zero run
inline constexpr uint8_t kRegisterMax = 63;
inline constexpr uint8_t kSparseValueMax = 32;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + kRegisters * 6 / 8;  // 12304
// The empty sparse value Redis creates: the header and one XZERO opcode of 16384.
inline constexpr size_t kEmptySparseSize = kHeaderSize + 2;
// Bytes a sparse register update may add (an XZERO split into XZERO VAL XZERO).
inline constexpr size_t kSparseMaxGrowth = 3;

enum class Encoding : uint8_t { kDense = 0, kSparse = 1 };

uint64_t MurmurHash64A(const void* data, size_t length, uint64_t seed);

// The register an element updates and the value it offers (1..kQ+1).
struct Pattern {
  uint32_t index = 0;
  uint8_t count = 0;
};
Pattern PatternOf(std::string_view element);

// True iff `value` passes Redis's isHLLObjectOrReply checks: at least a header long, "HYLL",
// a known encoding, and for dense exactly kDenseSize bytes.  It says nothing of sparse opcodes.
bool HasHllHeader(std::string_view value);
// REQUIRES: HasHllHeader(value).
Encoding EncodingOf(std::string_view value);
// True iff the sparse opcodes after the header are complete and cover exactly kRegisters.
// REQUIRES: HasHllHeader(value) and a sparse encoding.
bool ValidSparse(std::string_view value);

// The cached cardinality, nullopt when the cache is marked invalid.
std::optional<uint64_t> CachedCardinality(std::string_view value);
void StoreCardinality(char* value, uint64_t cardinality);
// Sets the invalid bit only: the other cache bytes keep their stale value, as in Redis.
void InvalidateCache(char* value);

// Writes the empty sparse HLL (kEmptySparseSize bytes, cache valid and zero) to `out`.
void WriteEmptySparse(char* out);

// Dense registers (the bytes after the header).  REQUIRES: index < kRegisters.
uint8_t DenseGet(const uint8_t* registers, uint32_t index);
void DenseStore(uint8_t* registers, uint32_t index, uint8_t value);
// Raises the register to `count` if below it; true iff it changed.
bool DenseSet(uint8_t* registers, uint32_t index, uint8_t count);

enum class SparseSetOutcome : uint8_t {
  kUnchanged,  // the register already held `count` or more
  kChanged,    // updated in place; the cache is invalidated
  kPromote,    // nothing written: the caller converts to dense and sets the register there
};
// Raises register `index` of the sparse value data[0, *len) to `count`, exactly as Redis's
// hllSparseSet does (the same opcode splits and the same merging of neighbours, so the bytes
// match).  Grows *len by at most kSparseMaxGrowth, never past `sparse_max_bytes`: kPromote
// instead.  REQUIRES: ValidSparse(data[0, *len)), `data` writable for *len +
// kSparseMaxGrowth bytes, index < kRegisters.  The value stays valid.
SparseSetOutcome SparseSet(uint8_t* data, size_t* len, uint32_t index, uint8_t count,
                           size_t sparse_max_bytes);

// Converts a sparse value to dense into `dense` (kDenseSize bytes, zeroed by the caller): the
// header is copied (cache and unused bytes included) with the encoding set to dense.
// REQUIRES: ValidSparse(sparse).
void SparseToDense(std::string_view sparse, uint8_t* dense);

// One byte per register, for merging (PFMERGE, PFCOUNT of several keys).
using RawRegisters = std::array<uint8_t, kRegisters>;
// max[i] = max(max[i], register i of `value`).  REQUIRES: a valid value.
void MergeInto(std::string_view value, RawRegisters* max);

// The estimated cardinality of a valid value (the cache is ignored), or of raw registers.
uint64_t Count(std::string_view value);
uint64_t CountRaw(const RawRegisters& registers);

// A std::string holding an HLL, for tests and PFSELFTEST (the keyspace writes entries in
// place, with the same steps).  NewSparse() is the empty value.  SetRegister raises one
// register of a valid value, promoting it to dense as SparseSet asks; true iff it changed.
// Like SparseSet it invalidates the cache only for a sparse change; PFADD does it for all.
std::string NewSparse();
bool SetRegister(std::string* value, uint32_t index, uint8_t count, size_t sparse_max_bytes);

// PFDEBUG DECODE's text of the sparse opcodes: "z:N", "Z:N", "v:VALUE,N" joined by spaces.
// Works on any bytes: an XZERO cut short reads its missing byte as zero, as Redis (which reads
// the string's terminator) does.
std::string DecodeSparse(std::string_view value);

}  // namespace tessera::hll
