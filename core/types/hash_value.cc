#include "core/types/hash_value.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <new>
#include <string>

#include "core/base/find_duplicate.h"
#include "core/base/varint.h"

namespace tessera::types {

namespace {

constexpr size_t kExpiryBytes = 6;
// Packed values stay below this many bytes (Redis: LISTPACK_MAX_SAFETY_SIZE).
constexpr size_t kMaxPackedBytes = size_t{1} << 30;
constexpr size_t kTableOffset = 16;

}  // namespace

static_assert(sizeof(HashValue) == 8, "the header is two 32-bit words");

namespace {

void PutExpiry(uint8_t* p, int64_t expiry) {
  const uint64_t v = expiry == kNoFieldExpiry ? 0 : static_cast<uint64_t>(expiry);
  for (size_t i = 0; i < kExpiryBytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

int64_t GetExpiry(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kExpiryBytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v == 0 ? kNoFieldExpiry : static_cast<int64_t>(v);
}

size_t StringBytes(std::string_view s) { return VarintSize(s.size()) + s.size(); }

size_t PutString(uint8_t* p, std::string_view s) {
  size_t n = PutVarint(p, s.size());
  if (!s.empty()) std::memcpy(p + n, s.data(), s.size());
  return n + s.size();
}

size_t GetString(const uint8_t* p, std::string_view* s) {
  uint64_t len;
  size_t n = GetVarint(p, &len);
  *s = std::string_view(reinterpret_cast<const char*>(p + n), len);
  return n + len;
}

// Orders expiries with "none" last.
uint64_t ExpiryRank(int64_t expiry) {
  return expiry == kNoFieldExpiry ? UINT64_MAX : static_cast<uint64_t>(expiry);
}

void* CheckedAlloc(void* p) {
  if (p == nullptr) std::abort();  // out of memory is fatal server-wide
  return p;
}

// A packed HashValue is plain bytes (the header is two integers), so realloc may move it.
HashValue* Resize(HashValue* v, size_t bytes) {
  return static_cast<HashValue*>(CheckedAlloc(std::realloc(static_cast<void*>(v), bytes)));
}

}  // namespace

// --- HashNode --------------------------------------------------------------------------------

HashNode* HashNode::Make(std::string_view field, std::string_view value, int64_t expiry) {
  const bool has_expiry = expiry != kNoFieldExpiry;
  const size_t size =
      1 + (has_expiry ? kExpiryBytes : 0) + StringBytes(field) + StringBytes(value);
  auto* p = static_cast<uint8_t*>(CheckedAlloc(std::malloc(size)));
  size_t off = 0;
  p[off++] = has_expiry ? 1 : 0;
  if (has_expiry) {
    PutExpiry(p + off, expiry);
    off += kExpiryBytes;
  }
  off += PutString(p + off, field);
  PutString(p + off, value);
  return reinterpret_cast<HashNode*>(p);
}

void HashNode::Free(HashNode* n) { std::free(n); }

std::string_view HashNode::field() const {
  std::string_view f;
  GetString(bytes() + 1 + ((bytes()[0] & 1) ? kExpiryBytes : 0), &f);
  return f;
}

std::string_view HashNode::value() const {
  const uint8_t* p = bytes() + 1 + ((bytes()[0] & 1) ? kExpiryBytes : 0);
  std::string_view s;
  p += GetString(p, &s);
  GetString(p, &s);
  return s;
}

int64_t HashNode::expiry() const {
  return (bytes()[0] & 1) ? GetExpiry(bytes() + 1) : kNoFieldExpiry;
}

size_t HashNode::AllocationSize() const {
  return 1 + ((bytes()[0] & 1) ? kExpiryBytes : 0) + StringBytes(field()) + StringBytes(value());
}

// --- Life cycle ------------------------------------------------------------------------------

HashValue* HashValue::New() {
  void* p = CheckedAlloc(std::malloc(kHeaderSize));
  auto* v = new (p) HashValue();
  v->count_ = 0;
  v->kind_ = kPacked;
  return v;
}

HashValue::~HashValue() {
  if (kind_ != kTable) return;
  TableRep* t = table();
  t->table.ForEach([](HashNode* n) { HashNode::Free(n); });
  t->~TableRep();
}

void HashValue::operator delete(void* p) { std::free(p); }

HashValue* HashValue::Clone() const {
  if (kind_ != kTable) {
    void* p = CheckedAlloc(std::malloc(kHeaderSize + bytes_));
    std::memcpy(p, this, kHeaderSize + bytes_);
    return static_cast<HashValue*>(p);
  }
  void* p = CheckedAlloc(std::malloc(kTableOffset + sizeof(TableRep)));
  auto* v = new (p) HashValue();
  v->count_ = 0;
  v->kind_ = kTable;
  TableRep* t = new (v->table()) TableRep();
  table()->table.ForEach([&](const HashNode* n) {
    HashNode* copy = HashNode::Make(n->field(), n->value(), n->expiry());
    t->table.Insert(copy, HashBytes(n->field()));
    t->node_bytes += copy->AllocationSize();
    if (n->expiry() != kNoFieldExpiry) t->expiries.emplace(n->expiry(), copy);
  });
  return v;
}

std::string_view HashValue::EncodingName() const {
  switch (kind_) {
    case kPacked:
      return "listpack";
    case kPackedEx:
      return "listpackex";
    default:
      return "hashtable";
  }
}

size_t HashValue::AllocationSize() const {
  if (kind_ != kTable) return kHeaderSize + bytes_;
  const TableRep* t = table();
  // A std::set node: three pointers, a color and the pair (about 48 bytes).
  return kTableOffset + sizeof(TableRep) + t->table.BytesAllocated() + t->node_bytes +
         t->expiries.size() * 48;
}

size_t HashValue::size() const { return kind_ == kTable ? table()->table.size() : count_; }

HashValue* HashValue::NewPacked(std::span<const Pair> pairs, bool* duplicate) {
  *duplicate = HasDuplicate(
      pairs.size(), [&](size_t i) { return HashBytes(pairs[i].field); },
      [&](size_t i, size_t j) { return pairs[i].field == pairs[j].field; });
  if (*duplicate) return nullptr;
  size_t bytes = 0;
  for (const Pair& p : pairs) bytes += StringBytes(p.field) + StringBytes(p.value);
  if (bytes + 32 > kMaxPackedBytes) return nullptr;
  void* mem = CheckedAlloc(std::malloc(kHeaderSize + bytes));
  auto* v = new (mem) HashValue();
  v->kind_ = kPacked;
  v->count_ = static_cast<uint32_t>(pairs.size());
  v->bytes_ = static_cast<uint32_t>(bytes);
  uint8_t* out = v->data();
  for (const Pair& p : pairs) {
    out += PutString(out, p.field);
    out += PutString(out, p.value);
  }
  return v;
}

// --- Packed helpers --------------------------------------------------------------------------

bool HashValue::PackedNext(size_t* offset, PackedRef* out) const {
  if (*offset >= bytes_) return false;
  const uint8_t* p = data();
  size_t off = *offset;
  out->offset = off;
  off += GetString(p + off, &out->field);
  off += GetString(p + off, &out->value);
  if (kind_ == kPackedEx) {
    out->expiry = GetExpiry(p + off);
    off += kExpiryBytes;
  } else {
    out->expiry = kNoFieldExpiry;
  }
  out->length = off - out->offset;
  *offset = off;
  return true;
}

bool HashValue::PackedFind(std::string_view field, PackedRef* out) const {
  const uint8_t* p = data();
  size_t off = 0;
  const size_t tail = kind_ == kPackedEx ? kExpiryBytes : 0;
  while (off < bytes_) {
    uint64_t flen;
    size_t n = GetVarint(p + off, &flen);
    if (flen == field.size() && std::memcmp(p + off + n, field.data(), flen) == 0) {
      size_t o = off;
      return PackedNext(&o, out);
    }
    off += n + flen;
    uint64_t vlen;
    off += GetVarint(p + off, &vlen);
    off += vlen + tail;
  }
  return false;
}

void HashValue::PackedErase(HashValue** v, const PackedRef& ref) {
  HashValue* h = *v;
  uint8_t* p = h->data();
  std::memmove(p + ref.offset, p + ref.offset + ref.length, h->bytes_ - ref.offset - ref.length);
  h->bytes_ -= static_cast<uint32_t>(ref.length);
  h->count_ = h->count_ - 1;
  *v = Resize(h, kHeaderSize + h->bytes_);
}

void HashValue::PackedInsertAt(HashValue** v, size_t offset, std::string_view field,
                               std::string_view value, int64_t expiry) {
  HashValue* h = *v;
  const bool ex = h->kind_ == kPackedEx;
  const size_t len = StringBytes(field) + StringBytes(value) + (ex ? kExpiryBytes : 0);
  h = Resize(h, kHeaderSize + h->bytes_ + len);
  uint8_t* p = h->data();
  std::memmove(p + offset + len, p + offset, h->bytes_ - offset);
  size_t off = offset;
  off += PutString(p + off, field);
  off += PutString(p + off, value);
  if (ex) PutExpiry(p + off, expiry);
  h->bytes_ += static_cast<uint32_t>(len);
  h->count_ = h->count_ + 1;
  *v = h;
}

// Where a pair with `expiry` goes in the ex form: after every pair expiring at or before it.
size_t HashValue::PackedPosForExpiry(const HashValue* v, int64_t expiry) {
  if (v->kind_ != kPackedEx || expiry == kNoFieldExpiry) return v->bytes_;
  size_t off = 0;
  PackedRef ref;
  while (v->PackedNext(&off, &ref)) {
    if (ExpiryRank(ref.expiry) > ExpiryRank(expiry)) return ref.offset;
  }
  return v->bytes_;
}

void HashValue::ConvertToTable(HashValue** v) {
  HashValue* old = *v;
  assert(old->kind_ != kTable);
  void* p = CheckedAlloc(std::malloc(kTableOffset + sizeof(TableRep)));
  auto* h = new (p) HashValue();
  h->count_ = 0;
  h->kind_ = kTable;
  TableRep* t = new (h->table()) TableRep();
  size_t off = 0;
  PackedRef ref;
  while (old->PackedNext(&off, &ref)) {
    HashNode* n = HashNode::Make(ref.field, ref.value, ref.expiry);
    t->table.Insert(n, HashBytes(ref.field));
    t->node_bytes += n->AllocationSize();
    if (ref.expiry != kNoFieldExpiry) t->expiries.emplace(ref.expiry, n);
  }
  delete old;
  *v = h;
}

void HashValue::ReserveTableForLoad(HashValue** v, size_t n) {
  if ((*v)->kind_ != kPacked || (*v)->count_ != 0) return;
  ConvertToTable(v);
  (*v)->table()->table.Reserve(n);
}

// --- Reads -----------------------------------------------------------------------------------

std::optional<std::string_view> HashValue::Find(std::string_view field) const {
  if (kind_ == kTable) {
    const HashNode* n = table()->table.Find(field, HashBytes(field));
    if (n == nullptr) return std::nullopt;
    return n->value();
  }
  PackedRef ref;
  if (!PackedFind(field, &ref)) return std::nullopt;
  return ref.value;
}

std::optional<int64_t> HashValue::FindExpiry(std::string_view field) const {
  if (kind_ == kTable) {
    const HashNode* n = table()->table.Find(field, HashBytes(field));
    if (n == nullptr) return std::nullopt;
    return n->expiry();
  }
  PackedRef ref;
  if (!PackedFind(field, &ref)) return std::nullopt;
  return ref.expiry;
}

std::vector<HashValue::Pair> HashValue::Pairs() const {
  std::vector<Pair> out;
  out.reserve(size());
  ForEach([&](std::string_view f, std::string_view v) { out.push_back({f, v}); });
  return out;
}

HashValue::Pair HashValue::RandomPair(uint64_t random_bits) const {
  assert(!empty());
  if (kind_ == kTable) {
    const HashNode* n = table()->table.RandomElement(random_bits);
    return {n->field(), n->value()};
  }
  size_t target = static_cast<size_t>(random_bits % count_);
  size_t off = 0;
  PackedRef ref;
  while (PackedNext(&off, &ref)) {
    if (target-- == 0) break;
  }
  return {ref.field, ref.value};
}

int64_t HashValue::MinExpiry() const {
  if (kind_ == kTable) {
    const auto& e = table()->expiries;
    return e.empty() ? kNoFieldExpiry : e.begin()->first;
  }
  if (kind_ != kPackedEx || bytes_ == 0) return kNoFieldExpiry;
  size_t off = 0;
  PackedRef ref;
  PackedNext(&off, &ref);
  return ref.expiry;  // the ex form keeps the earliest first
}

// --- Writes ----------------------------------------------------------------------------------

void HashValue::PrepareForWrite(HashValue** v, std::span<const std::string_view> args,
                                const HashLimits& limits) {
  HashValue* h = *v;
  if (h->kind_ == kTable) return;
  if (args.size() / 2 > limits.max_entries) return ConvertToTable(v);
  size_t sum = 0;
  for (std::string_view a : args) {
    if (a.size() > limits.max_value) return ConvertToTable(v);
    sum += a.size();
  }
  if (h->bytes_ + sum + 2 * args.size() + 16 > kMaxPackedBytes) ConvertToTable(v);
}

bool HashValue::Set(HashValue** v, std::string_view field, std::string_view value,
                    const HashLimits& limits, bool keep_expiry) {
  if ((*v)->kind_ != kTable &&
      (field.size() > limits.max_value || value.size() > limits.max_value ||
       (*v)->bytes_ + field.size() + value.size() + 32 > kMaxPackedBytes)) {
    ConvertToTable(v);
  }
  HashValue* h = *v;
  if (h->kind_ == kTable) {
    TableRep* t = h->table();
    const uint64_t hash = HashBytes(field);
    HashNode* old = t->table.Find(field, hash);
    const int64_t expiry = (old != nullptr && keep_expiry) ? old->expiry() : kNoFieldExpiry;
    HashNode* n = HashNode::Make(field, value, expiry);
    t->node_bytes += n->AllocationSize();
    if (expiry != kNoFieldExpiry) t->expiries.emplace(expiry, n);
    if (old == nullptr) {
      t->table.Insert(n, hash);
      return true;
    }
    t->table.ReplacePointer(old, n, hash);
    if (old->expiry() != kNoFieldExpiry) t->expiries.erase({old->expiry(), old});
    t->node_bytes -= old->AllocationSize();
    HashNode::Free(old);
    return false;
  }
  PackedRef ref;
  const bool found = h->PackedFind(field, &ref);
  int64_t expiry = kNoFieldExpiry;
  size_t pos = h->bytes_;
  if (found) {
    // In place, as Redis, unless an expiry is dropped: that pair moves among those without.
    if (keep_expiry) expiry = ref.expiry;
    const bool moves = !keep_expiry && ref.expiry != kNoFieldExpiry;
    PackedErase(v, ref);
    pos = moves ? (*v)->bytes_ : ref.offset;
  }
  PackedInsertAt(v, pos, field, value, expiry);
  if ((*v)->count_ > limits.max_entries) ConvertToTable(v);
  return !found;
}

bool HashValue::Delete(HashValue** v, std::string_view field) {
  HashValue* h = *v;
  if (h->kind_ == kTable) {
    TableRep* t = h->table();
    HashNode* n = t->table.Erase(field, HashBytes(field));
    if (n == nullptr) return false;
    if (n->expiry() != kNoFieldExpiry) t->expiries.erase({n->expiry(), n});
    t->node_bytes -= n->AllocationSize();
    HashNode::Free(n);
    return true;
  }
  PackedRef ref;
  if (!h->PackedFind(field, &ref)) return false;
  PackedErase(v, ref);
  return true;
}

void HashValue::EnableFieldExpiry(HashValue** v) {
  HashValue* h = *v;
  if (h->kind_ != kPacked) return;
  const size_t grown = h->bytes_ + static_cast<size_t>(h->count_) * kExpiryBytes;
  auto* n = static_cast<HashValue*>(CheckedAlloc(std::malloc(kHeaderSize + grown)));
  new (n) HashValue();
  n->count_ = h->count_;
  n->kind_ = kPackedEx;
  n->bytes_ = static_cast<uint32_t>(grown);
  uint8_t* out = n->data();
  size_t off = 0;
  PackedRef ref;
  while (h->PackedNext(&off, &ref)) {
    std::memcpy(out, h->data() + ref.offset, ref.length);
    out += ref.length;
    PutExpiry(out, kNoFieldExpiry);
    out += kExpiryBytes;
  }
  delete h;
  *v = n;
}

HashValue::ExpireResult HashValue::SetExpiry(HashValue** v, std::string_view field, int64_t at_ms,
                                             ExpireCondition cond, int64_t now_ms) {
  std::optional<int64_t> prev = (*v)->FindExpiry(field);
  if (!prev) return kNoField;
  if (*prev == kNoFieldExpiry) {
    if (cond == ExpireCondition::kXx || cond == ExpireCondition::kGt) return kConditionNotMet;
  } else if (cond == ExpireCondition::kNx ||
             (cond == ExpireCondition::kGt && *prev >= at_ms) ||
             (cond == ExpireCondition::kLt && *prev <= at_ms)) {
    return kConditionNotMet;
  }
  if (at_ms <= now_ms) {
    Delete(v, field);
    return kDeleted;
  }
  HashValue* h = *v;
  if (h->kind_ == kTable) {
    TableRep* t = h->table();
    const uint64_t hash = HashBytes(field);
    HashNode* old = t->table.Find(field, hash);
    HashNode* n = HashNode::Make(field, old->value(), at_ms);
    t->table.ReplacePointer(old, n, hash);
    if (*prev != kNoFieldExpiry) t->expiries.erase({*prev, old});
    t->expiries.emplace(at_ms, n);
    t->node_bytes += n->AllocationSize();
    t->node_bytes -= old->AllocationSize();
    HashNode::Free(old);
    return kSet;
  }
  EnableFieldExpiry(v);
  PackedRef ref;
  (*v)->PackedFind(field, &ref);
  std::string value(ref.value);  // the erase below moves the bytes it points into
  PackedErase(v, ref);
  PackedInsertAt(v, PackedPosForExpiry(*v, at_ms), field, value, at_ms);
  return kSet;
}

int HashValue::Persist(HashValue** v, std::string_view field) {
  std::optional<int64_t> prev = (*v)->FindExpiry(field);
  if (!prev) return -2;
  if (*prev == kNoFieldExpiry) return -1;
  HashValue* h = *v;
  if (h->kind_ == kTable) {
    TableRep* t = h->table();
    const uint64_t hash = HashBytes(field);
    HashNode* old = t->table.Find(field, hash);
    HashNode* n = HashNode::Make(field, old->value(), kNoFieldExpiry);
    t->table.ReplacePointer(old, n, hash);
    t->expiries.erase({*prev, old});
    t->node_bytes += n->AllocationSize();
    t->node_bytes -= old->AllocationSize();
    HashNode::Free(old);
    return 1;
  }
  PackedRef ref;
  h->PackedFind(field, &ref);
  std::string value(ref.value);
  PackedErase(v, ref);
  PackedInsertAt(v, (*v)->bytes_, field, value, kNoFieldExpiry);
  return 1;
}

size_t HashValue::PurgeExpired(HashValue** v, int64_t now_ms) {
  HashValue* h = *v;
  size_t purged = 0;
  if (h->kind_ == kTable) {
    TableRep* t = h->table();
    while (!t->expiries.empty() && t->expiries.begin()->first <= now_ms) {
      HashNode* n = t->expiries.begin()->second;
      t->expiries.erase(t->expiries.begin());
      t->table.ErasePointer(n, HashBytes(n->field()));
      t->node_bytes -= n->AllocationSize();
      HashNode::Free(n);
      ++purged;
    }
    return purged;
  }
  if (h->kind_ != kPackedEx) return 0;
  size_t off = 0;
  PackedRef ref;
  while (h->PackedNext(&off, &ref) && ref.expiry != kNoFieldExpiry && ref.expiry <= now_ms) {
    ++purged;
  }
  if (purged == 0) return 0;
  // `ref` is the first live pair, unless every pair expired.
  const size_t cut = purged == h->count_ ? h->bytes_ : ref.offset;
  std::memmove(h->data(), h->data() + cut, h->bytes_ - cut);
  h->bytes_ -= static_cast<uint32_t>(cut);
  h->count_ = h->count_ - static_cast<uint32_t>(purged);
  *v = Resize(h, kHeaderSize + h->bytes_);
  return purged;
}

bool HashValue::CheckInvariants() const {
  if (kind_ == kTable) {
    const TableRep* t = table();
    if (!t->table.CheckInvariants()) return false;
    size_t with_expiry = 0;
    size_t bytes = 0;
    bool ok = true;
    t->table.ForEach([&](const HashNode* n) {
      bytes += n->AllocationSize();
      if (n->expiry() == kNoFieldExpiry) return;
      ++with_expiry;
      if (t->expiries.count({n->expiry(), const_cast<HashNode*>(n)}) == 0) ok = false;
    });
    return ok && with_expiry == t->expiries.size() && bytes == t->node_bytes;
  }
  size_t off = 0;
  size_t n = 0;
  uint64_t prev_rank = 0;
  PackedRef ref;
  while (PackedNext(&off, &ref)) {
    ++n;
    if (kind_ == kPackedEx) {
      if (ExpiryRank(ref.expiry) < prev_rank) return false;
      prev_rank = ExpiryRank(ref.expiry);
    }
  }
  return off == bytes_ && n == count_;
}

}  // namespace tessera::types
