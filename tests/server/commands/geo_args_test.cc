// The geo option parser alone: every error text and the order of checks, as Redis 7.2's
// georadiusGeneric() gives them (texts checked against a real redis-server).
#include "server/commands/geo_args.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using tessera::server::GeoMemberLocator;
using tessera::server::GeoQuery;
using tessera::server::ParseGeoQuery;
namespace srv = tessera::server;

namespace {

struct Parsed {
  bool ok = false;
  std::string error;
  GeoQuery q;
};

// A sorted set holding one member "a" at (1, 2); `exists` false parses as for a missing key.
Parsed Parse(std::vector<std::string_view> args, uint32_t mode, bool exists = true) {
  GeoMemberLocator locate = [](std::string_view m, double* lon, double* lat) {
    if (m != "a") return false;
    *lon = 1;
    *lat = 2;
    return true;
  };
  Parsed p;
  p.ok = ParseGeoQuery(args, mode, exists ? &locate : nullptr, &p.q, &p.error);
  return p;
}

constexpr uint32_t kSearch = srv::kGeoSearch;
constexpr uint32_t kSearchStore = srv::kGeoSearch | srv::kGeoSearchStore;
constexpr uint32_t kRadius = srv::kGeoByCoords;
constexpr uint32_t kRadiusRo = srv::kGeoByCoords | srv::kGeoNoStore;
constexpr uint32_t kByMember = srv::kGeoByMember;

}  // namespace

TEST_CASE("geo args: GEOSEARCH shapes and options", "[geo]") {
  Parsed p = Parse({"GEOSEARCH", "k", "FROMLONLAT", "10", "20", "BYBOX", "3", "4", "KM", "withdist",
                    "WITHHASH", "WithCoord", "DESC", "COUNT", "5", "ANY"},
                   kSearch);
  REQUIRE(p.ok);
  CHECK(p.q.shape.kind == tessera::geo::Shape::Kind::kBox);
  CHECK(p.q.shape.lon == 10);
  CHECK(p.q.shape.lat == 20);
  CHECK(p.q.shape.width == 3);
  CHECK(p.q.shape.height == 4);
  CHECK(p.q.shape.to_meters == 1000);
  CHECK(p.q.with_dist);
  CHECK(p.q.with_hash);
  CHECK(p.q.with_coord);
  CHECK(p.q.sort == GeoQuery::Sort::kDesc);
  CHECK(p.q.count == 5);
  CHECK(p.q.any);
  CHECK(p.q.store_index == -1);

  p = Parse({"GEOSEARCH", "k", "FROMMEMBER", "a", "BYRADIUS", "7", "mi", "ASC"}, kSearch);
  REQUIRE(p.ok);
  CHECK(p.q.shape.kind == tessera::geo::Shape::Kind::kCircle);
  CHECK(p.q.shape.lon == 1);
  CHECK(p.q.shape.lat == 2);
  CHECK(p.q.shape.radius == 7);
  CHECK(p.q.shape.to_meters == 1609.34);
  CHECK(p.q.sort == GeoQuery::Sort::kAsc);

  p = Parse({"GEOSEARCH", "k", "FROMMEMBER", "a", "BYRADIUS", "7", "ft"}, kSearch);
  REQUIRE(p.ok);
  CHECK(p.q.shape.to_meters == 0.3048);
}

TEST_CASE("geo args: GEOSEARCH errors", "[geo]") {
  CHECK(
      Parse({"GEOSEARCH", "k", "FROMLONLAT", "200", "100", "BYRADIUS", "1", "m"}, kSearch).error ==
      "ERR invalid longitude,latitude pair 200.000000,100.000000");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "inf", "0", "BYRADIUS", "1", "m"}, kSearch).error ==
        "ERR invalid longitude,latitude pair inf,0.000000");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "nan", "0", "BYRADIUS", "1", "m"}, kSearch).error ==
        "ERR value is not a valid float");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "-1", "km"}, kSearch).error ==
        "ERR radius cannot be negative");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "x", "km"}, kSearch).error ==
        "ERR need numeric radius");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "yd"}, kSearch).error ==
        "ERR unsupported unit provided. please use M, KM, FT, MI");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYBOX", "x", "y", "m"}, kSearch).error ==
        "ERR need numeric width");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYBOX", "1", "y", "m"}, kSearch).error ==
        "ERR need numeric height");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYBOX", "1", "-1", "m"}, kSearch).error ==
        "ERR height or width cannot be negative");
  CHECK(Parse({"GEOSEARCH", "k", "FROMMEMBER", "b", "BYRADIUS", "1", "km"}, kSearch).error ==
        "ERR could not decode requested zset member");
  // A missing key does not check the member.
  CHECK(Parse({"GEOSEARCH", "k", "FROMMEMBER", "b", "BYRADIUS", "1", "km"}, kSearch, false).ok);
  // Both FROMs, both BYs: the second is a syntax error.
  CHECK(Parse({"GEOSEARCH", "k", "BYRADIUS", "1", "km", "FROMLONLAT", "1", "1", "FROMMEMBER", "a"},
              kSearch)
            .error == "ERR syntax error");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "BYBOX", "1", "1",
               "km"},
              kSearch)
            .error == "ERR syntax error");
  // An option missing its arguments is a syntax error.
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "BYBOX", "1", "1"}, kSearch).error ==
        "ERR syntax error");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "COUNT"}, kSearch)
            .error == "ERR syntax error");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "COUNT", "0"}, kSearch).error ==
        "ERR COUNT must be > 0");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "COUNT", "x"}, kSearch).error ==
        "ERR value is not an integer or out of range");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "STORE", "d"}, kSearch).error ==
        "ERR syntax error");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "STOREDIST"}, kSearch).error ==
        "ERR syntax error");
  CHECK(Parse({"geosearch", "k", "BYRADIUS", "1", "km"}, kSearch).error ==
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch");
  CHECK(Parse({"GeoSearch", "k", "FROMLONLAT", "1", "1"}, kSearch).error ==
        "ERR exactly one of BYRADIUS and BYBOX can be specified for GeoSearch");
  CHECK(Parse({"GEOSEARCH", "k", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "ANY"}, kSearch)
            .error == "ERR the ANY argument requires COUNT argument");
  // Order: the missing FROM is reported before the missing BY and before ANY.
  CHECK(Parse({"GEOSEARCH", "k", "ANY"}, kSearch).error ==
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH");
}

TEST_CASE("geo args: GEOSEARCHSTORE", "[geo]") {
  Parsed p = Parse(
      {"GEOSEARCHSTORE", "d", "k", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STOREDIST"},
      kSearchStore);
  REQUIRE(p.ok);
  CHECK(p.q.store_index == 1);
  CHECK(p.q.store_dist);
  CHECK(
      Parse({"GEOSEARCHSTORE", "d", "k", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "WITHDIST"},
            kSearchStore)
          .error ==
      "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
  // The incompatibility is reported before the missing FROM.
  CHECK(Parse({"GEOSEARCHSTORE", "d", "k", "WITHHASH"}, kSearchStore).error ==
        "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
}

TEST_CASE("geo args: GEORADIUS and GEORADIUSBYMEMBER", "[geo]") {
  Parsed p =
      Parse({"GEORADIUS", "k", "1", "2", "3", "km", "STORE", "d1", "STOREDIST", "d2"}, kRadius);
  REQUIRE(p.ok);
  CHECK(p.q.store_index == 9);
  CHECK(p.q.store_dist);
  CHECK(p.q.shape.radius == 3);
  p = Parse({"GEORADIUS", "k", "1", "2", "3", "km", "STOREDIST", "d1", "STORE", "d2"}, kRadius);
  REQUIRE(p.ok);
  CHECK(p.q.store_index == 9);
  CHECK_FALSE(p.q.store_dist);
  CHECK(Parse({"GEORADIUS", "k", "1", "2", "3", "km", "STORE", "d", "WITHCOORD"}, kRadius).error ==
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
        "options");
  CHECK(Parse({"GEORADIUS_RO", "k", "1", "2", "3", "km", "STORE", "d"}, kRadiusRo).error ==
        "ERR syntax error");
  CHECK(Parse({"GEORADIUS", "k", "1", "2", "3", "km", "FROMMEMBER", "a"}, kRadius).error ==
        "ERR syntax error");
  CHECK(Parse({"GEORADIUS", "k", "1", "100", "3", "km"}, kRadius).error ==
        "ERR invalid longitude,latitude pair 1.000000,100.000000");
  CHECK(Parse({"GEORADIUS", "k", "1", "2", "3", "yd"}, kRadius).error ==
        "ERR unsupported unit provided. please use M, KM, FT, MI");
  // The fixed arguments are checked even for a missing key.
  CHECK(Parse({"GEORADIUS", "k", "1", "2", "-3", "km"}, kRadius, false).error ==
        "ERR radius cannot be negative");

  p = Parse({"GEORADIUSBYMEMBER", "k", "a", "3", "m", "COUNT", "2"}, kByMember);
  REQUIRE(p.ok);
  CHECK(p.q.shape.lon == 1);
  CHECK(p.q.count == 2);
  CHECK(Parse({"GEORADIUSBYMEMBER", "k", "b", "3", "m"}, kByMember).error ==
        "ERR could not decode requested zset member");
  // The member is looked up before the radius is read.
  CHECK(Parse({"GEORADIUSBYMEMBER", "k", "b", "x", "m"}, kByMember).error ==
        "ERR could not decode requested zset member");
  CHECK(Parse({"GEORADIUSBYMEMBER", "k", "a", "x", "m"}, kByMember).error ==
        "ERR need numeric radius");
  // A missing key skips the member, radius and unit, but not the options.
  CHECK(Parse({"GEORADIUSBYMEMBER", "k", "b", "x", "yd"}, kByMember, false).ok);
  CHECK(Parse({"GEORADIUSBYMEMBER", "k", "b", "x", "yd", "bad"}, kByMember, false).error ==
        "ERR syntax error");
}
