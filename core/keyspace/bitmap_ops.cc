#include "core/keyspace/bitmap_ops.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/keyspace/string_ops.h"

namespace tessera::keyspace {

namespace {

// The raw entry of `key`, holding at least `min_length` bytes, zero-padded (Redis's
// lookupStringForBitCommand): created when missing; an int value rewritten as raw digits; an
// embstr or short value turned raw and grown by ResizeString (in place when its allocation has
// room); otherwise the entry itself.  The expiry is kept.
// `grown` (may be null) tells whether the key was created or its value got longer.
OpResult<Entry*> WritableBitmap(DbAccess& db, std::string_view key, size_t min_length,
                                bool* grown = nullptr) {
  Entry* e = db.Find(key);
  if (e == nullptr) {
    Entry* fresh = Entry::NewZeroedRaw(key, min_length, kNoExpiry, db.clock());
    db.Insert(fresh);
    if (grown != nullptr) *grown = true;
    return fresh;
  }
  if (e->type() != ValueType::kString) return OpStatus::kWrongType;
  if (e->is_int()) {
    char buf[24];
    std::string_view digits = e->StringValue(buf);
    Entry* fresh = Entry::NewZeroedRaw(key, std::max(digits.size(), min_length),
                                       e->expire_at_or_none(), db.clock());
    std::memcpy(fresh->mutable_raw_data(), digits.data(), digits.size());
    db.Replace(e, fresh);
    if (grown != nullptr) *grown = min_length > digits.size();
    return fresh;
  }
  size_t length = e->raw_value().size();
  if (e->encoding() == Encoding::kRaw && length >= min_length) return e;
  Entry* resized = Entry::ResizeString(e, std::max(length, min_length));
  db.Replace(e, resized);
  if (grown != nullptr) *grown = min_length > length;
  return resized;
}

// The bytes of a string entry, writable.  REQUIRES: !e->is_int().
std::span<char> Bytes(Entry* e) { return {e->mutable_raw_data(), e->raw_value().size()}; }

std::string_view View(std::span<const char> bytes) { return {bytes.data(), bytes.size()}; }

// out[i] = fn(out[i], src[i]) for every byte of `src` (REQUIRES: src.size() <= out.size()),
// eight bytes at a time while it can.
template <typename Fn>
void Combine(std::span<char> out, std::string_view src, Fn fn) {
  size_t i = 0;
  for (; i + 8 <= src.size(); i += 8) {
    uint64_t a, b;
    std::memcpy(&a, out.data() + i, 8);
    std::memcpy(&b, src.data() + i, 8);
    a = fn(a, b);
    std::memcpy(out.data() + i, &a, 8);
  }
  for (; i < src.size(); ++i) out[i] = static_cast<char>(fn(out[i], src[i]));
}

// Writes the combination of `values` into `out`, which is zeroed and as long as the longest.
void ComputeBitOp(BitOp op, std::span<const std::string_view> values, std::span<char> out) {
  // A missing key is an empty view whose data() may be null: memcpy must not see it.
  if (!values[0].empty()) std::memcpy(out.data(), values[0].data(), values[0].size());
  if (op == BitOp::kNot) {
    for (char& c : out) c = static_cast<char>(~c);
    return;
  }
  for (size_t k = 1; k < values.size(); ++k) {
    std::string_view v = values[k];
    switch (op) {
      case BitOp::kAnd:
        Combine(out, v, [](auto a, auto b) { return a & b; });
        std::memset(out.data() + v.size(), 0, out.size() - v.size());  // ANDed with padding
        break;
      case BitOp::kOr:
        Combine(out, v, [](auto a, auto b) { return a | b; });
        break;
      case BitOp::kXor:
        Combine(out, v, [](auto a, auto b) { return a ^ b; });
        break;
      case BitOp::kNot:
        break;
    }
  }
}

// Applies one SET or INCRBY to `bytes`; the reply value, nullopt if kFail refused it.
std::optional<int64_t> ApplyWrite(std::span<char> bytes, const BitfieldOp& op) {
  int64_t old = GetBitfield(View(bytes), op.offset, op.type);
  bool is_set = op.kind == BitfieldOp::Kind::kSet;
  std::optional<int64_t> stored = is_set ? FitBitfield(op.value, 0, op.type, op.overflow)
                                         : FitBitfield(old, op.value, op.type, op.overflow);
  if (!stored) return std::nullopt;
  SetBitfield(bytes, op.offset, op.type, static_cast<uint64_t>(*stored));
  return is_set ? old : *stored;
}

}  // namespace

OpResult<bool> OpSetBit(DbAccess& db, std::string_view key, uint64_t offset, bool value,
                        bool* changed) {
  bool grown = false;
  OpResult<Entry*> e = WritableBitmap(db, key, static_cast<size_t>(offset >> 3) + 1, &grown);
  if (!e) return e.status();
  std::span<char> bytes = Bytes(*e);
  auto mask = static_cast<char>(1u << (7 - (offset & 7)));
  char& byte = bytes[offset >> 3];
  bool previous = (byte & mask) != 0;
  byte = static_cast<char>(value ? byte | mask : byte & ~mask);
  if (changed != nullptr) *changed = grown || previous != value;
  return previous;
}

OpResult<size_t> OpBitOp(DbAccess& db, BitOp op, std::string_view dest,
                         std::span<const std::string_view> sources) {
  std::vector<std::string_view> values(sources.size());
  std::vector<std::array<char, 24>> int_buffers(sources.size());  // int-encoded sources
  size_t max_length = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    OpResult<const Entry*> e = OpGetString(db, sources[i]);
    if (!e) return e.status();
    if (*e != nullptr) values[i] = (*e)->StringValue(int_buffers[i].data());
    max_length = std::max(max_length, values[i].size());
  }
  if (max_length == 0) {
    db.Delete(dest);
    return size_t{0};
  }
  // Built beside the old value of `dest`, which may be a source, and swapped in afterwards.
  Entry* result = Entry::NewZeroedRaw(dest, max_length, kNoExpiry, db.clock());
  ComputeBitOp(op, values, Bytes(result));
  db.Upsert(result);
  return max_length;
}

OpResult<std::vector<std::optional<int64_t>>> OpBitfield(DbAccess& db, std::string_view key,
                                                         std::span<const BitfieldOp> ops) {
  std::vector<std::optional<int64_t>> results;
  results.reserve(ops.size());
  uint64_t last_written_bit = 0;
  bool writes = false;
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) continue;
    writes = true;
    last_written_bit = std::max(last_written_bit, op.offset + op.type.bits - 1);
  }
  if (!writes) {
    OpResult<const Entry*> e = OpGetString(db, key);
    if (!e) return e.status();
    char buf[24];
    std::string_view value = *e != nullptr ? (*e)->StringValue(buf) : std::string_view();
    for (const BitfieldOp& op : ops) results.push_back(GetBitfield(value, op.offset, op.type));
    return results;
  }
  OpResult<Entry*> e = WritableBitmap(db, key, static_cast<size_t>(last_written_bit >> 3) + 1);
  if (!e) return e.status();
  std::span<char> bytes = Bytes(*e);
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) {
      results.push_back(GetBitfield(View(bytes), op.offset, op.type));
    } else {
      results.push_back(ApplyWrite(bytes, op));
    }
  }
  return results;
}

}  // namespace tessera::keyspace
