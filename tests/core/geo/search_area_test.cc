#include "core/geo/search_area.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

namespace geo = tessera::geo;

TEST_CASE("search area: step estimate", "[geo]") {
  CHECK(geo::EstimateStepsByRadius(0, 0) == 26);
  // 1 km doubles 15 times to reach 20037726.37 m: 1 + 15 - 2.
  CHECK(geo::EstimateStepsByRadius(1000, 0) == 14);
  CHECK(geo::EstimateStepsByRadius(1000, 66) == 14);
  CHECK(geo::EstimateStepsByRadius(1000, 66.1) == 13);
  CHECK(geo::EstimateStepsByRadius(1000, -70) == 13);
  CHECK(geo::EstimateStepsByRadius(1000, 80.5) == 12);
  CHECK(geo::EstimateStepsByRadius(1000, -85) == 12);
  CHECK(geo::EstimateStepsByRadius(5000000, 0) == 2);
  CHECK(geo::EstimateStepsByRadius(10000000, 0) == 1);
  CHECK(geo::EstimateStepsByRadius(30000000, 0) == 1);
  CHECK(geo::EstimateStepsByRadius(INFINITY, 0) == 1);
  CHECK(geo::EstimateStepsByRadius(0.001, 0) == 26);
  CHECK(geo::EstimateStepsByRadius(5e-324, 0) == 26);
}

TEST_CASE("search area: bounding box", "[geo]") {
  geo::Shape s;
  s.lon = 10;
  s.lat = 0;
  s.radius = 111.19492664455873;  // about one degree of meridian, in km
  s.to_meters = 1000;
  auto b = geo::BoundingBox(s);
  const double deg = 111194.92664455873 / geo::kEarthRadiusMeters * 180 / M_PI;
  CHECK(b[1] == Approx(-deg));
  CHECK(b[3] == Approx(deg));
  // Northern hemisphere: the top edge (nearer the pole) decides the longitude span.
  CHECK(b[0] == Approx(10 - deg / std::cos(deg * M_PI / 180)));
  CHECK(b[2] == Approx(10 + deg / std::cos(deg * M_PI / 180)));

  s.kind = geo::Shape::Kind::kBox;
  s.lat = -60;
  s.width = 200;
  s.height = 100;
  s.to_meters = 1000;
  b = geo::BoundingBox(s);
  const double half_h = 50000 / geo::kEarthRadiusMeters * 180 / M_PI;
  CHECK(b[1] == Approx(-60 - half_h));
  CHECK(b[3] == Approx(-60 + half_h));
  // Southern hemisphere: the bottom edge is the wider one.
  const double half_w = 100000 / geo::kEarthRadiusMeters / std::cos((-60 - half_h) * M_PI / 180);
  CHECK(b[2] - 10 == Approx(half_w * 180 / M_PI));
}

TEST_CASE("search area: a cell's score range", "[geo]") {
  geo::ScoreRange r = geo::ScoresOfCell(geo::HashBits{0b101010, 3});
  CHECK(r.min == static_cast<double>(0b101010ull << 46));
  CHECK(r.max == static_cast<double>(0b101011ull << 46));
  r = geo::ScoresOfCell(geo::HashBits{5, 26});
  CHECK(r.min == 5);
  CHECK(r.max == 6);
}

TEST_CASE("search area: the scanned cells cover every point of the shape", "[geo]") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> lon_d(-180, 180), lat_d(-85, 85), unit(0, 1);
  int inside_total = 0;
  for (int round = 0; round < 300; ++round) {
    geo::Shape s;
    s.lon = lon_d(rng);
    s.lat = lat_d(rng);
    const bool box = round % 2 == 1;
    const double size_km = std::pow(10, unit(rng) * 4 - 1);  // 0.1 km .. 1000 km
    if (box) {
      s.kind = geo::Shape::Kind::kBox;
      s.width = size_km * 2;
      s.height = size_km;
    } else {
      s.radius = size_km;
    }
    s.to_meters = 1000;
    geo::SearchArea area = geo::ComputeSearchArea(s);
    auto cells = geo::ScanOrder(area);
    CHECK(cells[0] == area.center);
    for (int i = 0; i < 200; ++i) {
      // Points around the centre, out to twice the size.
      double dlat = (unit(rng) * 2 - 1) * size_km * 2 / 111.0;
      double dlon = (unit(rng) * 2 - 1) * size_km * 2 / 111.0 / std::cos(s.lat * M_PI / 180);
      double plon = s.lon + dlon, plat = s.lat + dlat;
      if (!geo::ValidLonLat(plon, plat)) continue;
      const double score = static_cast<double>(geo::EncodeScore(plon, plat));
      double lon, lat, dist = -1;
      if (!geo::WithinShape(s, score, &lon, &lat, &dist)) continue;
      ++inside_total;
      CHECK(dist >= 0);
      bool covered = false;
      for (const geo::HashBits& c : cells) {
        if (c.IsZero()) continue;
        geo::ScoreRange r = geo::ScoresOfCell(c);
        covered |= score >= r.min && score < r.max;
      }
      CHECK(covered);
    }
  }
  CHECK(inside_total > 1000);
}

TEST_CASE("search area: shape tests", "[geo]") {
  const double palermo = 3479099956230698.0;
  double lon, lat, dist;
  geo::Shape s;
  s.lon = 15;
  s.lat = 37;
  s.to_meters = 1000;
  s.radius = 191;
  CHECK(geo::WithinShape(s, palermo, &lon, &lat, &dist));
  CHECK(dist == geo::Distance(15, 37, lon, lat));
  CHECK(dist == Approx(190442.43).margin(0.01));
  s.radius = 190;  // km: just short of 190.44
  CHECK_FALSE(geo::WithinShape(s, palermo, &lon, &lat, &dist));

  s.kind = geo::Shape::Kind::kBox;
  s.to_meters = 1000;
  s.width = 288;   // Palermo is 143.39 km west of 15E along its parallel
  s.height = 250;  // and 124.08 km north of 37N
  CHECK(geo::WithinShape(s, palermo, &lon, &lat, &dist));
  s.width = 286;
  CHECK_FALSE(geo::WithinShape(s, palermo, &lon, &lat, &dist));
  s.width = 288;
  s.height = 248;
  CHECK_FALSE(geo::WithinShape(s, palermo, &lon, &lat, &dist));
}
