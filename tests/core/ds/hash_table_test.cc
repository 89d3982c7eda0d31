#include "core/ds/hash_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/base/hash.h"

namespace tessera::ds {
namespace {

// The hash is cached so tests can force collisions; Traits::Hash must return what callers pass.
struct Item {
  std::string key;
  uint64_t hash;
};

struct ItemTraits {
  static uint64_t Hash(const Item* e) { return e->hash; }
  static bool Equals(const Item* e, std::string_view key) { return e->key == key; }
};

using Table = HashTable<Item, ItemTraits>;

enum class HashMode { kGood, kFewHashes };

uint64_t HashFor(const std::string& key, HashMode mode) {
  uint64_t h = HashBytes(key);
  // kFewHashes: 512 distinct hashes, all with tag 0, so groups of equal hashes are common.
  return mode == HashMode::kGood ? h : h >> 55 << 55;
}

// The caller-owned elements, with O(1) random choice among them.
class Pool {
 public:
  explicit Pool(HashMode mode) : mode_(mode) {}

  Item* Add() {
    std::string key = "key:" + std::to_string(next_id_++);
    auto item = std::make_unique<Item>(Item{key, HashFor(key, mode_)});
    index_[key] = items_.size();
    items_.push_back(std::move(item));
    return items_.back().get();
  }
  Item* Random(std::mt19937_64& rng) { return items_[rng() % items_.size()].get(); }
  void Remove(Item* e) {
    size_t i = index_.at(e->key);
    index_.erase(e->key);
    if (i + 1 != items_.size()) {
      items_[i] = std::move(items_.back());
      index_[items_[i]->key] = i;
    }
    items_.pop_back();
  }
  // Moves e to a new address (like a realloc) and returns the new one; e is freed.
  Item* Move(Item* e) {
    size_t i = index_.at(e->key);
    items_[i] = std::make_unique<Item>(*e);
    return items_[i].get();
  }
  bool Contains(const Item* e) const {
    auto it = index_.find(e->key);
    return it != index_.end() && items_[it->second].get() == e;
  }
  std::string MissingKey() { return "missing:" + std::to_string(next_id_++); }
  uint64_t Hash(const std::string& key) const { return HashFor(key, mode_); }
  size_t size() const { return items_.size(); }
  const std::vector<std::unique_ptr<Item>>& items() const { return items_; }

 private:
  HashMode mode_;
  uint64_t next_id_ = 0;
  std::vector<std::unique_ptr<Item>> items_;
  std::unordered_map<std::string, size_t> index_;
};

// Checks that the table holds exactly the pool's elements.
void ExpectSameContents(const Table& table, const Pool& pool) {
  REQUIRE(table.CheckInvariants());
  REQUIRE(table.size() == pool.size());
  for (const auto& item : pool.items()) {
    REQUIRE(table.Find(item->key, item->hash) == item.get());
  }
  std::unordered_set<const Item*> seen;
  table.ForEach([&](Item* e) {
    REQUIRE(pool.Contains(e));
    REQUIRE(seen.insert(e).second);
  });
  REQUIRE(seen.size() == pool.size());
}

void RunDifferential(HashMode mode, size_t num_ops, size_t max_size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Table table;
  Pool pool(mode);
  bool growing = true;
  size_t target = max_size;
  size_t resizes_started = 0;
  size_t shrinks = 0;
  for (size_t op = 0; op < num_ops; ++op) {
    if (growing && pool.size() >= target) {
      growing = false;
      target = rng() % 100;
    } else if (!growing && pool.size() <= target) {
      growing = true;
      target = max_size / 4 + rng() % (max_size - max_size / 4);
    }
    const bool was_rehashing = table.IsRehashing();
    const size_t bytes_before = table.BytesAllocated();
    const unsigned dice = rng() % 100;
    if (pool.size() == 0 || dice < (growing ? 60u : 25u)) {
      Item* e = pool.Add();
      table.Insert(e, e->hash);
    } else if (dice < 70) {
      Item* e = pool.Random(rng);
      if (rng() % 2 == 0) {
        REQUIRE(table.Erase(e->key, e->hash) == e);
      } else {
        REQUIRE(table.ErasePointer(e, e->hash));
      }
      pool.Remove(e);
    } else if (dice < 78) {
      Item* e = pool.Random(rng);
      Item copy = *e;  // a different element with the same key must not match ErasePointer
      REQUIRE_FALSE(table.ReplacePointer(&copy, &copy, copy.hash));
      REQUIRE_FALSE(table.ErasePointer(&copy, copy.hash));
      const uint64_t hash = e->hash;
      Item* moved = pool.Move(e);  // frees e: a stale pointer left in the table shows in ASan
      REQUIRE(table.ReplacePointer(e, moved, hash));
    } else if (dice < 88) {
      Item* e = pool.Random(rng);
      REQUIRE(table.Find(e->key, e->hash) == e);
    } else if (dice < 95) {
      std::string key = pool.MissingKey();
      const uint64_t hash = pool.Hash(key);
      REQUIRE(table.Find(key, hash) == nullptr);
      REQUIRE(table.Erase(key, hash) == nullptr);
    } else {
      const size_t max_slots = rng() % 64;
      const size_t n = table.RehashStep(max_slots);
      REQUIRE(n <= max_slots);
      if (!was_rehashing) REQUIRE(n == 0);
    }
    REQUIRE(table.size() == pool.size());
    REQUIRE(table.empty() == (pool.size() == 0));
    if (!was_rehashing && table.IsRehashing()) {
      ++resizes_started;
      // Both arrays are allocated now: the new one is smaller iff this is a shrink.
      if (table.BytesAllocated() - bytes_before < bytes_before) ++shrinks;
    }
    if (op % 2000 == 0) ExpectSameContents(table, pool);
  }
  ExpectSameContents(table, pool);
  CHECK(resizes_started >= 10);
  CHECK(shrinks >= 3);
}

TEST_CASE("HashTable matches a model under random operations", "[hash_table]") {
  SECTION("good hash") { RunDifferential(HashMode::kGood, 300000, 20000, 1); }
  SECTION("few distinct hashes") { RunDifferential(HashMode::kFewHashes, 100000, 4000, 2); }
}

TEST_CASE("HashTable stays correct when hundreds of elements share one hash", "[hash_table]") {
  for (uint64_t shared : {uint64_t{0}, uint64_t{1} << 63, ~uint64_t{0}}) {
    CAPTURE(shared);
    std::mt19937_64 rng(shared ^ 7);
    std::vector<std::unique_ptr<Item>> items;
    for (int i = 0; i < 2000; ++i) {
      std::string key = "k" + std::to_string(i);
      // Every third element shares the hash; the rest spread around it.
      uint64_t hash = i % 3 == 0 ? shared : HashBytes(key);
      items.push_back(std::make_unique<Item>(Item{key, hash}));
    }
    std::shuffle(items.begin(), items.end(), rng);
    Table table;
    for (auto& item : items) {
      table.Insert(item.get(), item->hash);
      if (rng() % 4 == 0) table.RehashStep(8);
    }
    REQUIRE(table.CheckInvariants());
    for (auto& item : items) REQUIRE(table.Find(item->key, item->hash) == item.get());
    REQUIRE(table.Find("absent", shared) == nullptr);

    std::unordered_set<const Item*> scanned;
    Table::ScanResult r{0, false};
    while (!r.done) r = table.Scan(r.next_cursor, 10, [&](Item* e) { scanned.insert(e); });
    REQUIRE(scanned.size() == items.size());

    for (size_t i = 0; i < items.size(); i += 3) {
      auto moved = std::make_unique<Item>(*items[i]);
      REQUIRE(table.ReplacePointer(items[i].get(), moved.get(), moved->hash));
      items[i] = std::move(moved);
    }
    REQUIRE(table.CheckInvariants());
    std::shuffle(items.begin(), items.end(), rng);
    for (size_t i = 0; i < items.size() / 2; ++i) {
      Item* e = items[i].get();
      if (i % 2 == 0) {
        REQUIRE(table.Erase(e->key, e->hash) == e);
      } else {
        REQUIRE(table.ErasePointer(e, e->hash));
      }
      if (i % 97 == 0) REQUIRE(table.CheckInvariants());
    }
    for (size_t i = 0; i < items.size(); ++i) {
      Item* expected = i < items.size() / 2 ? nullptr : items[i].get();
      REQUIRE(table.Find(items[i]->key, items[i]->hash) == expected);
    }
    for (size_t i = items.size() / 2; i < items.size(); ++i) {
      REQUIRE(table.Erase(items[i]->key, items[i]->hash) == items[i].get());
    }
    REQUIRE(table.empty());
    REQUIRE(table.BytesAllocated() == 0);
  }
}

TEST_CASE("HashTable::Reserve sizes an empty table so that n inserts never grow it",
          "[hash_table]") {
  constexpr size_t kN = 10000;
  std::vector<std::unique_ptr<Item>> items;
  Table t;
  t.Reserve(kN);
  const size_t reserved = t.BytesAllocated();
  CHECK(reserved >= static_cast<size_t>(kN / Table::kMaxLoad) * sizeof(uint64_t));
  for (size_t i = 0; i < kN; ++i) {
    auto it = std::make_unique<Item>();
    it->key = "k" + std::to_string(i);
    it->hash = HashBytes(it->key);
    t.Insert(it.get(), it->hash);
    items.push_back(std::move(it));
  }
  CHECK(t.BytesAllocated() == reserved);
  CHECK_FALSE(t.IsRehashing());
  for (const auto& it : items) CHECK(t.Find(it->key, it->hash) == it.get());
  t.Reserve(kN * 10);  // not empty: no effect
  CHECK(t.BytesAllocated() == reserved);
}

TEST_CASE("HashTable grows when a shift runs off the end, losing nothing", "[hash_table]") {
  // Hashes crowded at the top of the range pile up in the overflow area; inserting one with a
  // slightly lower home shifts that pile, which then runs off the end and must be undone.
  std::mt19937_64 rng(11);
  std::vector<std::unique_ptr<Item>> items;
  for (int i = 0; i < 3000; ++i) {
    const uint64_t hash = ~uint64_t{0} - (rng() % 600) * (uint64_t{1} << 52);
    items.push_back(std::make_unique<Item>(Item{"t" + std::to_string(i), hash}));
  }
  Table table;
  for (size_t i = 0; i < items.size(); ++i) {
    table.Insert(items[i].get(), items[i]->hash);
    REQUIRE(table.CheckInvariants());
    if (i % 50 == 0) {
      for (size_t j = 0; j <= i; ++j) {
        REQUIRE(table.Find(items[j]->key, items[j]->hash) == items[j].get());
      }
    }
  }
  REQUIRE(table.CheckInvariants());
  for (auto& item : items) REQUIRE(table.Erase(item->key, item->hash) == item.get());
  REQUIRE(table.BytesAllocated() == 0);
}

TEST_CASE("HashTable Scan returns every element present for the whole scan", "[hash_table]") {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    Table table;
    Pool stable(HashMode::kGood);
    for (int i = 0; i < 3000; ++i) {
      Item* e = stable.Add();
      table.Insert(e, e->hash);
    }
    std::vector<std::unique_ptr<Item>> churn;  // inserted and erased between Scan calls
    std::unordered_set<const Item*> churn_live;
    uint64_t churn_id = 0;
    size_t grows = 0;
    size_t shrinks = 0;
    auto count_resizes = [&](auto&& op) {
      const size_t bytes = table.BytesAllocated();
      const bool rehashing = table.IsRehashing();
      op();
      if (!rehashing && table.IsRehashing()) {
        // Both arrays are allocated now: the new one is smaller iff this is a shrink.
        ++(table.BytesAllocated() - bytes < bytes ? shrinks : grows);
      }
    };
    auto add_churn = [&](size_t n) {
      for (size_t i = 0; i < n; ++i) {
        std::string key = "churn:" + std::to_string(churn_id++);
        churn.push_back(std::make_unique<Item>(Item{key, HashBytes(key)}));
        count_resizes([&] { table.Insert(churn.back().get(), churn.back()->hash); });
        churn_live.insert(churn.back().get());
      }
    };
    auto erase_churn = [&](size_t n) {
      for (size_t i = 0; i < n && !churn.empty(); ++i) {
        std::swap(churn[rng() % churn.size()], churn.back());
        count_resizes([&] { REQUIRE(table.ErasePointer(churn.back().get(), churn.back()->hash)); });
        churn_live.erase(churn.back().get());
        churn.pop_back();
      }
    };

    std::unordered_set<const Item*> seen;
    size_t calls = 0;
    Table::ScanResult r{0, false};
    while (!r.done) {
      const uint64_t cursor = r.next_cursor;
      r = table.Scan(cursor, 1 + rng() % 20, [&](Item* e) {
        REQUIRE((stable.Contains(e) || churn_live.count(e) == 1));
        seen.insert(e);
      });
      if (!r.done) REQUIRE(r.next_cursor > cursor);
      ++calls;
      switch (calls % 50) {
        case 10:  // grow through several resizes, leaving a migration in progress
          add_churn(20000 + rng() % 10000);
          break;
        case 30:  // drop below 10% load: shrinks
          erase_churn(churn.size());
          break;
        default:
          if (rng() % 2) add_churn(rng() % 40);
          if (rng() % 2) erase_churn(rng() % 40);
          if (rng() % 4 == 0) table.RehashStep(rng() % 100);
      }
      if (calls % 500 == 0) REQUIRE(table.CheckInvariants());
    }
    for (const auto& item : stable.items()) REQUIRE(seen.count(item.get()) == 1);
    CHECK(grows >= 3);
    CHECK(shrinks >= 3);
  }
}

TEST_CASE("HashTable Scan visits only live elements, in nondecreasing home order", "[hash_table]") {
  Table table;
  Pool pool(HashMode::kGood);
  for (int i = 0; i < 5000; ++i) {
    Item* e = pool.Add();
    table.Insert(e, e->hash);
  }
  for (int pass = 0; pass < 2; ++pass) {  // once settled, once mid-migration
    if (pass == 1) {
      while (!table.IsRehashing()) {
        Item* e = pool.Add();
        table.Insert(e, e->hash);
      }
    }
    std::unordered_set<const Item*> seen;
    Table::ScanResult r{0, false};
    while (!r.done) {
      uint64_t last_hash = 0;
      bool first = true;
      size_t visited = 0;
      bool ordered = true;
      const bool two_arrays = table.IsRehashing();
      r = table.Scan(r.next_cursor, 7, [&](Item* e) {
        REQUIRE(pool.Contains(e));
        if (!first && e->hash < last_hash) ordered = false;
        first = false;
        last_hash = e->hash;
        seen.insert(e);
        ++visited;
      });
      if (!two_arrays) CHECK(ordered);  // with two arrays the order holds per array
      if (!r.done && !two_arrays) CHECK(visited >= 7);
    }
    REQUIRE(seen.size() == pool.size());
  }
}

TEST_CASE("HashTable Scan on an empty table is done at once", "[hash_table]") {
  Table table;
  size_t calls = 0;
  auto r = table.Scan(0, 10, [&](Item*) { ++calls; });
  CHECK(r.done);
  CHECK(calls == 0);
  Item e{"a", HashBytes("a")};
  table.Insert(&e, e.hash);
  REQUIRE(table.Erase("a", e.hash) == &e);
  r = table.Scan(12345, 10, [&](Item*) { ++calls; });
  CHECK(r.done);
  CHECK(calls == 0);
}

TEST_CASE("HashTable RandomElement returns a member", "[hash_table]") {
  Table table;
  CHECK(table.RandomElement(42) == nullptr);
  Pool pool(HashMode::kGood);
  std::mt19937_64 rng(5);
  bool saw_rehashing = false;
  for (int i = 0; i < 3000; ++i) {
    Item* e = pool.Add();
    table.Insert(e, e->hash);
    saw_rehashing |= table.IsRehashing();
    REQUIRE(pool.Contains(table.RandomElement(rng())));
  }
  CHECK(saw_rehashing);
  std::unordered_set<const Item*> picked;
  for (int i = 0; i < 3000; ++i) picked.insert(table.RandomElement(rng()));
  CHECK(picked.size() > 1000);
  table.Clear();
  CHECK(table.RandomElement(42) == nullptr);
}

TEST_CASE("HashTable BytesAllocated reflects capacity", "[hash_table]") {
  Table table;
  CHECK(table.BytesAllocated() == 0);
  Pool pool(HashMode::kGood);
  Item* first = pool.Add();
  table.Insert(first, first->hash);
  CHECK(table.BytesAllocated() > 0);
  CHECK(table.BytesAllocated() <= 64 * sizeof(uint64_t));
  for (int i = 0; i < 100000; ++i) {
    Item* e = pool.Add();
    table.Insert(e, e->hash);
    if (!table.IsRehashing() && table.size() > 1000) {
      const double slots = table.BytesAllocated() / 8.0;
      // Load in (0.6, 0.9] of capacity; overflow adds 1/32 of capacity + 32.
      REQUIRE(slots >= table.size() / Table::kMaxLoad);
      REQUIRE(slots <= (table.size() / 0.59) * (1 + 1.0 / 32) + 32);
    }
  }
  const size_t big = table.BytesAllocated();
  std::mt19937_64 rng(9);
  while (pool.size() > 500) {
    Item* e = pool.Random(rng);
    REQUIRE(table.ErasePointer(e, e->hash));
    pool.Remove(e);
  }
  while (table.IsRehashing()) table.RehashStep(1000);
  CHECK(table.BytesAllocated() < big / 20);
  table.Clear();
  CHECK(table.size() == 0);
  CHECK(table.BytesAllocated() == 0);
}

TEST_CASE("HashTable ForEach visits each element once while rehashing", "[hash_table]") {
  Table table;
  Pool pool(HashMode::kGood);
  size_t checks = 0;
  for (int i = 0; i < 20000; ++i) {
    Item* e = pool.Add();
    table.Insert(e, e->hash);
    if (table.IsRehashing() && i % 7 == 0) {
      ExpectSameContents(table, pool);
      ++checks;
    }
  }
  CHECK(checks > 5);
}

TEST_CASE("HashTable RehashStep is bounded and finishes the migration", "[hash_table]") {
  Table table;
  CHECK(table.RehashStep(10) == 0);
  Pool pool(HashMode::kGood);
  while (!table.IsRehashing() || table.size() < 1000) {
    Item* e = pool.Add();
    table.Insert(e, e->hash);
  }
  size_t steps = 0;
  while (table.IsRehashing()) {
    const size_t n = table.RehashStep(5);
    REQUIRE(n >= 1);
    REQUIRE(n <= 5);
    ++steps;
  }
  CHECK(steps > 10);
  CHECK(table.RehashStep(5) == 0);
  ExpectSameContents(table, pool);
}

TEST_CASE("HashTable is movable", "[hash_table]") {
  Table a;
  Pool pool(HashMode::kGood);
  for (int i = 0; i < 1000; ++i) {
    Item* e = pool.Add();
    a.Insert(e, e->hash);
  }
  Table b(std::move(a));
  CHECK(a.empty());
  CHECK(a.BytesAllocated() == 0);
  ExpectSameContents(b, pool);
  Table c;
  c = std::move(b);
  CHECK(b.empty());
  ExpectSameContents(c, pool);
}

}  // namespace
}  // namespace tessera::ds
