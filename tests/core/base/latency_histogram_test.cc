// LatencyHistogram prints what Redis's HdrHistogram (1 ns .. 1 s, 2 significant digits) prints:
// the expected figures below are Redis 7.2.4's own output for the same durations (INFO
// latencystats and LATENCY HISTOGRAM after single calls of 2, 4, 7 and 12 us).
#include "core/base/latency_histogram.h"

#include <catch2/catch.hpp>

namespace tessera::base {
namespace {

using Steps = std::vector<std::pair<int64_t, uint64_t>>;

TEST_CASE("one recorded duration: percentiles and distribution as Redis prints them",
          "[latency_histogram]") {
  struct Case {
    int64_t us;
    int64_t percentile_ns;
    int64_t bucket_us;
  };
  for (Case c : {Case{2, 2007, 2}, Case{4, 4015, 4}, Case{7, 7007, 8}, Case{12, 12031, 16},
                 Case{52, 52223, 66}}) {
    LatencyHistogram h;
    h.Record(c.us * 1000);
    CHECK(h.total() == 1);
    CHECK(h.ValueAtPercentile(50) == c.percentile_ns);
    CHECK(h.ValueAtPercentile(99.9) == c.percentile_ns);
    CHECK(h.CumulativeMicros() == Steps{{c.bucket_us, 1}});
  }
}

TEST_CASE("percentiles walk the cumulative counts", "[latency_histogram]") {
  LatencyHistogram h;
  for (int us = 1; us <= 100; ++us) h.Record(us * 1000);
  // 50th of 100 values is 50 us; its bucket (width 256 ns) ends at 50175 ns.
  CHECK(h.ValueAtPercentile(50) == 50175);
  CHECK(h.ValueAtPercentile(99) == LatencyHistogram::HighestEquivalent(99000));
  CHECK(h.ValueAtPercentile(100) == LatencyHistogram::HighestEquivalent(100000));
  // Percentile 0 reports the low edge of the first bucket.
  CHECK(h.ValueAtPercentile(0) == 1000);
  Steps steps = h.CumulativeMicros();
  REQUIRE(!steps.empty());
  CHECK(steps.back().second == 100);
  for (size_t i = 1; i < steps.size(); ++i) {
    CHECK(steps[i].first > steps[i - 1].first);
    CHECK(steps[i].second > steps[i - 1].second);
  }
}

TEST_CASE("values are clamped to 1 ns .. 1 s; merge and reset", "[latency_histogram]") {
  LatencyHistogram a, b;
  a.Record(0);
  a.Record(5'000'000'000);
  CHECK(a.total() == 2);
  CHECK(a.ValueAtPercentile(1) == 1);
  CHECK(a.ValueAtPercentile(100) == LatencyHistogram::HighestEquivalent(1'000'000'000));
  b.Record(3000);
  b.Merge(a);
  CHECK(b.total() == 3);
  b.Reset();
  CHECK(b.total() == 0);
  CHECK(b.ValueAtPercentile(50) == 0);
  CHECK(b.CumulativeMicros().empty());
}

TEST_CASE("bucket layout: every value maps to an index that gives it back within 1%",
          "[latency_histogram]") {
  for (int64_t v : {1, 255, 256, 1000, 4095, 65536, 999'999, 123'456'789, 1'000'000'000}) {
    int index = LatencyHistogram::CountsIndexFor(v);
    REQUIRE(index >= 0);
    REQUIRE(index < LatencyHistogram::kCountsLen);
    int64_t low = LatencyHistogram::ValueAtIndex(index);
    CHECK(low <= v);
    CHECK(LatencyHistogram::HighestEquivalent(v) >= v);
    CHECK(static_cast<double>(v - low) <= 0.01 * static_cast<double>(v) + 1);
  }
}

}  // namespace
}  // namespace tessera::base
