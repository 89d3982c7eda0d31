// Command tests of the geo family (server/commands/geo_family.cc), after Redis 7.2's
// tests/unit/geo.tcl plus every option, error text and order of checks.  Every expected reply
// was read from a real redis-server (7.0.15, whose geo code is 7.2.4's; stored doubles are
// shown in 7.2's shortest form).  Sorted-set contents are read straight from the value, so
// these tests do not depend on the zset family's commands.
#include <catch2/catch.hpp>

#include <cmath>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/numbers.h"
#include "core/keyspace/keyspace.h"
#include "core/keyspace/zset_ops.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

// Runs fn(db) under the lock of key's shard.
template <class Fn>
auto WithDb(CommandTester& t, std::string_view key, Fn&& fn) {
  keyspace::Keyspace& ks = t.server().keyspace();
  std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf(key)).mutex());
  keyspace::DbAccess db(&ks, t.client().db, t.now_ms(), 0);
  return fn(db);
}

// "member score member score ..." in sorted-set order, scores as Redis 7.2 prints them.
std::string Dump(CommandTester& t, std::string_view key) {
  return WithDb(t, key, [&](keyspace::DbAccess& db) {
    std::string out;
    OpResult<types::ZSetValue*> z = keyspace::FindZSet(db, key);
    if (!z.ok() || *z == nullptr) return out;
    for (auto it = (*z)->IterateFrom(0, false); it.valid(); it.Next()) {
      if (!out.empty()) out += ' ';
      out += std::string(it.member()) + ' ' + DoubleToString(it.score());
    }
    return out;
  });
}

// ZSCORE's value, "nil" when missing.
std::string Score(CommandTester& t, std::string_view key, std::string_view member) {
  return WithDb(t, key, [&](keyspace::DbAccess& db) {
    OpResult<types::ZSetValue*> z = keyspace::FindZSet(db, key);
    if (!z.ok() || *z == nullptr) return std::string("nil");
    std::optional<double> s = (*z)->Score(member);
    return s ? DoubleToString(*s) : std::string("nil");
  });
}

// ZADD key score member, for scores GEOADD cannot produce.
void AddScore(CommandTester& t, std::string_view key, double score, std::string_view member) {
  WithDb(t, key, [&](keyspace::DbAccess& db) {
    keyspace::ZAddPair pair{score, member};
    bool ok =
        keyspace::OpZAdd(db, key, keyspace::ZAddFlags{}, {&pair, 1}, types::ZSetLimits{}).ok();
    REQUIRE(ok);
    return 0;
  });
}

}  // namespace

TEST_CASE("GEOADD: options, counts, coordinates, errors", "[geo]") {
  CommandTester t;
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  // GEOADD creates, then counts only new members; CH counts changed scores too.
  CHECK(t.Run({"GEOADD", "nyc", "-73.9454966", "40.747533", "lic market"}) == ":1\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "-73.9454966", "40.747533", "lic market"}) == ":0\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "CH", "40.747533", "-73.9454966", "lic market"}) == ":1\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "NX", "-73.9454966", "40.747533", "lic market"}) == ":0\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "XX", "-83.9454966", "40.747533", "lic market"}) == ":0\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "CH", "NX", "-73.9454966", "40.747533", "lic market"}) == ":0\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "CH", "XX", "-73.9454966", "40.747533", "lic market"}) == ":1\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "xx", "ch", "-73.9454966", "40.747533", "lic market", "1", "1",
               "newone"}) == ":0\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "nx", "ch", "nx", "2", "2", "newtwo", "3", "3", "lic market"}) ==
        ":1\r\n");
  CHECK(Score(t, "nyc", "lic market") == "1791875804419201");
  CHECK(Score(t, "nyc", "newone") == "nil");
  CHECK(Score(t, "nyc", "newtwo") == "3378191666521995");
  // XX on a missing key creates nothing.
  CHECK(t.Run({"GEOADD", "missing", "XX", "1", "1", "a"}) == ":0\r\n");
  CHECK(t.Run({"EXISTS", "missing"}) == ":0\r\n");
  // A later duplicate of a member wins.
  CHECK(t.Run({"GEOADD", "dup", "1", "1", "a", "2", "2", "a"}) == ":1\r\n");
  CHECK(Score(t, "dup", "a") == "3378191666521995");
  // Errors: XX with NX, an unknown option, a dangling argument, no triple at all.
  CHECK(t.Run({"GEOADD", "nyc", "xx", "nx", "-73.9454966", "40.747533", "lic market"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "ch", "xx", "foo", "-73.9454966", "40.747533", "lic market"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "1", "2", "a", "3"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "ch", "ch", "ch"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "ch", "nx", "xx"}) == "-ERR syntax error\r\n");
  // Coordinates: a bad float, out of range, the exact limits; nothing is written on error.
  CHECK(t.Run({"GEOADD", "nyc", "-73.9454966", "40.747533", "lic market", "foo", "bar",
               "luck market"}) == "-ERR value is not a valid float\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "1", "1", "ok", "181", "0", "bad"}) ==
        "-ERR invalid longitude,latitude pair 181.000000,0.000000\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "1", "1", "ok", "0", "85.05112879", "bad"}) ==
        "-ERR invalid longitude,latitude pair 0.000000,85.051129\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "1", "1", "ok", "-180.5", "-86", "bad"}) ==
        "-ERR invalid longitude,latitude pair -180.500000,-86.000000\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "1", "1", "ok", "nan", "0", "bad"}) ==
        "-ERR value is not a valid float\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "1", "1", "ok", "inf", "0", "bad"}) ==
        "-ERR invalid longitude,latitude pair inf,0.000000\r\n");
  CHECK(t.Run({"GEOADD", "nyc", "1", "1", "ok", "1e400", "0", "bad"}) ==
        "-ERR value is not a valid float\r\n");
  CHECK(Score(t, "nyc", "ok") == "nil");
  CHECK(t.Run({"GEOADD", "edges", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "0",
               "0", "origin"}) == ":3\r\n");
  CHECK(Score(t, "edges", "ne") == "13510798882111488");
  CHECK(Score(t, "edges", "sw") == "0");
  CHECK(Score(t, "edges", "origin") == "3377699720527872");
  // Wrong type comes after every argument check.
  CHECK(t.Run({"SET", "str", "x"}) == "+OK\r\n");
  CHECK(t.Run({"GEOADD", "str", "1", "1", "a"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEOADD", "str", "1", "100", "a"}) ==
        "-ERR invalid longitude,latitude pair 1.000000,100.000000\r\n");
}

TEST_CASE("GEODIST GEOHASH GEOPOS, RESP2 and RESP3", "[geo]") {
  CommandTester t;
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  CHECK(t.Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
               "Catania"}) == ":2\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania"}) == "$11\r\n166274.1516\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "m"}) == "$11\r\n166274.1516\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}) == "$8\r\n166.2742\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "KM"}) == "$8\r\n166.2742\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "ft"}) == "$11\r\n545518.8700\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "mi"}) == "$8\r\n103.3182\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "Mi"}) == "$8\r\n103.3182\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Palermo"}) == "$6\r\n0.0000\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "yd"}) ==
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania", "km", "extra"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "nope"}) == "$-1\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "nope", "Palermo"}) == "$-1\r\n");
  CHECK(t.Run({"GEODIST", "nokey", "a", "b"}) == "$-1\r\n");
  CHECK(t.Run({"GEODIST", "nokey", "a", "b", "yd"}) ==
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
  CHECK(t.Run({"GEOHASH", "Sicily", "Palermo", "nope", "Catania"}) ==
        "*3\r\n$11\r\nsqc8b49rny0\r\n$-1\r\n$11\r\nsqdtr74hyu0\r\n");
  CHECK(t.Run({"GEOHASH", "nokey", "a", "b"}) == "*2\r\n$-1\r\n$-1\r\n");
  CHECK(t.Run({"GEOHASH", "Sicily"}) == "*0\r\n");
  CHECK(t.Run({"GEOPOS", "Sicily", "Palermo", "nope", "Catania"}) ==
        "*3\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"
        "*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n");
  CHECK(t.Run({"GEOPOS", "nokey", "a"}) == "*1\r\n*-1\r\n");
  CHECK(t.Run({"GEOPOS", "Sicily"}) == "*0\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "Catania"}) == "$11\r\n166274.1516\r\n");
  CHECK(t.Run({"GEODIST", "Sicily", "Palermo", "nope"}) == "_\r\n");
  CHECK(t.Run({"GEODIST", "nokey", "a", "b"}) == "_\r\n");
  CHECK(t.Run({"GEOHASH", "Sicily", "Palermo", "nope"}) == "*2\r\n$11\r\nsqc8b49rny0\r\n_\r\n");
  CHECK(t.Run({"GEOPOS", "Sicily", "Palermo", "nope"}) ==
        "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n");
  CHECK(t.Run({"GEOPOS", "nokey", "a"}) == "*1\r\n_\r\n");
  CHECK(t.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD",
               "WITHHASH"}) ==
        "*2\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n"
        ",13.36138933897018433\r\n,38.11555639549629859\r\n*4\r\n$7\r\nCatania\r\n$7\r\n"
        "56.4413\r\n:3479447370796909\r\n*2\r\n,15.08726745843887329\r\n"
        ",37.50266842333162032\r\n");
  CHECK(t.Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"}) ==
        "*0\r\n");
  CHECK(t.Run({"GEOSEARCH", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"}) == "*0\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
               "km"}) == ":2\r\n");
  t.set_protocol(2);
}

TEST_CASE("GEORADIUS GEORADIUSBYMEMBER GEOSEARCH: results, order, COUNT, ANY, errors", "[geo]") {
  CommandTester t;
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  CHECK(t.Run({"GEOADD",      "nyc",         "-73.9454966",  "40.747533",
               "lic market",  "-73.9733487", "40.7648057",   "central park n/q/r",
               "-73.9903085", "40.7362513",  "union square", "-74.0131604",
               "40.7126674",  "wtc one",     "-73.7858139",  "40.6428986",
               "jfk",         "-73.9375699", "40.7498929",   "q4",
               "-73.9564142", "40.7480973",  "4545"}) == ":7\r\n");
  CHECK(
      Dump(t, "nyc") ==
      "wtc one 1791873972053020 union square 1791875485187452 central park n/q/r 1791875761332224 "
      "4545 1791875796750882 lic market 1791875804419201 q4 1791875830079666 jfk 1791895905559723");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km", "asc"}) ==
        "*3\r\n$18\r\ncentral park n/q/r\r\n$4\r\n4545\r\n$12\r\nunion square\r\n");
  CHECK(t.Run({"GEORADIUS_RO", "nyc", "-73.9798091", "40.7598464", "3", "km", "ASC"}) ==
        "*3\r\n$18\r\ncentral park n/q/r\r\n$4\r\n4545\r\n$12\r\nunion square\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km"}) ==
        "*3\r\n$18\r\ncentral park n/q/r\r\n$4\r\n4545\r\n$12\r\nunion square\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "bybox", "6", "6",
               "km", "asc"}) ==
        "*4\r\n$18\r\ncentral park n/q/r\r\n$4\r\n4545\r\n$12\r\nunion square\r\n$10\r\n"
        "lic market\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "bybox", "6", "6",
               "km", "withdist", "asc"}) ==
        "*4\r\n*2\r\n$18\r\ncentral park n/q/r\r\n$6\r\n0.7750\r\n*2\r\n$4\r\n4545\r\n$6\r\n"
        "2.3651\r\n*2\r\n$12\r\nunion square\r\n$6\r\n2.7697\r\n*2\r\n$10\r\nlic market\r\n"
        "$6\r\n3.1991\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km", "withdist", "asc"}) ==
        "*3\r\n*2\r\n$18\r\ncentral park n/q/r\r\n$6\r\n0.7750\r\n*2\r\n$4\r\n4545\r\n$6\r\n"
        "2.3651\r\n*2\r\n$12\r\nunion square\r\n$6\r\n2.7697\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "3"}) ==
        "*3\r\n$18\r\ncentral park n/q/r\r\n$4\r\n4545\r\n$12\r\nunion square\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "2",
               "DESC"}) == "*2\r\n$7\r\nwtc one\r\n$2\r\nq4\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "2", "ANY"}) ==
        "*2\r\n$7\r\nwtc one\r\n$12\r\nunion square\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "2", "ANY",
               "ASC"}) == "*2\r\n$12\r\nunion square\r\n$7\r\nwtc one\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "3", "ANY",
               "DESC"}) ==
        "*3\r\n$7\r\nwtc one\r\n$12\r\nunion square\r\n$18\r\ncentral park n/q/r\r\n");
  CHECK(
      t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "100", "ANY"}) ==
      "*6\r\n$7\r\nwtc one\r\n$12\r\nunion square\r\n$18\r\ncentral park n/q/r\r\n$4\r\n"
      "4545\r\n$10\r\nlic market\r\n$2\r\nq4\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "ANY"}) ==
        "-ERR the ANY argument requires COUNT argument\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "0"}) ==
        "-ERR COUNT must be > 0\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "-1"}) ==
        "-ERR COUNT must be > 0\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "10", "km", "COUNT", "x"}) ==
        "-ERR value is not an integer or out of range\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "22", "km", "withdist", "withhash",
               "withcoord", "withdist", "withhash", "withcoord", "count", "1"}) ==
        "*1\r\n*4\r\n$18\r\ncentral park n/q/r\r\n$6\r\n0.7750\r\n:1791875761332224\r\n*2\r\n"
        "$21\r\n-73.97334784269332886\r\n$20\r\n40.76480639569881959\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km", "withhash"}) ==
        "*3\r\n*2\r\n$18\r\ncentral park n/q/r\r\n:1791875761332224\r\n*2\r\n$4\r\n4545\r\n"
        ":1791875796750882\r\n*2\r\n$12\r\nunion square\r\n:1791875485187452\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "7", "km"}) ==
        "*5\r\n$7\r\nwtc one\r\n$12\r\nunion square\r\n$18\r\ncentral park n/q/r\r\n$4\r\n"
        "4545\r\n$10\r\nlic market\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER_RO", "nyc", "wtc one", "7", "km"}) ==
        "*5\r\n$7\r\nwtc one\r\n$12\r\nunion square\r\n$18\r\ncentral park n/q/r\r\n$4\r\n"
        "4545\r\n$10\r\nlic market\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "7", "km", "withdist"}) ==
        "*5\r\n*2\r\n$7\r\nwtc one\r\n$6\r\n0.0000\r\n*2\r\n$12\r\nunion square\r\n$6\r\n"
        "3.2544\r\n*2\r\n$18\r\ncentral park n/q/r\r\n$6\r\n6.7000\r\n*2\r\n$4\r\n4545\r\n"
        "$6\r\n6.1975\r\n*2\r\n$10\r\nlic market\r\n$6\r\n6.8969\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "14", "14", "km"}) ==
        "*6\r\n$7\r\nwtc one\r\n$12\r\nunion square\r\n$18\r\ncentral park n/q/r\r\n$4\r\n"
        "4545\r\n$10\r\nlic market\r\n$2\r\nq4\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "byradius", "7", "km", "withdist",
               "withcoord"}) ==
        "*5\r\n*3\r\n$7\r\nwtc one\r\n$6\r\n0.0000\r\n*2\r\n$21\r\n-74.01316255331039429\r\n"
        "$20\r\n40.71266718145121644\r\n*3\r\n$12\r\nunion square\r\n$6\r\n3.2544\r\n*2\r\n"
        "$21\r\n-73.99031013250350952\r\n$20\r\n40.73625022711770782\r\n*3\r\n$18\r\n"
        "central park n/q/r\r\n$6\r\n6.7000\r\n*2\r\n$21\r\n-73.97334784269332886\r\n$20\r\n"
        "40.76480639569881959\r\n*3\r\n$4\r\n4545\r\n$6\r\n6.1975\r\n*2\r\n$21\r\n"
        "-73.95641237497329712\r\n$20\r\n40.74809751381645384\r\n*3\r\n$10\r\nlic market\r\n"
        "$6\r\n6.8969\r\n*2\r\n$21\r\n-73.94549578428268433\r\n$20\r\n"
        "40.74753227099792952\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "14", "14", "mi", "desc",
               "withhash", "count", "3"}) ==
        "*3\r\n*2\r\n$2\r\nq4\r\n:1791875830079666\r\n*2\r\n$10\r\nlic market\r\n"
        ":1791875804419201\r\n*2\r\n$18\r\ncentral park n/q/r\r\n:1791875761332224\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "byradius", "7", "ft"}) ==
        "*1\r\n$7\r\nwtc one\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "byradius", "0", "km", "withdist"}) ==
        "*1\r\n*2\r\n$7\r\nwtc one\r\n$6\r\n0.0000\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "0", "0", "km", "withdist"}) ==
        "*1\r\n*2\r\n$7\r\nwtc one\r\n$6\r\n0.0000\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "30000", "km", "COUNT", "3",
               "withdist"}) ==
        "*3\r\n*2\r\n$18\r\ncentral park n/q/r\r\n$6\r\n0.7750\r\n*2\r\n$4\r\n4545\r\n$6\r\n"
        "2.3651\r\n*2\r\n$12\r\nunion square\r\n$6\r\n2.7697\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "inf", "km", "COUNT", "2"}) ==
        "*2\r\n$18\r\ncentral park n/q/r\r\n$4\r\n4545\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "1", "km"}) == "*0\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "1", "1", "1", "km"}) == "*0\r\n");
  // Errors, in Redis's order.
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nyc", "nope", "7", "km"}) ==
        "-ERR could not decode requested zset member\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "-7", "km"}) ==
        "-ERR radius cannot be negative\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "seven", "km"}) ==
        "-ERR need numeric radius\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "7", "yards"}) ==
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "200", "0", "7", "km"}) ==
        "-ERR invalid longitude,latitude pair 200.000000,0.000000\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km", "frommember", "x"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km", "store"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEORADIUS_RO", "nyc", "-73.9798091", "40.7598464", "3", "km", "store", "dst"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "3", "km", "store", "dst",
               "withdist"}) ==
        "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
        "options\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "frommember", "xxx",
               "bybox", "6", "6", "km", "asc"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "bybox", "3", "3", "km", "asc", "desc", "withhash", "withdist",
               "withcoord"}) ==
        "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "byradius", "3", "km",
               "bybox", "3", "3", "km", "asc"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "asc", "desc",
               "withhash", "withdist", "withcoord"}) ==
        "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "nope", "bybox", "3", "3", "km"}) ==
        "-ERR could not decode requested zset member\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "3", "-3", "km"}) ==
        "-ERR height or width cannot be negative\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "3", "x", "km"}) ==
        "-ERR need numeric height\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "x", "3", "km"}) ==
        "-ERR need numeric width\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "3", "3", "yd"}) ==
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "3", "3"}) ==
        "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "3", "3", "km", "store",
               "dst"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "3", "3", "km",
               "storedist"}) == "-ERR syntax error\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "3", "3", "km", "any"}) ==
        "-ERR the ANY argument requires COUNT argument\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "nyc", "frommember", "wtc one", "bybox", "3", "3", "km",
               "withcoord"}) ==
        "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "nyc", "frommember", "wtc one", "bybox", "3", "3", "km",
               "store", "x"}) == "-ERR syntax error\r\n");
  // A missing source: an empty array, or 0 (argument errors still come first).
  CHECK(t.Run({"GEORADIUS", "nokey", "1", "1", "1", "km"}) == "*0\r\n");
  CHECK(t.Run({"GEORADIUS", "nokey", "1", "1", "-1", "km"}) ==
        "-ERR radius cannot be negative\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nokey", "nope", "-1", "yd"}) == "*0\r\n");
  CHECK(t.Run({"GEOSEARCH", "nokey", "frommember", "nope", "bybox", "1", "1", "km"}) == "*0\r\n");
  CHECK(t.Run({"GEOSEARCH", "nokey", "frommember", "nope", "bybox", "1", "1", "km", "any"}) ==
        "-ERR the ANY argument requires COUNT argument\r\n");
  // Wrong type first.
  CHECK(t.Run({"SET", "str", "x"}) == "+OK\r\n");
  CHECK(t.Run({"GEORADIUS", "str", "1", "1", "1", "km"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEORADIUS", "str", "1", "100", "1", "km"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "str", "m", "1", "km"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEOSEARCH", "str", "frommember", "m", "bybox", "1", "1", "km"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "str", "frommember", "m", "bybox", "1", "1", "km"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "str", "nyc", "frommember", "nope", "bybox", "1", "1", "km"}) ==
        "-ERR could not decode requested zset member\r\n");
  CHECK(t.Run({"GEODIST", "str", "a", "b"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEOHASH", "str", "a"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(t.Run({"GEOPOS", "str", "a"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  t.set_protocol(3);
  CHECK(t.Run({"GEORADIUS", "nyc", "-73.9798091", "40.7598464", "22", "km", "withdist", "withhash",
               "withcoord", "count", "2"}) ==
        "*2\r\n*4\r\n$18\r\ncentral park n/q/r\r\n$6\r\n0.7750\r\n:1791875761332224\r\n*2\r\n"
        ",-73.97334784269332886\r\n,40.76480639569881959\r\n*4\r\n$4\r\n4545\r\n$6\r\n"
        "2.3651\r\n:1791875796750882\r\n*2\r\n,-73.95641237497329712\r\n"
        ",40.74809751381645384\r\n");
  CHECK(t.Run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "1", "km"}) == "*0\r\n");
}

TEST_CASE("GEORADIUS STORE/STOREDIST and GEOSEARCHSTORE", "[geo]") {
  CommandTester t;
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  CHECK(t.Run({"GEOADD", "points", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
               "Catania", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"}) ==
        ":4\r\n");
  // STORE keeps the geohash scores; STOREDIST stores distances in the query's unit.
  CHECK(t.Run({"GEORADIUS", "points", "13.361389", "38.115556", "500", "km", "store", "dst"}) ==
        ":4\r\n");
  CHECK(Dump(t, "dst") ==
        "Palermo 3479099956230698 edge1 3479273021651468 Catania 3479447370796909 edge2 "
        "3481342659049484");
  CHECK(t.Run({"GEORADIUS", "points", "13.361389", "38.115556", "500", "km", "storedist", "dst"}) ==
        ":4\r\n");
  CHECK(Dump(t, "dst") ==
        "Palermo 5.305637438600993e-5 edge1 91.40067772806817 Catania 166.27416107465282 edge2 "
        "346.1273436235788");
  CHECK(t.Run({"GEORADIUS", "points", "13.361389", "38.115556", "500", "km", "storedist", "dst",
               "COUNT", "2", "DESC"}) == ":2\r\n");
  CHECK(Dump(t, "dst") == "Catania 166.27416107465282 edge2 346.1273436235788");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "points", "Palermo", "100", "mi", "store", "dst"}) == ":2\r\n");
  CHECK(Dump(t, "dst") == "Palermo 3479099956230698 edge1 3479273021651468");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "points", "Palermo", "100", "mi", "storedist", "dst"}) ==
        ":2\r\n");
  CHECK(Dump(t, "dst") == "Palermo 0 edge1 56.79387736948953");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "frommember", "Palermo", "byradius", "200",
               "km"}) == ":3\r\n");
  CHECK(Dump(t, "dst") ==
        "Palermo 3479099956230698 edge1 3479273021651468 Catania 3479447370796909");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "frommember", "Palermo", "bybox", "400", "400",
               "km", "storedist", "count", "3", "asc"}) == ":3\r\n");
  CHECK(Dump(t, "dst") == "Palermo 0 edge1 91.40065860581427 Catania 166.27415156960032");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "fromlonlat", "15", "37", "bybox", "400", "400",
               "ft", "storedist"}) == ":0\r\n");
  CHECK(Dump(t, "dst") == "");
  // An empty result deletes the destination and answers 0.
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "fromlonlat", "15", "37", "byradius", "1",
               "m"}) == ":0\r\n");
  CHECK(t.Run({"EXISTS", "dst"}) == ":0\r\n");
  CHECK(t.Run({"SET", "dst", "x"}) == "+OK\r\n");
  CHECK(t.Run({"GEORADIUS", "points", "0", "0", "1", "km", "store", "dst"}) == ":0\r\n");
  CHECK(t.Run({"EXISTS", "dst"}) == ":0\r\n");
  // The destination is replaced whatever it held, and loses its TTL.
  CHECK(t.Run({"SET", "dst", "x", "EX", "100"}) == "+OK\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "fromlonlat", "15", "37", "byradius", "200",
               "km"}) == ":2\r\n");
  CHECK(t.Run({"TYPE", "dst"}) == "+zset\r\n");
  CHECK(t.Run({"TTL", "dst"}) == ":-1\r\n");
  // A missing source deletes the destination too.
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "nokey", "fromlonlat", "15", "37", "byradius", "200",
               "km"}) == ":0\r\n");
  CHECK(t.Run({"EXISTS", "dst"}) == ":0\r\n");
  CHECK(t.Run({"SET", "dst", "x"}) == "+OK\r\n");
  CHECK(t.Run({"GEORADIUS", "nokey", "15", "37", "200", "km", "store", "dst"}) == ":0\r\n");
  CHECK(t.Run({"EXISTS", "dst"}) == ":0\r\n");
  CHECK(t.Run({"SET", "dst", "x"}) == "+OK\r\n");
  CHECK(t.Run({"GEORADIUSBYMEMBER", "nokey", "nope", "200", "km", "storedist", "dst"}) == ":0\r\n");
  CHECK(t.Run({"EXISTS", "dst"}) == ":0\r\n");
  // The source may be the destination.
  CHECK(t.Run({"GEOADD", "self", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
               "Catania"}) == ":2\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "self", "self", "fromlonlat", "15", "37", "byradius", "100", "km",
               "storedist"}) == ":1\r\n");
  CHECK(Dump(t, "self") == "Catania 56.4412578701582");
  // The last STORE or STOREDIST wins.
  CHECK(t.Run({"GEORADIUS", "points", "15", "37", "200", "km", "store", "a", "storedist", "b"}) ==
        ":2\r\n");
  CHECK(t.Run({"EXISTS", "a", "b"}) == ":1\r\n");
  CHECK(t.Run({"GEORADIUS", "points", "15", "37", "200", "km", "storedist", "b", "store", "a",
               "COUNT", "1"}) == ":1\r\n");
  CHECK(t.Run({"EXISTS", "a", "b"}) == ":2\r\n");
  CHECK(Dump(t, "a") == "Catania 3479447370796909");
}

TEST_CASE("Geo results stored with Redis's sorted-set encodings", "[geo]") {
  CommandTester t;
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  CHECK(t.Run({"GEOADD", "points", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
               "Catania", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"}) ==
        ":4\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "points"}) == "$8\r\nlistpack\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "fromlonlat", "15", "37", "byradius", "500",
               "km"}) == ":4\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "dst"}) == "$8\r\nlistpack\r\n");
  CHECK(t.Run({"CONFIG", "SET", "zset-max-listpack-entries", "3"}) == "+OK\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "fromlonlat", "15", "37", "byradius", "500",
               "km"}) == ":4\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "dst"}) == "$8\r\nskiplist\r\n");
  CHECK(t.Run({"GEOSEARCHSTORE", "dst", "points", "fromlonlat", "15", "37", "byradius", "500", "km",
               "count", "3"}) == ":3\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "dst"}) == "$8\r\nlistpack\r\n");
  CHECK(t.Run({"GEOADD", "big", "1", "1", "a", "2", "2", "b", "3", "3", "c", "4", "4", "d"}) ==
        ":4\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "big"}) == "$8\r\nskiplist\r\n");
  CHECK(t.Run({"CONFIG", "SET", "zset-max-listpack-entries", "128"}) == "+OK\r\n");
  CHECK(t.Run({"CONFIG", "SET", "zset-max-listpack-value", "5"}) == "+OK\r\n");
  CHECK(t.Run({"GEOADD", "long", "1", "1", "abcdef"}) == ":1\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "long"}) == "$8\r\nskiplist\r\n");
  CHECK(t.Run({"GEORADIUS", "points", "15", "37", "500", "km", "store", "dst2"}) == ":4\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "dst2"}) == "$8\r\nskiplist\r\n");
  CHECK(t.Run({"GEOADD", "points", "15", "37", "longmember"}) == ":1\r\n");
  CHECK(t.Run({"GEORADIUS", "points", "15", "37", "500", "km", "store", "dst2"}) == ":5\r\n");
  CHECK(t.Run({"OBJECT", "ENCODING", "dst2"}) == "$8\r\nskiplist\r\n");
  CHECK(t.Run({"CONFIG", "SET", "zset-max-listpack-value", "64"}) == "+OK\r\n");
}

TEST_CASE("GEOPOS and GEOHASH of scores GEOADD cannot produce", "[geo]") {
  CommandTester t;
  // Negative and huge scores wrap like the C cast on x86-64; every score decodes.
  AddScore(t, "z", -1.0, "neg");
  AddScore(t, "z", INFINITY, "pinf");
  AddScore(t, "z", -INFINITY, "ninf");
  AddScore(t, "z", 1e300, "huge");
  AddScore(t, "z", 4503599627370495.0, "top");
  AddScore(t, "z", 4503599627370496.0, "over");
  AddScore(t, "z", 0.5, "half");
  CHECK(t.Run({"GEOPOS", "z", "neg", "pinf", "ninf", "huge", "top", "over", "half"}) ==
        "*7\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*2\r\n$22\r\n"
        "-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$3\r\n180\r\n$21\r\n"
        "-85.05112751263942528\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n"
        "-85.05112751263942528\r\n*2\r\n$21\r\n179.99999731779098511\r\n$20\r\n"
        "85.05112751263942528\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$19\r\n"
        "85.0511287799999991\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n"
        "-85.05112751263942528\r\n");
  CHECK(t.Run({"GEOHASH", "z", "neg", "pinf", "ninf", "huge", "top", "over", "half"}) ==
        "*7\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj200\r\n$11\r\n"
        "00bh0hbj200\r\n$11\r\nzzpgzgpfxz0\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n");
  CHECK(t.Run({"GEODIST", "z", "neg", "ninf"}) == "$13\r\n18919844.5891\r\n");
  CHECK(t.Run({"GEODIST", "z", "top", "half", "km"}) == "$10\r\n18919.8444\r\n");
  CHECK(t.Run({"GEOSEARCH", "z", "fromlonlat", "0", "0", "byradius", "10000", "km"}) == "*0\r\n");
  CHECK(t.Run({"GEOSEARCH", "z", "frommember", "top", "byradius", "1", "km", "withcoord"}) ==
        "*1\r\n*2\r\n$3\r\ntop\r\n*2\r\n$21\r\n179.99999731779098511\r\n$20\r\n"
        "85.05112751263942528\r\n");
}

TEST_CASE("GEOSEARCH COUNT orders equal distances as Redis's partial sort", "[geo]") {
  CommandTester t;
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  // Many members share a few positions: COUNT orders ties as Redis's partial quicksort does,
  // a full sort keeps them in scan order.
  CHECK(t.Run({"GEOADD", "ties", "1.000", "1.001", "p00", "1.000", "0.999", "p01", "1.000",
               "1.001",  "p02",  "1.000", "1.001", "p03", "1.000", "0.999", "p04", "1.000",
               "0.999",  "p05",  "1.001", "1.000", "p06", "1.001", "1.000", "p07", "1.000",
               "0.999",  "p08",  "1.000", "1.001", "p09", "1.002", "1.002", "p10", "1.000",
               "0.999",  "p11",  "1.001", "1.000", "p12", "1.000", "1.000", "p13", "1.000",
               "1.001",  "p14",  "0.999", "1.000", "p15", "1.001", "1.000", "p16", "1.000",
               "1.000",  "p17",  "1.000", "0.999", "p18", "1.002", "1.002", "p19", "1.002",
               "1.002",  "p20",  "1.000", "1.000", "p21", "1.000", "0.999", "p22", "1.000",
               "1.001",  "p23",  "1.000", "1.001", "p24", "1.002", "1.002", "p25", "1.002",
               "1.002",  "p26",  "1.000", "0.999", "p27", "1.002", "1.002", "p28", "1.001",
               "1.000",  "p29",  "1.000", "0.999", "p30", "1.000", "1.000", "p31", "1.000",
               "0.999",  "p32",  "1.000", "1.000", "p33", "1.000", "1.000", "p34", "1.000",
               "1.000",  "p35",  "1.001", "1.000", "p36", "1.001", "1.000", "p37", "1.000",
               "0.999",  "p38",  "1.000", "1.000", "p39", "1.000", "1.001", "p40", "0.999",
               "1.000",  "p41",  "1.000", "1.001", "p42", "1.000", "0.999", "p43", "1.001",
               "1.000",  "p44",  "1.000", "0.999", "p45", "1.001", "1.000", "p46", "1.002",
               "1.002",  "p47",  "0.999", "1.000", "p48", "1.000", "1.001", "p49", "1.000",
               "1.000",  "p50",  "1.002", "1.002", "p51", "1.000", "1.000", "p52", "1.000",
               "1.001",  "p53",  "1.002", "1.002", "p54", "0.999", "1.000", "p55", "1.000",
               "1.001",  "p56",  "1.000", "0.999", "p57", "1.000", "1.000", "p58", "1.002",
               "1.002",  "p59"}) == ":60\r\n");
  CHECK(t.Run({"GEOSEARCH", "ties", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "ASC", "COUNT",
               "9"}) ==
        "*9\r\n$3\r\np35\r\n$3\r\np39\r\n$3\r\np50\r\n$3\r\np52\r\n$3\r\np58\r\n$3\r\np13\r\n"
        "$3\r\np17\r\n$3\r\np21\r\n$3\r\np31\r\n");
  CHECK(t.Run({"GEOSEARCH", "ties", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "DESC", "COUNT",
               "45"}) ==
        "*45\r\n$3\r\np19\r\n$3\r\np10\r\n$3\r\np47\r\n$3\r\np54\r\n$3\r\np51\r\n$3\r\n"
        "p59\r\n$3\r\np28\r\n$3\r\np26\r\n$3\r\np25\r\n$3\r\np20\r\n$3\r\np14\r\n$3\r\n"
        "p03\r\n$3\r\np02\r\n$3\r\np00\r\n$3\r\np56\r\n$3\r\np53\r\n$3\r\np49\r\n$3\r\n"
        "p42\r\n$3\r\np40\r\n$3\r\np24\r\n$3\r\np23\r\n$3\r\np09\r\n$3\r\np38\r\n$3\r\n"
        "p01\r\n$3\r\np04\r\n$3\r\np05\r\n$3\r\np08\r\n$3\r\np11\r\n$3\r\np18\r\n$3\r\n"
        "p22\r\n$3\r\np27\r\n$3\r\np30\r\n$3\r\np32\r\n$3\r\np43\r\n$3\r\np45\r\n$3\r\n"
        "p57\r\n$3\r\np41\r\n$3\r\np48\r\n$3\r\np55\r\n$3\r\np15\r\n$3\r\np29\r\n$3\r\n"
        "p16\r\n$3\r\np12\r\n$3\r\np07\r\n$3\r\np06\r\n");
  CHECK(t.Run({"GEOSEARCH", "ties", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "ASC"}) ==
        "*60\r\n$3\r\np13\r\n$3\r\np17\r\n$3\r\np21\r\n$3\r\np31\r\n$3\r\np33\r\n$3\r\n"
        "p34\r\n$3\r\np35\r\n$3\r\np39\r\n$3\r\np50\r\n$3\r\np52\r\n$3\r\np58\r\n$3\r\n"
        "p06\r\n$3\r\np07\r\n$3\r\np12\r\n$3\r\np16\r\n$3\r\np29\r\n$3\r\np36\r\n$3\r\n"
        "p37\r\n$3\r\np44\r\n$3\r\np46\r\n$3\r\np15\r\n$3\r\np41\r\n$3\r\np48\r\n$3\r\n"
        "p55\r\n$3\r\np01\r\n$3\r\np04\r\n$3\r\np05\r\n$3\r\np08\r\n$3\r\np11\r\n$3\r\n"
        "p18\r\n$3\r\np22\r\n$3\r\np27\r\n$3\r\np30\r\n$3\r\np32\r\n$3\r\np38\r\n$3\r\n"
        "p43\r\n$3\r\np45\r\n$3\r\np57\r\n$3\r\np00\r\n$3\r\np02\r\n$3\r\np03\r\n$3\r\n"
        "p09\r\n$3\r\np14\r\n$3\r\np23\r\n$3\r\np24\r\n$3\r\np40\r\n$3\r\np42\r\n$3\r\n"
        "p49\r\n$3\r\np53\r\n$3\r\np56\r\n$3\r\np10\r\n$3\r\np19\r\n$3\r\np20\r\n$3\r\n"
        "p25\r\n$3\r\np26\r\n$3\r\np28\r\n$3\r\np47\r\n$3\r\np51\r\n$3\r\np54\r\n$3\r\n"
        "p59\r\n");
  CHECK(t.Run({"GEORADIUS", "ties", "1", "1", "1", "km", "DESC", "COUNT", "59"}) ==
        "*59\r\n$3\r\np19\r\n$3\r\np10\r\n$3\r\np47\r\n$3\r\np54\r\n$3\r\np51\r\n$3\r\n"
        "p59\r\n$3\r\np28\r\n$3\r\np26\r\n$3\r\np25\r\n$3\r\np20\r\n$3\r\np14\r\n$3\r\n"
        "p03\r\n$3\r\np02\r\n$3\r\np00\r\n$3\r\np56\r\n$3\r\np53\r\n$3\r\np49\r\n$3\r\n"
        "p42\r\n$3\r\np40\r\n$3\r\np24\r\n$3\r\np23\r\n$3\r\np09\r\n$3\r\np38\r\n$3\r\n"
        "p01\r\n$3\r\np04\r\n$3\r\np05\r\n$3\r\np08\r\n$3\r\np11\r\n$3\r\np18\r\n$3\r\n"
        "p22\r\n$3\r\np27\r\n$3\r\np30\r\n$3\r\np32\r\n$3\r\np43\r\n$3\r\np45\r\n$3\r\n"
        "p57\r\n$3\r\np41\r\n$3\r\np48\r\n$3\r\np55\r\n$3\r\np15\r\n$3\r\np29\r\n$3\r\n"
        "p16\r\n$3\r\np12\r\n$3\r\np07\r\n$3\r\np06\r\n$3\r\np44\r\n$3\r\np46\r\n$3\r\n"
        "p37\r\n$3\r\np36\r\n$3\r\np58\r\n$3\r\np34\r\n$3\r\np33\r\n$3\r\np31\r\n$3\r\n"
        "p21\r\n$3\r\np17\r\n$3\r\np13\r\n$3\r\np39\r\n$3\r\np50\r\n$3\r\np52\r\n");
}

TEST_CASE("Geo commands in COMMAND INFO and COMMAND GETKEYS", "[geo]") {
  CommandTester t;
  // Key specs: GEORADIUS's STORE and STOREDIST keys are keyword specs, as in Redis.
  CHECK(t.Run({"COMMAND", "INFO", "georadius"}) ==
        "*1\r\n*10\r\n$9\r\ngeoradius\r\n:-6\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n"
        ":1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@geo\r\n+@slow\r\n*0\r\n*3\r\n*6\r\n$5\r\n"
        "flags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
        "index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\n"
        "type\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n"
        ":1\r\n$5\r\nlimit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\n"
        "begin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\nspec\r\n*4\r\n$7\r\n"
        "keyword\r\n$5\r\nSTORE\r\n$9\r\nstartfrom\r\n:6\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\n"
        "type\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n"
        ":1\r\n$5\r\nlimit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\n"
        "begin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\nspec\r\n*4\r\n$7\r\n"
        "keyword\r\n$9\r\nSTOREDIST\r\n$9\r\nstartfrom\r\n:6\r\n$9\r\nfind_keys\r\n*4\r\n"
        "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\n"
        "keystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
  CHECK(t.Run({"COMMAND", "INFO", "georadiusbymember_ro", "geosearchstore"}) ==
        "*2\r\n*10\r\n$20\r\ngeoradiusbymember_ro\r\n:-5\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n"
        ":1\r\n*3\r\n+@read\r\n+@geo\r\n+@slow\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n"
        "+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\n"
        "spec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
        "range\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n"
        "limit\r\n:0\r\n*0\r\n*10\r\n$14\r\ngeosearchstore\r\n:-8\r\n*2\r\n+write\r\n"
        "+denyoom\r\n:1\r\n:2\r\n:1\r\n*3\r\n+@write\r\n+@geo\r\n+@slow\r\n*0\r\n*2\r\n*6\r\n"
        "$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n"
        "$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n"
        "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\n"
        "keystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
        "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\n"
        "index\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
        "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "georadius", "k", "1", "2", "3", "km", "storedist",
               "d"}) ==
        "*2\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nd\r\n*2\r\n+OW\r\n"
        "+update\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "georadiusbymember", "k", "m", "3", "km", "store",
               "d"}) ==
        "*2\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nd\r\n*2\r\n+OW\r\n"
        "+update\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "georadius", "k", "1", "2", "3", "km"}) ==
        "*1\r\n$1\r\nk\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "geosearchstore", "d", "s", "fromlonlat", "1", "1", "byradius",
               "1", "km"}) == "*2\r\n$1\r\nd\r\n$1\r\ns\r\n");
  // GETKEYS finds the first STORE and STOREDIST keys, as Redis's key specs do.
  CHECK(t.Run({"COMMAND", "GETKEYS", "georadius", "k", "1", "2", "3", "km", "store", "a",
               "storedist", "b"}) == "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "georadius", "k", "1", "2", "3", "km", "storedist", "b",
               "store", "a"}) == "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "georadius", "k", "1", "2", "3", "km", "count", "5", "store",
               "a"}) == "*2\r\n$1\r\nk\r\n$1\r\na\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "georadiusbymember", "k", "m", "3", "store", "a", "storedist",
               "b", "store", "c"}) == "*3\r\n$1\r\nk\r\n$1\r\nc\r\n$1\r\nb\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "georadiusbymember", "k", "m", "3", "km", "store", "a"}) ==
        "*2\r\n$1\r\nk\r\n$1\r\na\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYS", "georadiusbymember", "k", "m", "3", "km"}) ==
        "*1\r\n$1\r\nk\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "georadius", "k", "1", "2", "3", "km", "storedist",
               "b", "store", "a"}) ==
        "*3\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n"
        "+update\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n");
}

TEST_CASE("Geo extremes: infinite sizes, poles, antimeridian, antipodes", "[geo]") {
  CommandTester t;
  CHECK(t.Run({"FLUSHALL"}) == "+OK\r\n");
  // Extremes: infinite and huge sizes, signed zero, the antimeridian, the poles, antipodes.
  CHECK(t.Run({"GEOADD",  "e",   "13.361389",   "38.115556", "Palermo", "15.087269",    "37.502669",
               "Catania", "180", "85.05112878", "ne",        "-180",    "-85.05112878", "sw",
               "0",       "0",   "o",           "179.9",     "0",       "am",           "-179.9",
               "0",       "am2"}) == ":7\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "km", "ASC"}) ==
        "*6\r\n$1\r\no\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n$2\r\nsw\r\n$2\r\nam\r\n$3\r\n"
        "am2\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "1e308", "km", "ASC",
               "WITHDIST"}) ==
        "*6\r\n*2\r\n$1\r\no\r\n$6\r\n0.0003\r\n*2\r\n$7\r\nCatania\r\n$9\r\n4449.6961\r\n"
        "*2\r\n$7\r\nPalermo\r\n$9\r\n4454.7332\r\n*2\r\n$2\r\nsw\r\n$10\r\n10560.8118\r\n"
        "*2\r\n$2\r\nam\r\n$10\r\n20009.6113\r\n*2\r\n$3\r\nam2\r\n$10\r\n20009.6113\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYBOX", "inf", "inf", "m", "ASC"}) ==
        "*6\r\n$1\r\no\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n$2\r\nsw\r\n$2\r\nam\r\n$3\r\n"
        "am2\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYBOX", "1e30", "1", "m"}) ==
        "*3\r\n$1\r\no\r\n$2\r\nam\r\n$3\r\nam2\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "-0", "m", "WITHDIST"}) ==
        "*0\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "0x10", "m"}) ==
        "*1\r\n$1\r\no\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", " 1", "m"}) ==
        "-ERR need numeric radius\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "", "m"}) ==
        "-ERR need numeric radius\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "1e-320", "m", "WITHDIST"}) ==
        "*0\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "COUNT",
               "9223372036854775807", "ANY"}) ==
        "*4\r\n$1\r\no\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n$2\r\nsw\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "COUNT",
               "9223372036854775808"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "COUNT",
               "-9223372036854775808"}) == "-ERR COUNT must be > 0\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "180", "0", "BYRADIUS", "50", "km", "WITHDIST"}) ==
        "*1\r\n*2\r\n$2\r\nam\r\n$7\r\n11.1227\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "-180", "0", "BYBOX", "100", "100", "km",
               "WITHDIST"}) ==
        "*2\r\n*2\r\n$3\r\nam2\r\n$7\r\n11.1227\r\n*2\r\n$2\r\nam\r\n$7\r\n11.1227\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "180", "85.05112878", "BYRADIUS", "100", "km",
               "WITHDIST", "WITHCOORD"}) ==
        "*1\r\n*3\r\n$2\r\nne\r\n$6\r\n0.0000\r\n*2\r\n$3\r\n180\r\n$19\r\n"
        "85.0511287799999991\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "-180", "-85.05112878", "BYBOX", "5000", "5000",
               "km", "WITHDIST", "WITHCOORD"}) ==
        "*1\r\n*3\r\n$2\r\nsw\r\n$6\r\n0.0001\r\n*2\r\n$22\r\n-179.99999731779098511\r\n"
        "$21\r\n-85.05112751263942528\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMMEMBER", "ne", "BYRADIUS", "20000", "km", "WITHDIST",
               "DESC"}) ==
        "*5\r\n*2\r\n$1\r\no\r\n$10\r\n10560.8115\r\n*2\r\n$2\r\nam\r\n$9\r\n9459.9231\r\n"
        "*2\r\n$7\r\nCatania\r\n$9\r\n6371.6769\r\n*2\r\n$7\r\nPalermo\r\n$9\r\n6307.3627\r\n"
        "*2\r\n$2\r\nne\r\n$6\r\n0.0000\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "20037", "km", "WITHDIST",
               "DESC", "COUNT", "3"}) ==
        "*3\r\n*2\r\n$2\r\nam\r\n$10\r\n20009.6113\r\n*2\r\n$3\r\nam2\r\n$10\r\n"
        "20009.6113\r\n*2\r\n$2\r\nsw\r\n$10\r\n10560.8118\r\n");
  CHECK(t.Run({"GEODIST", "e", "ne", "sw"}) == "$13\r\n18919844.5891\r\n");
  CHECK(t.Run({"GEODIST", "e", "am", "am2", "km"}) == "$7\r\n22.2454\r\n");
  CHECK(t.Run({"GEODIST", "e", "o", "ne", "mi"}) == "$9\r\n6562.2003\r\n");
  CHECK(t.Run({"GEORADIUS", "e", "0", "0", "20015.087", "km", "WITHDIST"}) ==
        "*6\r\n*2\r\n$1\r\no\r\n$6\r\n0.0003\r\n*2\r\n$7\r\nPalermo\r\n$9\r\n4454.7332\r\n"
        "*2\r\n$7\r\nCatania\r\n$9\r\n4449.6961\r\n*2\r\n$2\r\nam\r\n$10\r\n20009.6113\r\n"
        "*2\r\n$3\r\nam2\r\n$10\r\n20009.6113\r\n*2\r\n$2\r\nsw\r\n$10\r\n10560.8118\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "20015.087", "km", "WITHDIST",
               "COUNT", "1", "DESC"}) == "*1\r\n*2\r\n$2\r\nam\r\n$10\r\n20009.6113\r\n");
  CHECK(t.Run({"GEOADD", "e", "0.0000001", "-0.0000001", "tinyneg"}) == ":1\r\n");
  CHECK(t.Run({"GEOPOS", "e", "tinyneg"}) ==
        "*1\r\n*2\r\n$19\r\n0.00000268220901489\r\n$20\r\n-0.00000126736058093\r\n");
  CHECK(t.Run({"GEOHASH", "e", "tinyneg", "am", "am2"}) ==
        "*3\r\n$11\r\nkpbpbpbpbp0\r\n$11\r\nxbpbj8p0jb0\r\n$11\r\n8000420b400\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMLONLAT", "1e-300", "-1e-300", "BYRADIUS", "1", "m",
               "WITHDIST"}) ==
        "*2\r\n*2\r\n$1\r\no\r\n$6\r\n0.3300\r\n*2\r\n$7\r\ntinyneg\r\n$6\r\n0.3300\r\n");
  CHECK(t.Run({"GEOADD", "e", "-0", "-0", "negzero"}) == ":1\r\n");
  CHECK(t.Run({"GEOPOS", "e", "negzero"}) ==
        "*1\r\n*2\r\n$19\r\n0.00000268220901489\r\n$19\r\n0.00000126736058093\r\n");
  CHECK(t.Run({"GEOADD", "e", "180", "0", "anti", "90", "0", "q1", "-90", "0", "q3", "0",
               "85.05112878", "np", "0", "-85.05112878", "sp"}) == ":5\r\n");
  CHECK(t.Run({"GEODIST", "e", "o", "anti"}) == "$13\r\n20020733.6202\r\n");
  CHECK(t.Run({"GEODIST", "e", "q1", "q3"}) == "$13\r\n20020733.7314\r\n");
  CHECK(t.Run({"GEODIST", "e", "np", "sp", "km"}) == "$10\r\n18919.8446\r\n");
  CHECK(
      t.Run({"GEOSEARCH", "e", "FROMMEMBER", "o", "BYRADIUS", "20037", "km", "WITHDIST", "ASC"}) ==
      "*11\r\n*2\r\n$7\r\nnegzero\r\n$6\r\n0.0000\r\n*2\r\n$1\r\no\r\n$6\r\n0.0000\r\n"
      "*2\r\n$7\r\ntinyneg\r\n$6\r\n0.0003\r\n*2\r\n$7\r\nCatania\r\n$9\r\n4449.6959\r\n"
      "*2\r\n$7\r\nPalermo\r\n$9\r\n4454.7330\r\n*2\r\n$2\r\nsp\r\n$9\r\n9459.9224\r\n"
      "*2\r\n$2\r\nq1\r\n$10\r\n10010.3670\r\n*2\r\n$2\r\nq3\r\n$10\r\n10010.3670\r\n*2\r\n"
      "$2\r\nsw\r\n$10\r\n10560.8119\r\n*2\r\n$2\r\nam\r\n$10\r\n20009.6110\r\n*2\r\n$3\r\n"
      "am2\r\n$10\r\n20009.6116\r\n");
  CHECK(t.Run({"GEOSEARCH", "e", "FROMMEMBER", "q1", "BYBOX", "40075", "20000", "km", "WITHDIST",
               "DESC", "COUNT", "4"}) ==
        "*4\r\n*2\r\n$2\r\nq3\r\n$10\r\n20020.7337\r\n*2\r\n$3\r\nam2\r\n$10\r\n"
        "10021.4894\r\n*2\r\n$2\r\nsp\r\n$10\r\n10010.3671\r\n*2\r\n$2\r\nsw\r\n$10\r\n"
        "10010.3671\r\n");
}

}  // namespace tessera::server
