#include "core/keyspace/set_ops.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "core/base/glob.h"
#include "core/base/numbers.h"

namespace tessera::keyspace {

namespace {

// Redis's SPOP_MOVE_STRATEGY_MUL and SRANDMEMBER_SUB_STRATEGY_MUL.
constexpr uint64_t kSpopMoveStrategyMul = 5;
constexpr uint64_t kSrandSubStrategyMul = 3;
// HashTable::Scan reads up to count * 16 slots; this bound keeps that product small.
constexpr size_t kMaxScanBatch = size_t{1} << 20;
// Redis's SSCAN gives up after COUNT * 10 dictScan calls on a sparse table.
constexpr size_t kScanIterationsPerCount = 10;

Entry* NewSetEntry(DbAccess& db, std::string_view key, SetValue* set) {
  return Entry::NewObject(key, ValueType::kSet, set, kNoExpiry, db.clock());
}

std::vector<std::string> AllMembers(const SetValue& set) {
  std::vector<std::string> out;
  out.reserve(set.size());
  set.ForEach([&](const SetMember& m) { out.push_back(m.ToString()); });
  return out;
}

}  // namespace

OpResult<SetValue*> OpFindSet(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) return static_cast<SetValue*>(nullptr);
  if (e->type() != ValueType::kSet) return OpStatus::kWrongType;
  return e->object_as<SetValue>();
}

OpResult<std::vector<const SetValue*>> OpFindSets(DbAccess& db,
                                                  std::span<const std::string_view> keys) {
  std::vector<const SetValue*> sets;
  sets.reserve(keys.size());
  for (std::string_view key : keys) {
    OpResult<SetValue*> s = OpFindSet(db, key);
    if (!s) return s.status();
    sets.push_back(*s);
  }
  return sets;
}

OpResult<int64_t> OpSAdd(DbAccess& db, std::string_view key,
                         std::span<const std::string_view> members, const SetLimits& limits) {
  OpResult<SetValue*> found = OpFindSet(db, key);
  if (!found) return found.status();
  SetValue* set = *found;
  if (set == nullptr) {
    set = SetValue::Create(members[0], members.size(), limits);
    db.Insert(NewSetEntry(db, key, set));
  } else {
    set->MaybeConvert(members.size(), limits);
  }
  int64_t added = 0;
  for (std::string_view m : members) added += set->Add(m, limits) ? 1 : 0;
  return added;
}

OpResult<int64_t> OpSRem(DbAccess& db, std::string_view key,
                         std::span<const std::string_view> members) {
  OpResult<SetValue*> found = OpFindSet(db, key);
  if (!found) return found.status();
  SetValue* set = *found;
  if (set == nullptr) return int64_t{0};
  int64_t removed = 0;
  for (std::string_view m : members) {
    if (!set->Remove(m)) continue;
    ++removed;
    if (set->empty()) {
      db.Delete(key);
      break;
    }
  }
  return removed;
}

OpResult<bool> OpSMove(DbAccess& db, std::string_view src, std::string_view dst,
                       std::string_view member, const SetLimits& limits) {
  Entry* src_e = db.Find(src);
  Entry* dst_e = db.Find(dst);
  if (src_e == nullptr) return false;
  if (src_e->type() != ValueType::kSet) return OpStatus::kWrongType;
  if (dst_e != nullptr && dst_e->type() != ValueType::kSet) return OpStatus::kWrongType;
  SetValue* src_set = src_e->object_as<SetValue>();
  if (src_e == dst_e) return src_set->Contains(member);
  if (!src_set->Remove(member)) return false;
  if (src_set->empty()) db.Delete(src);
  SetValue* dst_set;
  if (dst_e == nullptr) {
    dst_set = SetValue::Create(member, 1, limits);
    db.Insert(NewSetEntry(db, dst, dst_set));
  } else {
    dst_set = dst_e->object_as<SetValue>();
  }
  dst_set->Add(member, limits);
  return true;
}

OpResult<std::optional<std::string>> OpSPop(DbAccess& db, std::string_view key,
                                            types::RandomBits& rng) {
  OpResult<SetValue*> found = OpFindSet(db, key);
  if (!found) return found.status();
  SetValue* set = *found;
  if (set == nullptr) return std::optional<std::string>();
  std::string member = set->PopRandom(rng);
  if (set->empty()) db.Delete(key);
  return std::optional<std::string>(std::move(member));
}

OpResult<std::vector<std::string>> OpSPopCount(DbAccess& db, std::string_view key, uint64_t count,
                                               const SetLimits& limits, types::RandomBits& rng) {
  Entry* e = db.Find(key);
  if (e == nullptr) return std::vector<std::string>();
  if (e->type() != ValueType::kSet) return OpStatus::kWrongType;
  SetValue* set = e->object_as<SetValue>();
  const uint64_t size = set->size();
  std::vector<std::string> out;
  // Everything: the reply is the whole set and the key goes.
  if (count >= size) {
    out = AllMembers(*set);
    db.Delete(key);
    return out;
  }
  out.reserve(count);
  const uint64_t remaining = size - count;
  if (remaining * kSpopMoveStrategyMul > count) {
    // Few members taken: take them one by one (a listpack in one sampling pass).
    if (set->encoding() == SetValue::Encoding::kListpack) {
      std::vector<size_t> positions;
      positions.reserve(count);
      set->ForEachSampled(count, rng, [&](const SetMember& m, size_t pos) {
        out.push_back(m.ToString());
        positions.push_back(pos);
      });
      set->RemovePackedAt(positions);
    } else {
      for (uint64_t i = 0; i < count; ++i) out.push_back(set->PopRandom(rng));
    }
    return out;
  }
  // Most members taken: move the few that stay into a new set and hand out the old one.
  std::unique_ptr<SetValue> kept;
  if (set->encoding() == SetValue::Encoding::kListpack) {
    kept = std::make_unique<SetValue>(SetValue::Encoding::kListpack);
    std::vector<size_t> positions;
    positions.reserve(remaining);
    set->ForEachSampled(remaining, rng, [&](const SetMember& m, size_t pos) {
      kept->Add(m, limits);
      positions.push_back(pos);
    });
    set->RemovePackedAt(positions);
  } else {
    for (uint64_t i = 0; i < remaining; ++i) {
      SetMember m = set->RandomMember(rng);
      if (kept == nullptr) {
        kept = std::make_unique<SetValue>(m.is_int ? SetValue::Encoding::kIntset
                                                   : SetValue::Encoding::kListpack);
      }
      std::string copy = m.ToString();
      kept->Add(SetMember::Str(copy), limits);
      set->Remove(SetMember::Str(copy));
    }
  }
  out = AllMembers(*set);
  e->set_object(kept.release());
  delete set;
  return out;
}

int64_t StoreSetResult(DbAccess& db, std::string_view dst, std::unique_ptr<SetValue> result) {
  if (result->empty()) {
    db.Delete(dst);
    return 0;
  }
  const int64_t size = static_cast<int64_t>(result->size());
  db.Upsert(NewSetEntry(db, dst, result.release()));
  return size;
}

// ---- Algebra --------------------------------------------------------------------------------

size_t ForEachInIntersection(std::vector<const SetValue*> sets, size_t limit,
                             const std::function<void(const SetMember&)>& fn) {
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  size_t found = 0;
  bool done = false;
  sets[0]->ForEach([&](const SetMember& m) {
    if (done) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != sets[0] && !sets[j]->Contains(m)) return;
    }
    fn(m);
    ++found;
    done = limit != 0 && found >= limit;
  });
  return found;
}

std::unique_ptr<SetValue> IntersectionSet(std::vector<const SetValue*> sets,
                                          const SetLimits& limits) {
  const SetValue* smallest =
      *std::min_element(sets.begin(), sets.end(),
                        [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  auto dst = std::make_unique<SetValue>(smallest->encoding() == SetValue::Encoding::kIntset
                                            ? SetValue::Encoding::kIntset
                                            : SetValue::Encoding::kListpack);
  bool only_integers = true;
  ForEachInIntersection(std::move(sets), 0, [&](const SetMember& m) {
    int64_t v;
    if (only_integers && !m.is_int && !ParseInt64(m.str, &v)) only_integers = false;
    dst->Add(m, limits);
  });
  if (!dst->empty() && only_integers) dst->MaybeConvertToIntset(limits);
  return dst;
}

std::unique_ptr<SetValue> UnionSet(const std::vector<const SetValue*>& sets,
                                   const SetLimits& limits) {
  auto dst = std::make_unique<SetValue>(SetValue::Encoding::kIntset);
  for (const SetValue* s : sets) {
    if (s == nullptr) continue;
    s->ForEach([&](const SetMember& m) { dst->Add(m, limits); });
  }
  return dst;
}

std::unique_ptr<SetValue> DiffSet(std::vector<const SetValue*> sets, const SetLimits& limits) {
  auto dst = std::make_unique<SetValue>(SetValue::Encoding::kIntset);
  const SetValue* first = sets[0];
  if (first == nullptr) return dst;
  for (size_t j = 1; j < sets.size(); ++j) {
    if (sets[j] == first) return dst;  // the first set minus itself
  }
  // Algorithm 1 tests each member of the first set against the others, O(N*M); algorithm 2
  // adds the first set and removes every other, O(total).  Redis halves the first estimate
  // because membership tests are cheap and stop early.
  uint64_t one_work = 0;
  uint64_t two_work = 0;
  for (const SetValue* s : sets) {
    if (s == nullptr) continue;
    one_work += first->size();
    two_work += s->size();
  }
  one_work /= 2;
  if (one_work <= two_work) {
    // Larger sets first: a member present elsewhere is likelier found early.
    std::stable_sort(sets.begin() + 1, sets.end(), [](const SetValue* a, const SetValue* b) {
      return (a ? a->size() : 0) > (b ? b->size() : 0);
    });
    first->ForEach([&](const SetMember& m) {
      for (size_t j = 1; j < sets.size(); ++j) {
        if (sets[j] != nullptr && sets[j]->Contains(m)) return;
      }
      dst->Add(m, limits);
    });
    return dst;
  }
  for (size_t j = 0; j < sets.size(); ++j) {
    if (sets[j] == nullptr) continue;
    sets[j]->ForEach([&](const SetMember& m) {
      if (j == 0) {
        dst->Add(m, limits);
      } else {
        dst->Remove(m);
      }
    });
    if (dst->empty()) break;
  }
  return dst;
}

// ---- SRANDMEMBER ------------------------------------------------------------------------------

void SampleMembers(const SetValue& set, int64_t count, types::RandomBits& rng,
                   const std::function<void(const SetMember&)>& fn) {
  const uint64_t size = set.size();
  // Negative: |count| independent draws, repeats allowed.
  if (count < 0 || count == 1) {
    const uint64_t n = count < 0 ? static_cast<uint64_t>(-count) : 1;
    for (uint64_t i = 0; i < n; ++i) fn(set.RandomMember(rng));
    return;
  }
  const uint64_t want = static_cast<uint64_t>(count);
  if (want >= size) {
    set.ForEach(fn);
    return;
  }
  // A listpack is small: one sampling pass, in storage order.
  if (set.encoding() == SetValue::Encoding::kListpack) {
    set.ForEachSampled(want, rng, [&](const SetMember& m, size_t) { fn(m); });
    return;
  }
  // Close to the whole set: copy it and drop random members until `want` are left.
  if (want * kSrandSubStrategyMul > size) {
    std::vector<std::string> all = AllMembers(set);
    while (all.size() > want) {
      const size_t i = rng.Below(all.size());
      std::swap(all[i], all.back());
      all.pop_back();
    }
    for (const std::string& s : all) fn(SetMember::Str(s));
    return;
  }
  // Much smaller than the set: draw until `want` distinct members came up.
  std::unordered_set<std::string> picked;
  picked.reserve(want);
  std::vector<std::string> order;
  order.reserve(want);
  while (order.size() < want) {
    std::string s = set.RandomMember(rng).ToString();
    if (picked.insert(s).second) order.push_back(std::move(s));
  }
  for (const std::string& s : order) fn(SetMember::Str(s));
}

// ---- SSCAN ------------------------------------------------------------------------------------

SetScanPage ScanSet(const SetValue& set, uint64_t cursor, size_t count,
                    std::optional<std::string_view> pattern) {
  SetScanPage page;
  auto keep = [&](std::string_view s) { return !pattern || GlobMatch(*pattern, s); };
  if (set.encoding() != SetValue::Encoding::kHashtable) {
    set.ForEach([&](const SetMember& m) {
      char buf[24];
      std::string_view s = m.View(buf);
      if (keep(s)) page.members.emplace_back(s);
    });
    return page;
  }
  // The table may hand out an element again (the rest of the cursor's home slot, or during a
  // rehash the array that got further); keeping only hashes in [cursor, resume point) returns
  // each element once per pass, as keyspace SCAN does.
  count = std::max<size_t>(count, 1);
  size_t visited = 0;
  size_t iterations =
      count > SIZE_MAX / kScanIterationsPerCount ? SIZE_MAX : count * kScanIterationsPerCount;
  std::vector<std::pair<std::string_view, uint64_t>> pending;
  while (true) {
    pending.clear();
    const size_t want = std::min(count - std::min(count, visited), kMaxScanBatch);
    SetValue::ScanResult r =
        set.ScanTable(cursor, std::max<size_t>(want, 1), [&](const SetMember& m, uint64_t h) {
          ++visited;
          if (h >= cursor) pending.emplace_back(m.str, h);
        });
    for (const auto& [s, h] : pending) {
      if (!r.done && h >= r.next_cursor) continue;
      if (keep(s)) page.members.emplace_back(s);
    }
    if (r.done) {
      page.cursor = 0;
      return page;
    }
    cursor = r.next_cursor;
    if (visited >= count || --iterations == 0) {
      page.cursor = cursor;
      return page;
    }
  }
}

}  // namespace tessera::keyspace
