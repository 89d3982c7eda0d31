// Unit tests of ListValue (core/types/list_value.h): both encodings, the conversions at each
// threshold (Redis 7.2's rules), plain nodes, extreme indexes, and a randomized comparison of
// every operation against a std::deque model.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/types/list_value.h"

namespace tessera::types {
namespace {

std::vector<std::string> Contents(const ListValue& l) {
  std::vector<std::string> out;
  char buf[24];
  for (ListValue::Cursor c = l.At(0); c.Valid(); c.Next()) out.emplace_back(c.Get(buf));
  return out;
}

std::vector<std::string> ContentsBackward(const ListValue& l) {
  std::vector<std::string> out;
  char buf[24];
  for (ListValue::Cursor c = l.At(-1); c.Valid(); c.Prev()) out.emplace_back(c.Get(buf));
  std::reverse(out.begin(), out.end());
  return out;
}

void PushAll(ListValue& l, const std::vector<std::string>& values, const ListLimits& limits) {
  for (const std::string& v : values) {
    l.ConvertForGrowth(v.size(), 1, limits);
    l.Push(v, ListEnd::kTail, limits);
  }
}

TEST_CASE("ListValue: listpack push, pop, index", "[list]") {
  ListLimits limits;
  ListValue l;
  CHECK(l.EncodingName() == "listpack");
  CHECK(l.Length() == 0);
  CHECK_FALSE(l.At(0).Valid());
  l.Push("b", ListEnd::kTail, limits);
  l.Push("a", ListEnd::kHead, limits);
  l.Push("42", ListEnd::kTail, limits);
  CHECK(Contents(l) == std::vector<std::string>{"a", "b", "42"});
  char buf[24];
  CHECK(l.At(-1).Get(buf) == "42");
  CHECK(l.At(-3).Get(buf) == "a");
  CHECK_FALSE(l.At(3).Valid());
  CHECK_FALSE(l.At(-4).Valid());
  CHECK_FALSE(l.At(std::numeric_limits<int64_t>::min()).Valid());
  CHECK_FALSE(l.At(std::numeric_limits<int64_t>::max()).Valid());
  CHECK(l.Pop(ListEnd::kTail) == "42");
  CHECK(l.Pop(ListEnd::kHead) == "a");
  CHECK(l.Length() == 1);
  CHECK(l.AllocationSize() >= sizeof(ListValue) + 7);
}

TEST_CASE("ListValue: count fill converts past N and back at N/2", "[list]") {
  ListLimits limits;
  limits.fill = 3;
  ListValue l;
  PushAll(l, {"a", "b", "c"}, limits);
  CHECK(l.EncodingName() == "listpack");
  PushAll(l, {"d"}, limits);
  CHECK(l.EncodingName() == "quicklist");
  CHECK(l.quicklist_info().nodes == 2);  // [a b c] [d]
  CHECK(l.quicklist_info().fill == 3);
  l.Pop(ListEnd::kTail);
  l.ConvertForShrink(limits);
  CHECK(l.EncodingName() == "quicklist");  // 3 elements > 3/2
  l.Pop(ListEnd::kTail);
  l.ConvertForShrink(limits);
  CHECK(l.EncodingName() == "quicklist");  // 2 > 1
  l.Pop(ListEnd::kTail);
  l.ConvertForShrink(limits);
  CHECK(l.EncodingName() == "listpack");
  CHECK(Contents(l) == std::vector<std::string>{"a"});

  // fill 0 means 1 element per node.
  limits.fill = 0;
  ListValue one;
  PushAll(one, {"a"}, limits);
  CHECK(one.EncodingName() == "listpack");
  PushAll(one, {"b"}, limits);
  CHECK(one.EncodingName() == "quicklist");
  CHECK(one.quicklist_info().nodes == 2);
}

TEST_CASE("ListValue: byte fill converts past the limit", "[list]") {
  ListLimits limits;
  limits.fill = -1;  // 4096 bytes
  ListValue l;
  // Listpack of 7 bytes; + 4089 raw bytes is exactly the limit.
  l.ConvertForGrowth(4089, 1, limits);
  CHECK(l.EncodingName() == "listpack");
  l.ConvertForGrowth(4090, 1, limits);
  CHECK(l.EncodingName() == "quicklist");
  CHECK(l.quicklist_info().nodes == 0);  // an empty listpack is dropped

  // -6 and below count as -5: 64 KB.
  limits.fill = -6;
  ListValue big;
  PushAll(big, {std::string(60000, 'x')}, limits);
  CHECK(big.EncodingName() == "listpack");
  PushAll(big, {std::string(5536, 'x')}, limits);
  CHECK(big.EncodingName() == "quicklist");

  // A count fill still caps a listpack at 8 KB.
  limits.fill = 100;
  ListValue capped;
  PushAll(capped, {std::string(8000, 'x')}, limits);
  CHECK(capped.EncodingName() == "listpack");
  PushAll(capped, {std::string(200, 'x')}, limits);
  CHECK(capped.EncodingName() == "quicklist");
}

TEST_CASE("ListValue: quicklist nodes respect the fill", "[list]") {
  ListLimits limits;
  limits.fill = -2;  // 8 KB
  ListValue l;
  for (int i = 0; i < 100000; ++i) {
    l.ConvertForGrowth(3, 1, limits);
    l.Push("xxx", ListEnd::kHead, limits);
  }
  CHECK(l.Length() == 100000);
  ListValue::QuicklistInfo info = l.quicklist_info();
  CHECK(info.plain_nodes == 0);
  // 5 bytes per element, nodes of at most 8 KB: ~1600 per node.
  CHECK(info.nodes >= 100000 / 1640);
  CHECK(info.nodes <= 100000 / 1500 + 1);
  CHECK(info.total_bytes / info.nodes <= 8192);
  char buf[24];
  CHECK(l.At(99999).Get(buf) == "xxx");
  CHECK(l.At(-100000).Get(buf) == "xxx");
  CHECK_FALSE(l.At(100000).Valid());
  // Memory: close to the packed size, far below one allocation per element.
  CHECK(l.AllocationSize() < 100000 * 6);
}

TEST_CASE("ListValue: plain nodes for elements over the packed threshold", "[list]") {
  ListLimits limits;
  limits.fill = -2;
  limits.packed_threshold = 5;
  ListValue l;
  l.ConvertForGrowth(20000, 1, limits);  // force a quicklist
  l.Push("aa", ListEnd::kTail, limits);
  l.Push("bb", ListEnd::kTail, limits);
  l.Push("long-value", ListEnd::kTail, limits);
  l.Push("another-long", ListEnd::kHead, limits);
  CHECK(Contents(l) == std::vector<std::string>{"another-long", "aa", "bb", "long-value"});
  CHECK(l.quicklist_info().plain_nodes == 2);
  // LSET combinations: plain -> packed, packed -> plain (splitting a node), plain -> plain.
  CHECK(l.Set(0, "cc", limits));
  CHECK(l.Set(1, "xxxxxxxxxx", limits));
  CHECK(l.Set(-1, "yyyyyyyyyy", limits));
  CHECK(Contents(l) == std::vector<std::string>{"cc", "xxxxxxxxxx", "bb", "yyyyyyyyyy"});
  CHECK(ContentsBackward(l) == Contents(l));
  CHECK(l.Insert("bb", "zzzzzzzzzz", false, limits));
  CHECK(Contents(l) ==
        std::vector<std::string>{"cc", "xxxxxxxxxx", "zzzzzzzzzz", "bb", "yyyyyyyyyy"});
  CHECK(l.Remove("zzzzzzzzzz", 0) == 1);
  CHECK(l.Pop(ListEnd::kTail) == "yyyyyyyyyy");
  CHECK(Contents(l) == std::vector<std::string>{"cc", "xxxxxxxxxx", "bb"});
  std::unique_ptr<ListValue> copy(l.Clone());
  CHECK(Contents(*copy) == Contents(l));
  CHECK(copy->EncodingName() == "quicklist");
}

TEST_CASE("ListValue: quicklist back to listpack when shrinking", "[list]") {
  ListLimits limits;
  limits.fill = -1;
  const std::string large(8192, 'x');
  ListValue l;
  PushAll(l, {large, "a", "b"}, limits);
  CHECK(l.EncodingName() == "quicklist");
  CHECK(l.quicklist_info().nodes == 2);  // [large] [a b]
  l.DeleteRange(1, 2);
  l.ConvertForShrink(limits);
  CHECK(l.EncodingName() == "quicklist");  // one node, but 8 KB > 2 KB
  CHECK(l.Set(-1, "c", limits));
  l.ConvertForShrink(limits);
  CHECK(l.EncodingName() == "listpack");
  CHECK(Contents(l) == std::vector<std::string>{"c"});
}

TEST_CASE("ListValue: DeleteRange across nodes", "[list]") {
  ListLimits limits;
  limits.fill = 4;
  ListValue l;
  std::vector<std::string> model;
  for (int i = 0; i < 50; ++i) model.push_back(std::to_string(i));
  PushAll(l, model, limits);
  l.DeleteRange(3, 30);
  model.erase(model.begin() + 3, model.begin() + 33);
  CHECK(Contents(l) == model);
  l.DeleteRange(0, 1);
  model.erase(model.begin());
  l.DeleteRange(l.Length() - 5, 5);
  model.resize(model.size() - 5);
  CHECK(Contents(l) == model);
  CHECK(ContentsBackward(l) == model);
  l.DeleteRange(0, l.Length());
  CHECK(l.Length() == 0);
}

// Every operation, at random, against a std::deque, for a spread of fills and thresholds.
TEST_CASE("ListValue: randomized against a model", "[list]") {
  std::mt19937 rng(12345);
  auto rand = [&](int n) { return int(rng() % unsigned(n)); };
  auto value = [&]() -> std::string {
    switch (rand(4)) {
      case 0: return std::to_string(rand(20));
      case 1: return std::to_string(int64_t(rng()) * (rand(2) ? 1 : -1) * 1000003);
      case 2: return std::string(size_t(rand(30)), 'a' + char(rand(3)));
      default: return std::string(size_t(rand(3000)), 'x');
    }
  };
  for (int fill : {1, 3, 16, -1, -2}) {
    for (size_t threshold : {size_t{1} << 30, size_t{20}}) {
      ListLimits limits;
      limits.fill = fill;
      limits.packed_threshold = threshold;
      INFO("fill " << fill << " threshold " << threshold);
      ListValue l;
      std::deque<std::string> model;
      for (int step = 0; step < 3000; ++step) {
        int op = rand(9);
        if (op <= 1) {
          std::string v = value();
          l.ConvertForGrowth(v.size(), 1, limits);
          l.Push(v, op == 0 ? ListEnd::kHead : ListEnd::kTail, limits);
          if (op == 0) {
            model.push_front(v);
          } else {
            model.push_back(v);
          }
        } else if (op == 2 && !model.empty()) {
          bool head = rand(2);
          std::string got = l.Pop(head ? ListEnd::kHead : ListEnd::kTail);
          REQUIRE(got == (head ? model.front() : model.back()));
          if (head) {
            model.pop_front();
          } else {
            model.pop_back();
          }
        } else if (op == 3 && !model.empty()) {
          int64_t i = rand(int(model.size()) * 2) - int64_t(model.size());
          std::string v = value();
          l.ConvertForGrowth(v.size(), 1, limits);
          REQUIRE(l.Set(i, v, limits));
          model[size_t(i < 0 ? i + int64_t(model.size()) : i)] = v;
        } else if (op == 4 && !model.empty()) {
          std::string pivot = model[size_t(rand(int(model.size())))];
          std::string v = value();
          bool after = rand(2);
          l.ConvertForGrowth(v.size(), 1, limits);
          REQUIRE(l.Insert(pivot, v, after, limits));
          auto it = std::find(model.begin(), model.end(), pivot);
          model.insert(after ? it + 1 : it, v);
        } else if (op == 5 && !model.empty()) {
          std::string target = model[size_t(rand(int(model.size())))];
          int64_t count = rand(5) - 2;
          size_t removed = l.Remove(target, count);
          size_t want = 0;
          if (count >= 0) {
            for (auto it = model.begin(); it != model.end();) {
              if (*it == target && (count == 0 || want < size_t(count))) {
                it = model.erase(it);
                ++want;
              } else {
                ++it;
              }
            }
          } else {
            for (size_t k = model.size(); k-- > 0;) {
              if (model[k] == target && want < size_t(-count)) {
                model.erase(model.begin() + int64_t(k));
                ++want;
              }
            }
          }
          REQUIRE(removed == want);
        } else if (op == 6 && model.size() > 2) {
          size_t start = size_t(rand(int(model.size())));
          size_t n = size_t(rand(int(model.size() - start) + 1));
          l.DeleteRange(start, n);
          model.erase(model.begin() + int64_t(start), model.begin() + int64_t(start + n));
        } else if (op == 7) {
          l.ConvertForShrink(limits);
        } else if (!model.empty()) {
          int64_t i = rand(int(model.size()) * 2) - int64_t(model.size());
          char buf[24];
          ListValue::Cursor c = l.At(i);
          REQUIRE(c.Valid());
          REQUIRE(c.Get(buf) == model[size_t(i < 0 ? i + int64_t(model.size()) : i)]);
          REQUIRE(c.Equals(model[size_t(i < 0 ? i + int64_t(model.size()) : i)]));
        }
        REQUIRE(l.Length() == model.size());
        if (step % 100 == 0) {
          std::vector<std::string> want(model.begin(), model.end());
          REQUIRE(Contents(l) == want);
          REQUIRE(ContentsBackward(l) == want);
        }
      }
      std::vector<std::string> want(model.begin(), model.end());
      CHECK(Contents(l) == want);
      std::unique_ptr<ListValue> copy(l.Clone());
      CHECK(Contents(*copy) == want);
    }
  }
}

}  // namespace
}  // namespace tessera::types
