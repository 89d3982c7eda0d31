#include "core/geo/search_area.h"

#include <cmath>

namespace tessera::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
// Half the Web Mercator world width in meters: a radius this large needs the coarsest cells.
constexpr double kMercatorMax = 20037726.37;

double DegToRad(double deg) { return deg * kDegToRad; }
double RadToDeg(double rad) { return rad / kDegToRad; }

// The radius that decides the step: the circle's, or the box's half diagonal.
double CoverRadiusMeters(const Shape& s) {
  double r = s.kind == Shape::Kind::kCircle
                 ? s.radius
                 : std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  return r * s.to_meters;
}

struct Cells {
  HashBits center;
  Neighbors neighbors;
  Area area;
};

Cells CellsAt(double lon, double lat, int step) {
  Cells c;
  EncodeWgs84(lon, lat, step, &c.center);
  c.neighbors = ComputeNeighbors(c.center);
  Decode(c.center, &c.area);
  return c;
}

// True iff one of the four edge neighbours ends inside the bounding box, so that the nine
// cells at this step cannot cover it.
bool EdgeFallsShort(const Neighbors& n, const std::array<double, 4>& box) {
  Area north, south, east, west;
  Decode(n.north, &north);
  Decode(n.south, &south);
  Decode(n.east, &east);
  Decode(n.west, &west);
  return north.lat.max < box[3] || south.lat.min > box[1] || east.lon.max < box[2] ||
         west.lon.min > box[0];
}

}  // namespace

int EstimateStepsByRadius(double range_meters, double lat) {
  if (range_meters == 0) return kStepMax;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;  // one cell then spans the radius in most cases
  // Meridians converge towards the poles: cells get narrower, so take bigger ones.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kStepMax) step = kStepMax;
  return step;
}

std::array<double, 4> BoundingBox(const Shape& s) {
  const bool circle = s.kind == Shape::Kind::kCircle;
  const double height = s.to_meters * (circle ? s.radius : s.height / 2);
  const double width = s.to_meters * (circle ? s.radius : s.width / 2);
  const double lat_delta = RadToDeg(height / kEarthRadiusMeters);
  const double lon_delta_top =
      RadToDeg(width / kEarthRadiusMeters / std::cos(DegToRad(s.lat + lat_delta)));
  const double lon_delta_bottom =
      RadToDeg(width / kEarthRadiusMeters / std::cos(DegToRad(s.lat - lat_delta)));
  // The edge nearer the pole is the wider one in longitude.
  const double lon_delta = s.lat < 0 ? lon_delta_bottom : lon_delta_top;
  return {s.lon - lon_delta, s.lat - lat_delta, s.lon + lon_delta, s.lat + lat_delta};
}

SearchArea ComputeSearchArea(const Shape& shape) {
  const std::array<double, 4> box = BoundingBox(shape);
  int step = EstimateStepsByRadius(CoverRadiusMeters(shape), shape.lat);
  Cells cells = CellsAt(shape.lon, shape.lat, step);
  if (step > 1 && EdgeFallsShort(cells.neighbors, box)) {
    step--;
    cells = CellsAt(shape.lon, shape.lat, step);
  }
  Neighbors& n = cells.neighbors;
  if (step >= 2) {
    const Area& a = cells.area;
    if (a.lat.min < box[1]) n.south = n.south_west = n.south_east = HashBits{};
    if (a.lat.max > box[3]) n.north = n.north_east = n.north_west = HashBits{};
    if (a.lon.min < box[0]) n.west = n.south_west = n.north_west = HashBits{};
    if (a.lon.max > box[2]) n.east = n.south_east = n.north_east = HashBits{};
  }
  return SearchArea{cells.center, n, cells.area};
}

std::array<HashBits, 9> ScanOrder(const SearchArea& a) {
  const Neighbors& n = a.neighbors;
  return {a.center,     n.north,      n.south,      n.east,      n.west,
          n.north_east, n.north_west, n.south_east, n.south_west};
}

ScoreRange ScoresOfCell(HashBits cell) {
  HashBits next = cell;
  next.bits++;
  return ScoreRange{static_cast<double>(Align52(cell)), static_cast<double>(Align52(next))};
}

bool WithinShape(const Shape& s, double score, double* lon, double* lat, double* distance) {
  if (!DecodeScore(score, lon, lat)) return false;
  if (s.kind == Shape::Kind::kCircle) {
    *distance = Distance(s.lon, s.lat, *lon, *lat);
    return *distance <= s.radius * s.to_meters;
  }
  const double width_m = s.width * s.to_meters;
  const double height_m = s.height * s.to_meters;
  // The meridian distance is cheaper, so it is tested first.
  if (LatDistance(*lat, s.lat) > height_m / 2) return false;
  if (Distance(*lon, *lat, s.lon, *lat) > width_m / 2) return false;
  *distance = Distance(s.lon, s.lat, *lon, *lat);
  return true;
}

}  // namespace tessera::geo
