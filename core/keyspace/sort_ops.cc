#include "core/keyspace/sort_ops.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/keyspace/entry.h"
#include "core/keyspace/hash_ops.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/zset_value.h"

namespace tessera::keyspace {

namespace {

// An element being sorted and what it is sorted by.
struct SortItem {
  std::string element;
  double score = 0;                // numeric ordering (0 when a BY key is missing)
  std::optional<std::string> cmp;  // ALPHA with BY: the BY value, nullopt when missing
};

// The part of `s` a C function would see: up to the first NUL byte.
std::string_view AsCString(std::string_view s) { return s.substr(0, s.find('\0')); }

// --- Sources: each type yields its elements -------------------------------------------------

// `n` elements of a list from position `from`, counted from the head, or from the tail and
// walking towards the head when `reverse`.
void LoadList(const types::ListValue& list, size_t from, size_t n, bool reverse,
              std::vector<SortItem>* out) {
  char buf[24];
  types::ListValue::Cursor c = list.At(reverse ? -1 - int64_t(from) : int64_t(from));
  for (size_t i = 0; i < n && c.Valid(); ++i) {
    out->push_back(SortItem{std::string(c.Get(buf))});
    if (reverse) {
      c.Prev();
    } else {
      c.Next();
    }
  }
}

// Every member of a set, as the set iterates them.
void LoadSet(const types::SetValue& set, std::vector<SortItem>* out) {
  set.ForEach([out](const types::SetMember& m) { out->push_back(SortItem{m.ToString()}); });
}

// `n` members of a sorted set from rank `from`, counted from the lowest score, or from the
// highest and walking down when `reverse`.
void LoadZSet(const types::ZSetValue& zset, size_t from, size_t n, bool reverse,
              std::vector<SortItem>* out) {
  size_t rank = reverse ? zset.size() - 1 - from : from;
  types::ZSetValue::Iterator it = zset.IterateFrom(rank, reverse);
  for (size_t i = 0; i < n && it.valid(); ++i, it.Next()) {
    out->push_back(SortItem{std::string(it.member())});
  }
}

// The number of elements of the value sorted (0 for a missing key).
size_t SourceLength(const Entry* e) {
  if (e == nullptr) return 0;
  switch (e->type()) {
    case ValueType::kList:
      return e->object_as<types::ListValue>()->Length();
    case ValueType::kSet:
      return e->object_as<types::SetValue>()->size();
    case ValueType::kZSet:
      return e->object_as<types::ZSetValue>()->size();
    default:
      return 0;
  }
}

// True iff the type has an order of its own that "BY nosort" keeps.
bool HasNativeOrder(ValueType type) { return type == ValueType::kList || type == ValueType::kZSet; }

// `n` elements from position `from` of the native order (from the end when `reverse`); for a
// value without a native order, every element as iterated.
void LoadElements(const Entry* e, size_t from, size_t n, bool reverse, std::vector<SortItem>* out) {
  if (e == nullptr) return;
  switch (e->type()) {
    case ValueType::kList:
      return LoadList(*e->object_as<types::ListValue>(), from, n, reverse, out);
    case ValueType::kSet:
      return LoadSet(*e->object_as<types::SetValue>(), out);
    case ValueType::kZSet:
      return LoadZSet(*e->object_as<types::ZSetValue>(), from, n, reverse, out);
    default:
      return;
  }
}

// --- Ordering -------------------------------------------------------------------------------

int CompareBytes(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// ALPHA's comparison: the whole values with STORE; without, C strings, through `collate`
// when given.
int CompareAlpha(const std::string& a, const std::string& b, const SortOptions& opts) {
  if (opts.store) return CompareBytes(a, b);
  if (opts.collate == nullptr) return CompareBytes(AsCString(a), AsCString(b));
  int c = opts.collate(a.c_str(), b.c_str());
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// sortCompare: <0, 0 or >0 as `a` sorts before, with or after `b` in ascending order.
int CompareItems(const SortItem& a, const SortItem& b, bool alpha, bool by,
                 const SortOptions& opts) {
  if (!alpha) {
    if (a.score > b.score) return 1;
    if (a.score < b.score) return -1;
    return CompareBytes(a.element, b.element);
  }
  if (!by) return CompareAlpha(a.element, b.element, opts);
  if (!a.cmp || !b.cmp) return a.cmp.has_value() - b.cmp.has_value();
  return CompareAlpha(*a.cmp, *b.cmp, opts);
}

// Gives each item its score (or ALPHA BY value).  Returns false iff a numeric score is not a
// double; every item is still visited, as Redis does (its BY lookups touch the keys).
bool Score(DbAccess& db, std::vector<SortItem>& items, std::optional<std::string_view> by,
           bool alpha) {
  bool ok = true;
  for (SortItem& item : items) {
    std::optional<std::string> by_value;
    if (by) {
      by_value = LookupByPattern(db, *by, item.element);
      if (!by_value) continue;
    }
    if (alpha) {
      if (by) item.cmp = std::move(by_value);
    } else if (!ParseSortScore(by ? *by_value : item.element, &item.score)) {
      ok = false;
    }
  }
  return ok;
}

}  // namespace

bool ParseSortScore(std::string_view value, double* score) {
  char small[64];
  std::string big;
  const char* text;
  if (value.size() < sizeof(small)) {
    std::memcpy(small, value.data(), value.size());
    small[value.size()] = '\0';
    text = small;
  } else {
    big.assign(value);
    text = big.c_str();
  }
  char* end;
  errno = 0;
  double d = std::strtod(text, &end);
  if (*end != '\0' || errno == ERANGE || std::isnan(d)) return false;
  *score = d;
  return true;
}

std::optional<std::string> LookupByPattern(DbAccess& db, std::string_view pattern,
                                           std::string_view element) {
  std::string_view c_pattern = AsCString(pattern);
  if (c_pattern == "#") return std::string(element);
  size_t star = c_pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  // A hash field only when the "->" after the '*' is followed by at least one character.
  size_t arrow = c_pattern.find("->", star + 1);
  bool is_field = arrow != std::string_view::npos && arrow + 2 < c_pattern.size();
  size_t key_end = is_field ? arrow : pattern.size();
  std::string key;
  key.reserve(key_end - 1 + element.size());
  key.append(pattern.substr(0, star));
  key.append(element);
  key.append(pattern.substr(star + 1, key_end - star - 1));

  Entry* e = db.Find(key);
  if (e == nullptr) return std::nullopt;
  if (is_field) {
    if (e->type() != ValueType::kHash) return std::nullopt;
    OpResult<const types::HashValue*> hash = OpGetHash(db, key);  // purges expired fields
    if (!hash || *hash == nullptr) return std::nullopt;
    std::optional<std::string_view> value = (*hash)->Find(pattern.substr(arrow + 2));
    if (!value) return std::nullopt;
    return std::string(*value);
  }
  if (e->type() != ValueType::kString) return std::nullopt;
  char buf[32];
  return std::string(e->StringValue(buf));
}

bool SortReadsOtherKeys(const SortOptions& opts) {
  auto has_star = [](std::string_view p) {
    return AsCString(p).find('*') != std::string_view::npos;
  };
  if (opts.by && !opts.dontsort && has_star(*opts.by)) return true;
  return std::any_of(opts.get.begin(), opts.get.end(), has_star);
}

OpResult<std::vector<SortRow>> OpSort(DbAccess& db, std::string_view key, const SortOptions& opts) {
  Entry* e = db.Find(key);
  ValueType type = e == nullptr ? ValueType::kList : e->type();
  if (type != ValueType::kList && type != ValueType::kSet && type != ValueType::kZSet) {
    return OpStatus::kWrongType;
  }
  std::optional<std::string_view> by = opts.by;
  bool alpha = opts.alpha;
  bool dontsort = opts.dontsort;
  if (dontsort && type == ValueType::kSet && (opts.store || opts.for_script)) {
    // A stored list, or what a script sees, must not depend on the set's internal order:
    // order it ALPHA instead.
    dontsort = false;
    alpha = true;
    by.reset();
  }

  if (type == ValueType::kZSet) {
    // As Redis (zsetConvert before sorting), SORT leaves a listpack sorted set a skiplist:
    // any size hint beyond the listpack limits converts it.
    e->object_as<types::ZSetValue>()->MaybeConvertForSize(SIZE_MAX, types::ZSetLimits{});
  }

  // LIMIT, clamped as sort.c does (so huge or negative values cannot overflow).
  int64_t len = int64_t(SourceLength(e));
  int64_t start = std::min(std::max<int64_t>(opts.offset, 0), len);
  int64_t count = std::min(std::max<int64_t>(opts.count, -1), len);
  int64_t end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  std::vector<SortItem> items;
  if (dontsort && HasNativeOrder(type)) {
    // The range comes straight from the native order; DESC reads it from the end.
    if (end >= start) {
      items.reserve(size_t(end - start + 1));
      LoadElements(e, size_t(start), size_t(end - start + 1), opts.desc, &items);
    }
    end -= start;
    start = 0;
  } else {
    items.reserve(size_t(len));
    LoadElements(e, 0, size_t(len), false, &items);
  }

  if (!dontsort) {
    if (!Score(db, items, by, alpha)) return OpStatus::kNotAFloat;
    bool desc = opts.desc;
    bool has_by = by.has_value();
    std::stable_sort(items.begin(), items.end(), [&](const SortItem& a, const SortItem& b) {
      int c = CompareItems(a, b, alpha, has_by, opts);
      return desc ? c > 0 : c < 0;
    });
  }

  std::vector<SortRow> rows;
  if (end < start) return rows;
  rows.reserve(size_t(end - start + 1) * std::max<size_t>(opts.get.size(), 1));
  for (int64_t j = start; j <= end; ++j) {
    std::string& element = items[size_t(j)].element;
    if (opts.get.empty()) {
      rows.emplace_back(std::move(element));
      continue;
    }
    for (std::string_view pattern : opts.get) rows.push_back(LookupByPattern(db, pattern, element));
  }
  return rows;
}

size_t OpStoreSorted(DbAccess& db, std::string_view destination, std::vector<SortRow>&& rows,
                     const types::ListLimits& limits) {
  if (rows.empty()) {
    db.Delete(destination);
    return 0;
  }
  types::ListValue* list = types::ListValue::NewQuicklist(limits);
  for (const SortRow& row : rows) {
    list->Push(row ? std::string_view(*row) : std::string_view(), types::ListEnd::kTail, limits);
  }
  list->ConvertIfSmall(limits);
  db.Upsert(Entry::NewObject(destination, ValueType::kList, list, kNoExpiry, db.clock()));
  return rows.size();
}

}  // namespace tessera::keyspace
