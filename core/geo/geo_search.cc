#include "core/geo/geo_search.h"

#include <algorithm>

namespace tessera::geo {

size_t CollectPoints(const Shape& shape, size_t limit, const ScoreRangeScanner& scan,
                     std::vector<GeoPoint>* out) {
  const size_t before = out->size();
  auto full = [&] { return limit != 0 && out->size() - before >= limit; };
  const std::array<HashBits, 9> cells = ScanOrder(ComputeSearchArea(shape));
  size_t last_scanned = 0;  // 0 also means "none yet": Redis compares only with a neighbour
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].IsZero()) continue;
    if (last_scanned != 0 && cells[i] == cells[last_scanned]) continue;
    if (out->size() > before && full()) break;
    const ScoreRange range = ScoresOfCell(cells[i]);
    scan(range.min, range.max, [&](std::string_view member, double score) {
      GeoPoint p;
      if (WithinShape(shape, score, &p.lon, &p.lat, &p.dist)) {
        p.member.assign(member);
        p.score = score;
        out->push_back(std::move(p));
      }
      return !full();
    });
    last_scanned = i;
  }
  return out->size() - before;
}

void SortPoints(std::vector<GeoPoint>* points, bool descending, size_t needed) {
  (void)needed;  // a stable full sort is exact for any prefix
  if (descending) {
    std::stable_sort(points->begin(), points->end(),
                     [](const GeoPoint& a, const GeoPoint& b) { return a.dist > b.dist; });
  } else {
    std::stable_sort(points->begin(), points->end(),
                     [](const GeoPoint& a, const GeoPoint& b) { return a.dist < b.dist; });
  }
}

}  // namespace tessera::geo
