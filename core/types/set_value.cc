#include "core/types/set_value.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "core/base/find_duplicate.h"
#include "core/base/hash.h"
#include "core/base/numbers.h"

namespace tessera::types {

namespace {

// Listpack entry tags (see the header): a string of up to 127 bytes is one tag byte; up to
// 16383 bytes, two; longer, a 0xF0 tag and a 4-byte length.  0xC0 + (n - 1) tags an integer
// of n little-endian bytes.
constexpr uint8_t kLongStrTag = 0x80;  // 0x80..0xBF: 14-bit length
constexpr uint8_t kIntTag = 0xC0;      // 0xC0..0xC7
constexpr uint8_t kHugeStrTag = 0xF0;
constexpr size_t kShortStrMax = 0x7F;
constexpr size_t kLongStrMax = 0x3FFF;

// Bytes of a little-endian two's complement integer that holds v.
size_t IntBytes(int64_t v) {
  size_t n = 1;
  while (n < 8) {
    const int64_t lim = int64_t{1} << (8 * n - 1);
    if (v >= -lim && v < lim) break;
    ++n;
  }
  return n;
}

// Decimal length of v with its sign (Redis's sdigits10).
size_t Digits(int64_t v) {
  char buf[24];
  return FormatInt64(v, buf);
}

size_t VarintSize(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A member with canonical integer bytes turned into an integer, as listpack stores them.
SetMember Normalize(const SetMember& m) {
  int64_t v;
  if (!m.is_int && ParseInt64(m.str, &v)) return SetMember::Int(v);
  return m;
}

}  // namespace

// ---- SetMember ------------------------------------------------------------------------------

std::string_view SetMember::View(char* buf) const {
  if (!is_int) return str;
  return std::string_view(buf, FormatInt64(num, buf));
}

std::string SetMember::ToString() const {
  char buf[24];
  return std::string(View(buf));
}

// ---- Hashtable nodes ------------------------------------------------------------------------

struct SetValue::Node {};

std::string_view SetValue::NodeView(const Node* n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(n);
  size_t len = 0;
  int shift = 0;
  while (*p & 0x80) {
    len |= static_cast<size_t>(*p++ & 0x7F) << shift;
    shift += 7;
  }
  len |= static_cast<size_t>(*p++) << shift;
  return std::string_view(reinterpret_cast<const char*>(p), len);
}

SetValue::Node* SetValue::NewNode(std::string_view s) {
  uint8_t* mem = static_cast<uint8_t*>(std::malloc(VarintSize(s.size()) + s.size()));
  if (mem == nullptr) std::abort();  // out of memory is fatal server-wide
  uint8_t* p = mem;
  size_t len = s.size();
  while (len >= 0x80) {
    *p++ = static_cast<uint8_t>(len | 0x80);
    len >>= 7;
  }
  *p++ = static_cast<uint8_t>(len);
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return reinterpret_cast<Node*>(mem);
}

void SetValue::FreeNode(Node* n) { std::free(n); }

uint64_t SetValue::HashMember(std::string_view member) { return HashBytes(member); }

uint64_t SetValue::NodeTraits::Hash(const Node* n) { return HashMember(NodeView(n)); }

bool SetValue::NodeTraits::Equals(const Node* n, std::string_view key) {
  return NodeView(n) == key;
}

bool SetValue::TableAdd(std::string_view s) {
  const uint64_t hash = HashMember(s);
  if (table()->Find(s, hash) != nullptr) return false;
  table()->Insert(NewNode(s), hash);
  return true;
}

// ---- Listpack entries -------------------------------------------------------------------------

size_t SetValue::EntrySize(const uint8_t* p) {
  const uint8_t t = p[0];
  if (t <= kShortStrMax) return 1 + t;
  if (t < kIntTag) return 2 + ((static_cast<size_t>(t & 0x3F) << 8) | p[1]);
  if (t < kHugeStrTag) return 1 + (t - kIntTag + 1);
  uint32_t len;
  std::memcpy(&len, p + 1, 4);
  return 5 + len;
}

SetMember SetValue::DecodeEntry(const uint8_t* p) {
  const uint8_t t = p[0];
  const char* bytes = reinterpret_cast<const char*>(p);
  if (t <= kShortStrMax) return SetMember::Str(std::string_view(bytes + 1, t));
  if (t < kIntTag) {
    return SetMember::Str(std::string_view(bytes + 2, (static_cast<size_t>(t & 0x3F) << 8) | p[1]));
  }
  if (t < kHugeStrTag) {
    const size_t n = t - kIntTag + 1;
    uint64_t u = 0;
    for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(p[1 + i]) << (8 * i);
    if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t{0} << (8 * n);  // sign-extend
    return SetMember::Int(static_cast<int64_t>(u));
  }
  uint32_t len;
  std::memcpy(&len, p + 1, 4);
  return SetMember::Str(std::string_view(bytes + 5, len));
}

size_t SetValue::EncodedSize(const SetMember& m) {
  if (m.is_int) return 1 + IntBytes(m.num);
  const size_t len = m.str.size();
  if (len <= kShortStrMax) return 1 + len;
  if (len <= kLongStrMax) return 2 + len;
  return 5 + len;
}

void SetValue::EncodeEntry(const SetMember& m, uint8_t* out) {
  if (m.is_int) {
    const size_t n = IntBytes(m.num);
    out[0] = static_cast<uint8_t>(kIntTag + n - 1);
    const uint64_t u = static_cast<uint64_t>(m.num);
    for (size_t i = 0; i < n; ++i) out[1 + i] = static_cast<uint8_t>(u >> (8 * i));
    return;
  }
  const size_t len = m.str.size();
  size_t head;
  if (len <= kShortStrMax) {
    out[0] = static_cast<uint8_t>(len);
    head = 1;
  } else if (len <= kLongStrMax) {
    out[0] = static_cast<uint8_t>(kLongStrTag | (len >> 8));
    out[1] = static_cast<uint8_t>(len);
    head = 2;
  } else {
    out[0] = kHugeStrTag;
    const uint32_t len32 = static_cast<uint32_t>(len);
    std::memcpy(out + 1, &len32, 4);
    head = 5;
  }
  if (len > 0) std::memcpy(out + head, m.str.data(), len);
}

size_t SetValue::PackedFind(const SetMember& m) const {
  for (size_t off = 0; off < aux_;) {
    const uint8_t* p = packed() + off;
    const uint8_t t = p[0];
    const bool entry_is_int = t >= kIntTag && t < kHugeStrTag;
    if (entry_is_int == m.is_int) {
      SetMember e = DecodeEntry(p);
      if (m.is_int ? e.num == m.num : e.str == m.str) return off;
    }
    off += EntrySize(p);
  }
  return kNotFound;
}

void SetValue::PackedAppend(SetValue** s, const SetMember& m) {
  const size_t n = EncodedSize(m);
  SetValue* v = ResizePacked(*s, (*s)->aux_ + n);
  EncodeEntry(m, v->data() + v->aux_);
  v->aux_ += static_cast<uint32_t>(n);
  ++v->size_;
  *s = v;
}

void SetValue::PackedEraseAt(SetValue** s, size_t offset) {
  SetValue* v = *s;
  uint8_t* p = v->data();
  const size_t n = EntrySize(p + offset);
  std::memmove(p + offset, p + offset + n, v->aux_ - offset - n);
  v->aux_ -= static_cast<uint32_t>(n);
  --v->size_;
  *s = ResizePacked(v, v->aux_);
}

// ---- Intset -----------------------------------------------------------------------------------
//
// The integers are bit-packed: element i occupies bits [i * bits, (i + 1) * bits) of the
// storage, least significant bit first.  The format (aux_) is the bit count (1..64) plus a
// flag: unsigned (every member >= 0; the value itself) or signed (two's complement).  It is
// the narrowest that held every member added so far, and never narrows, as Redis's widths.
// Redis uses 16, 32 or 64 bits per integer; 100 members below 4096 take 150 bytes here
// against 200.  A read is one unaligned 8-byte load (byte by byte near the end of the storage
// or past 57 bits).  An insert or a removal rewrites the elements after it as a stream of whole
// words, or memmoves them when the width is whole bytes: O(n), as Redis's memmove.

static_assert(std::endian::native == std::endian::little, "intset bit packing assumes it");

namespace {

constexpr uint32_t kSignedFlag = 0x80;
constexpr uint32_t kBitsMask = 0x7F;

uint32_t FormatBits(uint32_t format) { return format & kBitsMask; }
bool FormatSigned(uint32_t format) { return (format & kSignedFlag) != 0; }

size_t PackedIntBytes(size_t count, uint32_t format) {
  return (count * FormatBits(format) + 7) / 8;
}

// Significant bits of u (0 for 0).
uint32_t BitLength(uint64_t u) { return static_cast<uint32_t>(std::bit_width(u)); }

bool FormatHolds(uint32_t format, int64_t v) {
  const uint32_t bits = FormatBits(format);
  if (!FormatSigned(format)) return v >= 0 && BitLength(static_cast<uint64_t>(v)) <= bits;
  const uint64_t magnitude = static_cast<uint64_t>(v < 0 ? ~v : v);
  return BitLength(magnitude) + 1 <= bits;
}

// The narrowest format at least as wide as `format` that also holds v.
uint32_t WidenFormat(uint32_t format, int64_t v) {
  uint32_t bits = FormatBits(format);
  bool is_signed = FormatSigned(format);
  if (v < 0 && !is_signed) {
    is_signed = true;
    ++bits;  // the old members need a sign bit now
  }
  const uint64_t magnitude = static_cast<uint64_t>(v < 0 ? ~v : v);
  bits = std::max(bits, BitLength(magnitude) + (is_signed ? 1 : 0));
  bits = std::clamp<uint32_t>(bits, 1, 64);
  return bits | (is_signed ? kSignedFlag : 0);
}

uint64_t LowMask(uint32_t bits) { return bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// `bits` bits from bit `shift` of base[byte...], byte by byte (near the end of the storage).
[[gnu::noinline]] uint64_t ReadBitsSlow(const uint8_t* base, size_t byte, uint32_t shift,
                                        uint32_t bits) {
  unsigned __int128 acc = 0;
  const size_t n = (shift + bits + 7) / 8;
  for (size_t k = 0; k < n; ++k) acc |= static_cast<unsigned __int128>(base[byte + k]) << (8 * k);
  return static_cast<uint64_t>(acc >> shift);
}

// Reads the elements of packed storage of `total` bytes, the format decoded once.
class PackedInts {
 public:
  PackedInts(const uint8_t* base, size_t total, uint32_t format)
      : base_(base),
        total_(total),
        mask_(LowMask(FormatBits(format))),
        bits_(FormatBits(format)),
        sign_shift_(FormatSigned(format) ? 64 - FormatBits(format) : 0) {}

  int64_t operator[](size_t i) const {
    const size_t bit = i * bits_;
    const size_t byte = bit / 8;
    const uint32_t shift = bit % 8;
    uint64_t u;
    if (shift + bits_ <= 64 && byte + 8 <= total_) [[likely]] {
      std::memcpy(&u, base_ + byte, 8);
      u >>= shift;
    } else {
      u = ReadBitsSlow(base_, byte, shift, bits_);
    }
    // Sign-extends a signed format (an unsigned one has sign_shift_ 0).
    return static_cast<int64_t>((u & mask_) << sign_shift_) >> sign_shift_;
  }

 private:
  const uint8_t* base_;
  size_t total_;
  uint64_t mask_;
  uint32_t bits_;
  uint32_t sign_shift_;
};

int64_t ReadPackedInt(const uint8_t* base, size_t total, uint32_t format, size_t i) {
  return PackedInts(base, total, format)[i];
}

// Moves bits [8 * from, 8 * end) of `base` up by d bits (0 < d < 64) in place: bits pushed
// past byte `end` are lost, bits [8 * from, 8 * from + d) become zero.  Whole 8-byte words
// from the top down; each load lies below every store made before it (no store stalls).
void ShiftBitsUp(uint8_t* base, size_t from, size_t end, uint32_t d) {
  const size_t skip = d / 8;
  const uint32_t r = d % 8;
  size_t j = end;  // bytes [j, end) are done
  while (j >= from + skip + 9) {
    const size_t o = j - 8;
    uint64_t w;
    std::memcpy(&w, base + o - skip, 8);
    if (r != 0) w = (w << r) | (base[o - skip - 1] >> (8 - r));
    std::memcpy(base + o, &w, 8);
    j = o;
  }
  auto src = [&](size_t x) -> uint32_t { return x >= from && x < end ? base[x] : 0; };
  while (j > from) {
    --j;
    // x - skip and x - skip - 1 wrap around below 0 to huge values: src() reads them as 0.
    uint32_t v = src(j - skip) << r;
    if (r != 0) v |= src(j - skip - 1) >> (8 - r);
    base[j] = static_cast<uint8_t>(v);
  }
}

// Moves bits [8 * from + d, 8 * end) of `base` down by d bits (0 < d < 64) in place; the top
// d bits become zero.  Whole 8-byte words from the bottom up.
void ShiftBitsDown(uint8_t* base, size_t from, size_t end, uint32_t d) {
  const size_t skip = d / 8;
  const uint32_t r = d % 8;
  size_t j = from;
  while (j + skip + 9 <= end) {
    uint64_t w;
    std::memcpy(&w, base + j + skip, 8);
    if (r != 0) w = (w >> r) | (static_cast<uint64_t>(base[j + skip + 8]) << (64 - r));
    std::memcpy(base + j, &w, 8);
    j += 8;
  }
  auto src = [&](size_t x) -> uint32_t { return x < end ? base[x] : 0; };
  for (; j < end; ++j) {
    uint32_t v = src(j + skip) >> r;
    if (r != 0) v |= src(j + skip + 1) << (8 - r);
    base[j] = static_cast<uint8_t>(v);
  }
}

// Sets bits [8 * byte, 8 * byte + nbits) of `base` to `value` (nbits <= 72), keeping the bits
// around them.
void WriteBits(uint8_t* base, size_t byte, uint32_t nbits, unsigned __int128 value) {
  const size_t n = (nbits + 7) / 8;
  unsigned __int128 acc = 0;
  for (size_t k = 0; k < n; ++k) acc |= static_cast<unsigned __int128>(base[byte + k]) << (8 * k);
  const unsigned __int128 mask = (static_cast<unsigned __int128>(1) << nbits) - 1;
  acc = (acc & ~mask) | (value & mask);
  for (size_t k = 0; k < n; ++k) base[byte + k] = static_cast<uint8_t>(acc >> (8 * k));
}

// Writes values[0, count) as elements first, first + 1, ... of packed storage, streaming
// whole 8-byte words (a read-modify-write per element would stall on the store just made).
// Keeps the bits before element `first`; the bits after the last one written become zero.
// REQUIRES: no live element after the run; the storage holds first + count elements.
void WritePackedRun(uint8_t* base, uint32_t format, size_t first, const int64_t* values,
                    size_t count) {
  const uint32_t bits = FormatBits(format);
  const uint64_t mask = LowMask(bits);
  const size_t bit = first * bits;
  uint8_t* out = base + bit / 8;
  uint32_t fill = bit % 8;  // bits of `acc` in use
  uint64_t acc = fill == 0 ? 0 : (*out & ((1u << fill) - 1));
  for (size_t k = 0; k < count; ++k) {
    const uint64_t u = static_cast<uint64_t>(values[k]) & mask;
    acc |= u << fill;
    if (fill + bits < 64) {
      fill += bits;
      continue;
    }
    std::memcpy(out, &acc, 8);  // 64 bits of elements: within the storage
    out += 8;
    const uint32_t used = 64 - fill;  // bits of u now stored
    acc = used == 64 ? 0 : u >> used;
    fill = fill + bits - 64;
  }
  for (uint32_t k = 0; k < (fill + 7) / 8; ++k) out[k] = static_cast<uint8_t>(acc >> (8 * k));
}

// Room for decoded elements: on the stack up to the default set-max-intset-entries.
class IntScratch {
 public:
  explicit IntScratch(size_t n) {
    if (n > kInline) heap_.resize(n);
  }
  int64_t* data() { return heap_.empty() ? inline_ : heap_.data(); }

 private:
  static constexpr size_t kInline = 512;
  int64_t inline_[kInline];
  std::vector<int64_t> heap_;
};

}  // namespace

int64_t SetValue::IntAt(size_t i) const {
  return ReadPackedInt(data(), packed_bytes(), aux_, i);
}

size_t SetValue::IntsetSearch(int64_t v, bool* found) const {
  const PackedInts ints(data(), packed_bytes(), aux_);
  size_t lo = 0;
  size_t hi = size_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const int64_t x = ints[mid];
    if (x == v) {
      *found = true;
      return mid;
    }
    if (x < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *found = false;
  return lo;
}

bool SetValue::IntsetAdd(SetValue** s, int64_t v) {
  SetValue* set = *s;
  const size_t n = set->size_;
  if (!FormatHolds(set->aux_, v)) {
    // v lies outside every member's range: it goes first (below the minimum) or last.  Every
    // member is rewritten at the wider format.
    const uint32_t format = WidenFormat(set->aux_, v);
    const bool first = n > 0 && v < set->IntAt(0);
    IntScratch scratch(n + 1);
    int64_t* values = scratch.data();
    for (size_t i = 0; i < n; ++i) values[i + (first ? 1 : 0)] = set->IntAt(i);
    values[first ? 0 : n] = v;
    set = ResizePacked(set, PackedIntBytes(n + 1, format));
    *s = set;
    set->aux_ = format;
    set->size_ = static_cast<uint32_t>(n + 1);
    WritePackedRun(set->data(), format, 0, values, n + 1);
    return true;
  }
  bool found;
  const size_t pos = set->IntsetSearch(v, &found);
  if (found) return false;
  const uint32_t format = set->aux_;
  const uint32_t bits = FormatBits(format);
  set = ResizePacked(set, PackedIntBytes(n + 1, format));
  *s = set;
  set->size_ = static_cast<uint32_t>(n + 1);
  uint8_t* p = set->data();
  if (bits % 8 == 0) {
    const size_t w = bits / 8;
    std::memmove(p + (pos + 1) * w, p + pos * w, (n - pos) * w);
    std::memcpy(p + pos * w, &v, w);  // little-endian: the low w bytes
    return true;
  }
  // Move the bits of members pos..n-1 up by one member, then write v below them (and put
  // back the bits of the members before pos that share its first byte).
  const size_t old_total = PackedIntBytes(n, format);
  const size_t total = PackedIntBytes(n + 1, format);
  std::memset(p + old_total, 0, total - old_total);
  const size_t start = pos * bits;
  const uint32_t low = start % 8;
  const uint32_t keep = p[start / 8] & ((1u << low) - 1);
  ShiftBitsUp(p, start / 8, total, bits);
  const uint64_t u = static_cast<uint64_t>(v) & LowMask(bits);
  WriteBits(p, start / 8, low + bits, keep | (static_cast<unsigned __int128>(u) << low));
  return true;
}

bool SetValue::IntsetRemove(SetValue** s, int64_t v) {
  SetValue* set = *s;
  if (!FormatHolds(set->aux_, v)) return false;
  bool found;
  const size_t pos = set->IntsetSearch(v, &found);
  if (!found) return false;
  const size_t n = set->size_;
  const uint32_t format = set->aux_;
  const uint32_t bits = FormatBits(format);
  uint8_t* p = set->data();
  if (bits % 8 == 0) {
    const size_t w = bits / 8;
    std::memmove(p + pos * w, p + (pos + 1) * w, (n - pos - 1) * w);
  } else {
    // Move the bits of members pos+1..n-1 down by one member, then put back the bits of the
    // members before pos that share member pos's first byte.
    const size_t start = pos * bits;
    const uint32_t low = start % 8;
    const uint8_t keep_mask = static_cast<uint8_t>((1u << low) - 1);
    const uint8_t keep = p[start / 8] & keep_mask;
    ShiftBitsDown(p, start / 8, set->packed_bytes(), bits);
    p[start / 8] = static_cast<uint8_t>((p[start / 8] & ~keep_mask) | keep);
  }
  set->size_ = static_cast<uint32_t>(n - 1);
  *s = ResizePacked(set, set->packed_bytes());
  return true;
}

size_t SetValue::IntsetMaxEntries(const SetLimits& limits) {
  return std::min(limits.max_intset_entries, size_t{1} << 30);
}

// ---- Life cycle -------------------------------------------------------------------------------

// The header is plain integers and the packed storage plain bytes, so realloc may move a
// packed block.
SetValue* SetValue::NewPacked(Encoding enc, uint32_t size, uint32_t aux, size_t bytes) {
  void* p = std::malloc(kHeaderSize + bytes);
  if (p == nullptr) std::abort();  // out of memory is fatal server-wide
  SetValue* s = new (p) SetValue();
  s->size_ = size;
  s->aux_ = aux;
  s->encoding_ = static_cast<uint32_t>(enc);
  return s;
}

SetValue* SetValue::ResizePacked(SetValue* s, size_t bytes) {
  void* p = std::realloc(static_cast<void*>(s), kHeaderSize + bytes);
  if (p == nullptr) std::abort();
  return static_cast<SetValue*>(p);
}

SetValue* SetValue::New(Encoding enc) {
  if (enc != Encoding::kHashtable) {
    return NewPacked(enc, 0, enc == Encoding::kIntset ? 1 : 0, 0);  // intset: 1 bit unsigned
  }
  SetValue* s = NewPacked(enc, 0, 0, sizeof(Table));
  new (s->data()) Table();
  return s;
}

SetValue::~SetValue() {
  if (encoding() != Encoding::kHashtable) return;
  Table* t = table();
  t->ForEach([](Node* n) { FreeNode(n); });
  t->~Table();
}

void SetValue::operator delete(void* p) { std::free(p); }

size_t SetValue::packed_bytes() const {
  return encoding() == Encoding::kIntset ? PackedIntBytes(size_, aux_) : aux_;
}

SetValue* SetValue::Create(std::string_view first, size_t size_hint, const SetLimits& limits) {
  int64_t v;
  if (ParseInt64(first, &v) && size_hint <= limits.max_intset_entries) {
    return New(Encoding::kIntset);
  }
  if (size_hint <= limits.max_listpack_entries) return New(Encoding::kListpack);
  return New(Encoding::kHashtable);
}

void SetValue::ReserveForLoad(size_t n) {
  if (encoding() == Encoding::kHashtable && size() == 0) table()->Reserve(n);
}

SetValue* SetValue::Clone() const {
  if (encoding() == Encoding::kHashtable) {
    SetValue* c = New(Encoding::kHashtable);
    table()->ForEach([&](Node* n) {
      std::string_view s = NodeView(n);
      c->table()->Insert(NewNode(s), HashMember(s));
    });
    return c;
  }
  const size_t bytes = packed_bytes();
  SetValue* c = NewPacked(encoding(), size_, aux_, bytes);
  if (bytes > 0) std::memcpy(c->data(), data(), bytes);
  return c;
}

std::string_view SetValue::EncodingName() const {
  switch (encoding()) {
    case Encoding::kIntset:
      return "intset";
    case Encoding::kListpack:
      return "listpack";
    case Encoding::kHashtable:
      break;
  }
  return "hashtable";
}

size_t SetValue::AllocationSize() const {
  switch (encoding()) {
    case Encoding::kIntset:
    case Encoding::kListpack:
      return kHeaderSize + packed_bytes();
    case Encoding::kHashtable:
      break;
  }
  size_t total = kHeaderSize + sizeof(Table) + table()->BytesAllocated();
  table()->ForEach([&](Node* n) {
    const size_t len = NodeView(n).size();
    total += VarintSize(len) + len;
  });
  return total;
}

size_t SetValue::size() const {
  return encoding() == Encoding::kHashtable ? table()->size() : size_;
}

SetValue* SetValue::NewIntset(std::span<const int64_t> ascending) {
  uint32_t format = 1;  // New(kIntset)'s, widened as IntsetAdd would for each member in turn
  for (int64_t v : ascending) {
    if (!FormatHolds(format, v)) format = WidenFormat(format, v);
  }
  const size_t n = ascending.size();
  SetValue* s =
      NewPacked(Encoding::kIntset, static_cast<uint32_t>(n), format, PackedIntBytes(n, format));
  WritePackedRun(s->data(), format, 0, ascending.data(), n);
  return s;
}

SetValue* SetValue::NewListpack(std::span<const SetMember> members, bool* duplicate) {
  *duplicate = false;
  const size_t n = members.size();
  // Normalized members: on the stack for sets within the default listpack limit.
  constexpr size_t kInline = 128;
  SetMember inline_members[kInline];
  std::vector<SetMember> heap;
  SetMember* m = inline_members;
  if (n > kInline) {
    heap.resize(n);
    m = heap.data();
  }
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    m[i] = Normalize(members[i]);
    bytes += EncodedSize(m[i]);
  }
  // An integer and a string never compare equal here: a string that reads as one became one.
  *duplicate = HasDuplicate(
      n,
      [&](size_t i) {
        return m[i].is_int ? HashBytes(std::string_view(reinterpret_cast<const char*>(&m[i].num),
                                                        sizeof(int64_t)))
                           : HashBytes(m[i].str);
      },
      [&](size_t i, size_t j) {
        return m[i].is_int == m[j].is_int &&
               (m[i].is_int ? m[i].num == m[j].num : m[i].str == m[j].str);
      });
  if (*duplicate || bytes >= kMaxPackedBytes) return nullptr;
  SetValue* s =
      NewPacked(Encoding::kListpack, static_cast<uint32_t>(n), static_cast<uint32_t>(bytes), bytes);
  uint8_t* out = s->data();
  for (size_t i = 0; i < n; ++i) {
    EncodeEntry(m[i], out);
    out += EncodedSize(m[i]);
  }
  return s;
}

// ---- Conversions ------------------------------------------------------------------------------

void SetValue::ConvertToHashtable(SetValue** s) {
  const SetValue* old = *s;
  assert(old->encoding() != Encoding::kHashtable);
  SetValue* t = New(Encoding::kHashtable);
  old->ForEach([&](const SetMember& m) {
    char buf[24];
    std::string_view v = m.View(buf);
    t->table()->Insert(NewNode(v), HashMember(v));
  });
  delete old;
  *s = t;
}

void SetValue::ConvertToListpack(SetValue** s) {
  const SetValue* old = *s;
  assert(old->encoding() == Encoding::kIntset);
  size_t bytes = 0;
  for (size_t i = 0; i < old->size_; ++i) bytes += EncodedSize(SetMember::Int(old->IntAt(i)));
  SetValue* lp = NewPacked(Encoding::kListpack, old->size_, static_cast<uint32_t>(bytes), bytes);
  size_t off = 0;
  for (size_t i = 0; i < old->size_; ++i) {
    SetMember m = SetMember::Int(old->IntAt(i));
    EncodeEntry(m, lp->data() + off);
    off += EncodedSize(m);
  }
  delete old;
  *s = lp;
}

void SetValue::MaybeConvert(SetValue** s, size_t size_hint, const SetLimits& limits) {
  const Encoding enc = (*s)->encoding();
  if ((enc == Encoding::kListpack && size_hint > limits.max_listpack_entries) ||
      (enc == Encoding::kIntset && size_hint > limits.max_intset_entries)) {
    ConvertToHashtable(s);
  }
}

void SetValue::MaybeConvertToIntset(SetValue** s, const SetLimits& limits) {
  const SetValue* old = *s;
  if (old->encoding() == Encoding::kIntset || old->size() > IntsetMaxEntries(limits)) return;
  std::vector<int64_t> values;
  values.reserve(old->size());
  old->ForEach([&](const SetMember& m) {
    int64_t v = m.num;
    if (!m.is_int) {
      [[maybe_unused]] bool ok = ParseInt64(m.str, &v);
      assert(ok);
    }
    values.push_back(v);
  });
  std::sort(values.begin(), values.end());
  uint32_t format = 1;
  if (!values.empty()) format = WidenFormat(WidenFormat(format, values.front()), values.back());
  SetValue* is = NewPacked(Encoding::kIntset, static_cast<uint32_t>(values.size()), format,
                           PackedIntBytes(values.size(), format));
  WritePackedRun(is->data(), format, 0, values.data(), values.size());
  delete old;
  *s = is;
}

// ---- Membership -------------------------------------------------------------------------------

bool SetValue::Add(SetValue** s, std::string_view member, const SetLimits& limits) {
  return Add(s, SetMember::Str(member), limits);
}

bool SetValue::Add(SetValue** s, const SetMember& member, const SetLimits& limits) {
  switch ((*s)->encoding()) {
    case Encoding::kIntset:
      return AddToIntset(s, member, limits);
    case Encoding::kListpack:
      return AddToListpack(s, member, limits);
    case Encoding::kHashtable:
      break;
  }
  char buf[24];
  return (*s)->TableAdd(member.View(buf));
}

bool SetValue::AddToIntset(SetValue** s, const SetMember& m, const SetLimits& limits) {
  int64_t v = m.num;
  if (m.is_int || ParseInt64(m.str, &v)) {
    if (!IntsetAdd(s, v)) return false;
    if ((*s)->size_ > IntsetMaxEntries(limits)) ConvertToHashtable(s);
    return true;
  }
  // A non-integer: a listpack if everything would fit one, as setTypeAddAux decides it (the
  // intset's widest member is its minimum or its maximum).
  const SetValue* set = *s;
  const size_t n = set->size_;
  size_t max_int_len = 0;
  if (n > 0) max_int_len = std::max(Digits(set->IntAt(0)), Digits(set->IntAt(n - 1)));
  const size_t len = m.str.size();
  const bool fits = n < limits.max_listpack_entries && len <= limits.max_listpack_value &&
                    max_int_len <= limits.max_listpack_value &&
                    n * 9 + len + 5 <= kMaxPackedBytes;
  if (fits) {
    ConvertToListpack(s);
    PackedAppend(s, m);
  } else {
    ConvertToHashtable(s);
    (*s)->TableAdd(m.str);
  }
  return true;
}

bool SetValue::AddToListpack(SetValue** s, const SetMember& member, const SetLimits& limits) {
  const SetMember m = Normalize(member);
  const SetValue* set = *s;
  if (set->PackedFind(m) != kNotFound) return false;
  char buf[24];
  const std::string_view bytes = m.View(buf);
  if (set->size_ < limits.max_listpack_entries && bytes.size() <= limits.max_listpack_value &&
      set->aux_ + EncodedSize(m) <= kMaxPackedBytes) {
    PackedAppend(s, m);
  } else {
    ConvertToHashtable(s);
    (*s)->TableAdd(bytes);
  }
  return true;
}

bool SetValue::Remove(SetValue** s, std::string_view member) {
  return Remove(s, SetMember::Str(member));
}

bool SetValue::Remove(SetValue** s, const SetMember& member) {
  switch ((*s)->encoding()) {
    case Encoding::kIntset: {
      int64_t v = member.num;
      return (member.is_int || ParseInt64(member.str, &v)) && IntsetRemove(s, v);
    }
    case Encoding::kListpack: {
      const size_t off = (*s)->PackedFind(Normalize(member));
      if (off == kNotFound) return false;
      PackedEraseAt(s, off);
      return true;
    }
    case Encoding::kHashtable:
      break;
  }
  char buf[24];
  std::string_view v = member.View(buf);
  Node* n = (*s)->table()->Erase(v, HashMember(v));
  if (n == nullptr) return false;
  FreeNode(n);
  return true;
}

bool SetValue::Contains(std::string_view member) const { return Contains(SetMember::Str(member)); }

bool SetValue::Contains(const SetMember& member) const {
  switch (encoding()) {
    case Encoding::kIntset: {
      int64_t v = member.num;
      if (!member.is_int && !ParseInt64(member.str, &v)) return false;
      if (!FormatHolds(aux_, v)) return false;
      bool found;
      IntsetSearch(v, &found);
      return found;
    }
    case Encoding::kListpack:
      return PackedFind(Normalize(member)) != kNotFound;
    case Encoding::kHashtable:
      break;
  }
  char buf[24];
  std::string_view s = member.View(buf);
  return table()->Find(s, HashMember(s)) != nullptr;
}

// ---- Random members ---------------------------------------------------------------------------

SetMember SetValue::RandomMember(SplitMix64& rng) const {
  assert(!empty());
  switch (encoding()) {
    case Encoding::kIntset:
      return SetMember::Int(IntAt(rng.Below(size_)));
    case Encoding::kListpack: {
      size_t index = rng.Below(size_);
      size_t off = 0;
      for (; index > 0; --index) off += EntrySize(packed() + off);
      return DecodeEntry(packed() + off);
    }
    case Encoding::kHashtable:
      break;
  }
  // Uniform: draw slots until one is occupied.  The table stays above 10% load, so 64 draws
  // all missing is rarer than 1e-2; then take the table's (slightly biased) pick.
  const Table* t = table();
  const size_t slots = t->SlotCount();
  for (int i = 0; i < 64; ++i) {
    if (Node* n = t->ElementAtSlot(rng.Below(slots))) return SetMember::Str(NodeView(n));
  }
  return SetMember::Str(NodeView(t->RandomElement(rng.Next())));
}

std::string SetValue::PopRandom(SetValue** s, SplitMix64& rng) {
  const SetMember m = (*s)->RandomMember(rng);
  std::string out = m.ToString();
  if ((*s)->encoding() == Encoding::kHashtable) {
    Node* n = (*s)->table()->Erase(out, HashMember(out));
    FreeNode(n);
  } else {
    Remove(s, m);
  }
  return out;
}

void SetValue::RemovePackedAt(SetValue** s, const std::vector<size_t>& positions) {
  SetValue* set = *s;
  assert(set->encoding() != Encoding::kHashtable);
  if (positions.empty()) return;
  set->RemovePackedAtInPlace(positions);
  *s = ResizePacked(set, set->packed_bytes());
}

void SetValue::RemovePackedAtInPlace(const std::vector<size_t>& positions) {
  uint8_t* p = data();
  size_t next = 0;  // index into positions
  if (encoding() == Encoding::kIntset) {
    const size_t total = packed_bytes();
    IntScratch scratch(size_);
    int64_t* kept = scratch.data();
    size_t out = 0;
    for (size_t i = 0; i < size_; ++i) {
      if (next < positions.size() && positions[next] == i) {
        ++next;
        continue;
      }
      kept[out++] = ReadPackedInt(p, total, aux_, i);
    }
    WritePackedRun(p, aux_, 0, kept, out);
    size_ = static_cast<uint32_t>(out);
  } else {
    size_t out = 0;
    size_t in = 0;
    for (size_t i = 0; i < size_; ++i) {
      const size_t n = EntrySize(p + in);
      if (next < positions.size() && positions[next] == i) {
        ++next;
      } else {
        if (out != in) std::memmove(p + out, p + in, n);
        out += n;
      }
      in += n;
    }
    size_ -= static_cast<uint32_t>(positions.size());
    aux_ = static_cast<uint32_t>(out);
  }
}

}  // namespace tessera::types
