#include "core/base/sha1.h"

#include <catch2/catch.hpp>

#include <string>

namespace tessera {

TEST_CASE("Sha1 matches the FIPS 180 test vectors", "[sha1]") {
  CHECK(ToHex(Sha1::Of("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(ToHex(Sha1::Of("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(ToHex(Sha1::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(ToHex(Sha1::Of(std::string(1000000, 'a'))) ==
        "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("Sha1 gives the same digest however the input is split", "[sha1]") {
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + i % 26);
  Sha1::Digest whole = Sha1::Of(text);
  for (size_t step : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 128u}) {
    Sha1 h;
    for (size_t i = 0; i < text.size(); i += step) h.Update(std::string_view(text).substr(i, step));
    CHECK(h.Final() == whole);
  }
}

}  // namespace tessera
