#include "core/keyspace/string_ops.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/base/numbers.h"

namespace tessera::keyspace {

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

bool IsString(const Entry* e) { return e->type() == ValueType::kString; }

std::string CopyValue(const Entry* e) {
  char buf[24];
  return std::string(e->StringValue(buf));
}

// True iff a string of `length + extra` bytes would pass max_length, or the sum overflows.
// Both operands are below 2^63 (sizes and non-negative offsets), so the sum fits in uint64.
bool ExceedsLimit(uint64_t length, uint64_t extra, int64_t max_length) {
  if (max_length < 0) return true;
  return length + extra > static_cast<uint64_t>(max_length);
}

void Store(DbAccess& db, Entry* old, Entry* fresh) {
  if (old != nullptr) {
    db.Replace(old, fresh);
  } else {
    db.Insert(fresh);
  }
}

void Remove(DbAccess& db, Entry* e) {
  db.Detach(e);
  Entry::Free(e);
}

}  // namespace

OpResult<int64_t> ResolveExpiry(const ExpiryArg& arg, int64_t now_ms) {
  int64_t v;
  if (!ParseInt64(arg.text, &v)) return OpStatus::kNotAnInteger;
  if (v <= 0) return OpStatus::kInvalidExpire;
  if (arg.in_seconds) {
    if (v > kInt64Max / 1000) return OpStatus::kInvalidExpire;
    v *= 1000;
  }
  if (arg.relative) {
    if (v > kInt64Max - now_ms) return OpStatus::kInvalidExpire;
    v += now_ms;
  }
  return v;
}

OpResult<const Entry*> OpGetString(DbAccess& db, std::string_view key) {
  const Entry* e = db.Find(key);
  if (e != nullptr && !IsString(e)) return OpStatus::kWrongType;
  return e;
}

OpResult<SetOutcome> OpSet(DbAccess& db, std::string_view key, std::string_view value,
                           const SetParams& params) {
  Entry* old = db.Find(key);
  SetOutcome out;
  if (params.return_old && old != nullptr) {
    if (!IsString(old)) return OpStatus::kWrongType;
    out.old_value = CopyValue(old);
  }
  bool found = old != nullptr;
  if ((params.condition == SetParams::Condition::kIfMissing && found) ||
      (params.condition == SetParams::Condition::kIfExists && !found)) {
    return out;
  }
  out.applied = true;
  int64_t expire_at = params.expire_at_ms;
  if (expire_at != kNoExpiry && expire_at <= db.now_ms()) {
    if (found) Remove(db, old);
    return out;
  }
  if (expire_at == kNoExpiry && params.keep_ttl && found) expire_at = old->expire_at_or_none();
  Store(db, old, Entry::NewStringAutoEncoded(key, value, expire_at, db.clock()));
  return out;
}

OpResult<std::optional<std::string>> OpGetSet(DbAccess& db, std::string_view key,
                                              std::string_view value) {
  Entry* old = db.Find(key);
  std::optional<std::string> previous;
  if (old != nullptr) {
    if (!IsString(old)) return OpStatus::kWrongType;
    previous = CopyValue(old);
  }
  Store(db, old, Entry::NewStringAutoEncoded(key, value, kNoExpiry, db.clock()));
  return previous;
}

OpResult<std::optional<std::string>> OpGetDel(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  std::optional<std::string> previous;
  if (e == nullptr) return previous;
  if (!IsString(e)) return OpStatus::kWrongType;
  previous = CopyValue(e);
  Remove(db, e);
  return previous;
}

OpResult<std::optional<std::string>> OpGetEx(DbAccess& db, std::string_view key,
                                             const GetExParams& params) {
  Entry* e = db.Find(key);
  std::optional<std::string> value;
  if (e == nullptr) return value;
  if (!IsString(e)) return OpStatus::kWrongType;
  int64_t expire_at = kNoExpiry;
  if (params.expiry) {
    OpResult<int64_t> resolved = ResolveExpiry(*params.expiry, db.now_ms());
    if (!resolved) return resolved.status();
    expire_at = *resolved;
  }
  value = CopyValue(e);
  if (params.expiry && expire_at <= db.now_ms()) {
    Remove(db, e);  // only an absolute time can be in the past
  } else if (params.expiry || (params.persist && e->has_expiry())) {
    db.Replace(e, Entry::WithExpiry(e, expire_at));
  }
  return value;
}

void OpMSet(DbAccess& db, const std::string_view* kv, size_t count,
            const std::function<void(std::string_view key)>& stored) {
  for (size_t i = 0; i + 1 < count; i += 2) {
    db.Upsert(Entry::NewStringAutoEncoded(kv[i], kv[i + 1], kNoExpiry, db.clock()));
    if (stored) stored(kv[i]);
  }
}

bool OpMSetNx(DbAccess& db, const std::string_view* kv, size_t count,
              const std::function<void(std::string_view key)>& stored) {
  for (size_t i = 0; i < count; i += 2) {
    if (db.Find(kv[i]) != nullptr) return false;
  }
  // A key given twice is simply stored twice (CVE-2023-28425 was an assertion that the
  // second store found no key).
  OpMSet(db, kv, count, stored);
  return true;
}

OpResult<int64_t> OpIncrBy(DbAccess& db, std::string_view key, int64_t delta) {
  Entry* e = db.Find(key);
  if (e == nullptr) {
    db.Insert(Entry::NewInt(key, delta, kNoExpiry, db.clock()));
    return delta;
  }
  if (!IsString(e)) return OpStatus::kWrongType;
  int64_t v;
  if (e->is_int()) {
    v = e->int_value();
  } else if (!ParseInt64(e->raw_value(), &v)) {
    return OpStatus::kNotAnInteger;
  }
  if ((delta < 0 && v < 0 && delta < kInt64Min - v) ||
      (delta > 0 && v > 0 && delta > kInt64Max - v)) {
    return OpStatus::kOverflow;
  }
  v += delta;
  if (e->is_int()) {
    e->set_int_value(v);
  } else {
    db.Replace(e, Entry::NewInt(key, v, e->expire_at_or_none(), db.clock()));
  }
  return v;
}

OpResult<FloatIncrOutcome> OpIncrByFloat(DbAccess& db, std::string_view key,
                                         std::string_view delta_text) {
  Entry* e = db.Find(key);
  if (e != nullptr && !IsString(e)) return OpStatus::kWrongType;
  long double value = 0;
  if (e != nullptr) {
    if (e->is_int()) {
      value = static_cast<long double>(e->int_value());
    } else if (!ParseLongDouble(e->raw_value(), &value)) {
      return OpStatus::kNotAFloat;
    }
  }
  long double delta;
  if (!ParseLongDouble(delta_text, &delta)) return OpStatus::kNotAFloat;
  value += delta;
  FloatIncrOutcome out;
  if (std::isnan(value) || std::isinf(value)) return out;
  out.finite = true;
  out.text = LongDoubleToHumanString(value);
  Encoding encoding = out.text.size() <= kEmbstrMaxLength ? Encoding::kEmbstr : Encoding::kRaw;
  int64_t expire_at = e != nullptr ? e->expire_at_or_none() : kNoExpiry;
  Store(db, e, Entry::NewString(key, out.text, encoding, expire_at, db.clock()));
  return out;
}

OpResult<size_t> OpAppend(DbAccess& db, std::string_view key, std::string_view value,
                          int64_t max_length) {
  Entry* e = db.Find(key);
  if (e == nullptr) {
    db.Insert(Entry::NewStringAutoEncoded(key, value, kNoExpiry, db.clock()));
    return value.size();
  }
  if (!IsString(e)) return OpStatus::kWrongType;
  char buf[24];
  std::string_view old = e->StringValue(buf);
  if (ExceedsLimit(old.size(), value.size(), max_length)) return OpStatus::kSizeLimit;
  size_t old_size = old.size();
  if (e->is_int()) {
    std::string joined;
    joined.append(old).append(value);
    db.Replace(e, Entry::NewString(key, joined, Encoding::kRaw, e->expire_at_or_none(), db.clock()));
    return joined.size();
  }
  // Grow in place when the allocation has room (amortized O(1) per append).
  Entry* grown = Entry::ResizeString(e, old_size + value.size());
  std::memcpy(grown->mutable_raw_data() + old_size, value.data(), value.size());
  db.Replace(e, grown);  // the access clock (LRU or LFU) came along from Find's touch
  return old_size + value.size();
}

OpResult<size_t> OpSetRange(DbAccess& db, std::string_view key, int64_t offset,
                            std::string_view value, int64_t max_length) {
  Entry* e = db.Find(key);
  if (e != nullptr && !IsString(e)) return OpStatus::kWrongType;
  char buf[24];
  std::string_view old = e != nullptr ? e->StringValue(buf) : std::string_view();
  if (value.empty()) return old.size();
  auto start = static_cast<uint64_t>(offset);
  if (ExceedsLimit(start, value.size(), max_length)) return OpStatus::kSizeLimit;
  size_t new_size = std::max<size_t>(old.size(), start + value.size());
  if (e != nullptr && !e->is_int()) {
    // Write into the existing value, growing it in place when the allocation has room.
    Entry* target = Entry::ResizeString(e, new_size);
    std::memcpy(target->mutable_raw_data() + start, value.data(), value.size());
    db.Replace(e, target);  // the access clock (LRU or LFU) came along from Find's touch
    return new_size;
  }
  std::string result(old);
  result.resize(new_size, '\0');
  std::memcpy(result.data() + start, value.data(), value.size());
  int64_t expire_at = e != nullptr ? e->expire_at_or_none() : kNoExpiry;
  Store(db, e, Entry::NewString(key, result, Encoding::kRaw, expire_at, db.clock()));
  return new_size;
}

std::string_view StringRange(std::string_view s, int64_t start, int64_t end) {
  auto len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) return {};
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return {};
  return s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1));
}

}  // namespace tessera::keyspace
