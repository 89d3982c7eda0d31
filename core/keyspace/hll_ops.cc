#include "core/keyspace/hll_ops.h"

namespace tessera::keyspace {

namespace {

// The entry of `key` if it holds an HLL (nullptr when missing): Redis's lookup followed by
// isHLLObjectOrReply.  Sparse opcodes are not checked here.
OpResult<Entry*> FindHll(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) return e;
  if (e->type() != ValueType::kString) return OpStatus::kWrongType;
  if (e->is_int() || !hll::HasHllHeader(e->raw_value())) return OpStatus::kNotHll;
  return e;
}

bool IsSparse(const Entry* e) { return hll::EncodingOf(e->raw_value()) == hll::Encoding::kSparse; }

// kCorruptHll for a sparse value with invalid opcodes, kOk otherwise.
OpStatus CheckRegisters(const Entry* e) {
  return IsSparse(e) && !hll::ValidSparse(e->raw_value()) ? OpStatus::kCorruptHll : OpStatus::kOk;
}

// An embstr value turned raw in place (Redis's dbUnshareStringValue before a write).
Entry* MakeRaw(DbAccess& db, Entry* e) {
  if (e->encoding() == Encoding::kRaw) return e;
  Entry* raw = Entry::ResizeString(e, e->raw_value().size());
  db.Replace(e, raw);
  return raw;
}

Entry* NewEmptyHll(DbAccess& db, std::string_view key) {
  char empty[hll::kEmptySparseSize];
  hll::WriteEmptySparse(empty);
  Entry* e = Entry::NewString(key, std::string_view(empty, sizeof(empty)), Encoding::kRaw,
                              kNoExpiry, db.clock());
  db.Insert(e);
  return e;
}

// Writes registers of one valid HLL entry, sparse or dense, following the entry through
// growth and promotion.  While it lives, a sparse entry's string may hold up to
// kSparseMaxGrowth bytes past the HLL's real length `len_`; Finish() trims them.
class HllWriter {
 public:
  HllWriter(DbAccess& db, Entry* e) : db_(db), e_(e), len_(e->raw_value().size()) {}

  bool dense() const { return !sparse_; }

  // Raises register `index` to `count`; true iff it changed.
  bool Set(uint32_t index, uint8_t count, size_t sparse_max_bytes) {
    if (sparse_) {
      Reserve();
      switch (hll::SparseSet(Data(), &len_, index, count, sparse_max_bytes)) {
        case hll::SparseSetOutcome::kUnchanged:
          return false;
        case hll::SparseSetOutcome::kChanged:
          return true;
        case hll::SparseSetOutcome::kPromote:
          Promote();
          break;
      }
    }
    return hll::DenseSet(Data() + hll::kHeaderSize, index, count);
  }

  // Replaces a sparse entry by its dense form.
  void Promote() {
    if (!sparse_) return;
    Entry* dense =
        Entry::NewZeroedRaw(e_->key(), hll::kDenseSize, e_->expire_at_or_none(), db_.clock());
    hll::SparseToDense(Value(), reinterpret_cast<uint8_t*>(dense->mutable_raw_data()));
    db_.Replace(e_, dense);
    e_ = dense;
    len_ = hll::kDenseSize;
    sparse_ = false;
  }

  void InvalidateCache() { hll::InvalidateCache(e_->mutable_raw_data()); }

  // Trims the spare bytes.  Returns the entry, which the writer must not be used after.
  Entry* Finish() {
    if (e_->raw_value().size() != len_) Swap(Entry::ResizeString(e_, len_));
    return e_;
  }

 private:
  uint8_t* Data() { return reinterpret_cast<uint8_t*>(e_->mutable_raw_data()); }
  std::string_view Value() const { return e_->raw_value().substr(0, len_); }
  void Swap(Entry* fresh) {
    db_.Replace(e_, fresh);
    e_ = fresh;
  }
  void Reserve() {
    size_t needed = len_ + hll::kSparseMaxGrowth;
    if (e_->raw_value().size() < needed) Swap(Entry::ResizeString(e_, needed, false));
  }

  DbAccess& db_;
  Entry* e_;
  size_t len_;
  bool sparse_ = IsSparse(e_);
};

}  // namespace

OpResult<bool> OpPfAdd(DbAccess& db, std::string_view key,
                       std::span<const std::string_view> elements, size_t sparse_max_bytes) {
  OpResult<Entry*> found = FindHll(db, key);
  if (!found) return found.status();
  bool updated = false;
  Entry* e = *found;
  if (e == nullptr) {
    e = NewEmptyHll(db, key);
    updated = true;
  } else {
    e = MakeRaw(db, e);
    if (OpStatus s = CheckRegisters(e); s != OpStatus::kOk) return s;
  }
  HllWriter writer(db, e);
  for (std::string_view element : elements) {
    hll::Pattern pattern = hll::PatternOf(element);
    if (writer.Set(pattern.index, pattern.count, sparse_max_bytes)) updated = true;
  }
  if (updated) writer.InvalidateCache();
  writer.Finish();
  return updated;
}

OpResult<uint64_t> OpPfCount(DbAccess& db, std::span<const std::string_view> keys) {
  if (keys.size() > 1) {
    hll::RawRegisters max{};
    for (std::string_view key : keys) {
      OpResult<Entry*> e = FindHll(db, key);
      if (!e) return e.status();
      if (*e == nullptr) continue;
      if (OpStatus s = CheckRegisters(*e); s != OpStatus::kOk) return s;
      hll::MergeInto((*e)->raw_value(), &max);
    }
    return hll::CountRaw(max);
  }
  OpResult<Entry*> found = FindHll(db, keys[0]);
  if (!found) return found.status();
  if (*found == nullptr) return uint64_t{0};
  Entry* e = MakeRaw(db, *found);
  if (std::optional<uint64_t> cached = hll::CachedCardinality(e->raw_value())) return *cached;
  if (OpStatus s = CheckRegisters(e); s != OpStatus::kOk) return s;
  uint64_t count = hll::Count(e->raw_value());
  hll::StoreCardinality(e->mutable_raw_data(), count);
  return count;
}

OpStatus OpPfMerge(DbAccess& db, std::span<const std::string_view> keys, size_t sparse_max_bytes) {
  hll::RawRegisters max{};
  bool use_dense = false;
  for (std::string_view key : keys) {
    OpResult<Entry*> e = FindHll(db, key);
    if (!e) return e.status();
    if (*e == nullptr) continue;
    if (OpStatus s = CheckRegisters(*e); s != OpStatus::kOk) return s;
    if (!IsSparse(*e)) use_dense = true;
    hll::MergeInto((*e)->raw_value(), &max);
  }
  // The destination, if it exists, passed the checks above as keys[0].
  Entry* dest = db.Find(keys[0]);
  dest = dest == nullptr ? NewEmptyHll(db, keys[0]) : MakeRaw(db, dest);
  HllWriter writer(db, dest);
  if (use_dense) writer.Promote();
  for (uint32_t i = 0; i < hll::kRegisters; ++i) {
    if (max[i] != 0) writer.Set(i, max[i], sparse_max_bytes);
  }
  writer.InvalidateCache();
  writer.Finish();
  return OpStatus::kOk;
}

OpResult<PfDebugResult> OpPfDebug(DbAccess& db, std::string_view key, PfDebugOp op) {
  OpResult<Entry*> found = FindHll(db, key);
  if (!found) return found.status();
  if (*found == nullptr) return OpStatus::kKeyNotFound;
  Entry* e = MakeRaw(db, *found);
  PfDebugResult out;
  out.encoding = hll::EncodingOf(e->raw_value());
  bool sparse = out.encoding == hll::Encoding::kSparse;
  switch (op) {
    case PfDebugOp::kCheck:
    case PfDebugOp::kEncoding:
      break;
    case PfDebugOp::kDecode:
      if (sparse) out.decoded = hll::DecodeSparse(e->raw_value());
      break;
    case PfDebugOp::kGetReg:
    case PfDebugOp::kToDense: {
      if (sparse) {
        if (OpStatus s = CheckRegisters(e); s != OpStatus::kOk) return s;
        HllWriter writer(db, e);
        writer.Promote();
        e = writer.Finish();
        out.converted = true;
      }
      if (op == PfDebugOp::kGetReg) {
        const auto* registers =
            reinterpret_cast<const uint8_t*>(e->raw_value().data()) + hll::kHeaderSize;
        out.registers.resize(hll::kRegisters);
        for (uint32_t i = 0; i < hll::kRegisters; ++i) {
          out.registers[i] = hll::DenseGet(registers, i);
        }
      }
      break;
    }
  }
  return out;
}

}  // namespace tessera::keyspace
