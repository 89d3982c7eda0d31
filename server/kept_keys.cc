#include "server/kept_keys.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/base/varint.h"

namespace tessera::server {

namespace {

// The first block; blocks double up to kBlockBytes, so a store that keeps a few keys stays
// small.
constexpr size_t kFirstBlockBytes = 4096;
constexpr size_t kFirstIndexSlots = 16;

// The hash's bits are spread by a multiply before picking a slot: the keys of one shard share
// some bits of their hash (the shard index).
size_t SlotOf(uint64_t hash, size_t mask) {
  return static_cast<size_t>((hash * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

}  // namespace

KeptKeys::Record KeptKeys::Decode(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  uint64_t key_len = 0;
  uint64_t record_len_plus1 = 0;
  size_t n = GetVarint(u, &key_len);
  n += GetVarint(u + n, &record_len_plus1);
  Record r;
  r.key = std::string_view(p + n, key_len);
  r.absent = record_len_plus1 == 0;
  const size_t record_len = r.absent ? 0 : record_len_plus1 - 1;
  r.record = std::string_view(p + n + key_len, record_len);
  r.size = n + key_len + record_len;
  return r;
}

const char* KeptKeys::At(uint64_t ref) const {
  const uint64_t at = ref - 1;
  return blocks_[at >> 32].bytes.get() + (at & 0xFFFFFFFFu);
}

size_t KeptKeys::Probe(std::string_view key, uint64_t hash) const {
  const size_t mask = index_.size() - 1;
  for (size_t i = SlotOf(hash, mask);; i = (i + 1) & mask) {
    const Slot& s = index_[i];
    if (s.ref == 0) return i;
    if (s.hash == hash && Decode(At(s.ref)).key == key) return i;
  }
}

bool KeptKeys::Contains(std::string_view key, uint64_t hash) const {
  if (count_ == 0) return false;
  return index_[Probe(key, hash)].ref != 0;
}

void KeptKeys::GrowIndex() {
  std::vector<Slot> old = std::move(index_);
  index_.assign(old.empty() ? kFirstIndexSlots : old.size() * 2, Slot{});
  bytes_ += (index_.size() - old.size()) * sizeof(Slot);
  const size_t mask = index_.size() - 1;
  for (const Slot& s : old) {
    if (s.ref == 0) continue;
    size_t i = SlotOf(s.hash, mask);
    while (index_[i].ref != 0) i = (i + 1) & mask;
    index_[i] = s;
  }
}

uint64_t KeptKeys::Reserve(size_t bytes) {
  if (blocks_.empty() || blocks_.back().capacity - blocks_.back().used < bytes) {
    const size_t next =
        blocks_.empty() ? kFirstBlockBytes : std::min(blocks_.back().capacity * 2, kBlockBytes);
    Block b;
    b.capacity = std::max(next, bytes);
    b.bytes = std::make_unique_for_overwrite<char[]>(b.capacity);
    bytes_ += b.capacity;
    blocks_.push_back(std::move(b));
  }
  Block& b = blocks_.back();
  const uint64_t ref = ((static_cast<uint64_t>(blocks_.size() - 1) << 32) | b.used) + 1;
  b.used += bytes;
  return ref;
}

void KeptKeys::Add(std::string_view key, uint64_t hash, std::string_view record, bool absent) {
  if ((count_ + 1) * 4 > index_.size() * 3) GrowIndex();
  const uint64_t len_plus1 = absent ? 0 : record.size() + 1;
  const size_t header = VarintSize(key.size()) + VarintSize(len_plus1);
  const size_t record_len = absent ? 0 : record.size();
  const uint64_t ref = Reserve(header + key.size() + record_len);
  auto* p = reinterpret_cast<uint8_t*>(At(ref));
  size_t n = PutVarint(p, key.size());
  n += PutVarint(p + n, len_plus1);
  std::memcpy(p + n, key.data(), key.size());
  if (record_len > 0) std::memcpy(p + n + key.size(), record.data(), record_len);
  index_[Probe(key, hash)] = Slot{hash, ref};
  ++count_;
}

}  // namespace tessera::server
