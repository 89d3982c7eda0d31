#include "core/keyspace/geo_ops.h"

#include <vector>

#include "core/geo/geohash.h"
#include "core/keyspace/zset_ops.h"

namespace tessera::keyspace {

bool GeoMemberPosition(const types::ZSetValue& z, std::string_view member, double* lon,
                       double* lat) {
  std::optional<double> score = z.Score(member);
  return score.has_value() && geo::DecodeScore(*score, lon, lat);
}

geo::ScoreRangeScanner GeoScanner(const types::ZSetValue& z) {
  return [&z](double min, double max, const geo::ScoreRangeVisitor& visit) {
    types::ScoreRange range{min, max, false, true};
    for (auto it = z.IterateFrom(z.ScoreRangeStart(range), false); it.valid(); it.Next()) {
      if (!range.BelowMax(it.score())) break;
      if (!visit(it.member(), it.score())) break;
    }
  };
}

void OpGeoStore(DbAccess& db, std::string_view dest, std::span<const geo::GeoPoint> points,
                size_t n, std::optional<double> dist_divisor, const types::ZSetLimits& limits) {
  std::vector<types::ScoredMember> entries;
  entries.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const geo::GeoPoint& p = points[i];
    entries.push_back({p.member, dist_divisor ? p.dist / *dist_divisor : p.score});
  }
  OpZStore(db, dest, entries, limits);
}

}  // namespace tessera::keyspace
