#include "core/ds/listpack.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "core/base/numbers.h"

namespace tessera::ds::lp {

namespace {

// First-byte encodings (see the header comment for the layout).
constexpr uint8_t k6BitStr = 0x80;
constexpr uint8_t k13BitInt = 0xC0;
constexpr uint8_t k12BitStr = 0xE0;
constexpr uint8_t k32BitStr = 0xF0;
constexpr uint8_t k16BitInt = 0xF1;
constexpr uint8_t k24BitInt = 0xF2;
constexpr uint8_t k32BitInt = 0xF3;
constexpr uint8_t k64BitInt = 0xF4;

uint8_t* Realloc(uint8_t* p, size_t n) {
  void* q = std::realloc(p, n);
  if (q == nullptr) throw std::bad_alloc();
  return static_cast<uint8_t*>(q);
}

void SetBytes(uint8_t* lp, uint32_t v) {
  lp[0] = v & 0xff;
  lp[1] = (v >> 8) & 0xff;
  lp[2] = (v >> 16) & 0xff;
  lp[3] = (v >> 24) & 0xff;
}

uint16_t HeaderCount(const uint8_t* lp) { return uint16_t(lp[4] | (lp[5] << 8)); }

void SetHeaderCount(uint8_t* lp, uint32_t n) {
  if (n > kUnknownCount) n = kUnknownCount;
  lp[4] = n & 0xff;
  lp[5] = (n >> 8) & 0xff;
}

// Adjusts the header count by delta unless it is unknown.
void AddCount(uint8_t* lp, int delta) {
  uint16_t c = HeaderCount(lp);
  if (c != kUnknownCount) SetHeaderCount(lp, uint32_t(int64_t(c) + delta));
}

uint64_t ReadLe(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void WriteLe(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = uint8_t(v >> (8 * i));
}

size_t BacklenSize(size_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

// Writes the backlen of an entry of l bytes: most significant 7-bit group first, every byte
// but the first flagged with 0x80, so a reader going right to left knows when to stop.
void WriteBacklen(uint8_t* dst, size_t l) {
  size_t n = BacklenSize(l);
  for (size_t i = 0; i < n; ++i) {
    size_t shift = 7 * (n - 1 - i);
    uint8_t b = uint8_t((l >> shift) & 127);
    if (i > 0) b |= 128;
    dst[i] = b;
  }
}

// Reads the backlen whose last byte is at q.
size_t ReadBacklen(const uint8_t* q) {
  size_t v = 0;
  int shift = 0;
  for (;;) {
    v |= size_t(*q & 127) << shift;
    if (!(*q & 128)) break;
    shift += 7;
    --q;
  }
  return v;
}

// Size of the encoding byte(s) plus data of the entry at p.
size_t EncodingDataSize(const uint8_t* p) {
  uint8_t b = p[0];
  if (b < 0x80) return 1;
  if ((b & 0xC0) == k6BitStr) return 1 + (b & 0x3F);
  if ((b & 0xE0) == k13BitInt) return 2;
  if ((b & 0xF0) == k12BitStr) return 2 + (((b & 0xF) << 8) | p[1]);
  switch (b) {
    case k32BitStr: return 5 + ReadLe(p + 1, 4);
    case k16BitInt: return 3;
    case k24BitInt: return 4;
    case k32BitInt: return 5;
    case k64BitInt: return 9;
  }
  assert(false && "corrupt listpack entry");
  return 1;
}

// How s is stored: an integer in `head` (all of it), or a string header in `head` followed by
// the bytes of s.
struct Encoded {
  uint8_t head[9];
  size_t head_len = 0;
  size_t data_len = 0;  // bytes of s copied after head (0 for an integer)
  size_t total = 0;     // head + data + backlen
};

Encoded Encode(std::string_view s) {
  Encoded e;
  int64_t v;
  if (s.size() <= 20 && ParseInt64(s, &v)) {
    if (v >= 0 && v <= 127) {
      e.head[0] = uint8_t(v);
      e.head_len = 1;
    } else if (v >= -4096 && v <= 4095) {
      uint64_t u = v < 0 ? uint64_t((1 << 13) + v) : uint64_t(v);
      e.head[0] = uint8_t((u >> 8) | k13BitInt);
      e.head[1] = uint8_t(u & 0xff);
      e.head_len = 2;
    } else if (v >= -32768 && v <= 32767) {
      e.head[0] = k16BitInt;
      WriteLe(e.head + 1, uint64_t(v), 2);
      e.head_len = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      e.head[0] = k24BitInt;
      WriteLe(e.head + 1, uint64_t(v), 3);
      e.head_len = 4;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      e.head[0] = k32BitInt;
      WriteLe(e.head + 1, uint64_t(v), 4);
      e.head_len = 5;
    } else {
      e.head[0] = k64BitInt;
      WriteLe(e.head + 1, uint64_t(v), 8);
      e.head_len = 9;
    }
  } else {
    size_t len = s.size();
    if (len < 64) {
      e.head[0] = uint8_t(k6BitStr | len);
      e.head_len = 1;
    } else if (len < 4096) {
      e.head[0] = uint8_t(k12BitStr | (len >> 8));
      e.head[1] = uint8_t(len & 0xff);
      e.head_len = 2;
    } else {
      e.head[0] = k32BitStr;
      WriteLe(e.head + 1, len, 4);
      e.head_len = 5;
    }
    e.data_len = len;
  }
  size_t l = e.head_len + e.data_len;
  e.total = l + BacklenSize(l);
  return e;
}

void WriteEntry(uint8_t* dst, const Encoded& e, std::string_view s) {
  std::memcpy(dst, e.head, e.head_len);
  if (e.data_len) std::memcpy(dst + e.head_len, s.data(), e.data_len);
  WriteBacklen(dst + e.head_len + e.data_len, e.head_len + e.data_len);
}

int64_t SignExtend(uint64_t u, int bits) {
  uint64_t sign = uint64_t(1) << (bits - 1);
  if (bits < 64 && (u & sign)) return int64_t(u) - int64_t(uint64_t(1) << bits);
  return int64_t(u);
}

}  // namespace

std::string_view Value::View(char* buf) const {
  if (!is_int) return std::string_view(str, len);
  return std::string_view(buf, FormatInt64(ival, buf));
}

uint8_t* New() {
  uint8_t* lp = Realloc(nullptr, kHeaderSize + 1);
  SetBytes(lp, kHeaderSize + 1);
  SetHeaderCount(lp, 0);
  lp[kHeaderSize] = kEof;
  return lp;
}

void Free(uint8_t* lp) { std::free(lp); }

uint8_t* Dup(const uint8_t* lp) {
  uint32_t n = Bytes(lp);
  uint8_t* copy = Realloc(nullptr, n);
  std::memcpy(copy, lp, n);
  return copy;
}

uint32_t Bytes(const uint8_t* lp) { return uint32_t(ReadLe(lp, 4)); }

uint32_t Length(const uint8_t* lp) {
  uint16_t c = HeaderCount(lp);
  if (c != kUnknownCount) return c;
  uint32_t n = 0;
  for (const uint8_t* p = First(lp); p != nullptr; p = Next(lp, p)) ++n;
  return n;
}

const uint8_t* First(const uint8_t* lp) {
  const uint8_t* p = lp + kHeaderSize;
  return *p == kEof ? nullptr : p;
}

const uint8_t* Next(const uint8_t* lp, const uint8_t* p) {
  p += EntrySize(p);
  return *p == kEof ? nullptr : p;
}

const uint8_t* Prev(const uint8_t* lp, const uint8_t* p) {
  if (p == lp + kHeaderSize) return nullptr;
  size_t l = ReadBacklen(p - 1);
  return p - BacklenSize(l) - l;
}

const uint8_t* Last(const uint8_t* lp) { return Prev(lp, lp + Bytes(lp) - 1); }

const uint8_t* Seek(const uint8_t* lp, int64_t index) {
  int64_t n = Length(lp);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return nullptr;
  if (index <= n / 2) {
    const uint8_t* p = First(lp);
    while (index-- > 0) p = Next(lp, p);
    return p;
  }
  const uint8_t* p = Last(lp);
  for (int64_t i = n - 1; i > index; --i) p = Prev(lp, p);
  return p;
}

size_t EntrySize(const uint8_t* p) {
  size_t l = EncodingDataSize(p);
  return l + BacklenSize(l);
}

size_t EncodedSize(std::string_view s) { return Encode(s).total; }

Value Get(const uint8_t* p) {
  Value v;
  uint8_t b = p[0];
  if (b < 0x80) {
    v.is_int = true;
    v.ival = b;
  } else if ((b & 0xC0) == k6BitStr) {
    v.str = reinterpret_cast<const char*>(p + 1);
    v.len = b & 0x3F;
  } else if ((b & 0xE0) == k13BitInt) {
    v.is_int = true;
    v.ival = SignExtend(((b & 0x1F) << 8) | p[1], 13);
  } else if ((b & 0xF0) == k12BitStr) {
    v.str = reinterpret_cast<const char*>(p + 2);
    v.len = ((b & 0xF) << 8) | p[1];
  } else if (b == k32BitStr) {
    v.str = reinterpret_cast<const char*>(p + 5);
    v.len = ReadLe(p + 1, 4);
  } else {
    v.is_int = true;
    int bytes = b == k16BitInt ? 2 : b == k24BitInt ? 3 : b == k32BitInt ? 4 : 8;
    v.ival = SignExtend(ReadLe(p + 1, bytes), bytes * 8);
  }
  return v;
}

bool Equals(const uint8_t* p, std::string_view s) {
  Value v = Get(p);
  if (!v.is_int) return v.len == s.size() && std::memcmp(v.str, s.data(), s.size()) == 0;
  char buf[kIntBufSize];
  return v.View(buf) == s;
}

uint8_t* InsertAt(uint8_t* lp, size_t offset, std::string_view s) {
  Encoded e = Encode(s);
  uint32_t old_bytes = Bytes(lp);
  size_t new_bytes = old_bytes + e.total;
  lp = Realloc(lp, new_bytes);
  std::memmove(lp + offset + e.total, lp + offset, old_bytes - offset);
  WriteEntry(lp + offset, e, s);
  SetBytes(lp, uint32_t(new_bytes));
  AddCount(lp, 1);
  return lp;
}

uint8_t* Append(uint8_t* lp, std::string_view s) { return InsertAt(lp, Bytes(lp) - 1, s); }

uint8_t* AppendAll(uint8_t* lp, std::span<const std::string_view> items) {
  constexpr size_t kOnStack = 16;
  Encoded on_stack[kOnStack];
  std::vector<Encoded> on_heap;
  Encoded* enc = on_stack;
  if (items.size() > kOnStack) {
    on_heap.resize(items.size());
    enc = on_heap.data();
  }
  size_t added = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    enc[i] = Encode(items[i]);
    added += enc[i].total;
  }
  const uint32_t old_bytes = Bytes(lp);
  const size_t new_bytes = old_bytes + added;
  lp = Realloc(lp, new_bytes);
  uint8_t* dst = lp + old_bytes - 1;  // over the terminator
  for (size_t i = 0; i < items.size(); ++i) {
    WriteEntry(dst, enc[i], items[i]);
    dst += enc[i].total;
  }
  *dst = kEof;
  SetBytes(lp, uint32_t(new_bytes));
  AddCount(lp, static_cast<int>(items.size()));
  return lp;
}

uint8_t* Prepend(uint8_t* lp, std::string_view s) { return InsertAt(lp, kHeaderSize, s); }

uint8_t* ReplaceAt(uint8_t* lp, size_t offset, std::string_view s) {
  Encoded e = Encode(s);
  uint32_t old_bytes = Bytes(lp);
  size_t old_entry = EntrySize(lp + offset);
  size_t tail = old_bytes - offset - old_entry;
  size_t new_bytes = old_bytes - old_entry + e.total;
  if (e.total > old_entry) lp = Realloc(lp, new_bytes);
  if (e.total != old_entry) std::memmove(lp + offset + e.total, lp + offset + old_entry, tail);
  if (e.total < old_entry) lp = Realloc(lp, new_bytes);
  WriteEntry(lp + offset, e, s);
  SetBytes(lp, uint32_t(new_bytes));
  return lp;
}

uint8_t* DeleteAt(uint8_t* lp, size_t offset) {
  uint32_t old_bytes = Bytes(lp);
  size_t size = EntrySize(lp + offset);
  std::memmove(lp + offset, lp + offset + size, old_bytes - offset - size);
  lp = Realloc(lp, old_bytes - size);
  SetBytes(lp, uint32_t(old_bytes - size));
  AddCount(lp, -1);
  return lp;
}

uint8_t* DeleteRange(uint8_t* lp, int64_t start, uint32_t count) {
  int64_t n = Length(lp);
  if (start < 0) start += n;
  if (start < 0 || start >= n || count == 0) return lp;
  if (count > n - start) count = uint32_t(n - start);
  const uint8_t* first = Seek(lp, start);
  const uint8_t* end = first;
  for (uint32_t i = 0; i < count; ++i) end += EntrySize(end);
  size_t offset = size_t(first - lp);
  size_t removed = size_t(end - first);
  uint32_t old_bytes = Bytes(lp);
  std::memmove(lp + offset, lp + offset + removed, old_bytes - offset - removed);
  lp = Realloc(lp, old_bytes - removed);
  SetBytes(lp, uint32_t(old_bytes - removed));
  SetHeaderCount(lp, uint32_t(n - count));
  return lp;
}

uint8_t* Merge(uint8_t* a, uint8_t* b) {
  uint32_t a_bytes = Bytes(a), b_bytes = Bytes(b);
  uint16_t ac = HeaderCount(a), bc = HeaderCount(b);
  size_t new_bytes = size_t(a_bytes) + b_bytes - kHeaderSize - 1;
  a = Realloc(a, new_bytes);
  // b's entries and its terminator replace a's terminator.
  std::memcpy(a + a_bytes - 1, b + kHeaderSize, b_bytes - kHeaderSize);
  SetBytes(a, uint32_t(new_bytes));
  SetHeaderCount(a, ac == kUnknownCount || bc == kUnknownCount ? kUnknownCount
                                                                : uint32_t(ac) + bc);
  Free(b);
  return a;
}

}  // namespace tessera::ds::lp
