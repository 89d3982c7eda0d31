// Geohash arithmetic with Redis 7.2's exact numbers (GEOADD scores, GEOPOS, GEOHASH, GEODIST).
//
// A point is stored as a sorted-set score: a 52-bit geohash, 26 bits of latitude and 26 of
// longitude interleaved (latitude in the even bits, longitude in the odd bits, most significant
// pair first).  The latitude range is Web Mercator's -85.05112878..85.05112878, not -90..90, so
// scores are not standard geohashes; GEOHASH re-encodes over -90..90 to print the usual string.
//
// Every formula keeps Redis's order of floating-point operations (and uses the same libm
// functions) because clients see the results to 17 digits: a reordered sum changes the last
// digit of GEOPOS or GEODIST.  The bit work is written independently (lane spreading with
// shifts, neighbours by index arithmetic) and gives the same bits as Redis's, including for
// the edge cell of longitude 180 whose index is 2^step, one past the last.
//
// Pure functions; no allocation except GeohashString's result.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::geo {

inline constexpr int kStepMax = 26;  // bits per coordinate: 52-bit scores
inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
// Earth's quadratic mean radius for WGS-84, as Redis uses it for every distance.
inline constexpr double kEarthRadiusMeters = 6372797.560856;

// A cell: `step` bits per coordinate, interleaved into the low 2*step bits of `bits`.
// {0, 0} is the "no cell" marker of a pruned neighbour.
struct HashBits {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool IsZero() const { return bits == 0 && step == 0; }
  bool operator==(const HashBits&) const = default;
};

struct Range {
  double min = 0;
  double max = 0;
};

// The rectangle a cell covers.
struct Area {
  HashBits hash;
  Range lon;
  Range lat;
};

// True iff Redis accepts the pair (GEOADD, FROMLONLAT, GEORADIUS): both within the limits
// above, bounds included.  NaN never gets here (the float parser refuses it).
bool ValidLonLat(double lon, double lat);

// Encodes (lon, lat) into a cell of `step` bits per coordinate over the given ranges.
// Returns false (and leaves *out unspecified) if step is not 1..32, the point is outside the
// Web Mercator limits, or outside the ranges.
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, HashBits* out);
// Encode over the Web Mercator ranges (the score encoding).
bool EncodeWgs84(double lon, double lat, int step, HashBits* out);

// The cell's bits shifted to 52 bits: the score of a step-26 cell, the first score inside a
// coarser cell.
uint64_t Align52(HashBits hash);

// The rectangle of a cell over the Web Mercator ranges.  Returns false for a zero cell.
bool Decode(HashBits hash, Area* out);

// The centre of a cell, clamped to the limits (the position GEOPOS reports).
bool DecodeToLonLat(HashBits hash, double* lon, double* lat);

// A sorted-set score read back as a step-26 cell.  Scores are doubles; like Redis's C cast on
// x86-64 (cvttsd2si), a negative or huge score wraps instead of being refused, so GEOPOS on a
// sorted set that was not built by GEOADD reports whatever cell those bits name.
HashBits ScoreToHash(double score);
// ScoreToHash then DecodeToLonLat.  Always succeeds for a score (the step is never zero).
bool DecodeScore(double score, double* lon, double* lat);
// The score GEOADD stores for a valid point.
uint64_t EncodeScore(double lon, double lat);

// The eight cells around `hash` at the same step.  Longitude wraps around the antimeridian and
// latitude around the poles, as in Redis (the search prunes the useless ones).
struct Neighbors {
  HashBits north, south, east, west;
  HashBits north_east, north_west, south_east, south_west;
};
Neighbors ComputeNeighbors(HashBits hash);

// GEOHASH's 11-character string for a score: the decoded point re-encoded over lon -180..180,
// lat -90..90 at 26 bits each, as 10 base-32 digits plus a final '0' (52 bits fill only ten).
std::string GeohashString(double score);

// Great-circle distance in meters (haversine), Redis's geohashGetDistance.
double Distance(double lon1, double lat1, double lon2, double lat2);
// Distance along a meridian, Redis's geohashGetLatDistance.
double LatDistance(double lat1, double lat2);

// Redis's fixedpoint_d2string(d, 4) as GEODIST and WITHDIST print it: d * 10^4 rounded with
// llrint (ties to even), printed with exactly four decimals ("0.0000", "-0.5000").
std::string FormatDistance(double d);

}  // namespace tessera::geo
