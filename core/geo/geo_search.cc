#include "core/geo/geo_search.h"

#include <algorithm>
#include <cstddef>
#include <utility>

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

namespace {

// Redis's comparators: -1, 0, 1 by distance (a NaN distance compares "less" both ways).
int CompareAsc(const GeoPoint& a, const GeoPoint& b) {
  if (a.dist > b.dist) return 1;
  if (a.dist == b.dist) return 0;
  return -1;
}
int CompareDesc(const GeoPoint& a, const GeoPoint& b) { return -CompareAsc(a, b); }
using Compare = int (*)(const GeoPoint&, const GeoPoint&);

// glibc's qsort (which Redis calls for a full sort) is a top-down merge sort: halves of
// n / 2 and n - n / 2, ties taken from the left half.  The same structure gives the same order
// even where the comparator is not a strict weak order (NaN distances).
void MergeSort(std::vector<GeoPoint>& v, size_t lo, size_t n, Compare cmp,
               std::vector<GeoPoint>& tmp) {
  if (n <= 1) return;
  const size_t n1 = n / 2;
  MergeSort(v, lo, n1, cmp, tmp);
  MergeSort(v, lo + n1, n - n1, cmp, tmp);
  tmp.clear();
  size_t i = lo, j = lo + n1;
  const size_t mid = lo + n1, end = lo + n;
  while (i < mid && j < end) tmp.push_back(std::move(cmp(v[i], v[j]) <= 0 ? v[i++] : v[j++]));
  while (i < mid) tmp.push_back(std::move(v[i++]));
  // What is left of the right half is already in place.
  for (size_t k = 0; k < tmp.size(); ++k) v[lo + k] = std::move(tmp[k]);
}

size_t Median3(const std::vector<GeoPoint>& v, size_t a, size_t b, size_t c, Compare cmp) {
  if (cmp(v[a], v[b]) < 0) {
    if (cmp(v[b], v[c]) < 0) return b;
    return cmp(v[a], v[c]) < 0 ? c : a;
  }
  if (cmp(v[b], v[c]) > 0) return b;
  return cmp(v[a], v[c]) < 0 ? a : c;
}

void SwapRanges(std::vector<GeoPoint>& v, size_t a, size_t b, size_t n) {
  for (size_t k = 0; k < n; ++k) std::swap(v[a + k], v[b + k]);
}

// Redis's pqsort(), used when COUNT keeps fewer points than were found: Bentley and
// McIlroy's three-way quicksort (insertion sort below 7 elements, median of three, ninther
// above 40, keys equal to the pivot parked at both ends then swapped to the middle) that skips
// every partition lying wholly past index `last`.  Equal distances end up in the order this
// exact sequence of swaps leaves them, which is what Redis replies.
void PartialQuickSort(std::vector<GeoPoint>& v, size_t lo, size_t n, Compare cmp, size_t last) {
  for (;;) {
    if (n < 7) {
      for (size_t m = lo + 1; m < lo + n; ++m) {
        for (size_t l = m; l > lo && cmp(v[l - 1], v[l]) > 0; --l) std::swap(v[l], v[l - 1]);
      }
      return;
    }
    size_t pivot = lo + n / 2;
    if (n > 7) {
      size_t first = lo, end = lo + n - 1;
      if (n > 40) {
        const size_t d = n / 8;
        first = Median3(v, first, first + d, first + 2 * d, cmp);
        pivot = Median3(v, pivot - d, pivot, pivot + d, cmp);
        end = Median3(v, end - 2 * d, end - d, end, cmp);
      }
      pivot = Median3(v, first, pivot, end, cmp);
    }
    std::swap(v[lo], v[pivot]);
    // [lo+1, pa): equal to the pivot; [pa, pb): less; (pc, pd]: greater; (pd, lo+n): equal.
    size_t pa = lo + 1, pb = lo + 1;
    ptrdiff_t pc = static_cast<ptrdiff_t>(lo + n - 1), pd = pc;
    for (;;) {
      int r;
      while (static_cast<ptrdiff_t>(pb) <= pc && (r = cmp(v[pb], v[lo])) <= 0) {
        if (r == 0) std::swap(v[pa++], v[pb]);
        ++pb;
      }
      while (static_cast<ptrdiff_t>(pb) <= pc && (r = cmp(v[pc], v[lo])) >= 0) {
        if (r == 0) std::swap(v[pc], v[pd--]);
        --pc;
      }
      if (static_cast<ptrdiff_t>(pb) > pc) break;
      std::swap(v[pb++], v[pc--]);
    }
    const size_t pn = lo + n;
    size_t r = std::min(pa - lo, pb - pa);
    SwapRanges(v, lo, pb - r, r);
    r = std::min(static_cast<size_t>(pd - pc), pn - static_cast<size_t>(pd) - 1);
    SwapRanges(v, pb, pn - r, r);
    if ((r = pb - pa) > 1 && lo <= last) PartialQuickSort(v, lo, r, cmp, last);
    if ((r = static_cast<size_t>(pd - pc)) <= 1) return;
    lo = pn - r;
    n = r;
    if (lo > last) return;
  }
}

}  // namespace

void SortPoints(std::vector<GeoPoint>* points, bool descending, size_t needed) {
  const Compare cmp = descending ? CompareDesc : CompareAsc;
  if (needed >= points->size()) {
    std::vector<GeoPoint> tmp;
    tmp.reserve(points->size() / 2 + 1);
    MergeSort(*points, 0, points->size(), cmp, tmp);
  } else if (needed > 0) {
    PartialQuickSort(*points, 0, points->size(), cmp, needed - 1);
  }
}

}  // namespace tessera::geo
