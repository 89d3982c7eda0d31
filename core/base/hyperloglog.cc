#include "core/base/hyperloglog.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "fmt/format.h"

namespace tessera::hll {

namespace {

constexpr uint64_t kHashSeed = 0xadc83b19ULL;
constexpr size_t kEncodingByte = 4;
constexpr size_t kCacheByte = 8;
constexpr uint8_t kCacheInvalidBit = 0x80;  // in the last cache byte
constexpr int kZeroMaxLen = 64;
constexpr int kXZeroMaxLen = 16384;
constexpr int kValMaxLen = 4;
// 0.5 / ln(2): the estimator's alpha for m -> infinity.
constexpr double kAlphaInf = 0.721347520444481703680;

// --- Sparse opcodes ------------------------------------------------------------------------

constexpr uint8_t kXZeroBit = 0x40;
constexpr uint8_t kValBit = 0x80;

bool IsZero(uint8_t b) { return (b & 0xc0) == 0; }
bool IsXZero(uint8_t b) { return (b & 0xc0) == kXZeroBit; }
bool IsVal(uint8_t b) { return (b & kValBit) != 0; }
int ZeroLen(uint8_t b) { return (b & 0x3f) + 1; }
int XZeroLen(uint8_t b0, uint8_t b1) { return (((b0 & 0x3f) << 8) | b1) + 1; }
int ValValue(uint8_t b) { return ((b >> 2) & 0x1f) + 1; }
int ValLen(uint8_t b) { return (b & 0x3) + 1; }
uint8_t ValOp(int value, int len) {
  return static_cast<uint8_t>(kValBit | ((value - 1) << 2) | (len - 1));
}
uint8_t ZeroOp(int len) { return static_cast<uint8_t>(len - 1); }
void PutXZero(uint8_t* p, int len) {
  p[0] = static_cast<uint8_t>(kXZeroBit | ((len - 1) >> 8));
  p[1] = static_cast<uint8_t>((len - 1) & 0xff);
}

// One decoded opcode: `size` bytes covering `run` registers of `value` (0 for ZERO/XZERO).
struct Opcode {
  int size = 1;
  int run = 0;
  int value = 0;
};

// REQUIRES: p < end, and for an XZERO p + 1 < end (true in a valid sparse value).
Opcode ReadOpcode(const uint8_t* p) {
  if (IsZero(*p)) return {1, ZeroLen(*p), 0};
  if (IsVal(*p)) return {1, ValLen(*p), ValValue(*p)};
  return {2, XZeroLen(p[0], p[1]), 0};
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Calls fn(first_register, run, value) for each opcode of a valid sparse value.
template <typename Fn>
void ForEachRun(std::string_view value, Fn fn) {
  const uint8_t* p = Bytes(value) + kHeaderSize;
  const uint8_t* end = Bytes(value) + value.size();
  uint32_t first = 0;
  while (p < end) {
    Opcode op = ReadOpcode(p);
    fn(first, op.run, op.value);
    first += static_cast<uint32_t>(op.run);
    p += op.size;
  }
}

// --- Estimator (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches") ----

using Histogram = std::array<int, 64>;

double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous != z);
  return z;
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= std::pow(1.0 - x, 2) * y;
  } while (previous != z);
  return z / 3.0;
}

// The same operations in the same order as Redis's hllCount, so the result is bit-identical.
uint64_t Estimate(const Histogram& h) {
  const double m = kRegisters;
  double z = m * Tau((m - h[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += h[j];
    z *= 0.5;
  }
  z += m * Sigma(h[0] / m);
  double estimate = kAlphaInf * m * m / z;
  // Every register at 52 or more makes z zero: Redis's llroundl(inf) gives LLONG_MIN on x86,
  // which PFCOUNT replies as -9223372036854775808 (and caches as 2^63, the invalid bit).
  if (!(estimate < 0x1p63)) return uint64_t{1} << 63;
  return static_cast<uint64_t>(std::llround(estimate));
}

// Histogram of the dense registers, 16 registers (12 bytes) per step.
void DenseHistogram(const uint8_t* r, Histogram* h) {
  for (uint32_t group = 0; group < kRegisters / 16; ++group, r += 12) {
    for (int k = 0; k < 12; k += 3) {
      uint32_t w = r[k] | (r[k + 1] << 8) | (r[k + 2] << 16);  // four 6-bit registers
      ++(*h)[w & 63];
      ++(*h)[(w >> 6) & 63];
      ++(*h)[(w >> 12) & 63];
      ++(*h)[(w >> 18) & 63];
    }
  }
}

}  // namespace

uint64_t MurmurHash64A(const void* data, size_t length, uint64_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  uint64_t h = seed ^ (static_cast<uint64_t>(length) * m);
  const auto* p = static_cast<const uint8_t*>(data);
  const uint8_t* end = p + (length & ~size_t{7});
  for (; p != end; p += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i) k = (k << 8) | p[i];  // little endian on any host
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  size_t tail = length & 7;
  if (tail != 0) {
    for (size_t i = tail; i-- > 0;) h ^= static_cast<uint64_t>(p[i]) << (8 * i);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Pattern PatternOf(std::string_view element) {
  uint64_t hash = MurmurHash64A(element.data(), element.size(), kHashSeed);
  Pattern out;
  out.index = static_cast<uint32_t>(hash & (kRegisters - 1));
  // The sentinel bit bounds the run at kQ + 1.
  uint64_t rest = (hash >> kPrecision) | (uint64_t{1} << kQ);
  out.count = static_cast<uint8_t>(__builtin_ctzll(rest) + 1);
  return out;
}

bool HasHllHeader(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return false;
  auto encoding = static_cast<uint8_t>(value[kEncodingByte]);
  if (encoding == static_cast<uint8_t>(Encoding::kDense)) return value.size() == kDenseSize;
  return encoding == static_cast<uint8_t>(Encoding::kSparse);
}

Encoding EncodingOf(std::string_view value) { return static_cast<Encoding>(value[kEncodingByte]); }

bool ValidSparse(std::string_view value) {
  const uint8_t* p = Bytes(value) + kHeaderSize;
  const uint8_t* end = Bytes(value) + value.size();
  uint32_t covered = 0;
  while (p < end) {
    if (IsXZero(*p) && end - p < 2) return false;  // cut short
    Opcode op = ReadOpcode(p);
    if (static_cast<uint32_t>(op.run) > kRegisters - covered) return false;  // past the last
    covered += static_cast<uint32_t>(op.run);
    p += op.size;
  }
  return covered == kRegisters;
}

std::optional<uint64_t> CachedCardinality(std::string_view value) {
  const uint8_t* card = Bytes(value) + kCacheByte;
  if ((card[7] & kCacheInvalidBit) != 0) return std::nullopt;
  uint64_t out = 0;
  for (int i = 7; i >= 0; --i) out = (out << 8) | card[i];
  return out;
}

void StoreCardinality(char* value, uint64_t cardinality) {
  for (int i = 0; i < 8; ++i) {
    value[kCacheByte + i] = static_cast<char>((cardinality >> (8 * i)) & 0xff);
  }
}

void InvalidateCache(char* value) {
  value[kCacheByte + 7] = static_cast<char>(value[kCacheByte + 7] | kCacheInvalidBit);
}

void WriteEmptySparse(char* out) {
  std::memset(out, 0, kEmptySparseSize);
  std::memcpy(out, "HYLL", 4);
  out[kEncodingByte] = static_cast<char>(Encoding::kSparse);
  static_assert(kRegisters == kXZeroMaxLen, "one XZERO covers every register");
  PutXZero(reinterpret_cast<uint8_t*>(out) + kHeaderSize, kXZeroMaxLen);
}

// Register i occupies bits [6i, 6i+6) counting from the low bit of byte 0.  When the register
// starts at bit 0..2 of its byte it ends there: the next byte is not touched, which keeps the
// last register (starting at bit 2 of the last byte) inside the array.
uint8_t DenseGet(const uint8_t* registers, uint32_t index) {
  uint32_t byte = index * 6 / 8;
  uint32_t shift = index * 6 & 7;
  uint32_t v = registers[byte] >> shift;
  if (shift > 2) v |= static_cast<uint32_t>(registers[byte + 1]) << (8 - shift);
  return static_cast<uint8_t>(v & kRegisterMax);
}

void DenseStore(uint8_t* registers, uint32_t index, uint8_t value) {
  uint32_t byte = index * 6 / 8;
  uint32_t shift = index * 6 & 7;
  uint32_t v = value & kRegisterMax;
  registers[byte] =
      static_cast<uint8_t>((registers[byte] & ~(kRegisterMax << shift)) | (v << shift));
  if (shift > 2) {
    uint32_t high = 8 - shift;
    registers[byte + 1] =
        static_cast<uint8_t>((registers[byte + 1] & ~(kRegisterMax >> high)) | (v >> high));
  }
}

bool DenseSet(uint8_t* registers, uint32_t index, uint8_t count) {
  if (count <= DenseGet(registers, index)) return false;
  DenseStore(registers, index, count);
  return true;
}

namespace {

// Writes over `out` the opcodes that replace the run [first, last] (zeros, or `old_value` when
// non-zero) once register `index` inside it holds `count`.  Returns the bytes written (1..5).
int SplitRun(uint8_t* out, int first, int last, int index, int old_value, uint8_t count) {
  uint8_t* n = out;
  auto put_rest = [&](int len) {
    if (old_value != 0) {
      *n++ = ValOp(old_value, len);
    } else if (len > kZeroMaxLen) {
      PutXZero(n, len);
      n += 2;
    } else {
      *n++ = ZeroOp(len);
    }
  };
  if (index != first) put_rest(index - first);
  *n++ = ValOp(count, 1);
  if (index != last) put_rest(last - index);
  return static_cast<int>(n - out);
}

// Redis's step 4: starting at `p`, looks at up to five opcodes and merges each pair of
// adjacent VALs of equal value whose lengths fit one VAL.  Shrinks *len by one per merge.
void MergeNeighbours(uint8_t* p, uint8_t* data, size_t* len) {
  uint8_t* end = data + *len;
  int budget = 5;
  while (p < end && budget-- > 0) {
    if (IsXZero(*p)) {
      p += 2;
      continue;
    }
    if (IsZero(*p)) {
      ++p;
      continue;
    }
    if (p + 1 < end && IsVal(p[1]) && ValValue(*p) == ValValue(p[1])) {
      int run = ValLen(*p) + ValLen(p[1]);
      if (run <= kValMaxLen) {
        p[1] = ValOp(ValValue(*p), run);
        std::memmove(p, p + 1, static_cast<size_t>(end - p - 1));
        --end;
        --*len;
        continue;  // the merged opcode may merge again with the next one
      }
    }
    ++p;
  }
}

}  // namespace

SparseSetOutcome SparseSet(uint8_t* data, size_t* len, uint32_t index, uint8_t count,
                           size_t sparse_max_bytes) {
  if (count > kSparseValueMax) return SparseSetOutcome::kPromote;

  // Step 1: find the opcode covering `index`, and the one before it.
  uint8_t* const sparse = data + kHeaderSize;
  uint8_t* end = data + *len;
  uint8_t* p = sparse;
  uint8_t* prev = nullptr;
  int first = 0;
  Opcode op;
  while (p < end) {
    op = ReadOpcode(p);
    if (static_cast<int>(index) <= first + op.run - 1) break;
    prev = p;
    p += op.size;
    first += op.run;
  }
  if (p >= end) return SparseSetOutcome::kUnchanged;  // unreachable for a valid value

  // Step 2: the cases that rewrite one byte in place.
  if (op.value != 0) {
    if (op.value >= count) return SparseSetOutcome::kUnchanged;
    if (op.run == 1) {
      *p = ValOp(count, 1);
      MergeNeighbours(prev != nullptr ? prev : sparse, data, len);
      InvalidateCache(reinterpret_cast<char*>(data));
      return SparseSetOutcome::kChanged;
    }
  } else if (op.size == 1 && op.run == 1) {
    *p = ValOp(count, 1);
    MergeNeighbours(prev != nullptr ? prev : sparse, data, len);
    InvalidateCache(reinterpret_cast<char*>(data));
    return SparseSetOutcome::kChanged;
  }

  // Step 3: split the run into up to three opcodes.
  uint8_t seq[5];
  int seq_len = SplitRun(seq, first, first + op.run - 1, static_cast<int>(index), op.value, count);
  int delta = seq_len - op.size;
  if (delta > 0 && *len + static_cast<size_t>(delta) > sparse_max_bytes) {
    return SparseSetOutcome::kPromote;
  }
  uint8_t* next = p + op.size;
  if (delta != 0 && next < end) {
    std::memmove(next + delta, next, static_cast<size_t>(end - next));
  }
  std::memcpy(p, seq, static_cast<size_t>(seq_len));
  *len = static_cast<size_t>(static_cast<ptrdiff_t>(*len) + delta);

  // Step 4.
  MergeNeighbours(prev != nullptr ? prev : sparse, data, len);
  InvalidateCache(reinterpret_cast<char*>(data));
  return SparseSetOutcome::kChanged;
}

void SparseToDense(std::string_view sparse, uint8_t* dense) {
  std::memcpy(dense, sparse.data(), kHeaderSize);
  dense[kEncodingByte] = static_cast<uint8_t>(Encoding::kDense);
  uint8_t* registers = dense + kHeaderSize;
  ForEachRun(sparse, [&](uint32_t first, int run, int value) {
    if (value == 0) return;
    for (int k = 0; k < run; ++k) DenseStore(registers, first + k, static_cast<uint8_t>(value));
  });
}

void MergeInto(std::string_view value, RawRegisters* max) {
  if (EncodingOf(value) == Encoding::kDense) {
    const uint8_t* registers = Bytes(value) + kHeaderSize;
    for (uint32_t i = 0; i < kRegisters; ++i) {
      uint8_t v = DenseGet(registers, i);
      if (v > (*max)[i]) (*max)[i] = v;
    }
    return;
  }
  ForEachRun(value, [&](uint32_t first, int run, int v) {
    for (int k = 0; k < run; ++k) {
      uint8_t& slot = (*max)[first + k];
      if (v > slot) slot = static_cast<uint8_t>(v);
    }
  });
}

uint64_t Count(std::string_view value) {
  Histogram h{};
  if (EncodingOf(value) == Encoding::kDense) {
    DenseHistogram(Bytes(value) + kHeaderSize, &h);
  } else {
    ForEachRun(value, [&](uint32_t, int run, int v) { h[v] += run; });
  }
  return Estimate(h);
}

uint64_t CountRaw(const RawRegisters& registers) {
  Histogram h{};
  for (uint8_t v : registers) ++h[v & 63];
  return Estimate(h);
}

std::string NewSparse() {
  std::string out(kEmptySparseSize, '\0');
  WriteEmptySparse(out.data());
  return out;
}

bool SetRegister(std::string* value, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (EncodingOf(*value) == Encoding::kSparse) {
    size_t len = value->size();
    value->resize(len + kSparseMaxGrowth);
    auto* data = reinterpret_cast<uint8_t*>(value->data());
    SparseSetOutcome outcome = SparseSet(data, &len, index, count, sparse_max_bytes);
    value->resize(len);
    if (outcome != SparseSetOutcome::kPromote) return outcome == SparseSetOutcome::kChanged;
    std::string dense(kDenseSize, '\0');
    SparseToDense(*value, reinterpret_cast<uint8_t*>(dense.data()));
    *value = std::move(dense);
  }
  return DenseSet(reinterpret_cast<uint8_t*>(value->data()) + kHeaderSize, index, count);
}

std::string DecodeSparse(std::string_view value) {
  std::string out;
  const uint8_t* p = Bytes(value) + kHeaderSize;
  const uint8_t* end = Bytes(value) + value.size();
  while (p < end) {
    if (IsZero(*p)) {
      fmt::format_to(std::back_inserter(out), "z:{} ", ZeroLen(*p));
      ++p;
    } else if (IsXZero(*p)) {
      uint8_t low = p + 1 < end ? p[1] : 0;
      fmt::format_to(std::back_inserter(out), "Z:{} ", XZeroLen(*p, low));
      p += 2;
    } else {
      fmt::format_to(std::back_inserter(out), "v:{},{} ", ValValue(*p), ValLen(*p));
      ++p;
    }
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace tessera::hll
