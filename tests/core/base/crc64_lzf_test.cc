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

TEST_CASE("Crc64 eight bytes at a time equals the bitwise definition at every split", "[crc64]") {
  auto bitwise = [](uint64_t crc, std::string_view s) {
    for (unsigned char c : s) {
      crc ^= c;
      for (int b = 0; b < 8; ++b) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
    }
    return crc;
  };
  std::string data;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 1000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    data.push_back(static_cast<char>(x));
  }
  const uint64_t whole = bitwise(0, data);
  CHECK(Crc64(0, data) == whole);
  for (size_t cut : {1, 3, 7, 8, 9, 100, 999}) {
    CHECK(Crc64(Crc64(0, std::string_view(data).substr(0, cut)),
                std::string_view(data).substr(cut)) == whole);
  }
}

TEST_CASE("Crc64's carry-less folding equals the tables at every length and start value",
          "[crc64]") {
  std::string data;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 5000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    data.push_back(static_cast<char>(x >> 24));
  }
  const std::string_view all(data);
  for (size_t len = 0; len <= 1200; ++len) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const uint64_t start = len % 3 == 0 ? 0 : x;
    const std::string_view s = all.substr(len % 13, len);
    INFO("length " << len);
    CHECK(Crc64(start, s) == internal::Crc64TableForTesting(start, s));
  }
  CHECK(Crc64(0, all) == internal::Crc64TableForTesting(0, all));
  CHECK(Crc64(Crc64(0, all.substr(0, 2999)), all.substr(2999)) == Crc64(0, all));
}

// Compression is what RDB writers use for strings; it must round-trip and refuse to grow.
TEST_CASE("LzfCompress round-trips and respects its output bound", "[lzf]") {
  const std::string in = std::string(200, 'a') + "xyz" + std::string(100, 'a');
  std::string packed, back;
  REQUIRE(LzfCompress(in, in.size() - 4, &packed));
  CHECK(packed.size() < 40);
  REQUIRE(LzfDecompress(packed, in.size(), &back));
  CHECK(back == in);
  CHECK_FALSE(LzfCompress("abcdefgh", 4, &packed));
  CHECK(packed.empty());
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
