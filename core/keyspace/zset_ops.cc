#include "core/keyspace/zset_ops.h"

#include <algorithm>

namespace tessera::keyspace {

using types::ZSetValue;

OpResult<ZSetValue*> FindZSet(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) return static_cast<ZSetValue*>(nullptr);
  if (e->type() != ValueType::kZSet) return OpStatus::kWrongType;
  return e->object_as<ZSetValue>();
}

OpResult<ZAddResult> OpZAdd(DbAccess& db, std::string_view key, const ZAddFlags& flags,
                            std::span<const ZAddPair> pairs, const types::ZSetLimits& limits) {
  ZAddResult res;
  auto found = FindZSet(db, key);
  if (!found) return found.status();
  ZSetValue* z = *found;
  if (z == nullptr) {
    if (flags.xx || pairs.empty()) return res;
    z = ZSetValue::Create(pairs.size(), pairs[0].member.size(), limits);
    db.Insert(Entry::NewObject(key, ValueType::kZSet, z, kNoExpiry, db.clock()));
  } else {
    z->MaybeConvertForSize(pairs.size(), limits);
  }
  const types::ZAddOptions opts{flags.nx, flags.xx, flags.gt, flags.lt, flags.incr};
  for (const ZAddPair& p : pairs) {
    double score = 0;
    switch (z->Add(p.member, p.score, opts, limits, &score)) {
      case ZSetValue::AddOutcome::kAdded:
        ++res.added;
        break;
      case ZSetValue::AddOutcome::kUpdated:
        ++res.updated;
        break;
      case ZSetValue::AddOutcome::kUnchanged:
        break;
      case ZSetValue::AddOutcome::kSkipped:
        continue;
      case ZSetValue::AddOutcome::kNaN:
        res.nan = true;
        break;
    }
    if (res.nan) break;
    ++res.processed;
    res.score = score;
  }
  // A set created for pairs that were all skipped (cannot happen: a new key has no members
  // for NX/GT/LT to skip) or stopped by NaN before adding anything would be left empty.
  DeleteIfEmptyZSet(db, key, z);
  return res;
}

OpResult<std::optional<double>> OpZScore(DbAccess& db, std::string_view key,
                                         std::string_view member) {
  auto found = FindZSet(db, key);
  if (!found) return found.status();
  if (*found == nullptr) return std::optional<double>();
  return (*found)->Score(member);
}

OpResult<size_t> OpZRem(DbAccess& db, std::string_view key,
                        std::span<const std::string_view> members) {
  auto found = FindZSet(db, key);
  if (!found) return found.status();
  ZSetValue* z = *found;
  if (z == nullptr) return size_t{0};
  size_t removed = 0;
  for (std::string_view m : members) {
    if (z->Remove(m)) ++removed;
    if (z->size() == 0) break;
  }
  DeleteIfEmptyZSet(db, key, z);
  return removed;
}

OpResult<std::vector<types::ScoredMember>> OpZRangeByScore(DbAccess& db, std::string_view key,
                                                           const types::ScoreRange& range,
                                                           bool reverse, int64_t offset,
                                                           int64_t limit) {
  auto found = FindZSet(db, key);
  if (!found) return found.status();
  std::vector<types::ScoredMember> out;
  const ZSetValue* z = *found;
  if (z == nullptr || range.IsEmpty()) return out;
  size_t start = z->ScoreRangeStart(range);
  size_t end = z->ScoreRangeEnd(range);
  if (start >= end || static_cast<uint64_t>(offset) >= end - start) return out;
  size_t n = end - start - static_cast<size_t>(offset);
  if (limit >= 0) n = std::min(n, static_cast<size_t>(limit));
  size_t first = reverse ? end - 1 - static_cast<size_t>(offset) : start + offset;
  out.reserve(n);
  for (auto it = z->IterateFrom(first, reverse); it.valid() && out.size() < n; it.Next()) {
    out.push_back({std::string(it.member()), it.score()});
  }
  return out;
}

size_t OpZStore(DbAccess& db, std::string_view dest, std::span<const types::ScoredMember> entries,
                const types::ZSetLimits& limits) {
  db.Delete(dest);
  if (entries.empty()) return 0;
  // Redis builds the result as a skiplist, then converts it if it fits.
  ZSetValue* z = ZSetValue::Create(~size_t{0}, 0, limits);
  size_t max_len = 0;
  for (const types::ScoredMember& sm : entries) {
    z->Set(sm.member, sm.score, limits);
    max_len = std::max(max_len, sm.member.size());
  }
  z->ConvertToPackedIfFits(max_len, limits);
  size_t n = z->size();
  db.Insert(Entry::NewObject(dest, ValueType::kZSet, z, kNoExpiry, db.clock()));
  return n;
}

bool DeleteIfEmptyZSet(DbAccess& db, std::string_view key, const ZSetValue* z) {
  if (z == nullptr || z->size() != 0) return false;
  return db.Delete(key);
}

}  // namespace tessera::keyspace
