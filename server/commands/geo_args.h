// Argument parsing of the geo commands, apart from the handlers so it can be tested alone.
//
// GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and GEOSEARCHSTORE share one
// parser, as they share georadiusGeneric() in Redis 7.2, and it checks in Redis's order: the
// fixed arguments first (centre, then radius and unit), then the options left to right, each
// option validated as it is met (a FROMMEMBER that names a missing member fails before a later
// syntax error), then the cross-option rules.  The order matters because only the first error
// is reported.  The caller has already looked the key up (WRONGTYPE comes before anything
// here); a member's position is found through `locate`, which is null when the key is missing
// (then FROMMEMBER and GEORADIUSBYMEMBER's member, radius and unit are not checked, as in
// Redis).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/geo/search_area.h"
#include "server/commands/command.h"

namespace tessera::server {

// Which command is parsed (Redis's georadiusGeneric flags).
enum GeoMode : uint32_t {
  kGeoByCoords = 1u << 0,     // GEORADIUS[_RO] key lon lat radius unit
  kGeoByMember = 1u << 1,     // GEORADIUSBYMEMBER[_RO] key member radius unit
  kGeoNoStore = 1u << 2,      // the _RO forms: no STORE / STOREDIST
  kGeoSearch = 1u << 3,       // GEOSEARCH key FROMxxx BYxxx ...
  kGeoSearchStore = 1u << 4,  // GEOSEARCHSTORE dest key ...: STOREDIST is a bare flag
};

struct GeoQuery {
  enum class Sort : uint8_t { kNone, kAsc, kDesc };
  geo::Shape shape;
  bool with_dist = false;
  bool with_hash = false;
  bool with_coord = false;
  Sort sort = Sort::kNone;
  bool any = false;         // stop scanning once `count` points are found
  int64_t count = 0;        // 0: no limit
  int store_index = -1;     // argument index of the destination key; -1: reply instead
  bool store_dist = false;  // store distances instead of geohash scores
};

// Finds a member's position; false if it is not in the sorted set.
using GeoMemberLocator = std::function<bool(std::string_view member, double* lon, double* lat)>;

// Parses args (args[0] is the command name as sent, used in two error texts).  Returns true
// and fills *out, or returns false with the full error text (e.g. "ERR syntax error") in
// *error.  `locate` is null when the source key does not exist.
bool ParseGeoQuery(ArgList args, uint32_t mode, const GeoMemberLocator* locate, GeoQuery* out,
                   std::string* error);

// Reads "lon lat" as Redis's extractLongLatOrReply: two floats within the Web Mercator limits.
// On failure sets *error ("ERR value is not a valid float" or "ERR invalid longitude,latitude
// pair <lon>,<lat>" with %f) and returns false.
bool ParseLonLat(std::string_view lon_arg, std::string_view lat_arg, double* lon, double* lat,
                 std::string* error);

// Reads a unit (m, km, ft, mi, any case) as meters per unit; false for anything else.
bool ParseGeoUnit(std::string_view arg, double* to_meters);

}  // namespace tessera::server
