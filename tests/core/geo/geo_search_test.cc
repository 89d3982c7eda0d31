#include "core/geo/geo_search.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace geo = tessera::geo;

namespace {

// A sorted set stand-in: (score, member) in sorted-set order.
struct FakeZSet {
  std::map<std::pair<double, std::string>, bool> items;
  std::vector<std::pair<double, double>> ranges_scanned;

  void Add(double lon, double lat, const std::string& member) {
    items[{static_cast<double>(geo::EncodeScore(lon, lat)), member}] = true;
  }
  geo::ScoreRangeScanner Scanner() {
    return [this](double min, double max, const geo::ScoreRangeVisitor& visit) {
      ranges_scanned.emplace_back(min, max);
      for (auto it = items.lower_bound({min, std::string()}); it != items.end(); ++it) {
        if (it->first.first >= max) break;
        if (!visit(it->first.second, it->first.first)) break;
      }
    };
  }
};

std::vector<std::string> Members(const std::vector<geo::GeoPoint>& pts) {
  std::vector<std::string> out;
  for (const auto& p : pts) out.push_back(p.member);
  return out;
}

// The Redis suite's NYC set.
FakeZSet Nyc() {
  FakeZSet z;
  z.Add(-73.9454966, 40.747533, "lic market");
  z.Add(-73.9733487, 40.7648057, "central park n/q/r");
  z.Add(-73.9903085, 40.7362513, "union square");
  z.Add(-74.0131604, 40.7126674, "wtc one");
  z.Add(-73.7858139, 40.6428986, "jfk");
  z.Add(-73.9375699, 40.7498929, "q4");
  z.Add(-73.9564142, 40.7480973, "4545");
  return z;
}

geo::Shape Circle(double lon, double lat, double km) {
  geo::Shape s;
  s.lon = lon;
  s.lat = lat;
  s.radius = km;
  s.to_meters = 1000;
  return s;
}

}  // namespace

TEST_CASE("geo search: radius and box over the suite's NYC set", "[geo]") {
  FakeZSet z = Nyc();
  std::vector<geo::GeoPoint> pts;
  CHECK(geo::CollectPoints(Circle(-73.9798091, 40.7598464, 3), 0, z.Scanner(), &pts) == 3);
  geo::SortPoints(&pts, false, pts.size());
  // Redis: GEORADIUS nyc -73.9798091 40.7598464 3 km asc
  CHECK(Members(pts) == std::vector<std::string>{"central park n/q/r", "4545", "union square"});
  CHECK(geo::FormatDistance(pts[0].dist / 1000) == "0.7750");
  CHECK(geo::FormatDistance(pts[1].dist / 1000) == "2.3651");
  CHECK(geo::FormatDistance(pts[2].dist / 1000) == "2.7697");

  geo::SortPoints(&pts, true, pts.size());
  CHECK(Members(pts) == std::vector<std::string>{"union square", "4545", "central park n/q/r"});

  geo::Shape box;
  box.kind = geo::Shape::Kind::kBox;
  box.lon = -73.9798091;
  box.lat = 40.7598464;
  box.width = box.height = 6;
  box.to_meters = 1000;
  pts.clear();
  geo::CollectPoints(box, 0, z.Scanner(), &pts);
  geo::SortPoints(&pts, false, pts.size());
  // Redis: GEOSEARCH nyc fromlonlat -73.9798091 40.7598464 bybox 6 6 km asc
  CHECK(Members(pts) ==
        std::vector<std::string>{"central park n/q/r", "4545", "union square", "lic market"});
}

TEST_CASE("geo search: a limit stops the scan", "[geo]") {
  FakeZSet z = Nyc();
  std::vector<geo::GeoPoint> all, some;
  geo::CollectPoints(Circle(-73.9798091, 40.7598464, 200), 0, z.Scanner(), &all);
  CHECK(all.size() == 7);
  z.ranges_scanned.clear();
  CHECK(geo::CollectPoints(Circle(-73.9798091, 40.7598464, 200), 2, z.Scanner(), &some) == 2);
  // The first two found, in scan order.
  CHECK(some[0].member == all[0].member);
  CHECK(some[1].member == all[1].member);
  // Nothing scanned past the limit.
  CHECK(z.ranges_scanned.size() <= 9);
}

TEST_CASE("geo search: equal neighbours are scanned once", "[geo]") {
  // A radius that gives step 1: the 2x2 world, where east == west and north == south.
  FakeZSet z;
  z.Add(10, 10, "a");
  z.Add(-100, -50, "b");
  z.Add(100, 50, "c");
  std::vector<geo::GeoPoint> pts;
  CHECK(geo::CollectPoints(Circle(0, 0, 20000), 0, z.Scanner(), &pts) == 3);
  // centre, north, east, north-east: four distinct cells of the 2x2 grid.
  CHECK(z.ranges_scanned.size() == 4);
  std::vector<std::string> m = Members(pts);
  std::sort(m.begin(), m.end());
  CHECK(m == std::vector<std::string>{"a", "b", "c"});
}
