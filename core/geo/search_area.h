// The search area of GEOSEARCH / GEORADIUS: which score ranges of the sorted set to scan, and
// which scanned points are inside the shape.  Same numbers as Redis 7.2's geohash_helper.c.
//
// Approach (Redis's): pick a cell size (step) from the radius so that the cell holding the
// centre plus its eight neighbours cover the shape's bounding box, shrink the step once if an
// edge neighbour still falls short, and drop neighbours that lie wholly outside the box.  Each
// remaining cell is one contiguous score range [Align52(cell), Align52(cell + 1)) of the
// sorted set, scanned in the fixed order centre, N, S, E, W, NE, NW, SE, SW; every point found
// is then tested exactly against the shape.  That order decides which points COUNT n ANY
// returns, so it is part of the behaviour.  (A tighter cover -- more, smaller cells -- would
// scan less, but would change ANY's answers.)
//
// Pure functions of their arguments.
#pragma once

#include <array>
#include <cstdint>

#include "core/geo/geohash.h"

namespace tessera::geo {

// BYRADIUS radius, or BYBOX width x height, around (lon, lat).  Sizes are in the caller's
// unit; `to_meters` converts them (m 1, km 1000, ft 0.3048, mi 1609.34).
struct Shape {
  enum class Kind : uint8_t { kCircle, kBox };
  Kind kind = Kind::kCircle;
  double lon = 0;
  double lat = 0;
  double to_meters = 1;
  double radius = 0;  // kCircle
  double width = 0;   // kBox
  double height = 0;  // kBox
};

// The step whose cells are about the radius's size: 26 for radius 0, fewer bits for larger
// radii, one and two fewer beyond latitude 66 and 80.  Always 1..26.
int EstimateStepsByRadius(double range_meters, double lat);

// The shape's bounding box in degrees: {min_lon, min_lat, max_lon, max_lat}.  Longitudes are
// widened at the box's edge nearer the pole (the wider one) and may leave -180..180.
std::array<double, 4> BoundingBox(const Shape& shape);

// The cells to scan: the centre cell, then its neighbours, a pruned one being zero.
struct SearchArea {
  HashBits center;
  Neighbors neighbors;
  Area area;  // the centre cell's rectangle
};
SearchArea ComputeSearchArea(const Shape& shape);

// The nine cells in Redis's scan order (centre, N, S, E, W, NE, NW, SE, SW), zero ones
// included; the caller skips zero cells and a cell equal to the previous scanned one.
std::array<HashBits, 9> ScanOrder(const SearchArea& area);

// The score range of a cell: min inclusive, max exclusive.
struct ScoreRange {
  double min = 0;
  double max = 0;
};
ScoreRange ScoresOfCell(HashBits cell);

// Tests a stored point against the shape.  Returns true iff it is inside (distance <= radius;
// for a box, within half the height along the meridian and half the width along the point's
// parallel), and then sets the point's position and its distance in meters from the centre.
bool WithinShape(const Shape& shape, double score, double* lon, double* lat, double* distance);

}  // namespace tessera::geo
