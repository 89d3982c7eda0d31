#include "persistence/rdb_packed.h"

#include <algorithm>
#include <cstring>

#include "core/base/numbers.h"

namespace tessera::persistence::rdb {

namespace {

uint64_t Le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Sign-extends the low `bits` bits of v.
int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  v &= (bits == 64) ? ~uint64_t{0} : (sign << 1) - 1;
  return static_cast<int64_t>((v ^ sign) - sign);
}

PackedElem Str(const uint8_t* p, size_t n) {
  return PackedElem{std::string_view(reinterpret_cast<const char*>(p), n), 0, false};
}
PackedElem Int(int64_t v) { return PackedElem{{}, v, true}; }

// Bytes of a listpack backlen for an entry of l bytes.
size_t BacklenSize(size_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

// Decodes the listpack entry at p (at most `avail` bytes before the end marker's position);
// sets *size to encoding + data bytes.  False if it does not fit.
bool ListpackEntry(const uint8_t* p, size_t avail, PackedElem* e, size_t* size) {
  const uint8_t b = p[0];
  auto need = [&](size_t n) { return n <= avail; };
  if (b < 0x80) {
    *e = Int(b);
    *size = 1;
  } else if ((b & 0xC0) == 0x80) {
    *size = 1 + (b & 0x3F);
    if (!need(*size)) return false;
    *e = Str(p + 1, b & 0x3F);
  } else if ((b & 0xE0) == 0xC0) {
    if (!need(2)) return false;
    *e = Int(SignExtend((uint64_t(b & 0x1F) << 8) | p[1], 13));
    *size = 2;
  } else if ((b & 0xF0) == 0xE0) {
    if (!need(2)) return false;
    const size_t n = (size_t(b & 0xF) << 8) | p[1];
    *size = 2 + n;
    if (!need(*size)) return false;
    *e = Str(p + 2, n);
  } else {
    static constexpr int kIntBytes[] = {0, 2, 3, 4, 8};
    if (b == 0xF0) {
      if (!need(5)) return false;
      const uint64_t n = Le(p + 1, 4);
      if (n > avail - 5) return false;
      *size = 5 + n;
      *e = Str(p + 5, n);
    } else if (b >= 0xF1 && b <= 0xF4) {
      const int n = kIntBytes[b - 0xF0];
      if (!need(1 + n)) return false;
      *e = Int(SignExtend(Le(p + 1, n), 8 * n));
      *size = 1 + n;
    } else {
      return false;  // 0xF5..0xFE are unused; 0xFF is the end marker, not an entry
    }
  }
  return true;
}

// Reads the backlen ending at q (going left, at most 5 bytes, not before `lo`).
bool ReadBacklen(const uint8_t* lo, const uint8_t* q, size_t* out) {
  size_t v = 0;
  for (int i = 0; i < 5; ++i, --q) {
    if (q < lo) return false;
    v |= size_t(*q & 127) << (7 * i);
    if (!(*q & 128)) {
      *out = v;
      return true;
    }
  }
  return false;
}

// Ziplist entry: prevlen, encoding, data.  Sets *size to the whole entry.
bool ZiplistEntry(const uint8_t* p, size_t avail, size_t* prevlen, PackedElem* e, size_t* size) {
  size_t h;
  if (avail < 1) return false;
  if (p[0] < 254) {
    *prevlen = p[0];
    h = 1;
  } else if (p[0] == 254) {
    if (avail < 5) return false;
    *prevlen = Le(p + 1, 4);
    h = 5;
  } else {
    return false;
  }
  if (avail < h + 1) return false;
  const uint8_t b = p[h];
  size_t enc, data;
  switch (b >> 6) {
    case 0:
      enc = 1;
      data = b & 0x3F;
      break;
    case 1:
      if (avail < h + 2) return false;
      enc = 2;
      data = (size_t(b & 0x3F) << 8) | p[h + 1];
      break;
    case 2:
      if (b != 0x80 || avail < h + 5) return false;
      enc = 5;
      data =
          (size_t(p[h + 1]) << 24) | (size_t(p[h + 2]) << 16) | (size_t(p[h + 3]) << 8) | p[h + 4];
      break;
    default: {
      enc = 1;
      int bytes;
      switch (b) {
        case 0xC0:
          bytes = 2;
          break;
        case 0xD0:
          bytes = 4;
          break;
        case 0xE0:
          bytes = 8;
          break;
        case 0xF0:
          bytes = 3;
          break;
        case 0xFE:
          bytes = 1;
          break;
        default:
          if (b >= 0xF1 && b <= 0xFD) {
            *e = Int((b & 0x0F) - 1);
            *size = h + 1;
            return true;
          }
          return false;
      }
      if (avail < h + 1 + bytes) return false;
      *e = Int(SignExtend(Le(p + h + 1, bytes), 8 * bytes));
      *size = h + 1 + bytes;
      return true;
    }
  }
  if (data > avail - h - enc) return false;
  *e = Str(p + h + enc, data);
  *size = h + enc + data;
  return true;
}

}  // namespace

std::string_view PackedElem::View(char* buf) const {
  if (!is_int) return str;
  return std::string_view(buf, FormatInt64(num, buf));
}

std::string PackedElem::ToString() const {
  char buf[24];
  return std::string(View(buf));
}

bool DecodeListpack(std::string_view blob, std::vector<PackedElem>* out) {
  const auto* lp = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < 7 || Le(lp, 4) != size || lp[size - 1] != 0xFF) return false;
  const uint64_t header_count = Le(lp + 4, 2);
  const size_t start = out->size();
  // The header's count, when known, sizes the vector once and the entries are stored by
  // index (a push_back per entry showed in load profiles); a count the bytes cannot hold
  // (2 bytes an entry) is false at once, so a forged count allocates nothing unbounded.
  const bool counted = header_count != 65535;
  if (counted) {
    if (header_count > (size - 7) / 2) return false;
    out->resize(start + header_count);
  }
  PackedElem* const dst = out->data() + start;  // the counted case's slots
  size_t off = 6;
  size_t count = 0;
  while (off < size - 1) {
    PackedElem e;
    size_t len;
    // The common entries first: a 7-bit integer or a string of at most 63 bytes, whose
    // backlen is one byte holding the entry's size.  Same checks as the general path below.
    const uint8_t b = lp[off];
    if (b < 0xC0) {
      len = b < 0x80 ? 1 : 1 + (b & 0x3F);
      if (len + 1 > size - 1 - off || lp[off + len] != len) return false;
      if (b < 0x80) {
        e = Int(b);
      } else {
        e = Str(lp + off + 1, len - 1);
      }
      if (counted) {
        if (count == header_count) return false;
        dst[count] = e;
      } else {
        out->push_back(e);
      }
      ++count;
      off += len + 1;
      continue;
    }
    if (!ListpackEntry(lp + off, size - 1 - off, &e, &len)) return false;
    const size_t bl = BacklenSize(len);
    if (len + bl > size - 1 - off) return false;
    size_t back;
    if (!ReadBacklen(lp + off + len, lp + off + len + bl - 1, &back) || back != len) {
      return false;
    }
    if (counted) {
      if (count == header_count) return false;  // more entries than the header says
      dst[count] = e;
    } else {
      out->push_back(e);
    }
    ++count;
    off += len + bl;
  }
  return !counted || header_count == count;
}

bool DecodeZiplist(std::string_view blob, std::vector<PackedElem>* out) {
  const auto* zl = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < 11 || Le(zl, 4) != size || zl[size - 1] != 0xFF) return false;
  const size_t tail = Le(zl + 4, 4);
  const uint64_t header_count = Le(zl + 8, 2);
  const size_t start = out->size();
  if (header_count != 65535) out->reserve(start + std::min<size_t>(header_count, size / 2));
  size_t off = 10, prev_size = 0, last = 10;
  while (off < size - 1) {
    PackedElem e;
    size_t prevlen, len;
    if (!ZiplistEntry(zl + off, size - 1 - off, &prevlen, &e, &len)) return false;
    if (prevlen != prev_size) return false;
    out->push_back(e);
    last = off;
    prev_size = len;
    off += len;
  }
  const size_t count = out->size() - start;
  if (tail != (count == 0 ? 10 : last)) return false;
  return header_count == 65535 || header_count == count;
}

bool DecodeZipmap(std::string_view blob, std::vector<PackedElem>* out) {
  const auto* zm = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < 2 || zm[size - 1] != 0xFF) return false;
  size_t off = 1, pairs = 0;
  // Reads a length: one byte below 254, or 254 and 4 bytes.
  auto len_at = [&](size_t* len) {
    if (off >= size - 1) return false;
    if (zm[off] < 254) {
      *len = zm[off++];
      return true;
    }
    if (zm[off] != 254 || size - 1 - off < 5) return false;
    *len = Le(zm + off + 1, 4);
    off += 5;
    return true;
  };
  while (off < size - 1) {
    size_t flen, vlen;
    if (!len_at(&flen) || flen > size - 1 - off) return false;
    out->push_back(Str(zm + off, flen));
    off += flen;
    if (!len_at(&vlen) || off >= size - 1) return false;
    const size_t free_bytes = zm[off++];
    if (vlen > size - 1 - off || free_bytes > size - 1 - off - vlen) return false;
    out->push_back(Str(zm + off, vlen));
    off += vlen + free_bytes;
    ++pairs;
  }
  // The first byte is the count while below 254.
  return zm[0] >= 254 || zm[0] == pairs;
}

bool DecodeIntset(std::string_view blob, std::vector<int64_t>* out) {
  const auto* is = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < 8) return false;
  const uint64_t width = Le(is, 4);
  const uint64_t count = Le(is + 4, 4);
  if (width != 2 && width != 4 && width != 8) return false;
  if (count == 0 || (blob.size() - 8) / width != count || (blob.size() - 8) % width != 0) {
    return false;
  }
  out->reserve(out->size() + count);
  for (uint64_t i = 0; i < count; ++i) {
    const int64_t v =
        SignExtend(Le(is + 8 + i * width, static_cast<int>(width)), static_cast<int>(8 * width));
    if (i > 0 && v <= out->back()) return false;
    out->push_back(v);
  }
  return true;
}

}  // namespace tessera::persistence::rdb
