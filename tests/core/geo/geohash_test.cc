// Expected values were read from a real redis-server (7.0.15, whose geo code is 7.2.4's):
// GEOADD then ZSCORE / GEOPOS / GEOHASH / GEODIST, and ZADD of foreign scores then GEOPOS.
#include "core/geo/geohash.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "core/base/numbers.h"

namespace geo = tessera::geo;

namespace {

// GEOPOS's rendering of a coordinate (addReplyHumanLongDouble).
std::string Human(double v) { return tessera::LongDoubleToHumanString(v); }

std::string PosOf(double score) {
  double lon = 0, lat = 0;
  REQUIRE(geo::DecodeScore(score, &lon, &lat));
  return Human(lon) + " " + Human(lat);
}

}  // namespace

TEST_CASE("geohash: GEOADD scores", "[geo]") {
  CHECK(geo::EncodeScore(13.361389, 38.115556) == 3479099956230698ull);
  CHECK(geo::EncodeScore(15.087269, 37.502669) == 3479447370796909ull);
  CHECK(geo::EncodeScore(-122.4194, 37.7749) == 1367859919124626ull);
  CHECK(geo::EncodeScore(2.2944813, 48.8583701) == 3663832614286749ull);
  CHECK(geo::EncodeScore(0, 0) == 3377699720527872ull);
  CHECK(geo::EncodeScore(-0.0001, 0.0001) == 1876499844738231ull);
  CHECK(geo::EncodeScore(179.9999, -85) == 3002400025540839ull);
  CHECK(geo::EncodeScore(-180, -85.05112878) == 0);
  // The upper bounds give index 2^26, one past the last cell: bits 52 and 53 are set.
  CHECK(geo::EncodeScore(180, 85.05112878) == 13510798882111488ull);
}

TEST_CASE("geohash: limits", "[geo]") {
  CHECK(geo::ValidLonLat(180, 85.05112878));
  CHECK(geo::ValidLonLat(-180, -85.05112878));
  CHECK_FALSE(geo::ValidLonLat(180.0000001, 0));
  CHECK_FALSE(geo::ValidLonLat(-180.0000001, 0));
  CHECK_FALSE(geo::ValidLonLat(0, 85.05112879));
  CHECK_FALSE(geo::ValidLonLat(0, -85.05112879));
  geo::HashBits h;
  CHECK_FALSE(geo::EncodeWgs84(0, 86, 26, &h));
  CHECK_FALSE(geo::EncodeWgs84(0, 0, 0, &h));
  CHECK_FALSE(geo::EncodeWgs84(0, 0, 33, &h));
}

TEST_CASE("geohash: GEOPOS of GEOADD scores", "[geo]") {
  CHECK(PosOf(3479099956230698.0) == "13.36138933897018433 38.11555639549629859");
  CHECK(PosOf(3479447370796909.0) == "15.08726745843887329 37.50266842333162032");
  CHECK(PosOf(13510798882111488.0) == "180 85.0511287799999991");
  CHECK(PosOf(0) == "-179.99999731779098511 -85.05112751263942528");
  CHECK(PosOf(3377699720527872.0) == "0.00000268220901489 0.00000126736058093");
  CHECK(PosOf(1367859919124626.0) == "-122.41940170526504517 37.77490001056577995");
  CHECK(PosOf(3002400025540839.0) == "179.99990075826644897 -84.99999965213439168");
  CHECK(PosOf(1876499844738231.0) == "-0.00009924173355103 0.00010012148579364");
}

TEST_CASE("geohash: GEOPOS of foreign scores wraps like the C cast", "[geo]") {
  const std::string kMinMin = "-179.99999731779098511 -85.05112751263942528";
  CHECK(PosOf(-1) == "180 85.0511287799999991");
  CHECK(PosOf(INFINITY) == kMinMin);
  CHECK(PosOf(-INFINITY) == "180 -85.05112751263942528");
  CHECK(PosOf(1152921504606846976.0) == "-179.99999731779098511 85.0511287799999991");
  CHECK(PosOf(1e300) == kMinMin);
  CHECK(PosOf(-1e300) == "180 -85.05112751263942528");
  CHECK(PosOf(4503599627370495.0) == "179.99999731779098511 85.05112751263942528");
  CHECK(PosOf(4503599627370496.0) == "-179.99999731779098511 85.0511287799999991");
  CHECK(PosOf(9223372036854775808.0) == "180 -85.05112751263942528");
  CHECK(PosOf(18446744073709551615.0) == kMinMin);
  CHECK(PosOf(0.5) == kMinMin);
}

TEST_CASE("geohash: GEOHASH strings", "[geo]") {
  CHECK(geo::GeohashString(3479099956230698.0) == "sqc8b49rny0");
  CHECK(geo::GeohashString(3479447370796909.0) == "sqdtr74hyu0");
  CHECK(geo::GeohashString(13510798882111488.0) == "bp05b5048p0");
  CHECK(geo::GeohashString(0) == "00bh0hbj200");
  CHECK(geo::GeohashString(3377699720527872.0) == "s0000000000");
  CHECK(geo::GeohashString(1367859919124626.0) == "9q8yyk8ytp0");
  CHECK(geo::GeohashString(3002400025540839.0) == "pbzurypzje0");
  CHECK(geo::GeohashString(3663832614286749.0) == "u09tunqu9k0");
  CHECK(geo::GeohashString(1876499844738231.0) == "ebpbpbpbtd0");
  CHECK(geo::GeohashString(4503599627370495.0) == "zzpgzgpfxz0");
  CHECK(geo::GeohashString(-INFINITY) == "00bh0hbj200");
}

TEST_CASE("geohash: GEODIST distances and their rendering", "[geo]") {
  auto dist = [](double s1, double s2, double to_meters) {
    double lon1, lat1, lon2, lat2;
    geo::DecodeScore(s1, &lon1, &lat1);
    geo::DecodeScore(s2, &lon2, &lat2);
    return geo::FormatDistance(geo::Distance(lon1, lat1, lon2, lat2) / to_meters);
  };
  const double palermo = 3479099956230698.0, catania = 3479447370796909.0;
  const double sf = 1367859919124626.0, eiffel = 3663832614286749.0;
  const double ne = 13510798882111488.0, sw = 0, origin = 3377699720527872.0,
               tiny = 1876499844738231.0;
  CHECK(dist(palermo, catania, 1) == "166274.1516");
  CHECK(dist(palermo, catania, 1000) == "166.2742");
  CHECK(dist(palermo, catania, 0.3048) == "545518.8700");
  CHECK(dist(palermo, catania, 1609.34) == "103.3182");
  CHECK(dist(sf, eiffel, 1) == "8952987.8054");
  CHECK(dist(sf, eiffel, 0.3048) == "29373319.5716");
  CHECK(dist(ne, sw, 1) == "18919844.5891");
  CHECK(dist(ne, sw, 1609.34) == "11756.2756");
  CHECK(dist(origin, tiny, 1) == "15.7928");
  CHECK(dist(origin, tiny, 1000) == "0.0158");
  CHECK(dist(origin, tiny, 1609.34) == "0.0098");
  CHECK(dist(palermo, palermo, 1) == "0.0000");
}

TEST_CASE("geohash: fixed-point distance rendering", "[geo]") {
  CHECK(geo::FormatDistance(0) == "0.0000");
  CHECK(geo::FormatDistance(-0.0) == "0.0000");
  CHECK(geo::FormatDistance(0.5) == "0.5000");
  CHECK(geo::FormatDistance(0.005) == "0.0050");
  CHECK(geo::FormatDistance(0.00004) == "0.0000");
  CHECK(geo::FormatDistance(-0.5) == "-0.5000");
  CHECK(geo::FormatDistance(12345.67891) == "12345.6789");
  // llrint rounds half to even: 0.00005 * 10^4 is 0.5 (exactly, in binary a little above).
  CHECK(geo::FormatDistance(1.00005) == "1.0001");
  CHECK(geo::FormatDistance(NAN) == "-922337203685477.5808");
}

TEST_CASE("geohash: meridian distance shortcut", "[geo]") {
  // Same longitude: the arc along the meridian, R * |dlat| in radians.
  CHECK(geo::Distance(10, 0, 10, 1) == geo::LatDistance(0, 1));
  CHECK(geo::LatDistance(0, 1) == Approx(111226.29).epsilon(1e-7));
  CHECK(geo::LatDistance(1, 0) == geo::LatDistance(0, 1));
}

TEST_CASE("geohash: neighbours move one cell and wrap", "[geo]") {
  geo::HashBits h;
  REQUIRE(geo::EncodeWgs84(0.5, 0.5, 2, &h));  // lat index 2, lon index 2 of 4
  // The cell's (lon, lat) indexes at step 2: four columns and four rows.
  using P = std::pair<long, long>;
  auto lanes = [](geo::HashBits c) {
    geo::Area a;
    REQUIRE(geo::Decode(c, &a));
    long lon = std::lround((a.lon.min + 180) / 90);
    long lat = std::lround((a.lat.min - geo::kLatMin) / (2 * geo::kLatMax / 4));
    return std::pair<long, long>(lon, lat);
  };
  geo::Neighbors n = geo::ComputeNeighbors(h);
  CHECK(lanes(h) == P(2, 2));
  CHECK(lanes(n.east) == P(3, 2));
  CHECK(lanes(n.west) == P(1, 2));
  CHECK(lanes(n.north) == P(2, 3));
  CHECK(lanes(n.south) == P(2, 1));
  CHECK(lanes(n.north_east) == P(3, 3));
  CHECK(lanes(n.south_west) == P(1, 1));

  // East of the last column wraps to the first; the latitude lane is untouched.
  REQUIRE(geo::EncodeWgs84(179, 0.5, 2, &h));
  n = geo::ComputeNeighbors(h);
  CHECK(lanes(n.east) == P(0, 2));
  CHECK(lanes(n.north_east) == P(0, 3));
  // Longitude 180 has index 2^step (4); moving masks the moved lane back into range.
  REQUIRE(geo::EncodeWgs84(180, 0.5, 2, &h));
  n = geo::ComputeNeighbors(h);
  CHECK(lanes(n.east) == P(1, 2));
  CHECK(lanes(n.west) == P(3, 2));
  CHECK(lanes(n.north) == P(4, 3));
}

TEST_CASE("geohash: Align52 and decode of coarse cells", "[geo]") {
  geo::HashBits h{0b1011, 2};
  CHECK(geo::Align52(h) == (0b1011ull << 48));
  geo::Area a;
  REQUIRE(geo::Decode(h, &a));
  // 0b1011: lat lane (even bits) 0b01, lon lane (odd bits) 0b11.
  CHECK(a.lon.min == 90);
  CHECK(a.lon.max == 180);
  CHECK(a.lat.min == -85.05112878 + 0.25 * (2 * 85.05112878));
  CHECK_FALSE(geo::Decode(geo::HashBits{}, &a));
}
