// LEB128-style unsigned varints: 7 bits per byte, low bits first, the top bit set on every byte
// but the last.  The length prefix of keys in entries and of elements in packed hashes and
// sorted sets.  Readers trust their input: these bytes are written by us, never by a client.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tessera {

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes `v` at `p` (at most 10 bytes); returns the bytes written.
inline size_t PutVarint(uint8_t* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<uint8_t>(v);
  return n;
}

// Reads a varint at `p` into *v; returns the bytes read.
inline size_t GetVarint(const uint8_t* p, uint64_t* v) {
  uint64_t result = 0;
  size_t n = 0;
  int shift = 0;
  while (true) {
    uint8_t b = p[n++];
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
    shift += 7;
  }
  *v = result;
  return n;
}

}  // namespace tessera
