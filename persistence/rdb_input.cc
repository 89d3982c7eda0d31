#include "persistence/rdb_input.h"

#include <cmath>
#include <cstring>

#include "core/base/crc64.h"
#include "core/base/lzf.h"
#include "core/base/numbers.h"
#include "persistence/rdb_format.h"

namespace tessera::persistence::rdb {

namespace {

// Strings arrive in pieces of this size, so a forged length allocates no more than the
// bytes that are really there (plus one piece).
constexpr size_t kStringChunk = size_t{1} << 20;
// LZF expands at most ~33x per input byte pair (a 3-byte back reference yields 264 bytes);
// anything claiming more is corrupt.
constexpr uint64_t kMaxLzfRatio = 100;

}  // namespace

bool Input::ReadLengthSlow(uint64_t* len, bool* encoded) {
  uint8_t b[8];
  if (!ReadByte(b)) return false;
  if (encoded != nullptr) *encoded = false;
  switch (b[0] >> 6) {
    case kLen6Bit:
      *len = b[0] & 0x3F;
      return true;
    case kLen14Bit: {
      uint8_t lo;
      if (!ReadByte(&lo)) return false;
      *len = (uint64_t(b[0] & 0x3F) << 8) | lo;
      return true;
    }
    case kLenEncoded:
      if (encoded == nullptr) return false;
      *encoded = true;
      *len = b[0] & 0x3F;
      return true;
  }
  int n;
  if (b[0] == kLen32Bit) {
    n = 4;
  } else if (b[0] == kLen64Bit) {
    n = 8;
  } else {
    return false;
  }
  if (!Read(b, n)) return false;
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | b[i];
  *len = v;
  return true;
}

Status Input::ReadStringSlow(std::string* out) {
  uint64_t len;
  bool encoded;
  if (!ReadLength(&len, &encoded)) {
    return failed_read_ ? ShortRead() : Corrupt("Unknown length encoding in string");
  }
  out->clear();
  if (encoded) {
    uint8_t b[4];
    switch (len) {
      case kEncInt8:
      case kEncInt16:
      case kEncInt32: {
        const int n = len == kEncInt8 ? 1 : len == kEncInt16 ? 2 : 4;
        if (!Read(b, n)) return ShortRead();
        uint64_t u = 0;
        for (int i = n - 1; i >= 0; --i) u = (u << 8) | b[i];
        const uint64_t sign = uint64_t{1} << (8 * n - 1);
        const int64_t v = static_cast<int64_t>((u ^ sign) - sign);
        out->assign(Int64ToString(v));
        return Status::Ok();
      }
      case kEncLzf: {
        uint64_t clen, ulen;
        if (!ReadLength(&clen) || !ReadLength(&ulen)) {
          return failed_read_ ? ShortRead() : Corrupt("Bad LZF lengths");
        }
        if (clen == 0 || ulen == 0 || ulen / kMaxLzfRatio > clen) {
          return Corrupt("Invalid LZF compressed string");
        }
        if (const uint8_t* p = src_.Peek(clen)) {
          // Buffered whole: decompressed from the source's window, without a copy.
          src_.Advance(clen);
          if (!LzfDecompress(std::string_view(reinterpret_cast<const char*>(p), clen), ulen, out)) {
            return Corrupt("Invalid LZF compressed string");
          }
          return Status::Ok();
        }
        std::string packed;
        while (packed.size() < clen) {
          const size_t n = std::min<uint64_t>(clen - packed.size(), kStringChunk);
          const size_t at = packed.size();
          packed.resize(at + n);
          if (!Read(packed.data() + at, n)) return ShortRead();
        }
        if (!LzfDecompress(packed, ulen, out)) return Corrupt("Invalid LZF compressed string");
        return Status::Ok();
      }
    }
    return Corrupt("Unknown RDB string encoding type " + std::to_string(len));
  }
  while (out->size() < len) {
    const size_t n = std::min<uint64_t>(len - out->size(), kStringChunk);
    const size_t at = out->size();
    out->resize(at + n);
    if (!Read(out->data() + at, n)) return ShortRead();
  }
  return Status::Ok();
}

bool Input::ReadMillis(int64_t* ms) {
  uint8_t b[8];
  if (!Read(b, 8)) return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  *ms = static_cast<int64_t>(v);
  return true;
}

bool Input::ReadBinaryDouble(double* d) {
  int64_t bits;
  if (!ReadMillis(&bits)) return false;
  std::memcpy(d, &bits, 8);
  return true;
}

Status Input::ReadTextDouble(double* d) {
  uint8_t len;
  if (!ReadByte(&len)) return ShortRead();
  switch (len) {
    case 253:
      *d = std::nan("");
      return Status::Ok();
    case 254:
      *d = INFINITY;
      return Status::Ok();
    case 255:
      *d = -INFINITY;
      return Status::Ok();
  }
  char buf[256];
  if (!Read(buf, len)) return ShortRead();
  buf[len] = '\0';
  char* end;
  *d = std::strtod(buf, &end);
  if (end != buf + len || len == 0) return Corrupt("Invalid double value");
  return Status::Ok();
}

Status Input::Corrupt(std::string_view what) const {
  return Status::Corrupt("Internal error in RDB reading offset " + std::to_string(offset()) +
                         " -> " + std::string(what));
}

Status Input::ShortRead() {
  return Status::Error(Status::Code::kIo,
                       "Short read or OOM loading DB. Unrecoverable error, aborting now.");
}

}  // namespace tessera::persistence::rdb
