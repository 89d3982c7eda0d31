// The keys of one database of one shard that commands used before a snapshot's walk reached
// them, each with its encoding as it was at the snapshot's point (SnapshotJob::SaveKeyAside).
//
// A busy server keeps tens of thousands of these per save, so the store is what the save
// costs in memory beyond the data.  A node-based map (std::unordered_map of strings) cost
// about 200 bytes per kept key whose key and record held 60 (a 96-byte node, a heap key, a
// heap record and the bucket array); here the records sit one after another in blocks of at
// most kBlockBytes, and an open-addressed index holds the hash and place of each: the bytes
// themselves plus a few bytes of header and 21-43 bytes of index (16-byte slots, at most 3/4
// and at least 3/8 full).
//
// A record is: varint key length, varint (record length + 1, 0 when the key did not exist at
// the point), the key, the record.  Records are appended and never removed: the store lives
// until its database is written, then goes as a whole.
//
// Not thread-safe: its owner touches it under the shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::server {

class KeptKeys {
 public:
  KeptKeys() = default;
  KeptKeys(const KeptKeys&) = delete;
  KeptKeys& operator=(const KeptKeys&) = delete;

  // True iff `key` (of hash `hash`) is kept.
  bool Contains(std::string_view key, uint64_t hash) const;

  // Keeps `key` with `record`, its bytes in the file, or as absent when `absent` (a key created
  // since the point).  REQUIRES: !Contains(key, hash).
  void Add(std::string_view key, uint64_t hash, std::string_view record, bool absent);

  // Calls fn(key, record) for each kept key that existed at the point, in the order added.
  template <class Fn>
  void ForEachPresent(Fn&& fn) const {
    for (const Block& b : blocks_) {
      for (size_t at = 0; at < b.used;) {
        const Record r = Decode(b.bytes.get() + at);
        if (!r.absent) fn(r.key, r.record);
        at += r.size;
      }
    }
  }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Bytes held by the blocks and the index.  O(1): SaveKeyAside asks around every Add.
  size_t memory() const { return bytes_ + blocks_.capacity() * sizeof(Block); }

  // Block size: a record larger than this gets a block of its own.
  static constexpr size_t kBlockBytes = size_t{64} << 10;

 private:
  struct Block {
    std::unique_ptr<char[]> bytes;
    size_t used = 0;
    size_t capacity = 0;
  };
  struct Record {
    std::string_view key;
    std::string_view record;
    bool absent = false;
    size_t size = 0;  // header and bytes
  };
  // One index slot; `ref` is (block << 32 | offset) + 1, 0 when the slot is free.  A block's
  // offsets stay below 2^32: only a record of its own can be larger than kBlockBytes.
  struct Slot {
    uint64_t hash = 0;
    uint64_t ref = 0;
  };

  static Record Decode(const char* p);
  const char* At(uint64_t ref) const;
  char* At(uint64_t ref) { return const_cast<char*>(std::as_const(*this).At(ref)); }
  // Where `key` sits in the index, or the free slot where it would go.
  size_t Probe(std::string_view key, uint64_t hash) const;
  void GrowIndex();
  // Room for `bytes` at the end of the last block (a new block when needed); returns its ref.
  uint64_t Reserve(size_t bytes);

  std::vector<Block> blocks_;
  std::vector<Slot> index_;  // a power of two in size, at most 3/4 full
  size_t count_ = 0;
  size_t bytes_ = 0;  // the blocks' capacities and the index's slots
};

}  // namespace tessera::server
