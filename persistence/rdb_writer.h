// Writing Redis's RDB format (version 11, as Redis 7.2 writes it) into a byte string.
//
// The writer appends to a std::string the caller owns and flushes (a file writer writes the
// buffer out every few MB; DUMP keeps it).  Values are written in the encodings Redis 7.2
// picks for the same OBJECT ENCODING: listpack types (16 hash, 17 zset, 18 quicklist2 with
// one node, 20 set) and intset (11) for packed values, the plain types (2 set, 4 hash,
// 5 zset2) for big ones, quicklist2 with the list's own nodes, stream listpacks 3 (21).
// Hashes with field TTLs use Redis 7.4's types (25 listpack-ex, 24 metadata), which 7.2
// cannot read; every other value loads in Redis 7.x.
//
// Strings are int-encoded when they are canonical integers of at most 32 bits, and LZF
// compressed when opts.compress, they are longer than 20 bytes, and that saves more than 4
// bytes (Redis's rules, so files compare size for size).
//
// Pure: no I/O, no clock.  The caller holds whatever lock protects the entry it passes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/keyspace/entry.h"

namespace tessera::persistence::rdb {

struct WriteOptions {
  bool compress = true;  // rdbcompression
  // Writes an IDLE opcode (OBJECT IDLETIME in seconds, from `clock` minus the entry's access
  // clock) before each key.  Off by default, as Redis writes it only with maxmemory LRU.
  bool write_idle = false;
  uint32_t clock = 0;
};

void WriteHeader(std::string* out, int version = 11);
void WriteAux(std::string* out, std::string_view key, std::string_view value);
void WriteSelectDb(std::string* out, int db);
void WriteResizeDb(std::string* out, uint64_t db_size, uint64_t expires_size);
// One key: [EXPIRETIME_MS + ms][IDLE + s][type byte][key][value].
void WriteKey(std::string* out, const keyspace::Entry& e, const WriteOptions& opts);
// A function library (FUNCTION2 + its code).
void WriteFunction(std::string* out, std::string_view library_code);
// The EOF opcode only; the caller appends the 8-byte CRC64 (AppendChecksum, or 8 zero bytes
// when rdbchecksum is off).
void WriteEof(std::string* out);
// Appends `crc` as 8 little-endian bytes.
void AppendChecksum(std::string* out, uint64_t crc);

// DUMP's payload: type byte, value, 2-byte RDB version, CRC64 of all that.
std::string DumpPayload(const keyspace::Entry& e);

// Building blocks, for tests and for writers of other framings.
void WriteLength(std::string* out, uint64_t len);
void WriteString(std::string* out, std::string_view s, bool compress);
// The value alone (what follows the type byte and key); returns the type byte.
uint8_t WriteValue(std::string* out, const keyspace::Entry& e, const WriteOptions& opts);

}  // namespace tessera::persistence::rdb
