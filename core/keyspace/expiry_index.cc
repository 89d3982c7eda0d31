#include "core/keyspace/expiry_index.h"

#include <algorithm>
#include <bit>

namespace tessera::keyspace {

namespace {

constexpr int kMinShift = 4;       // 16 ms buckets at the finest
constexpr int kRelativeBits = 6;   // a bucket spans about 1/64 of the time left

}  // namespace

void ExpiryIndex::Add(int64_t at_ms, uint64_t hash, int64_t now_ms) {
  const uint64_t left = at_ms > now_ms ? static_cast<uint64_t>(at_ms - now_ms) : 0;
  const int shift = std::max(kMinShift, static_cast<int>(std::bit_width(left)) - kRelativeBits);
  const int64_t width = int64_t{1} << shift;
  const int64_t start = at_ms & ~(width - 1);
  Bucket& b = buckets_[start];
  b.end_ms = std::max(b.end_ms, start + width);
  b.hashes.push_back(hash);
  ++size_;
}

bool ExpiryIndex::TakeDue(int64_t now_ms, Due* out) {
  if (buckets_.empty() || buckets_.begin()->first > now_ms) return false;
  auto it = buckets_.begin();
  out->start_ms = it->first;
  out->end_ms = it->second.end_ms;
  out->hashes = std::move(it->second.hashes);
  size_ -= out->hashes.size();
  buckets_.erase(it);
  return true;
}

void ExpiryIndex::PutBack(const Due& due, size_t from) {
  if (from >= due.hashes.size()) return;
  Bucket& b = buckets_[due.start_ms];
  b.end_ms = std::max(b.end_ms, due.end_ms);
  b.hashes.insert(b.hashes.end(), due.hashes.begin() + static_cast<std::ptrdiff_t>(from),
                  due.hashes.end());
  size_ += due.hashes.size() - from;
}

size_t ExpiryIndex::BytesAllocated() const {
  // A map node holds the key, the bucket and about four words of tree links.
  size_t bytes = buckets_.size() * (sizeof(int64_t) + sizeof(Bucket) + 4 * sizeof(void*));
  for (const auto& [start, b] : buckets_) bytes += b.hashes.capacity() * sizeof(uint64_t);
  return bytes;
}

}  // namespace tessera::keyspace
