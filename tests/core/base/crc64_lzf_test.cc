#include <catch2/catch.hpp>

#include "core/base/crc64.h"
#include "core/base/lzf.h"

namespace tessera {
namespace {

TEST_CASE("Crc64 is Redis's CRC-64 (Jones)", "[crc64]") {
  CHECK(Crc64(0, "123456789") == 0xe9c6d914c4b8d9caULL);
  CHECK(Crc64(0, "") == 0);
  // Incremental over any split.
  CHECK(Crc64(Crc64(0, "1234"), "56789") == 0xe9c6d914c4b8d9caULL);
}

TEST_CASE("LzfDecompress reads literals and overlapping back references", "[lzf]") {
  std::string out;
  // Literal "ab", then a back reference of length 4 at distance 2: "ababab".
  std::string in = std::string(
                       "\x01"
                       "ab",
                       3) +
                   std::string("\x40\x01", 2);
  REQUIRE(LzfDecompress(in, 6, &out));
  CHECK(out == "ababab");
  CHECK_FALSE(LzfDecompress(in, 7, &out));                          // wrong length
  CHECK_FALSE(LzfDecompress(std::string("\x40\x05", 2), 4, &out));  // reference before start
  CHECK_FALSE(LzfDecompress(std::string("\x05"
                                        "ab",
                                        3),
                            6, &out));  // truncated literal
}

}  // namespace
}  // namespace tessera
