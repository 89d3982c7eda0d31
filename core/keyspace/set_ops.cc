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

// The set entry at `key`: nullptr if there is none; kWrongType for another type.
OpResult<Entry*> FindSetEntry(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) return static_cast<Entry*>(nullptr);
  if (e->type() != ValueType::kSet) return OpStatus::kWrongType;
  return e;
}

std::vector<std::string> AllMembers(const SetValue& set) {
  std::vector<std::string> out;
  out.reserve(set.size());
  set.ForEach([&](const SetMember& m) { out.push_back(m.ToString()); });
  return out;
}

}  // namespace

OpResult<SetValue*> OpFindSet(DbAccess& db, std::string_view key) {
  OpResult<Entry*> e = FindSetEntry(db, key);
  if (!e) return e.status();
  return *e == nullptr ? nullptr : (*e)->object_as<SetValue>();
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
  OpResult<Entry*> found = FindSetEntry(db, key);
  if (!found) return found.status();
  Entry* e = *found;
  SetValue* set = e == nullptr ? SetValue::Create(members[0], members.size(), limits)
                               : e->object_as<SetValue>();
  if (e != nullptr) SetValue::MaybeConvert(&set, members.size(), limits);
  int64_t added = 0;
  for (std::string_view m : members) added += SetValue::Add(&set, m, limits) ? 1 : 0;
  if (e == nullptr) {
    db.Insert(NewSetEntry(db, key, set));
  } else {
    e->set_object(set);
  }
  return added;
}

OpResult<int64_t> OpSRem(DbAccess& db, std::string_view key,
                         std::span<const std::string_view> members) {
  OpResult<Entry*> found = FindSetEntry(db, key);
  if (!found) return found.status();
  Entry* e = *found;
  if (e == nullptr) return int64_t{0};
  SetValue* set = e->object_as<SetValue>();
  int64_t removed = 0;
  for (std::string_view m : members) {
    if (!SetValue::Remove(&set, m)) continue;
    ++removed;
    if (set->empty()) break;
  }
  e->set_object(set);
  if (set->empty()) db.Delete(key);
  return removed;
}

OpResult<bool> OpSMove(DbAccess& db, std::string_view src, std::string_view dst,
                       std::string_view member, const SetLimits& limits,
                       const std::function<void(bool)>& removed) {
  Entry* src_e = db.Find(src);
  Entry* dst_e = db.Find(dst);
  if (src_e == nullptr) return false;
  if (src_e->type() != ValueType::kSet) return OpStatus::kWrongType;
  if (dst_e != nullptr && dst_e->type() != ValueType::kSet) return OpStatus::kWrongType;
  SetValue* src_set = src_e->object_as<SetValue>();
  if (src_e == dst_e) return src_set->Contains(member);
  if (!SetValue::Remove(&src_set, member)) return false;
  src_e->set_object(src_set);
  const bool src_deleted = src_set->empty();
  if (src_deleted) db.Delete(src);
  if (removed) removed(src_deleted);
  if (dst_e == nullptr) {
    SetValue* dst_set = SetValue::Create(member, 1, limits);
    SetValue::Add(&dst_set, member, limits);
    db.Insert(NewSetEntry(db, dst, dst_set));
  } else {
    SetValue* dst_set = dst_e->object_as<SetValue>();
    SetValue::Add(&dst_set, member, limits);
    dst_e->set_object(dst_set);
  }
  return true;
}

OpResult<std::optional<std::string>> OpSPop(DbAccess& db, std::string_view key,
                                            SplitMix64& rng) {
  OpResult<Entry*> found = FindSetEntry(db, key);
  if (!found) return found.status();
  Entry* e = *found;
  if (e == nullptr) return std::optional<std::string>();
  SetValue* set = e->object_as<SetValue>();
  std::string member = SetValue::PopRandom(&set, rng);
  e->set_object(set);
  if (set->empty()) db.Delete(key);
  return std::optional<std::string>(std::move(member));
}

OpResult<std::vector<std::string>> OpSPopCount(DbAccess& db, std::string_view key, uint64_t count,
                                               const SetLimits& limits, SplitMix64& rng) {
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
      SetValue::RemovePackedAt(&set, positions);
    } else {
      for (uint64_t i = 0; i < count; ++i) out.push_back(SetValue::PopRandom(&set, rng));
    }
    e->set_object(set);
    return out;
  }
  // Most members taken: move the few that stay into a new set and hand out the old one.
  SetValue* kept = nullptr;
  if (set->encoding() == SetValue::Encoding::kListpack) {
    kept = SetValue::New(SetValue::Encoding::kListpack);
    std::vector<size_t> positions;
    positions.reserve(remaining);
    set->ForEachSampled(remaining, rng, [&](const SetMember& m, size_t pos) {
      SetValue::Add(&kept, m, limits);
      positions.push_back(pos);
    });
    SetValue::RemovePackedAt(&set, positions);
  } else {
    for (uint64_t i = 0; i < remaining; ++i) {
      SetMember m = set->RandomMember(rng);
      if (kept == nullptr) {
        kept = SetValue::New(m.is_int ? SetValue::Encoding::kIntset
                                      : SetValue::Encoding::kListpack);
      }
      std::string copy = m.ToString();
      SetValue::Add(&kept, SetMember::Str(copy), limits);
      SetValue::Remove(&set, SetMember::Str(copy));
    }
  }
  out = AllMembers(*set);
  e->set_object(kept);
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
  SetValue* dst = SetValue::New(smallest->encoding() == SetValue::Encoding::kIntset
                                    ? SetValue::Encoding::kIntset
                                    : SetValue::Encoding::kListpack);
  bool only_integers = true;
  ForEachInIntersection(std::move(sets), 0, [&](const SetMember& m) {
    int64_t v;
    if (only_integers && !m.is_int && !ParseInt64(m.str, &v)) only_integers = false;
    SetValue::Add(&dst, m, limits);
  });
  if (!dst->empty() && only_integers) SetValue::MaybeConvertToIntset(&dst, limits);
  return std::unique_ptr<SetValue>(dst);
}

std::unique_ptr<SetValue> UnionSet(const std::vector<const SetValue*>& sets,
                                   const SetLimits& limits) {
  SetValue* dst = SetValue::New(SetValue::Encoding::kIntset);
  for (const SetValue* s : sets) {
    if (s == nullptr) continue;
    s->ForEach([&](const SetMember& m) { SetValue::Add(&dst, m, limits); });
  }
  return std::unique_ptr<SetValue>(dst);
}

namespace {

// DiffSet's work, adding to the empty set *dst.
void DiffInto(SetValue** dst, std::vector<const SetValue*> sets, const SetLimits& limits) {
  const SetValue* first = sets[0];
  if (first == nullptr) return;
  for (size_t j = 1; j < sets.size(); ++j) {
    if (sets[j] == first) return;  // the first set minus itself
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
      SetValue::Add(dst, m, limits);
    });
    return;
  }
  for (size_t j = 0; j < sets.size(); ++j) {
    if (sets[j] == nullptr) continue;
    sets[j]->ForEach([&](const SetMember& m) {
      if (j == 0) {
        SetValue::Add(dst, m, limits);
      } else {
        SetValue::Remove(dst, m);
      }
    });
    if ((*dst)->empty()) break;
  }
}

}  // namespace

std::unique_ptr<SetValue> DiffSet(std::vector<const SetValue*> sets, const SetLimits& limits) {
  SetValue* dst = SetValue::New(SetValue::Encoding::kIntset);
  DiffInto(&dst, std::move(sets), limits);
  return std::unique_ptr<SetValue>(dst);
}

// ---- SRANDMEMBER ------------------------------------------------------------------------------

void SampleMembers(const SetValue& set, int64_t count, SplitMix64& rng,
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
