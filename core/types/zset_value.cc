#include "core/types/zset_value.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/base/find_duplicate.h"
#include "core/base/varint.h"

namespace tessera::types {

using zset_internal::ZElem;

namespace {

constexpr size_t kNpos = ~size_t{0};
constexpr double kMaxPackedInt = 9007199254740992.0;  // 2^53

// True (and *i set) iff the score packs as an integer.  -0 packs as 0: Redis's listpack
// stores integral scores as integers (double2ll), so a listpack set never holds -0.
bool PackableInt(double s, int64_t* i) {
  if (!(std::fabs(s) < kMaxPackedInt)) return false;
  int64_t v = static_cast<int64_t>(s);
  if (static_cast<double>(v) != s) return false;
  *i = v;
  return true;
}
uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

size_t ScoreSize(double s) {
  int64_t i;
  return PackableInt(s, &i) ? VarintSize(ZigZag(i) << 1) : 9;
}
size_t PutScore(uint8_t* p, double s) {
  int64_t i;
  if (PackableInt(s, &i)) return PutVarint(p, ZigZag(i) << 1);
  p[0] = 0x01;
  std::memcpy(p + 1, &s, sizeof(s));
  return 9;
}
size_t GetScore(const uint8_t* p, double* s) {
  if (p[0] == 0x01) {
    std::memcpy(s, p + 1, sizeof(*s));
    return 9;
  }
  uint64_t v;
  size_t n = GetVarint(p, &v);
  *s = static_cast<double>(UnZigZag(v >> 1));
  return n;
}

// Redis zslValueGteMin-style order of (score, member).
bool PairLess(double s1, std::string_view m1, double s2, std::string_view m2) {
  if (s1 != s2) return s1 < s2;
  return m1 < m2;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Ranges

bool LexRange::GteMin(std::string_view m) const {
  switch (min.kind) {
    case LexBound::Kind::kMinusInf:
      return true;
    case LexBound::Kind::kPlusInf:
      return false;
    case LexBound::Kind::kInclusive:
      return m >= min.value;
    case LexBound::Kind::kExclusive:
      return m > min.value;
  }
  return false;
}

bool LexRange::LteMax(std::string_view m) const {
  switch (max.kind) {
    case LexBound::Kind::kMinusInf:
      return false;
    case LexBound::Kind::kPlusInf:
      return true;
    case LexBound::Kind::kInclusive:
      return m <= max.value;
    case LexBound::Kind::kExclusive:
      return m < max.value;
  }
  return false;
}

bool LexRange::IsEmpty() const {
  using K = LexBound::Kind;
  if (min.kind == K::kPlusInf || max.kind == K::kMinusInf) return true;
  if (min.kind == K::kMinusInf || max.kind == K::kPlusInf) return false;
  int c = min.value.compare(max.value);
  return c > 0 || (c == 0 && (min.kind == K::kExclusive || max.kind == K::kExclusive));
}

// ---------------------------------------------------------------------------------------------
// ZElem

std::string_view ZElem::member() const {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(this) + sizeof(double);
  uint64_t len;
  size_t n = GetVarint(p, &len);
  return {reinterpret_cast<const char*>(p + n), static_cast<size_t>(len)};
}

ZElem* ZElem::New(std::string_view member, double score) {
  size_t size = sizeof(double) + VarintSize(member.size()) + member.size();
  auto* e = static_cast<ZElem*>(std::malloc(size));
  if (e == nullptr) std::abort();
  e->score = score;
  uint8_t* p = reinterpret_cast<uint8_t*>(e) + sizeof(double);
  size_t n = PutVarint(p, member.size());
  if (!member.empty()) std::memcpy(p + n, member.data(), member.size());
  return e;
}

void ZElem::Free(ZElem* e) { std::free(e); }

size_t ZElem::AllocationSize() const {
  size_t len = member().size();
  return sizeof(double) + VarintSize(len) + len;
}

// ---------------------------------------------------------------------------------------------
// Life cycle

ZSetValue* ZSetValue::Create(size_t size_hint, size_t value_len_hint, const ZSetLimits& limits) {
  auto* z = new ZSetValue();
  if (size_hint > limits.max_listpack_entries || value_len_hint > limits.max_listpack_value) {
    z->SetBig(new Big());
  }
  return z;
}

void ZSetValue::ReserveForLoad(size_t n) {
  if (!packed() && dict().size() == 0) dict().Reserve(n);
}

ZSetValue* ZSetValue::NewPacked(std::span<const ScoredView> pairs, bool* duplicate) {
  const size_t n = pairs.size();
  *duplicate = HasDuplicate(
      n, [&](size_t i) { return HashBytes(pairs[i].member); },
      [&](size_t i, size_t j) { return pairs[i].member == pairs[j].member; });
  if (*duplicate) return nullptr;
  size_t bytes = 0;
  bool sorted = true;
  for (size_t i = 0; i < n; ++i) {
    const ScoredView& p = pairs[i];
    bytes += VarintSize(p.member.size()) + p.member.size() + ScoreSize(p.score);
    if (i > 0 && !PairLess(pairs[i - 1].score, pairs[i - 1].member, p.score, p.member)) {
      sorted = false;
    }
  }
  if (bytes > kMaxPackedBytes) return nullptr;
  // Redis writes its listpacks in order; anything else is put in order, as inserting the
  // pairs one by one would.
  std::vector<ScoredView> copy;
  if (!sorted) {
    copy.assign(pairs.begin(), pairs.end());
    std::sort(copy.begin(), copy.end(), [](const ScoredView& a, const ScoredView& b) {
      return PairLess(a.score, a.member, b.score, b.member);
    });
    pairs = copy;
  }
  auto* z = new ZSetValue();
  if (n == 0) return z;
  z->ResizePacked(static_cast<uint32_t>(n), bytes);
  uint8_t* out = z->data();
  for (const ScoredView& p : pairs) {
    out += PutVarint(out, p.member.size());
    if (!p.member.empty()) std::memcpy(out, p.member.data(), p.member.size());
    out += p.member.size();
    out += PutScore(out, p.score);
  }
  return z;
}

ZSetValue::~ZSetValue() {
  if (packed()) {
    std::free(buf());
    return;
  }
  FreeBig(big());
}

void ZSetValue::FreeBig(Big* big) {
  big->tree.Clear();
  big->dict.ForEach([](ZElem* e) { ZElem::Free(e); });
  big->dict.Clear();
  delete big;
}

ZSetValue* ZSetValue::Clone() const {
  auto* z = new ZSetValue();
  if (packed()) {
    if (buf() != nullptr) {
      const size_t n = kHeader + lp_bytes();
      auto* copy = static_cast<uint8_t*>(std::malloc(n));
      if (copy == nullptr) std::abort();
      std::memcpy(copy, buf(), n);
      z->rep_ = reinterpret_cast<uintptr_t>(copy);
    }
    return z;
  }
  z->SetBig(new Big());
  for (auto c = big()->tree.First(); c.valid(); c.Next()) {
    z->TreeInsert(c.get()->member(), c.get()->score);
  }
  return z;
}

size_t ZSetValue::AllocationSize() const {
  size_t n = sizeof(*this);
  if (packed()) return n + (buf() != nullptr ? kHeader + lp_bytes() : 0);
  return n + sizeof(Big) + big()->dict.BytesAllocated() + big()->tree.BytesAllocated() +
         big()->elem_bytes;
}

size_t ZSetValue::size() const { return packed() ? lp_count() : big()->tree.size(); }

// ---------------------------------------------------------------------------------------------
// Listpack encoding

uint32_t ZSetValue::lp_count() const {
  uint32_t v = 0;
  if (buf() != nullptr) std::memcpy(&v, buf(), sizeof(v));
  return v;
}

size_t ZSetValue::lp_bytes() const {
  uint32_t v = 0;
  if (buf() != nullptr) std::memcpy(&v, buf() + sizeof(uint32_t), sizeof(v));
  return v;
}

void ZSetValue::ResizePacked(uint32_t count, size_t bytes) {
  if (count == 0) {
    std::free(buf());
    rep_ = 0;
    return;
  }
  auto* b = static_cast<uint8_t*>(std::realloc(buf(), kHeader + bytes));
  if (b == nullptr) std::abort();
  const uint32_t bytes32 = static_cast<uint32_t>(bytes);
  std::memcpy(b, &count, sizeof(count));
  std::memcpy(b + sizeof(count), &bytes32, sizeof(bytes32));
  rep_ = reinterpret_cast<uintptr_t>(b);
}

ZSetValue::PackedEntry ZSetValue::DecodeFrom(const uint8_t* data, size_t off) {
  const uint8_t* p = data + off;
  uint64_t len;
  size_t n = GetVarint(p, &len);
  PackedEntry e;
  e.member = {reinterpret_cast<const char*>(p + n), static_cast<size_t>(len)};
  n += len;
  n += GetScore(p + n, &e.score);
  e.next = off + n;
  return e;
}

size_t ZSetValue::PackedFind(std::string_view member, double* score) const {
  const size_t bytes = lp_bytes();
  for (size_t off = 0; off < bytes;) {
    PackedEntry e = DecodeAt(off);
    if (e.member == member) {
      if (score != nullptr) *score = e.score;
      return off;
    }
    off = e.next;
  }
  return kNpos;
}

void ZSetValue::PackedInsert(std::string_view member, double score) {
  const size_t bytes = lp_bytes();
  size_t at = 0;
  while (at < bytes) {
    PackedEntry e = DecodeAt(at);
    if (PairLess(score, member, e.score, e.member)) break;
    at = e.next;
  }
  const size_t need = VarintSize(member.size()) + member.size() + ScoreSize(score);
  ResizePacked(lp_count() + 1, bytes + need);
  std::memmove(data() + at + need, data() + at, bytes - at);
  uint8_t* p = data() + at;
  size_t n = PutVarint(p, member.size());
  if (!member.empty()) std::memcpy(p + n, member.data(), member.size());
  PutScore(p + n + member.size(), score);
}

void ZSetValue::PackedEraseRange(size_t off, size_t next, uint32_t count) {
  const size_t bytes = lp_bytes();
  std::memmove(data() + off, data() + next, bytes - next);
  ResizePacked(lp_count() - count, bytes - (next - off));
}

void ZSetValue::PackedEraseAt(size_t off, size_t next) { PackedEraseRange(off, next, 1); }

// ---------------------------------------------------------------------------------------------
// Conversions

void ZSetValue::TreeInsert(std::string_view member, double score, uint64_t hash) {
  ZElem* e = ZElem::New(member, score);
  big()->dict.Insert(e, hash);
  big()->tree.Insert(e);
  big()->elem_bytes += e->AllocationSize();
}

void ZSetValue::ConvertToTree() {
  if (!packed()) return;
  uint8_t* old = buf();
  const size_t bytes = lp_bytes();
  SetBig(new Big());
  for (size_t off = 0; off < bytes;) {
    PackedEntry e = DecodeFrom(old + kHeader, off);
    TreeInsert(e.member, e.score);
    off = e.next;
  }
  std::free(old);
}

void ZSetValue::ConvertToPacked() {
  if (packed()) return;
  Big* big = this->big();
  size_t bytes = 0;
  for (auto c = big->tree.First(); c.valid(); c.Next()) {
    std::string_view m = c.get()->member();
    bytes += VarintSize(m.size()) + m.size() + ScoreSize(c.get()->score);
  }
  rep_ = 0;
  ResizePacked(static_cast<uint32_t>(big->tree.size()), bytes);
  size_t off = 0;
  for (auto c = big->tree.First(); c.valid(); c.Next()) {
    std::string_view m = c.get()->member();
    off += PutVarint(data() + off, m.size());
    if (!m.empty()) std::memcpy(data() + off, m.data(), m.size());
    off += m.size();
    off += PutScore(data() + off, c.get()->score);
  }
  FreeBig(big);
}

bool ZSetValue::PackedFits(std::string_view member, const ZSetLimits& limits) const {
  return lp_count() + 1 <= limits.max_listpack_entries &&
         member.size() <= limits.max_listpack_value &&
         lp_bytes() + member.size() <= kMaxPackedBytes;
}

void ZSetValue::MaybeConvertForSize(size_t size_hint, const ZSetLimits& limits) {
  if (packed() && size_hint > limits.max_listpack_entries) ConvertToTree();
}

void ZSetValue::ConvertToPackedIfFits(size_t max_member_len, const ZSetLimits& limits) {
  if (!packed() && size() <= limits.max_listpack_entries &&
      max_member_len <= limits.max_listpack_value &&
      big()->elem_bytes <= kMaxPackedBytes) {
    ConvertToPacked();
  }
}

// ---------------------------------------------------------------------------------------------
// Lookups and updates

std::optional<double> ZSetValue::Score(std::string_view member) const {
  if (packed()) {
    double s;
    if (PackedFind(member, &s) == kNpos) return std::nullopt;
    return s;
  }
  ZElem* e = big()->dict.Find(member, HashBytes(member));
  if (e == nullptr) return std::nullopt;
  return e->score;
}

std::optional<size_t> ZSetValue::Rank(std::string_view member) const {
  if (packed()) {
    size_t rank = 0;
    for (size_t off = 0; off < lp_bytes(); ++rank) {
      PackedEntry e = DecodeAt(off);
      if (e.member == member) return rank;
      off = e.next;
    }
    return std::nullopt;
  }
  ZElem* e = big()->dict.Find(member, HashBytes(member));
  if (e == nullptr) return std::nullopt;
  return big()->tree.Rank(e);
}

ZSetValue::AddOutcome ZSetValue::Set(std::string_view member, double score,
                                     const ZSetLimits& limits) {
  if (packed()) {
    double cur;
    size_t off = PackedFind(member, &cur);
    if (off != kNpos) {
      if (cur == score) return AddOutcome::kUnchanged;
      PackedEraseAt(off, DecodeAt(off).next);
      PackedInsert(member, score);
      return AddOutcome::kUpdated;
    }
    if (!PackedFits(member, limits)) {
      ConvertToTree();
    } else {
      PackedInsert(member, score);
      return AddOutcome::kAdded;
    }
  }
  uint64_t hash = HashBytes(member);
  ZElem* e = big()->dict.Find(member, hash);
  if (e == nullptr) {
    TreeInsert(member, score, hash);
    return AddOutcome::kAdded;
  }
  if (e->score == score) return AddOutcome::kUnchanged;
  TreeRescore(e, score);
  return AddOutcome::kUpdated;
}

std::optional<double> ZSetValue::Resolve(double cur, double score, const ZAddOptions& opts,
                                         bool* nan) {
  if (opts.nx) return std::nullopt;
  if (opts.incr) {
    score += cur;
    if (std::isnan(score)) {
      *nan = true;
      return std::nullopt;
    }
  }
  if ((opts.lt && score >= cur) || (opts.gt && score <= cur)) return std::nullopt;
  return score;
}

ZSetValue::AddOutcome ZSetValue::Add(std::string_view member, double score,
                                     const ZAddOptions& opts, const ZSetLimits& limits,
                                     double* new_score) {
  bool nan = false;
  if (packed()) {
    double cur;
    size_t off = PackedFind(member, &cur);
    if (off != kNpos) {
      std::optional<double> s = Resolve(cur, score, opts, &nan);
      if (!s) return nan ? AddOutcome::kNaN : AddOutcome::kSkipped;
      *new_score = *s;
      if (*s == cur) return AddOutcome::kUnchanged;
      PackedEraseAt(off, DecodeAt(off).next);
      PackedInsert(member, *s);
      return AddOutcome::kUpdated;
    }
    if (opts.xx) return AddOutcome::kSkipped;
    if (PackedFits(member, limits)) {
      PackedInsert(member, score);
      *new_score = score;
      return AddOutcome::kAdded;
    }
    ConvertToTree();
  }
  const uint64_t hash = HashBytes(member);
  ZElem* e = big()->dict.Find(member, hash);
  if (e == nullptr) {
    if (opts.xx) return AddOutcome::kSkipped;
    TreeInsert(member, score, hash);
    *new_score = score;
    return AddOutcome::kAdded;
  }
  std::optional<double> s = Resolve(e->score, score, opts, &nan);
  if (!s) return nan ? AddOutcome::kNaN : AddOutcome::kSkipped;
  *new_score = *s;
  if (*s == e->score) return AddOutcome::kUnchanged;
  TreeRescore(e, *s);
  return AddOutcome::kUpdated;
}

void ZSetValue::TreeRescore(ZElem* e, double score) {
  // In place when the element stays between its neighbours (Redis's zslUpdateScore): the
  // tree's separators are element pointers, so they follow.  Else erase and reinsert.
  auto at = big()->tree.Find(e);
  auto prev = at, next = at;
  prev.Prev();
  next.Next();
  const std::string_view m = e->member();
  auto before = [&](const ZElem* x) { return PairLess(x->score, x->member(), score, m); };
  auto after = [&](const ZElem* x) { return PairLess(score, m, x->score, x->member()); };
  if ((!prev.valid() || before(prev.get())) && (!next.valid() || after(next.get()))) {
    e->score = score;
    return;
  }
  big()->tree.Erase(e);
  e->score = score;
  big()->tree.Insert(e);
}

bool ZSetValue::Remove(std::string_view member) {
  if (packed()) {
    size_t off = PackedFind(member, nullptr);
    if (off == kNpos) return false;
    PackedEraseAt(off, DecodeAt(off).next);
    return true;
  }
  ZElem* e = big()->dict.Erase(member, HashBytes(member));
  if (e == nullptr) return false;
  big()->tree.Erase(e);
  big()->elem_bytes -= e->AllocationSize();
  ZElem::Free(e);
  return true;
}

void ZSetValue::RemoveRanks(size_t start, size_t end) {
  if (start >= end) return;
  if (packed()) {
    size_t off = 0;
    size_t rank = 0;
    for (; rank < start; ++rank) off = DecodeAt(off).next;
    size_t stop = off;
    for (; rank < end; ++rank) stop = DecodeAt(stop).next;
    PackedEraseRange(off, stop, static_cast<uint32_t>(end - start));
    return;
  }
  // Collect first: erasing invalidates cursors.
  std::vector<ZElem*> doomed;
  doomed.reserve(end - start);
  auto c = big()->tree.At(start);
  for (size_t i = start; i < end; ++i, c.Next()) doomed.push_back(c.get());
  for (ZElem* e : doomed) {
    big()->tree.Erase(e);
    big()->dict.ErasePointer(e, HashBytes(e->member()));
    big()->elem_bytes -= e->AllocationSize();
    ZElem::Free(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Range bounds

namespace {
template <class Pred>
size_t PackedCountWhile(const ZSetValue& z, Pred&& pred) {
  size_t n = 0;
  for (auto it = z.IterateFrom(0, false); it.valid() && pred(it.member(), it.score()); it.Next()) {
    ++n;
  }
  return n;
}
}  // namespace

size_t ZSetValue::ScoreRangeStart(const ScoreRange& r) const {
  if (packed()) {
    return PackedCountWhile(*this, [&](std::string_view, double s) { return !r.AboveMin(s); });
  }
  return big()->tree.CountWhile([&](const ZElem* e) { return !r.AboveMin(e->score); });
}

size_t ZSetValue::ScoreRangeEnd(const ScoreRange& r) const {
  if (packed()) {
    return PackedCountWhile(*this, [&](std::string_view, double s) { return r.BelowMax(s); });
  }
  return big()->tree.CountWhile([&](const ZElem* e) { return r.BelowMax(e->score); });
}

size_t ZSetValue::LexRangeStart(const LexRange& r) const {
  if (packed()) {
    return PackedCountWhile(*this, [&](std::string_view m, double) { return !r.GteMin(m); });
  }
  return big()->tree.CountWhile([&](const ZElem* e) { return !r.GteMin(e->member()); });
}

size_t ZSetValue::LexRangeEnd(const LexRange& r) const {
  if (packed()) {
    return PackedCountWhile(*this, [&](std::string_view m, double) { return r.LteMax(m); });
  }
  return big()->tree.CountWhile([&](const ZElem* e) { return r.LteMax(e->member()); });
}

// ---------------------------------------------------------------------------------------------
// Iteration

ZSetValue::Iterator ZSetValue::IterateFrom(size_t rank, bool reverse) const {
  Iterator it;
  it.z_ = this;
  it.reverse_ = reverse;
  if (rank >= size()) return it;
  if (!packed()) {
    it.cursor_ = big()->tree.At(rank);
    it.LoadTree();
    return it;
  }
  if (!reverse) {
    size_t off = 0;
    for (size_t i = 0; i < rank; ++i) off = DecodeAt(off).next;
    it.pos_ = off;
  } else {
    it.offsets_.reserve(rank + 1);
    size_t off = 0;
    for (size_t i = 0; i <= rank; ++i) {
      it.offsets_.push_back(static_cast<uint32_t>(off));
      off = DecodeAt(off).next;
    }
  }
  it.LoadPacked();
  return it;
}

void ZSetValue::Iterator::LoadPacked() {
  size_t off;
  if (reverse_) {
    if (offsets_.empty()) {
      valid_ = false;
      return;
    }
    off = offsets_.back();
  } else {
    if (pos_ >= z_->lp_bytes()) {
      valid_ = false;
      return;
    }
    off = pos_;
  }
  PackedEntry e = z_->DecodeAt(off);
  member_ = e.member;
  score_ = e.score;
  valid_ = true;
}

void ZSetValue::Iterator::LoadTree() {
  valid_ = cursor_.valid();
  if (!valid_) return;
  member_ = cursor_.get()->member();
  score_ = cursor_.get()->score;
}

void ZSetValue::Iterator::Next() {
  if (!z_->packed()) {
    if (reverse_) cursor_.Prev(); else cursor_.Next();
    LoadTree();
    return;
  }
  if (reverse_) {
    offsets_.pop_back();
  } else {
    pos_ = z_->DecodeAt(pos_).next;
  }
  LoadPacked();
}

bool ZSetValue::CheckInvariants() const {
  if (packed()) {
    size_t n = 0;
    bool first = true;
    double ps = 0;
    std::string_view pm;
    size_t off = 0;
    for (; off < lp_bytes(); ++n) {
      PackedEntry e = DecodeAt(off);
      if (!first && !PairLess(ps, pm, e.score, e.member)) return false;
      first = false;
      ps = e.score;
      pm = e.member;
      off = e.next;
    }
    return off == lp_bytes() && n == lp_count();
  }
  if (big()->dict.size() != big()->tree.size() || !big()->tree.CheckInvariants()) return false;
  size_t bytes = 0;
  for (auto c = big()->tree.First(); c.valid(); c.Next()) {
    const ZElem* e = c.get();
    if (big()->dict.Find(e->member(), HashBytes(e->member())) != e) return false;
    bytes += e->AllocationSize();
  }
  return bytes == big()->elem_bytes;
}

}  // namespace tessera::types
