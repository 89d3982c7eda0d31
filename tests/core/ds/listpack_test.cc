// Unit tests of the listpack (core/ds/listpack.h): Redis's byte format, every integer and
// string encoding at its boundaries, walking both ways, and each mutator.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/ds/listpack.h"

namespace tessera::ds {
namespace {

std::vector<std::string> Forward(const uint8_t* l) {
  std::vector<std::string> out;
  char buf[lp::kIntBufSize];
  for (const uint8_t* p = lp::First(l); p != nullptr; p = lp::Next(l, p)) {
    out.emplace_back(lp::Get(p).View(buf));
  }
  return out;
}

std::vector<std::string> Backward(const uint8_t* l) {
  std::vector<std::string> out;
  char buf[lp::kIntBufSize];
  for (const uint8_t* p = lp::Last(l); p != nullptr; p = lp::Prev(l, p)) {
    out.insert(out.begin(), std::string(lp::Get(p).View(buf)));
  }
  return out;
}

TEST_CASE("listpack: empty", "[listpack]") {
  uint8_t* l = lp::New();
  CHECK(lp::Bytes(l) == 7);
  CHECK(lp::Length(l) == 0);
  CHECK(lp::First(l) == nullptr);
  CHECK(lp::Last(l) == nullptr);
  CHECK(lp::Seek(l, 0) == nullptr);
  CHECK(lp::Seek(l, -1) == nullptr);
  lp::Free(l);
}

TEST_CASE("listpack: bytes match Redis's format", "[listpack]") {
  uint8_t* l = lp::Append(lp::Append(lp::New(), "hello"), "1024");
  const uint8_t expected[] = {17, 0, 0, 0, 2, 0, 0x85, 'h', 'e', 'l', 'l', 'o', 6,
                              0xC4, 0x00, 2, 0xFF};
  REQUIRE(lp::Bytes(l) == sizeof(expected));
  CHECK(std::memcmp(l, expected, sizeof(expected)) == 0);
  lp::Free(l);
}

TEST_CASE("listpack: integer and string encodings at their boundaries", "[listpack]") {
  struct Case {
    std::string value;
    size_t entry_size;
    bool is_int;
  };
  const std::vector<Case> cases = {
      {"0", 2, true},
      {"127", 2, true},
      {"128", 3, true},
      {"-1", 3, true},
      {"4095", 3, true},
      {"-4096", 3, true},
      {"4096", 4, true},
      {"-4097", 4, true},
      {"32767", 4, true},
      {"-32768", 4, true},
      {"32768", 5, true},
      {"8388607", 5, true},
      {"-8388608", 5, true},
      {"8388608", 6, true},
      {"2147483647", 6, true},
      {"-2147483648", 6, true},
      {"2147483648", 10, true},
      {"9223372036854775807", 10, true},
      {"-9223372036854775808", 10, true},
      // Not canonical int64 text: stored as strings.
      {"9223372036854775808", 21, false},
      {"-0", 4, false},
      {"01", 4, false},
      {"+1", 4, false},
      {" 1", 4, false},
      {"", 2, false},
      {std::string(63, 'x'), 65, false},
      {std::string(64, 'x'), 67, false},
      {std::string(125, 'x'), 128, false},  // 127 bytes of encoding + data: 1-byte backlen
      {std::string(126, 'x'), 130, false},  // 128: 2-byte backlen
      {std::string(4095, 'x'), 4099, false},
      {std::string(4096, 'x'), 4103, false},
      {std::string(70000, 'x'), 70008, false},
  };
  uint8_t* l = lp::New();
  size_t bytes = 7;
  for (const Case& c : cases) {
    INFO(c.value.substr(0, 30));
    CHECK(lp::EncodedSize(c.value) == c.entry_size);
    l = lp::Append(l, c.value);
    bytes += c.entry_size;
    CHECK(lp::Bytes(l) == bytes);
    const uint8_t* last = lp::Last(l);
    CHECK(lp::EntrySize(last) == c.entry_size);
    CHECK(lp::Get(last).is_int == c.is_int);
    CHECK(lp::Equals(last, c.value));
    CHECK_FALSE(lp::Equals(last, c.value + "z"));
  }
  std::vector<std::string> want;
  for (const Case& c : cases) want.push_back(c.value);
  CHECK(Forward(l) == want);
  CHECK(Backward(l) == want);
  CHECK(lp::Length(l) == cases.size());
  lp::Free(l);
}

TEST_CASE("listpack: seek, insert, replace, delete", "[listpack]") {
  uint8_t* l = lp::New();
  for (const char* s : {"b", "c", "d"}) l = lp::Append(l, s);
  l = lp::Prepend(l, "a");
  CHECK(Forward(l) == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(lp::Equals(lp::Seek(l, 0), "a"));
  CHECK(lp::Equals(lp::Seek(l, 3), "d"));
  CHECK(lp::Equals(lp::Seek(l, -1), "d"));
  CHECK(lp::Equals(lp::Seek(l, -4), "a"));
  CHECK(lp::Seek(l, 4) == nullptr);
  CHECK(lp::Seek(l, -5) == nullptr);
  CHECK(lp::Seek(l, std::numeric_limits<int64_t>::min()) == nullptr);

  size_t at = size_t(lp::Seek(l, 2) - l);
  l = lp::InsertAt(l, at, "12345");
  CHECK(Forward(l) == std::vector<std::string>{"a", "b", "12345", "c", "d"});
  l = lp::ReplaceAt(l, size_t(lp::Seek(l, 1) - l), std::string(300, 'B'));
  l = lp::ReplaceAt(l, size_t(lp::Seek(l, 2) - l), "x");
  CHECK(Forward(l) == std::vector<std::string>{"a", std::string(300, 'B'), "x", "c", "d"});
  CHECK(Backward(l) == Forward(l));
  l = lp::DeleteAt(l, size_t(lp::Seek(l, 1) - l));
  CHECK(Forward(l) == std::vector<std::string>{"a", "x", "c", "d"});
  l = lp::DeleteRange(l, 1, 2);
  CHECK(Forward(l) == std::vector<std::string>{"a", "d"});
  l = lp::DeleteRange(l, -1, 100);  // clipped
  CHECK(Forward(l) == std::vector<std::string>{"a"});
  l = lp::DeleteRange(l, 5, 1);  // out of range: nothing
  CHECK(lp::Length(l) == 1);
  CHECK(lp::Bytes(l) == 7 + 3);

  uint8_t* other = lp::Append(lp::Append(lp::New(), "y"), "-77");
  l = lp::Merge(l, other);
  CHECK(Forward(l) == std::vector<std::string>{"a", "y", "-77"});
  CHECK(Backward(l) == Forward(l));
  CHECK(lp::Length(l) == 3);
  uint8_t* copy = lp::Dup(l);
  CHECK(Forward(copy) == Forward(l));
  lp::Free(copy);
  lp::Free(l);
}

TEST_CASE("listpack: AppendAll writes the same bytes as one Append per element", "[listpack]") {
  const std::vector<std::string> items = {"0",
                                          "-1",
                                          "127",
                                          "128",
                                          "-4096",
                                          "4096",
                                          "9223372036854775807",
                                          "abc",
                                          "",
                                          "007",
                                          std::string(70, 'x'),
                                          std::string(5000, 'y')};
  uint8_t* one_by_one = lp::New();
  for (const std::string& s : items) one_by_one = lp::Append(one_by_one, s);
  std::vector<std::string_view> views(items.begin(), items.end());
  uint8_t* all = lp::AppendAll(lp::Append(lp::New(), "first"), views);
  uint8_t* expect = lp::Prepend(one_by_one, "first");
  REQUIRE(lp::Bytes(all) == lp::Bytes(expect));
  REQUIRE(std::memcmp(all, expect, lp::Bytes(all)) == 0);
  REQUIRE(lp::Length(all) == items.size() + 1);
  lp::Free(all);
  lp::Free(expect);
}

TEST_CASE("listpack: more than 65535 elements", "[listpack]") {
  uint8_t* l = lp::New();
  for (int i = 0; i < 70000; ++i) l = lp::Append(l, "1");
  CHECK(lp::Length(l) == 70000);
  CHECK(lp::Equals(lp::Seek(l, 69999), "1"));
  CHECK(lp::Seek(l, 70000) == nullptr);
  l = lp::DeleteRange(l, 0, 69990);
  CHECK(lp::Length(l) == 10);
  lp::Free(l);
}

}  // namespace
}  // namespace tessera::ds
