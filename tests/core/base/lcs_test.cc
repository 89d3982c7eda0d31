#include "core/base/lcs.h"

#include <catch2/catch.hpp>
#include <string>

using tessera::ComputeLcs;
using tessera::LcsOptions;
using tessera::LcsRange;
using tessera::LcsResult;
using tessera::LcsStatus;

namespace {

LcsOptions Budget(uint64_t bytes) {
  LcsOptions o;
  o.max_table_bytes = bytes;
  return o;
}

}  // namespace

TEST_CASE("LCS of simple strings") {
  LcsResult r;
  REQUIRE(ComputeLcs("ohmytext", "mynewtext", Budget(1 << 20), &r) == LcsStatus::kOk);
  CHECK(r.sequence == "mytext");
  CHECK(r.length == 6);
  CHECK(r.ranges.empty());

  REQUIRE(ComputeLcs("", "abc", Budget(1 << 20), &r) == LcsStatus::kOk);
  CHECK(r.sequence.empty());
  CHECK(r.length == 0);
  REQUIRE(ComputeLcs("abc", "xyz", Budget(1 << 20), &r) == LcsStatus::kOk);
  CHECK(r.length == 0);
  REQUIRE(ComputeLcs(std::string("a\0b", 3), std::string("\0b", 2), Budget(1 << 20), &r) ==
          LcsStatus::kOk);
  CHECK(r.sequence == std::string("\0b", 2));
}

TEST_CASE("LCS ranges are reported from the end, filtered by minimum length") {
  LcsOptions o = Budget(1 << 20);
  o.want_sequence = false;
  o.want_ranges = true;
  LcsResult r;
  REQUIRE(ComputeLcs("ohmytext", "mynewtext", o, &r) == LcsStatus::kOk);
  CHECK(r.length == 6);
  CHECK(r.sequence.empty());
  REQUIRE(r.ranges.size() == 2);
  CHECK(r.ranges[0] == LcsRange{4, 7, 5, 8});
  CHECK(r.ranges[0].length() == 4);
  CHECK(r.ranges[1] == LcsRange{2, 3, 0, 1});

  o.min_range_length = 4;
  REQUIRE(ComputeLcs("ohmytext", "mynewtext", o, &r) == LcsStatus::kOk);
  REQUIRE(r.ranges.size() == 1);
  CHECK(r.ranges[0] == LcsRange{4, 7, 5, 8});
}

TEST_CASE("LCS refuses a table over its byte budget before allocating") {
  LcsResult r;
  r.length = 99;
  // (3+1)*(3+1) cells of 4 bytes = 64 bytes.
  CHECK(ComputeLcs("abc", "abc", Budget(64), &r) == LcsStatus::kOk);
  CHECK(ComputeLcs("abc", "abc", Budget(63), &r) == LcsStatus::kOverBudget);
  CHECK(r.length == 3);  // untouched by the refused call
  std::string big(100000, 'x');
  CHECK(ComputeLcs(big, big, Budget(512ull << 20), &r) == LcsStatus::kOverBudget);
}
