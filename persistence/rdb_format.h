// The RDB file format (Redis's), shared by rdb_writer and rdb_reader (STYLE 14); the prose
// description is rdb_format.md beside this file.
//
// A file is "REDIS" + 4 ASCII digits of version, then opcodes and keys, then kEof and an
// 8-byte little-endian CRC64 of every byte before it (0 = not computed).  A DUMP payload is
// one value (type byte + body) followed by a 2-byte little-endian RDB version and the CRC64
// of everything before it.
//
// Lengths: the top two bits of the first byte say 6-bit length (00), 14-bit (01, big-endian
// with the next byte), 32/64-bit big-endian (0x80 / 0x81 + 4 or 8 bytes), or a special
// string encoding (11 + 6 bits: an 8/16/32-bit little-endian integer, or LZF).
#pragma once

#include <cstdint>

namespace tessera::persistence::rdb {

inline constexpr int kRdbVersion = 11;      // what we write (Redis 7.2)
inline constexpr int kMinReadVersion = 1;   // Redis reads from 1; Redis 2.6 writes 6
inline constexpr int kMaxReadVersion = 12;  // Redis 7.4
// RESTORE takes payloads up to the version Redis 7.2 itself writes.
inline constexpr int kMaxDumpVersion = 11;

// Value types (the byte before a key).
enum Type : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,
  kTypeModulePreGa = 6,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
  kTypeSetListpack = 20,
  kTypeStreamListpacks3 = 21,
  kTypeHashMetadataPreGa = 22,
  kTypeHashListpackExPreGa = 23,
  kTypeHashMetadata = 24,
  kTypeHashListpackEx = 25,
};

// Opcodes (a byte where a type byte could be).
enum Opcode : uint8_t {
  kOpSlotInfo = 244,
  kOpFunction2 = 245,
  kOpFunctionPreGa = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireTimeMs = 252,
  kOpExpireTime = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};

// Length encodings.
inline constexpr uint8_t kLen6Bit = 0;
inline constexpr uint8_t kLen14Bit = 1;
inline constexpr uint8_t kLen32Bit = 0x80;
inline constexpr uint8_t kLen64Bit = 0x81;
inline constexpr uint8_t kLenEncoded = 3;  // top bits 11: a special string encoding
inline constexpr uint8_t kEncInt8 = 0;
inline constexpr uint8_t kEncInt16 = 1;
inline constexpr uint8_t kEncInt32 = 2;
inline constexpr uint8_t kEncLzf = 3;

// Quicklist 2 node containers.
inline constexpr uint64_t kQuicklistPlain = 1;
inline constexpr uint64_t kQuicklistPacked = 2;

// Module type ids pack a 9-character name (6 bits a character) and a 10-bit version.
inline constexpr char kModuleNameCharset[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace tessera::persistence::rdb
