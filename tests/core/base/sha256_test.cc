#include "core/base/sha256.h"

#include <catch2/catch.hpp>

#include <string>

namespace tessera {

TEST_CASE("Sha256Hex matches the FIPS 180 test vectors", "[sha256]") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // What ACL GETUSER shows for `>foobar` in Redis.
  CHECK(Sha256Hex("foobar") == "c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2");
  CHECK(Sha256Hex(std::string("a\0b", 3)) != Sha256Hex("a"));
}

TEST_CASE("ConstantTimeEquals is plain equality", "[sha256]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
  CHECK(ConstantTimeEquals("", ""));
}

}  // namespace tessera
