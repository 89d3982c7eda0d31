// Unit tests of core/base/hyperloglog.h: the register packing, the sparse encoding against a
// dense reference, validation of untrusted values (every truncation, every byte value at every
// position, runs past the last register), and the estimator.  Byte-exact expectations were
// produced by redis-server (see tests/core/keyspace/hll_ops_test.cc for the PFADD fixtures).
#include "core/base/hyperloglog.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace tessera::hll {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Header(Encoding encoding) {
  std::string h("HYLL");
  h.push_back(static_cast<char>(encoding));
  h.append(11, '\0');
  return h;
}

// A sparse value with the given opcode bytes.
std::string Sparse(std::string_view opcodes) {
  return Header(Encoding::kSparse) + std::string(opcodes);
}

std::string XZero(int len) {
  return {static_cast<char>(0x40 | ((len - 1) >> 8)), static_cast<char>((len - 1) & 0xff)};
}
std::string Zero(int len) { return std::string(1, static_cast<char>(len - 1)); }
std::string Val(int value, int len) {
  return std::string(1, static_cast<char>(0x80 | ((value - 1) << 2) | (len - 1)));
}

std::vector<uint8_t> Registers(const std::string& value) {
  RawRegisters raw{};
  MergeInto(value, &raw);
  return {raw.begin(), raw.end()};
}

TEST_CASE("hll: Redis's hash and register selection", "[hll]") {
  // "a" alone: Redis stores XZERO 12711, VAL 2, XZERO 3672 (PFADD k a, then GET).
  std::string v = NewSparse();
  Pattern a = PatternOf("a");
  CHECK(a.index == 12711);
  CHECK(a.count == 2);
  CHECK(SetRegister(&v, a.index, a.count, 3000));
  CHECK(v.substr(16) == XZero(12711) + Val(2, 1) + XZero(3672));
  // MurmurHash64A reference values, from Redis's C function.
  CHECK(MurmurHash64A("", 0, 0xadc83b19ULL) == 0xd8dfea6585bc9732ULL);
  CHECK(MurmurHash64A("12345678", 8, 0xadc83b19ULL) == 0x95ebb86389132953ULL);
  CHECK(MurmurHash64A("hello world!!", 13, 0xadc83b19ULL) == 0x7664e1920e5e546aULL);
}

TEST_CASE("hll: the empty value is Redis's", "[hll]") {
  CHECK(NewSparse() == FromHex("48594c4c0100000000000000000000007fff"));
  CHECK(HasHllHeader(NewSparse()));
  CHECK(ValidSparse(NewSparse()));
  CHECK(CachedCardinality(NewSparse()) == 0u);
  CHECK(Count(NewSparse()) == 0u);
}

TEST_CASE("hll: dense registers keep their neighbours", "[hll]") {
  std::vector<uint8_t> regs(kDenseSize - kHeaderSize, 0);
  std::vector<uint8_t> expected(kRegisters);
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < kRegisters; ++i) {
      expected[i] = static_cast<uint8_t>(rng() & 63);
      DenseStore(regs.data(), i, expected[i]);
    }
    for (uint32_t i = 0; i < kRegisters; ++i) REQUIRE(DenseGet(regs.data(), i) == expected[i]);
  }
  std::fill(regs.begin(), regs.end(), 0);
  DenseStore(regs.data(), kRegisters - 1, 63);  // the last register ends the array
  CHECK(regs.back() == 0xfc);
  CHECK(DenseGet(regs.data(), kRegisters - 1) == 63);
  CHECK_FALSE(DenseSet(regs.data(), kRegisters - 1, 5));
  CHECK(DenseSet(regs.data(), 0, 5));
  CHECK(regs[0] == 5);
}

TEST_CASE("hll: sparse updates agree with dense ones", "[hll]") {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    std::string sparse = NewSparse();
    std::string dense = Header(Encoding::kDense) + std::string(kDenseSize - kHeaderSize, '\0');
    int n = static_cast<int>(rng() % 400);
    // Clustered indexes exercise VAL runs and merges; occasional big counts force promotion.
    uint32_t base = rng() % kRegisters;
    for (int k = 0; k < n; ++k) {
      uint32_t index = (base + rng() % 64) % kRegisters;
      if (rng() % 3 == 0) index = rng() % kRegisters;
      auto count = static_cast<uint8_t>(1 + rng() % (rng() % 50 == 0 ? 51 : 32));
      bool a = SetRegister(&sparse, index, count, 3000);
      bool b = DenseSet(reinterpret_cast<uint8_t*>(dense.data()) + kHeaderSize, index, count);
      REQUIRE(a == b);
      if (EncodingOf(sparse) == Encoding::kSparse) REQUIRE(ValidSparse(sparse));
    }
    REQUIRE(Registers(sparse) == Registers(dense));
    REQUIRE(Count(sparse) == Count(dense));
  }
}

TEST_CASE("hll: promotion past hll-sparse-max-bytes and for values above 32", "[hll]") {
  std::string v = NewSparse();
  CHECK(SetRegister(&v, 100, 33, 3000));
  CHECK(EncodingOf(v) == Encoding::kDense);
  CHECK(v.size() == kDenseSize);
  CHECK(DenseGet(reinterpret_cast<const uint8_t*>(v.data()) + kHeaderSize, 100) == 33);

  v = NewSparse();
  CHECK(SetRegister(&v, 100, 3, 20));  // XZERO VAL XZERO: 16 + 5 bytes > 20
  CHECK(EncodingOf(v) == Encoding::kDense);
  v = NewSparse();
  CHECK(SetRegister(&v, 100, 3, 21));
  CHECK(EncodingOf(v) == Encoding::kSparse);
  CHECK(v.size() == 21);
  // A change that does not grow the value never promotes, even past the limit.
  CHECK(SetRegister(&v, 100, 4, 10));
  CHECK(EncodingOf(v) == Encoding::kSparse);
}

TEST_CASE("hll: adjacent equal VALs merge", "[hll]") {
  std::string v = NewSparse();
  for (uint32_t i = 10; i < 14; ++i) SetRegister(&v, i, 2, 3000);
  // A zero run of at most 64 left of a split is a ZERO, a longer one an XZERO.
  CHECK(v.substr(16) == Zero(10) + Val(2, 4) + XZero(kRegisters - 14));
  SetRegister(&v, 14, 2, 3000);  // a fifth register cannot join a VAL of 4
  CHECK(v.substr(16) == Zero(10) + Val(2, 4) + Val(2, 1) + XZero(kRegisters - 15));
  CHECK(DecodeSparse(v) == "z:10 v:2,4 v:2,1 Z:16369");
  // Raising inside a VAL run splits it; the right part then merges with its neighbour.
  SetRegister(&v, 11, 5, 3000);
  CHECK(DecodeSparse(v) == "z:10 v:2,1 v:5,1 v:2,3 Z:16369");
}

TEST_CASE("hll: sparse validation", "[hll]") {
  CHECK(ValidSparse(Sparse(XZero(16384))));
  CHECK(ValidSparse(Sparse(Zero(64) + XZero(16320))));
  CHECK(ValidSparse(Sparse(Val(32, 4) + XZero(16380))));
  CHECK_FALSE(ValidSparse(Sparse("")));
  CHECK_FALSE(ValidSparse(Sparse(XZero(16383))));              // short of the end
  CHECK_FALSE(ValidSparse(Sparse(XZero(16384) + Zero(1))));    // past the end
  CHECK_FALSE(ValidSparse(Sparse(XZero(16383) + Val(1, 2))));  // a VAL across the end
  CHECK_FALSE(ValidSparse(Sparse(XZero(16383) + Zero(2))));    // a ZERO across the end
  CHECK_FALSE(ValidSparse(Sparse(XZero(16383) + "\x40")));     // an XZERO cut short
  // CVE-2025-32023: enough XZEROs to overflow a 32-bit register index.
  std::string many;
  for (int i = 0; i < 131073; ++i) many += XZero(16384);
  CHECK_FALSE(ValidSparse(Sparse(many + Val(1, 1))));
}

// Every prefix of a valid sparse value is invalid or a complete value, and every single-byte
// change either fails validation or yields a value every reader handles in bounds.
TEST_CASE("hll: corrupted sparse values are refused or harmless", "[hll]") {
  std::string v = NewSparse();
  std::mt19937 rng(3);
  for (int k = 0; k < 60; ++k) SetRegister(&v, rng() % kRegisters, 1 + rng() % 32, 3000);
  REQUIRE(EncodingOf(v) == Encoding::kSparse);
  for (size_t len = kHeaderSize; len < v.size(); ++len) {
    INFO("length " << len);
    CHECK_FALSE(ValidSparse(v.substr(0, len)));
  }
  for (size_t pos = kHeaderSize; pos < v.size(); ++pos) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string bad = v;
      bad[pos] = static_cast<char>(byte);
      if (!ValidSparse(bad)) continue;
      // Valid after all (e.g. a VAL value changed): every operation must work on it.
      RawRegisters raw{};
      MergeInto(bad, &raw);
      (void)Count(bad);
      std::string copy = bad;
      SetRegister(&copy, static_cast<uint32_t>(pos * 97 % kRegisters), 7, 3000);
      REQUIRE((EncodingOf(copy) == Encoding::kDense || ValidSparse(copy)));
    }
  }
  // DecodeSparse reads anything: it is what PFDEBUG DECODE shows of a corrupt value.
  CHECK(DecodeSparse(Sparse("\x40")) == "Z:1");
  CHECK(DecodeSparse(Sparse("")).empty());
}

TEST_CASE("hll: header checks", "[hll]") {
  std::string dense = Header(Encoding::kDense) + std::string(kDenseSize - kHeaderSize, '\0');
  CHECK(HasHllHeader(dense));
  CHECK_FALSE(HasHllHeader(dense.substr(0, kDenseSize - 1)));
  CHECK_FALSE(HasHllHeader(dense + "x"));
  CHECK_FALSE(HasHllHeader("HYLL"));
  CHECK_FALSE(HasHllHeader(Header(Encoding::kSparse).substr(0, 15)));
  CHECK(HasHllHeader(Header(Encoding::kSparse)));  // valid header, invalid registers
  std::string bad_magic = NewSparse();
  bad_magic[3] = 'X';
  CHECK_FALSE(HasHllHeader(bad_magic));
  std::string bad_encoding = NewSparse();
  bad_encoding[4] = 2;
  CHECK_FALSE(HasHllHeader(bad_encoding));
}

TEST_CASE("hll: the cardinality cache", "[hll]") {
  std::string v = NewSparse();
  StoreCardinality(v.data(), 0x0102030405060708ULL);
  CHECK(v.substr(8, 8) == FromHex("0807060504030201"));
  CHECK(CachedCardinality(v) == 0x0102030405060708ULL);
  InvalidateCache(v.data());
  CHECK(v.substr(8, 8) == FromHex("0807060504030281"));  // only the top bit changes
  CHECK_FALSE(CachedCardinality(v).has_value());
}

TEST_CASE("hll: the estimator matches Redis", "[hll]") {
  // Every register at 63: Redis answers LLONG_MIN (its llroundl of infinity).
  std::string all63 = Header(Encoding::kDense) + std::string(kDenseSize - kHeaderSize, '\xff');
  CHECK(Count(all63) == uint64_t{1} << 63);
  // Registers cycling 51, 51, 3, 0 (bytes f3 3c 00 repeated): 33611 in Redis.
  std::string pattern = Header(Encoding::kDense);
  for (int i = 0; i < 4096; ++i) pattern += std::string("\xf3\x3c\x00", 3);
  CHECK(Count(pattern) == 33611u);
  RawRegisters raw{};
  MergeInto(pattern, &raw);
  CHECK(CountRaw(raw) == 33611u);
}

}  // namespace
}  // namespace tessera::hll
