#include "core/geo/geohash.h"

#include <cmath>
#include <cstdio>

namespace tessera::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;

double DegToRad(double deg) { return deg * kDegToRad; }

constexpr Range kLonRange{kLonMin, kLonMax};
constexpr Range kLatRange{kLatMin, kLatMax};

// Moves the 32 bits of v to the even bit positions of the result (bit i -> bit 2i).
uint64_t SpreadToEven(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full;
  x = (x | (x << 2)) & 0x3333333333333333ull;
  x = (x | (x << 1)) & 0x5555555555555555ull;
  return x;
}

// The inverse of SpreadToEven: gathers the even bits of v (odd bits ignored).
uint32_t GatherEven(uint64_t v) {
  uint64_t x = v & 0x5555555555555555ull;
  x = (x | (x >> 1)) & 0x3333333333333333ull;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0Full;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFull;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFull;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFull;
  return static_cast<uint32_t>(x);
}

uint64_t Interleave(uint32_t lat_index, uint32_t lon_index) {
  return SpreadToEven(lat_index) | (SpreadToEven(lon_index) << 1);
}

bool RangeIsZero(Range r) { return r.min == 0 && r.max == 0; }

// x86-64's cvttsd2si: truncation toward zero, 0x8000000000000000 for NaN and out-of-range.
uint64_t TruncateLikeCvttsd2si(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return 1ull << 63;
  return static_cast<uint64_t>(static_cast<int64_t>(d));
}

// Moves one lane (a coordinate's index) of a cell by d cells, modulo 2^step; the other lane
// keeps all its bits.
HashBits Move(HashBits h, int dlon, int dlat) {
  uint32_t lat = GatherEven(h.bits);
  uint32_t lon = GatherEven(h.bits >> 1);
  uint32_t mask = h.step >= 32 ? 0xFFFFFFFFu : ((1u << h.step) - 1);
  if (dlon != 0) lon = (lon + static_cast<uint32_t>(dlon)) & mask;
  if (dlat != 0) lat = (lat + static_cast<uint32_t>(dlat)) & mask;
  return HashBits{Interleave(lat, lon), h.step};
}

}  // namespace

bool ValidLonLat(double lon, double lat) {
  return !(lon < kLonMin || lon > kLonMax || lat < kLatMin || lat > kLatMax);
}

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, HashBits* out) {
  if (step > 32 || step <= 0 || RangeIsZero(lat_range) || RangeIsZero(lon_range)) return false;
  if (!ValidLonLat(lon, lat)) return false;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) {
    return false;
  }
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  const double cells = static_cast<double>(1ull << step);
  lat_offset *= cells;
  lon_offset *= cells;
  out->bits = Interleave(static_cast<uint32_t>(lat_offset), static_cast<uint32_t>(lon_offset));
  out->step = static_cast<uint8_t>(step);
  return true;
}

bool EncodeWgs84(double lon, double lat, int step, HashBits* out) {
  return Encode(kLonRange, kLatRange, lon, lat, step, out);
}

uint64_t Align52(HashBits hash) { return hash.bits << (52 - hash.step * 2); }

bool Decode(HashBits hash, Area* out) {
  if (hash.IsZero()) return false;
  out->hash = hash;
  const uint32_t lat_index = GatherEven(hash.bits);
  const uint32_t lon_index = GatherEven(hash.bits >> 1);
  const double cells = static_cast<double>(1ull << hash.step);
  const double lat_scale = kLatRange.max - kLatRange.min;
  const double lon_scale = kLonRange.max - kLonRange.min;
  // The index + 1 wraps in 32 bits, as Redis's does for the (foreign) score that names the
  // last possible index.
  const uint32_t lat_next = lat_index + 1;
  const uint32_t lon_next = lon_index + 1;
  out->lat.min = kLatRange.min + (static_cast<double>(lat_index) / cells) * lat_scale;
  out->lat.max = kLatRange.min + (static_cast<double>(lat_next) / cells) * lat_scale;
  out->lon.min = kLonRange.min + (static_cast<double>(lon_index) / cells) * lon_scale;
  out->lon.max = kLonRange.min + (static_cast<double>(lon_next) / cells) * lon_scale;
  return true;
}

bool DecodeToLonLat(HashBits hash, double* lon, double* lat) {
  Area area;
  if (!Decode(hash, &area)) return false;
  double x = (area.lon.min + area.lon.max) / 2;
  if (x > kLonMax) x = kLonMax;
  if (x < kLonMin) x = kLonMin;
  double y = (area.lat.min + area.lat.max) / 2;
  if (y > kLatMax) y = kLatMax;
  if (y < kLatMin) y = kLatMin;
  *lon = x;
  *lat = y;
  return true;
}

HashBits ScoreToHash(double score) {
  // gcc's double -> uint64 conversion on x86-64: signed truncation below 2^63, otherwise
  // truncation of (score - 2^63) with the top bit flipped.
  constexpr double kTwo63 = 9223372036854775808.0;
  uint64_t bits;
  if (score < kTwo63) {
    bits = TruncateLikeCvttsd2si(score);
  } else {
    bits = TruncateLikeCvttsd2si(score - kTwo63) ^ (1ull << 63);
  }
  return HashBits{bits, static_cast<uint8_t>(kStepMax)};
}

bool DecodeScore(double score, double* lon, double* lat) {
  return DecodeToLonLat(ScoreToHash(score), lon, lat);
}

uint64_t EncodeScore(double lon, double lat) {
  HashBits h;
  if (!EncodeWgs84(lon, lat, kStepMax, &h)) return 0;
  return Align52(h);
}

Neighbors ComputeNeighbors(HashBits hash) {
  Neighbors n;
  n.east = Move(hash, 1, 0);
  n.west = Move(hash, -1, 0);
  n.south = Move(hash, 0, -1);
  n.north = Move(hash, 0, 1);
  n.north_west = Move(hash, -1, 1);
  n.north_east = Move(hash, 1, 1);
  n.south_east = Move(hash, 1, -1);
  n.south_west = Move(hash, -1, -1);
  return n;
}

std::string GeohashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon = 0, lat = 0;
  DecodeScore(score, &lon, &lat);
  HashBits h;
  if (!Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, kStepMax, &h)) h = HashBits{};
  std::string out(11, '0');
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(DegToRad(lat2) - DegToRad(lat1));
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  const double lon1r = DegToRad(lon1);
  const double lon2r = DegToRad(lon2);
  const double v = std::sin((lon2r - lon1r) / 2);
  // Same longitude: the haversine reduces to the meridian arc (and skips the costly math).
  if (v == 0.0) return LatDistance(lat1, lat2);
  const double lat1r = DegToRad(lat1);
  const double lat2r = DegToRad(lat2);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

std::string FormatDistance(double d) {
  if (d == 0) return "0.0000";
  const long long scaled = std::llrint(d * 10000.0);
  const bool negative = scaled < 0;
  // Magnitude as unsigned so LLONG_MIN negates safely.
  unsigned long long mag = negative ? 0ull - static_cast<unsigned long long>(scaled)
                                    : static_cast<unsigned long long>(scaled);
  char digits[32];
  int n = std::snprintf(digits, sizeof(digits), "%llu", mag);
  std::string s(digits, n);
  if (s.size() < 5) s.insert(0, 5 - s.size(), '0');  // at least one integer digit
  s.insert(s.size() - 4, 1, '.');
  if (negative) s.insert(0, 1, '-');
  return s;
}

}  // namespace tessera::geo
