// CRC-64 as Redis computes it for DUMP payloads and RDB files ("Jones" polynomial
// 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor):
// Crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.  Byte-at-a-time with a 256-entry table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tessera {

uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace tessera
