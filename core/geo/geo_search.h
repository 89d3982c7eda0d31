// Collecting and ordering the points of a GEOSEARCH / GEORADIUS, over any sorted set.
//
// The sorted set is reached through a scanner callback, so this file knows nothing of the
// zset's encodings (and is tested with a plain ordered container).  The collection follows
// Redis 7.2's membersOfAllNeighbors() exactly, because COUNT n ANY returns the first n points
// found and clients see which ones: cells in ScanOrder(), a zero cell skipped, a cell equal to
// the last scanned one skipped (except when that one was the centre cell, Redis's quirk), each
// cell's score range walked in sorted-set order (score, then member), and the scan stopped as
// soon as `limit` points are held (checked after every element and before every cell).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/geo/search_area.h"

namespace tessera::geo {

struct GeoPoint {
  std::string member;
  double score = 0;  // the stored geohash
  double lon = 0;
  double lat = 0;
  double dist = 0;  // meters from the shape's centre
};

// Visits the members whose score s satisfies min <= s < max, in sorted-set order, until
// `visit` returns false.
using ScoreRangeVisitor = std::function<bool(std::string_view member, double score)>;
using ScoreRangeScanner =
    std::function<void(double min, double max, const ScoreRangeVisitor& visit)>;

// Appends to *out the points of the sorted set inside `shape`; stops once *out holds `limit`
// points (0: no limit).  Returns the number appended.
size_t CollectPoints(const Shape& shape, size_t limit, const ScoreRangeScanner& scan,
                     std::vector<GeoPoint>* out);

// Orders points by distance, ascending or descending, as Redis does: all of them with a
// stable merge sort (glibc's qsort) when `needed` covers them all, else only the first
// `needed` with Redis's partial quicksort (pqsort), whose order of equal distances is not
// their scan order.  Either way the result is Redis's, ties included.
void SortPoints(std::vector<GeoPoint>* points, bool descending, size_t needed);

}  // namespace tessera::geo
