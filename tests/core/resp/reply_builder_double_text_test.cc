#include <catch2/catch.hpp>
#include <string>

#include "core/resp/reply_builder.h"

using tessera::resp::ReplyBuilder;

TEST_CASE("ReplyBuilder::DoubleText: bulk in RESP2, double in RESP3", "[resp]") {
  std::string out;
  ReplyBuilder r2(&out, 2);
  r2.DoubleText("13.36138933897018433");
  CHECK(out == "$20\r\n13.36138933897018433\r\n");
  out.clear();
  ReplyBuilder r3(&out, 3);
  r3.DoubleText("-179.99999731779098511");
  r3.DoubleText("180");
  CHECK(out == ",-179.99999731779098511\r\n,180\r\n");
}
