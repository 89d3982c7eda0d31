// Unit tests of StreamValue (core/types/stream_value.h): Redis's node layout, the node index,
// iteration both ways, XDEL, exact and approximate trimming, the group counters, and a
// randomized comparison of every operation against a std::map model.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/ds/listpack.h"
#include "core/types/stream_value.h"

namespace tessera::types {
namespace {

using Fields = std::vector<std::string>;
using Model = std::map<StreamID, Fields>;

bool Add(StreamValue& s, StreamID id, const Fields& f, const StreamLimits& limits = {}) {
  std::vector<std::string_view> views(f.begin(), f.end());
  return s.Append(id, views, limits);
}

Model Read(const StreamValue& s, StreamID start, StreamID end, bool reverse) {
  Model out;
  std::vector<StreamID> order;
  StreamValue::Iterator it(s, start, end, reverse);
  while (it.Next()) {
    Fields f;
    for (size_t i = 0; i < it.num_fields(); ++i) {
      std::string_view k, v;
      it.NextField(&k, &v);
      f.emplace_back(k);
      f.emplace_back(v);
    }
    order.push_back(it.id());
    out[it.id()] = f;
  }
  for (size_t i = 1; i < order.size(); ++i) {
    if (reverse) {
      REQUIRE(order[i] < order[i - 1]);
    } else {
      REQUIRE(order[i - 1] < order[i]);
    }
  }
  return out;
}

Model Slice(const Model& m, StreamID start, StreamID end) {
  Model out;
  for (auto it = m.lower_bound(start); it != m.end() && it->first <= end; ++it) out.insert(*it);
  return out;
}

TEST_CASE("StreamID arithmetic and text", "[stream]") {
  StreamID id{5, UINT64_MAX};
  REQUIRE(id.Incr());
  REQUIRE(id == StreamID{6, 0});
  REQUIRE(id.Decr());
  REQUIRE(id == StreamID{5, UINT64_MAX});
  StreamID max = StreamID::Max();
  REQUIRE_FALSE(max.Incr());
  REQUIRE(max.IsZero());
  StreamID min;
  REQUIRE_FALSE(min.Decr());
  REQUIRE(min == StreamID::Max());
  REQUIRE(StreamID::Max().ToString() == "18446744073709551615-18446744073709551615");
  REQUIRE(StreamID{1, 2}.ToString() == "1-2");
}

TEST_CASE("StreamValue nodes are Redis's listpack layout", "[stream]") {
  StreamValue s;
  REQUIRE(Add(s, {10, 0}, {"a", "1", "b", "2"}));
  REQUIRE(Add(s, {10, 1}, {"a", "3", "b", "4"}));  // same fields: values only
  REQUIRE(Add(s, {12, 0}, {"c", "5"}));
  REQUIRE(s.node_count() == 1);
  std::vector<uint8_t> scratch;
  const uint8_t* l = s.node_listpack(0, &scratch);
  // master: count deleted numfields a b 0; entries: flags ms seq [n f v...] lp-count.
  std::vector<std::string> expect = {"3", "0", "2", "a", "b", "0",  //
                                     "2", "0", "0", "1", "2", "5",  //
                                     "2", "0", "1", "3", "4", "5",  //
                                     "0", "2", "0", "1", "c", "5", "6"};
  std::vector<std::string> got;
  char buf[24];
  for (const uint8_t* p = ds::lp::First(l); p; p = ds::lp::Next(l, p)) {
    got.emplace_back(ds::lp::Get(p).View(buf));
  }
  REQUIRE(got == expect);
}

TEST_CASE("StreamValue splits nodes by entries and bytes", "[stream]") {
  StreamValue s;
  StreamLimits limits{4096, 3};
  for (uint64_t i = 1; i <= 7; ++i) REQUIRE(Add(s, {i, 0}, {"f", "v"}, limits));
  REQUIRE(s.node_count() == 3);
  REQUIRE(s.node_master(1) == StreamID{4, 0});
  StreamValue b;
  StreamLimits bytes{40, 0};
  for (uint64_t i = 1; i <= 4; ++i) REQUIRE(Add(b, {i, 0}, {"field", std::string(20, 'x')}, bytes));
  REQUIRE(b.node_count() == 4);  // 7-byte header + master + one entry already pass 40 - 20
}

TEST_CASE("StreamValue delete drops emptied nodes and keeps first id", "[stream]") {
  StreamValue s;
  StreamLimits limits{4096, 2};
  for (uint64_t i = 1; i <= 4; ++i) REQUIRE(Add(s, {i, 0}, {"f", "v"}, limits));
  StreamID ids[] = {{1, 0}, {9, 9}};
  REQUIRE(s.Delete(ids) == 1);
  REQUIRE(s.first_id() == StreamID{2, 0});
  REQUIRE(s.max_deleted_id() == StreamID{1, 0});
  StreamID second[] = {{2, 0}};
  REQUIRE(s.Delete(second) == 1);
  REQUIRE(s.node_count() == 1);
  REQUIRE(s.length() == 2);
  REQUIRE(s.EdgeId(true, false) == StreamID{3, 0});
  StreamID rest[] = {{3, 0}, {4, 0}, {4, 0}};
  REQUIRE(s.Delete(rest) == 2);
  REQUIRE(s.length() == 0);
  REQUIRE(s.first_id() == StreamID{});
  REQUIRE(s.last_id() == StreamID{4, 0});
}

TEST_CASE("StreamValue approximate trimming removes whole nodes only", "[stream]") {
  StreamValue s;
  StreamLimits limits{4096, 10};
  for (uint64_t i = 1; i <= 35; ++i) REQUIRE(Add(s, {i, 0}, {"f", "v"}, limits));
  StreamValue::TrimArgs t;
  t.strategy = StreamValue::TrimArgs::Strategy::kMaxLen;
  t.approx = true;
  t.maxlen = 12;
  REQUIRE(s.Trim(t) == 20);  // nodes of 10: dropping a third would leave 5 < 12
  REQUIRE(s.length() == 15);
  REQUIRE(s.first_id() == StreamID{21, 0});
  t.approx = false;
  REQUIRE(s.Trim(t) == 3);
  REQUIRE(s.length() == 12);
  REQUIRE(s.first_id() == StreamID{24, 0});
  t.strategy = StreamValue::TrimArgs::Strategy::kMinId;
  t.minid = {33, 0};
  t.approx = true;
  t.limit = 5;
  REQUIRE(s.Trim(t) == 0);  // the head node holds 7 live entries, more than LIMIT
  t.limit = 0;
  REQUIRE(s.Trim(t) == 7);
  t.approx = false;
  REQUIRE(s.Trim(t) == 2);
  REQUIRE(s.first_id() == StreamID{33, 0});
}

TEST_CASE("StreamValue entries_read estimates and lag", "[stream]") {
  StreamValue s;
  for (uint64_t i = 1; i <= 5; ++i) REQUIRE(Add(s, {i, 0}, {"f", "v"}));
  REQUIRE(s.EstimateEntriesRead({5, 0}) == 5);
  REQUIRE(s.EstimateEntriesRead({0, 1}) == 0);
  REQUIRE(s.EstimateEntriesRead({1, 0}) == 1);
  REQUIRE(s.EstimateEntriesRead({3, 0}) == kInvalidEntriesRead);
  StreamGroup* g = s.CreateGroup("g", {0, 0}, 0);
  REQUIRE(s.GroupLag(*g) == 5);
  s.AdvanceGroup(g, {1, 0});
  REQUIRE(g->entries_read == 1);
  StreamID del[] = {{3, 0}};
  REQUIRE(s.Delete(del) == 1);
  REQUIRE(s.RangeHasTombstones({2, 0}, StreamID::Max()));
  REQUIRE_FALSE(s.GroupLag(*g).has_value());
  REQUIRE(s.CreateGroup("g", {}, 0) == nullptr);
  REQUIRE(s.DestroyGroup("g"));
}

// Runs random appends, deletes, trims and range reads against a std::map model.  `event_like`
// makes entries repeat their fields and most of their values, as an event stream's do, so
// that closed nodes get packed.
void RandomizedAgainstModel(uint64_t seed, StreamLimits limits, bool event_like) {
  std::mt19937_64 rng(seed);
  StreamValue s;
  Model model;
  const std::vector<std::string> names = {"a", "b", "c", "long-field-name", "123", "-5"};
  uint64_t ms = 1;
  size_t max_packed = 0;
  auto random_id = [&] { return StreamID{rng() % (ms + 2), rng() % 4}; };
  auto random_fields = [&] {
    Fields f;
    if (event_like) {
      f = {"type", rng() % 4 == 0 ? "view" : "click",
           "user", "user" + std::to_string(rng() % 50),
           "page", "/item/" + std::to_string(rng() % 97)};
      if (rng() % 10 == 0) f.insert(f.end(), {"extra", std::to_string(rng())});
      return f;
    }
    size_t n = 1 + rng() % 3;
    for (size_t i = 0; i < n; ++i) {
      f.push_back(names[rng() % (rng() % 2 ? 2 : names.size())]);
      f.push_back(std::to_string(static_cast<int64_t>(rng() % 1000) - 500) +
                  std::string(rng() % 4, 'x'));
    }
    return f;
  };
  for (int step = 0; step < 3000; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      StreamID id = (rng() % 3 == 0) ? StreamID{ms, s.last_id().seq + 1} : StreamID{++ms, 0};
      if (id <= s.last_id()) id = s.NextAutoId(static_cast<int64_t>(ms));
      Fields f = random_fields();
      REQUIRE(Add(s, id, f, limits));
      model[id] = f;
      size_t packed = 0;
      for (size_t i = 0; i < s.node_count(); ++i) packed += s.node_packed(i) ? 1 : 0;
      max_packed = std::max(max_packed, packed);
    } else if (op < 7) {
      std::vector<StreamID> ids;
      for (int i = 0; i < 3; ++i) ids.push_back(random_id());
      size_t expect = 0;
      for (StreamID id : ids) expect += model.erase(id);
      REQUIRE(s.Delete(ids) == expect);
    } else if (op == 7 && rng() % 4 == 0) {
      StreamValue::TrimArgs t;
      t.approx = rng() % 2 == 0;
      if (rng() % 2) {
        t.strategy = StreamValue::TrimArgs::Strategy::kMaxLen;
        t.maxlen = model.size() > 0 ? rng() % (model.size() + 1) : 0;
      } else {
        t.strategy = StreamValue::TrimArgs::Strategy::kMinId;
        t.minid = random_id();
      }
      const size_t before = model.size();
      int64_t removed = s.Trim(t);
      REQUIRE(removed >= 0);
      for (int64_t i = 0; i < removed; ++i) model.erase(model.begin());  // from the head
      REQUIRE(s.length() == before - static_cast<size_t>(removed));
      if (!t.approx && t.strategy == StreamValue::TrimArgs::Strategy::kMaxLen) {
        REQUIRE(s.length() == std::min<size_t>(before, t.maxlen));
      }
      if (!t.approx && t.strategy == StreamValue::TrimArgs::Strategy::kMinId && !model.empty()) {
        REQUIRE(model.begin()->first >= t.minid);
      }
    } else {
      StreamID a = random_id(), b = random_id();
      if (b < a) std::swap(a, b);
      REQUIRE(Read(s, a, b, false) == Slice(model, a, b));
      REQUIRE(Read(s, a, b, true) == Slice(model, a, b));
    }
    REQUIRE(s.length() == model.size());
    if (!model.empty()) {
      REQUIRE(s.first_id() == model.begin()->first);
      REQUIRE(s.EdgeId(false, true) == model.rbegin()->first);
    }
  }
  REQUIRE(Read(s, StreamID::Min(), StreamID::Max(), false) == model);
  std::unique_ptr<StreamValue> copy(s.Clone());
  REQUIRE(Read(*copy, StreamID::Min(), StreamID::Max(), true) == model);
  if (event_like) REQUIRE(max_packed > 1);  // XDEL unpacks; packing did happen on the way
}

TEST_CASE("StreamValue randomized against a map", "[stream]") {
  std::mt19937_64 rng(GENERATE(1, 2, 3, 4));
  StreamLimits limits{static_cast<size_t>(60 + rng() % 300), static_cast<int64_t>(rng() % 8)};
  RandomizedAgainstModel(rng(), limits, false);
}

TEST_CASE("StreamValue with packed nodes, randomized against a map", "[stream]") {
  const uint64_t seed = GENERATE(5, 6, 7);
  RandomizedAgainstModel(seed, StreamLimits{4096, static_cast<int64_t>(20 + seed)}, true);
}

TEST_CASE("StreamValue packs closed nodes and unpacks the ones it changes", "[stream]") {
  StreamValue s;
  StreamLimits limits{4096, 100};
  for (uint64_t i = 1; i <= 250; ++i) {
    REQUIRE(Add(s, {i, 0}, {"type", "click", "user", "user" + std::to_string(i % 7)}, limits));
  }
  REQUIRE(s.node_count() == 3);
  REQUIRE(s.node_packed(0));
  REQUIRE_FALSE(s.node_packed(1));  // the newest closed node stays plain
  REQUIRE_FALSE(s.node_packed(2));  // and so does the open tail
  for (uint64_t i = 251; i <= 301; ++i) REQUIRE(Add(s, {i, 0}, {"type", "click"}, limits));
  REQUIRE(s.node_packed(1));
  const size_t packed_size = s.AllocationSize();
  StreamID id[] = {{150, 0}};
  REQUIRE(s.Delete(id) == 1);
  REQUIRE_FALSE(s.node_packed(1));
  REQUIRE(s.AllocationSize() > packed_size);
  StreamValue::TrimArgs t;
  t.strategy = StreamValue::TrimArgs::Strategy::kMinId;
  t.minid = {101, 0};
  REQUIRE(s.Trim(t) == 100);  // node 0, packed, dropped whole by its recorded last ID
  REQUIRE(s.first_id() == StreamID{101, 0});
  REQUIRE(Read(s, {101, 0}, {101, 0}, false).size() == 1);
}

}  // namespace
}  // namespace tessera::types
