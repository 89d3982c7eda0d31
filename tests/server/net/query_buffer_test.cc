#include "server/net/query_buffer.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string_view>

namespace tessera::server::net {

TEST_CASE("QueryBuffer keeps the bytes asked for across growing and shrinking", "[net]") {
  QueryBuffer b;
  CHECK(b.size() == 0);
  CHECK(b.data() == nullptr);
  b.Reallocate(16, 0);
  REQUIRE(b.size() == 16);
  std::memcpy(b.data(), "0123456789abcdef", 16);
  b.Reallocate(1 << 20, 10);
  REQUIRE(b.size() == size_t{1} << 20);
  CHECK(std::string_view(b.data(), 10) == "0123456789");
  b.Reallocate(4, 4);
  REQUIRE(b.size() == 4);
  CHECK(std::string_view(b.data(), 4) == "0123");
  b.Reallocate(0, 0);
  CHECK(b.size() == 0);
  CHECK(b.data() == nullptr);
}

}  // namespace tessera::server::net
