#include "core/keyspace/hash_ops.h"

#include <cmath>
#include <limits>
#include <unordered_set>
#include <utility>

#include "core/base/numbers.h"
#include "core/base/random.h"

namespace tessera::keyspace {

namespace {

using types::HashLimits;
using types::HashValue;

// A table this small is sampled from a copy of its pairs: exact uniformity (the table's own
// RandomElement favours elements after empty slots) at O(size) per command.
constexpr size_t kSampleFromCopyBelow = 1024;

HashValue* ValueOf(Entry* e) { return e->object_as<HashValue>(); }

// The live hash entry with its expired fields purged; nullptr if missing or emptied.
OpResult<Entry*> FindHashEntry(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) return static_cast<Entry*>(nullptr);
  if (e->type() != ValueType::kHash) return OpStatus::kWrongType;
  HashValue* v = ValueOf(e);
  if (v->MinExpiry() != types::kNoFieldExpiry && v->MinExpiry() <= db.now_ms()) {
    HashValue::PurgeExpired(&v, db.now_ms());
    e->set_object(v);
    if (v->empty()) {
      db.Delete(key);
      return static_cast<Entry*>(nullptr);
    }
  }
  return e;
}

// The live hash entry, or a new empty one inserted for `key`.
OpResult<Entry*> FindOrCreateHashEntry(DbAccess& db, std::string_view key) {
  OpResult<Entry*> r = FindHashEntry(db, key);
  if (!r || *r != nullptr) return r;
  Entry* e = Entry::NewObject(key, ValueType::kHash, HashValue::New(), kNoExpiry, db.clock());
  db.Insert(e);
  return e;
}

// Deletes the key when its hash is empty (never leave an empty hash behind).
void DeleteIfEmpty(DbAccess& db, std::string_view key, Entry* e) {
  if (ValueOf(e)->empty()) db.Delete(key);
}

}  // namespace

OpResult<const HashValue*> OpGetHash(DbAccess& db, std::string_view key) {
  OpResult<Entry*> r = FindHashEntry(db, key);
  if (!r) return r.status();
  return *r == nullptr ? nullptr : static_cast<const HashValue*>(ValueOf(*r));
}

OpResult<size_t> OpHSet(DbAccess& db, std::string_view key, Fields pairs,
                        const HashLimits& limits) {
  OpResult<Entry*> r = FindOrCreateHashEntry(db, key);
  if (!r) return r.status();
  Entry* e = *r;
  HashValue* v = ValueOf(e);
  HashValue::PrepareForWrite(&v, pairs, limits);
  size_t created = 0;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    created += HashValue::Set(&v, pairs[i], pairs[i + 1], limits) ? 1 : 0;
  }
  e->set_object(v);
  return created;
}

OpResult<bool> OpHSetNx(DbAccess& db, std::string_view key, std::string_view field,
                        std::string_view value, const HashLimits& limits) {
  OpResult<Entry*> found = FindHashEntry(db, key);
  if (!found) return found.status();
  if (*found != nullptr && ValueOf(*found)->Find(field)) return false;
  std::string_view pair[2] = {field, value};
  return OpHSet(db, key, pair, limits).status() == OpStatus::kOk;
}

OpResult<size_t> OpHDel(DbAccess& db, std::string_view key, Fields fields) {
  OpResult<Entry*> r = FindHashEntry(db, key);
  if (!r) return r.status();
  if (*r == nullptr) return size_t{0};
  Entry* e = *r;
  HashValue* v = ValueOf(e);
  size_t deleted = 0;
  for (std::string_view f : fields) {
    if (!HashValue::Delete(&v, f)) continue;
    ++deleted;
    if (v->empty()) break;
  }
  e->set_object(v);
  DeleteIfEmpty(db, key, e);
  return deleted;
}

OpResult<int64_t> OpHIncrBy(DbAccess& db, std::string_view key, std::string_view field,
                            int64_t delta, const HashLimits& limits) {
  OpResult<Entry*> found = FindHashEntry(db, key);
  if (!found) return found.status();
  int64_t old = 0;
  if (*found != nullptr) {
    std::optional<std::string_view> cur = ValueOf(*found)->Find(field);
    if (cur && !ParseInt64(*cur, &old)) return OpStatus::kNotAnInteger;
  }
  if ((delta < 0 && old < 0 && delta < std::numeric_limits<int64_t>::min() - old) ||
      (delta > 0 && old > 0 && delta > std::numeric_limits<int64_t>::max() - old)) {
    return OpStatus::kOverflow;
  }
  const int64_t result = old + delta;
  OpResult<Entry*> r = FindOrCreateHashEntry(db, key);
  Entry* e = *r;
  HashValue* v = ValueOf(e);
  HashValue::Set(&v, field, Int64ToString(result), limits, /*keep_expiry=*/true);
  e->set_object(v);
  return result;
}

OpResult<std::string> OpHIncrByFloat(DbAccess& db, std::string_view key, std::string_view field,
                                     long double incr, const HashLimits& limits) {
  OpResult<Entry*> found = FindHashEntry(db, key);
  if (!found) return found.status();
  long double value = 0;
  if (*found != nullptr) {
    std::optional<std::string_view> cur = ValueOf(*found)->Find(field);
    if (cur && !ParseLongDouble(*cur, &value)) return OpStatus::kNotAFloat;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return OpStatus::kOutOfRange;
  std::string text = LongDoubleToHumanString(value);
  OpResult<Entry*> r = FindOrCreateHashEntry(db, key);
  Entry* e = *r;
  HashValue* v = ValueOf(e);
  HashValue::Set(&v, field, text, limits, /*keep_expiry=*/true);
  e->set_object(v);
  return text;
}

OpResult<std::vector<int>> OpHExpire(DbAccess& db, std::string_view key, int64_t at_ms,
                                     HashValue::ExpireCondition cond, Fields fields) {
  OpResult<Entry*> r = FindHashEntry(db, key);
  if (!r) return r.status();
  if (*r == nullptr) return std::vector<int>(fields.size(), HashValue::kNoField);
  Entry* e = *r;
  HashValue* v = ValueOf(e);
  HashValue::EnableFieldExpiry(&v);
  std::vector<int> out;
  out.reserve(fields.size());
  bool any_set = false;
  for (std::string_view f : fields) {
    out.push_back(HashValue::SetExpiry(&v, f, at_ms, cond, db.now_ms()));
    any_set = any_set || out.back() == HashValue::kSet;
  }
  e->set_object(v);
  if (any_set) db.NoteFieldExpiry(key);
  DeleteIfEmpty(db, key, e);
  return out;
}

OpResult<std::vector<int>> OpHPersist(DbAccess& db, std::string_view key, Fields fields) {
  OpResult<Entry*> r = FindHashEntry(db, key);
  if (!r) return r.status();
  if (*r == nullptr) return std::vector<int>(fields.size(), -2);
  Entry* e = *r;
  HashValue* v = ValueOf(e);
  std::vector<int> out;
  out.reserve(fields.size());
  for (std::string_view f : fields) out.push_back(HashValue::Persist(&v, f));
  e->set_object(v);
  return out;
}

OpResult<std::vector<int64_t>> OpHFieldExpiry(DbAccess& db, std::string_view key,
                                              Fields fields) {
  OpResult<const HashValue*> r = OpGetHash(db, key);
  if (!r) return r.status();
  std::vector<int64_t> out;
  out.reserve(fields.size());
  for (std::string_view f : fields) {
    std::optional<int64_t> at = *r == nullptr ? std::nullopt : (*r)->FindExpiry(f);
    out.push_back(!at ? -2 : *at == types::kNoFieldExpiry ? -1 : *at);
  }
  return out;
}

std::vector<HashValue::Pair> RandomPairs(const HashValue& v, int64_t count, uint64_t seed) {
  SplitMix64 rng(seed);
  const size_t size = v.size();
  std::vector<HashValue::Pair> out;
  const bool from_copy = v.is_packed() || size < kSampleFromCopyBelow;
  if (count < 0) {
    const size_t n = static_cast<size_t>(-count);
    out.reserve(n);
    if (from_copy) {
      std::vector<HashValue::Pair> all = v.Pairs();
      for (size_t i = 0; i < n; ++i) out.push_back(all[rng.Below(size)]);
    } else {
      for (size_t i = 0; i < n; ++i) out.push_back(v.RandomPair(rng.Next()));
    }
    return out;
  }
  const size_t n = static_cast<size_t>(count);
  if (n >= size) return v.Pairs();
  out.reserve(n);
  if (v.is_packed()) {
    // Distinct pairs in stored order, like Redis's lpRandomPairsUnique (selection sampling).
    size_t needed = n;
    size_t left = size;
    v.ForEach([&](std::string_view f, std::string_view val) {
      if (needed > 0 && rng.Below(left) < needed) {
        out.push_back({f, val});
        --needed;
      }
      --left;
    });
    return out;
  }
  if (from_copy || n * 3 > size) {
    std::vector<HashValue::Pair> all = v.Pairs();
    for (size_t i = 0; i < n; ++i) std::swap(all[i], all[i + rng.Below(size - i)]);
    all.resize(n);
    return all;
  }
  std::unordered_set<const char*> seen;
  while (out.size() < n) {
    HashValue::Pair p = v.RandomPair(rng.Next());
    if (seen.insert(p.field.data()).second) out.push_back(p);
  }
  return out;
}

}  // namespace tessera::keyspace
