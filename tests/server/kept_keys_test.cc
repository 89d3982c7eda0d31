#include "server/kept_keys.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/base/hash.h"

namespace tessera::server {

namespace {

std::vector<std::pair<std::string, std::string>> Present(const KeptKeys& kept) {
  std::vector<std::pair<std::string, std::string>> out;
  kept.ForEachPresent([&](std::string_view key, std::string_view record) {
    out.emplace_back(std::string(key), std::string(record));
  });
  return out;
}

}  // namespace

TEST_CASE("KeptKeys finds every key it keeps and gives back the present ones in order",
          "[snapshot]") {
  KeptKeys kept;
  CHECK(kept.empty());
  CHECK_FALSE(kept.Contains("k", HashBytes("k")));
  std::vector<std::pair<std::string, std::string>> expected;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    // Every third key did not exist at the point; records of 0 to 300 bytes, some with NULs.
    const bool absent = i % 3 == 0;
    std::string record(static_cast<size_t>(i % 301), static_cast<char>('a' + i % 26));
    if (!record.empty()) record[0] = '\0';
    REQUIRE_FALSE(kept.Contains(key, HashBytes(key)));
    kept.Add(key, HashBytes(key), record, absent);
    if (!absent) expected.emplace_back(key, record);
  }
  CHECK(kept.size() == 20000);
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    REQUIRE(kept.Contains(key, HashBytes(key)));
  }
  CHECK_FALSE(kept.Contains("key:20000", HashBytes("key:20000")));
  CHECK_FALSE(kept.Contains("", HashBytes("")));
  CHECK(Present(kept) == expected);
}

TEST_CASE("KeptKeys tells apart keys whose hashes are equal", "[snapshot]") {
  KeptKeys kept;
  // One hash for all: every lookup walks the same run of slots and must compare the keys.
  for (int i = 0; i < 100; ++i) kept.Add("k" + std::to_string(i), 42, std::to_string(i), false);
  for (int i = 0; i < 100; ++i) CHECK(kept.Contains("k" + std::to_string(i), 42));
  CHECK_FALSE(kept.Contains("k100", 42));
  CHECK_FALSE(kept.Contains("k1", 43));
  const auto present = Present(kept);
  REQUIRE(present.size() == 100);
  CHECK(present[57] == std::make_pair(std::string("k57"), std::string("57")));
}

TEST_CASE("KeptKeys holds records larger than a block, and the empty key", "[snapshot]") {
  KeptKeys kept;
  const std::string big(KeptKeys::kBlockBytes * 3 + 7, 'z');
  kept.Add("small1", HashBytes("small1"), "one", false);
  kept.Add("big", HashBytes("big"), big, false);
  kept.Add("", HashBytes(""), "empty-key", false);
  kept.Add("gone", HashBytes("gone"), "", true);
  CHECK(kept.Contains("big", HashBytes("big")));
  CHECK(kept.Contains("", HashBytes("")));
  CHECK(kept.Contains("gone", HashBytes("gone")));
  const auto present = Present(kept);
  REQUIRE(present.size() == 3);
  CHECK(present[0].second == "one");
  CHECK(present[1].second == big);
  CHECK(present[2] == std::make_pair(std::string(), std::string("empty-key")));
}

TEST_CASE("KeptKeys costs the bytes it keeps plus a small fixed share per key", "[snapshot]") {
  // The reason it exists (see its header): a node-based map cost about 260 bytes per key of
  // this shape.
  KeptKeys kept;
  const std::string record(40, 'r');
  constexpr int kKeys = 100000;
  for (int i = 0; i < kKeys; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "key:%012d", i);
    kept.Add(key, HashBytes(key), record, false);
  }
  const size_t payload = kKeys * (16 + 40);
  CHECK(kept.memory() > payload);
  CHECK(kept.memory() < payload + kKeys * 48);
}

}  // namespace tessera::server
