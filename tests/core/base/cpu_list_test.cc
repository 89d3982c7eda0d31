#include "core/base/cpu_list.h"

#include <catch2/catch.hpp>
#include <vector>

namespace tessera {

using Cpus = std::vector<int>;

TEST_CASE("ParseCpuList reads CPUs, ranges and strides", "[cpulist]") {
  CHECK(ParseCpuList("0") == Cpus{0});
  CHECK(ParseCpuList("0-3") == Cpus{0, 1, 2, 3});
  CHECK(ParseCpuList("0-7:2") == Cpus{0, 2, 4, 6});
  CHECK(ParseCpuList("1,3-4,8-12:3") == Cpus{1, 3, 4, 8, 11});
  CHECK(ParseCpuList("5-5") == Cpus{5});
  CHECK(ParseCpuList("2,2") == Cpus{2, 2});
}

TEST_CASE("ParseCpuList refuses what Redis's setcpuaffinity leaves alone", "[cpulist]") {
  CHECK_FALSE(ParseCpuList("").has_value());
  CHECK_FALSE(ParseCpuList("x").has_value());
  CHECK_FALSE(ParseCpuList("-1").has_value());
  CHECK_FALSE(ParseCpuList("1-").has_value());
  CHECK_FALSE(ParseCpuList("1,").has_value());
  CHECK_FALSE(ParseCpuList("1,,2").has_value());
  CHECK_FALSE(ParseCpuList("3-1").has_value());    // runs down
  CHECK_FALSE(ParseCpuList("0-4:0").has_value());  // no stride
  CHECK_FALSE(ParseCpuList("0-4:").has_value());
  CHECK_FALSE(ParseCpuList("1x").has_value());  // bytes after the last item
  CHECK_FALSE(ParseCpuList("0-3 ").has_value());
}

TEST_CASE("ParseCpuList keeps Redis's leniencies inside an item", "[cpulist]") {
  // Redis reads the numbers and separators of an item and skips other bytes before the next
  // comma; only the last item must end the text.
  CHECK(ParseCpuList("1x,2") == Cpus{1, 2});
  CHECK(ParseCpuList("1-3x,5") == Cpus{1, 2, 3, 5});
  CHECK(ParseCpuList("0-6:3y,9") == Cpus{0, 3, 6, 9});
}

TEST_CASE("ParseCpuList leaves out CPUs a cpu_set_t cannot hold", "[cpulist]") {
  CHECK(ParseCpuList("2000") == Cpus{});
  const auto huge = ParseCpuList("1020-99999999999999999999");
  REQUIRE(huge.has_value());
  CHECK(*huge == Cpus{1020, 1021, 1022, 1023});
}

}  // namespace tessera
