// CRC-64 as Redis computes it for DUMP payloads and RDB files ("Jones" polynomial
// 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor):
// Crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.  Eight bytes at a time through tables; buffers
// of 256 bytes or more folded 64 bytes at a time with carry-less multiplication (PCLMULQDQ)
// on CPUs that have it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tessera {

uint64_t Crc64(uint64_t crc, std::string_view data);

namespace internal {
// The table-driven path alone (Crc64 folds long buffers with PCLMULQDQ where the CPU has it).
uint64_t Crc64TableForTesting(uint64_t crc, std::string_view data);
}  // namespace internal

}  // namespace tessera
