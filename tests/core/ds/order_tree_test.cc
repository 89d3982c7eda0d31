#include "core/ds/order_tree.h"

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace tessera::ds {
namespace {

struct Item {
  int key;
};
struct ItemLess {
  static bool Less(const Item* a, const Item* b) { return a->key < b->key; }
};
using Tree = OrderTree<Item, ItemLess>;

// Checks the tree against the model: size, order, ranks, At() and CountWhile().
void CheckAgainst(const Tree& t, const std::set<int>& model) {
  REQUIRE(t.CheckInvariants());
  REQUIRE(t.size() == model.size());
  std::vector<int> keys;
  for (auto c = t.First(); c.valid(); c.Next()) keys.push_back(c.get()->key);
  REQUIRE(keys == std::vector<int>(model.begin(), model.end()));
  std::vector<int> back;
  for (auto c = t.Last(); c.valid(); c.Prev()) back.push_back(c.get()->key);
  REQUIRE(back == std::vector<int>(model.rbegin(), model.rend()));
}

TEST_CASE("OrderTree: random inserts and erases match std::set", "[zset][order_tree]") {
  for (int round = 0; round < 4; ++round) {
    std::mt19937 rng(round);
    std::vector<std::unique_ptr<Item>> items(5000);
    for (int i = 0; i < 5000; ++i) items[i] = std::make_unique<Item>(Item{i});
    std::set<int> model;
    Tree t;
    int key_space = round % 2 == 0 ? 5000 : 300;
    for (int step = 0; step < 20000; ++step) {
      int k = static_cast<int>(rng() % key_space);
      bool erase = rng() % 100 < (step < 10000 ? 35 : 65);
      if (erase) {
        REQUIRE(t.Erase(items[k].get()) == (model.erase(k) == 1));
      } else if (model.insert(k).second) {
        t.Insert(items[k].get());
      }
      if (step % 997 == 0) CheckAgainst(t, model);
    }
    CheckAgainst(t, model);
    // Ranks, At, CountWhile.
    size_t r = 0;
    for (int k : model) {
      REQUIRE(t.Rank(items[k].get()) == r);
      REQUIRE(t.At(r).get()->key == k);
      REQUIRE(t.Find(items[k].get()).get() == items[k].get());
      REQUIRE(t.CountWhile([k](const Item* x) { return x->key < k; }) == r);
      ++r;
    }
    REQUIRE_FALSE(t.At(model.size()).valid());
    for (int k = 0; k < 5000; ++k) {
      if (model.count(k) == 0) REQUIRE_FALSE(t.Find(items[k].get()).valid());
    }
    for (int k : std::vector<int>(model.begin(), model.end())) {
      REQUIRE(t.Erase(items[k].get()));
    }
    REQUIRE(t.size() == 0);
    REQUIRE(t.BytesAllocated() == 0);
    REQUIRE(t.CheckInvariants());
  }
}

TEST_CASE("OrderTree: ascending fill keeps leaves full", "[zset][order_tree]") {
  std::vector<std::unique_ptr<Item>> items;
  Tree t;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    items.push_back(std::make_unique<Item>(Item{i}));
    t.Insert(items.back().get());
  }
  REQUIRE(t.CheckInvariants());
  // About 8 bytes an element (full 512-byte leaves of 61) plus the inner nodes.
  CHECK(t.BytesAllocated() < static_cast<size_t>(n) * 9);
  // Descending fill too.
  Tree d;
  for (int i = n - 1; i >= 0; --i) d.Insert(items[i].get());
  REQUIRE(d.CheckInvariants());
  CHECK(d.BytesAllocated() < static_cast<size_t>(n) * 10);
  REQUIRE(d.At(12345).get()->key == 12345);
  // Erase every other element: merges keep the tree valid.
  for (int i = 0; i < n; i += 2) REQUIRE(d.Erase(items[i].get()));
  REQUIRE(d.CheckInvariants());
  REQUIRE(d.size() == n / 2);
  REQUIRE(d.At(0).get()->key == 1);
  REQUIRE_FALSE(d.Erase(items[0].get()));
}

}  // namespace
}  // namespace tessera::ds
