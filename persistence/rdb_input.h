// The reader's primitives over a Source (internal to persistence/): lengths, strings in their
// three encodings, times and doubles.  The CRC64 of the bytes read is the Source's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "persistence/rdb_reader.h"
#include "persistence/status.h"

namespace tessera::persistence::rdb {

class Input {
 public:
  // `base`: the file offset of src's first byte (a value decoded apart from its file), so
  // that error offsets are the file's.
  explicit Input(Source& src, uint64_t base = 0) : src_(src), base_(base) {}

  bool Read(void* buf, size_t n) {
    if (src_.Read(buf, n)) return true;
    failed_read_ = true;
    return false;
  }
  bool ReadByte(uint8_t* b) { return Read(b, 1); }
  // A length.  With `encoded` non-null, a special string encoding sets *encoded and puts its
  // kind (kEncInt8...kEncLzf) in *len; with it null, an encoded length is an error.
  bool ReadLength(uint64_t* len, bool* encoded = nullptr) {
    // Inline: the 6- and 14-bit lengths, when their bytes are buffered.
    if (const uint8_t* p = src_.Peek(2); p != nullptr && p[0] < 0x80) {
      if (encoded != nullptr) *encoded = false;
      if (p[0] < 0x40) {
        *len = p[0];
        src_.Advance(1);
      } else {
        *len = (uint64_t(p[0] & 0x3F) << 8) | p[1];
        src_.Advance(2);
      }
      return true;
    }
    return ReadLengthSlow(len, encoded);
  }
  // A string in any encoding; integers are formatted in decimal.  Status kIo at a short read,
  // kCorrupt for a bad encoding or LZF data.
  Status ReadString(std::string* out) {
    // Inline: a plain string of up to 63 bytes, buffered whole.
    if (const uint8_t* p = src_.Peek(1); p != nullptr && p[0] < 0x40) {
      if (const uint8_t* q = src_.Peek(1 + size_t{p[0]})) {
        out->assign(reinterpret_cast<const char*>(q + 1), p[0]);
        src_.Advance(1 + size_t{p[0]});
        return Status::Ok();
      }
    }
    return ReadStringSlow(out);
  }
  // 8 bytes little-endian (EXPIRETIME_MS, stream times).
  bool ReadMillis(int64_t* ms);
  bool ReadBinaryDouble(double* d);
  // The old textual double (ZSET type 3): a length byte (253 nan, 254 inf, 255 -inf).
  Status ReadTextDouble(double* d);

  uint64_t offset() const { return base_ + src_.bytes_read(); }
  // How many of `count` elements of at least `min_bytes` bytes each the bytes already
  // buffered could hold: what a table may be sized for before they are read, so that a
  // forged count reserves nothing the input does not back.
  size_t BackedCount(uint64_t count, uint64_t min_bytes) const {
    return static_cast<size_t>(std::min(count, src_.buffered() / min_bytes));
  }
  // While `record` is set, every byte read is also appended to it (rdb_parallel.cc's framing).
  void set_record(std::string* record) {
    if (record != nullptr) {
      src_.StartRecord(record);
    } else {
      src_.EndRecord();
    }
  }
  // Consumes n bytes (into the record, if one is kept): a forged length costs only the bytes
  // really there.
  bool Skip(uint64_t n) {
    if (src_.Skip(n)) return true;
    failed_read_ = true;
    return false;
  }
  bool failed_read() const { return failed_read_; }

  // "Internal error in RDB reading offset N -> what" as kCorrupt.
  Status Corrupt(std::string_view what) const;
  // The short-read error (kIo).
  static Status ShortRead();
  // The error for a failed read: a short read, or else a malformed length (an encoded one
  // where a plain length belongs).
  Status ReadError() const {
    return failed_read_ ? ShortRead() : Corrupt("Unknown length encoding");
  }

 private:
  bool ReadLengthSlow(uint64_t* len, bool* encoded);
  Status ReadStringSlow(std::string* out);

  Source& src_;
  uint64_t base_;
  bool failed_read_ = false;
};

// Reads one value of RDB type `type` (everything after the key) and returns a new entry for
// `key` with no expiry.  kEmptyKey for an empty aggregate, kUnsupported for module values.
Status ReadValue(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                 keyspace::Entry** out);
// True iff `type` is a value type byte this reader knows (not an opcode).
bool IsValueType(uint8_t type);

}  // namespace tessera::persistence::rdb
