// StreamValue: the value of a stream key (XADD, XRANGE, consumer groups), Redis 7.2's model.
//
// Entries live in nodes, each a listpack (core/ds/listpack.h) in Redis's stream node layout,
// byte for byte: a master entry (live count, deleted count, the field names of the node's
// first entry, a 0 terminator), then per entry its flags, its ID as (ms, seq) deltas from the
// node's master ID, the field names unless the flags say SAMEFIELDS (same names as the master
// entry), the values, and an lp-count that lets a reader walk the node backwards.  A deleted
// entry stays in its node with the DELETED flag until the whole node is dropped.  Keeping
// Redis's bytes means the node splitting rule (stream-node-max-bytes / -entries, measured in
// listpack bytes) gives the same nodes as Redis, so approximate trimming (`~`, which drops
// whole nodes only) leaves exactly the lengths Redis leaves, and an RDB writer can emit the
// nodes as they are.
//
// The index over the nodes is a vector of (master ID, listpack) sorted by ID, not Redis's
// radix tree.  IDs only grow (XADD refuses an ID at or below the top), so a node is only
// ever added at the end, and removed (emptied by XDEL, or trimmed from the head): a radix
// tree's ordered inserts are never needed.  Lookups are a binary search; the cost is 24 bytes
// per node of up to 100 entries, less than a rax spends on a 16-byte key.  Removing a node
// from the middle moves the records after it, O(nodes), which XDEL of a node's last live
// entry pays and nothing on the hot path does.
//
// Closed nodes older than the newest closed one are compressed with LZF when that saves at
// least an eighth: the entries of an event stream repeat their field names and much of their
// values, and old nodes are read far less than the last two, which stay plain so XADD and the
// readers that trail the tail never decompress.  Reading a packed node decompresses it into
// the reader's own buffer, a segment of about 1 KB at a time for a forward read (each thread
// also keeps its last few decompressed segments, so coming back to one costs a copy);
// changing it (XDEL, trimming inside it) makes it plain again for good.
// The packed bytes are the LZF form RDB files use for strings, so a snapshot writer can copy
// them as they are.  Redis keeps every node plain; this is where the stream memory goal (below
// Redis's) comes from, at the price of one decompression (a microsecond or so) per packed
// segment a read needs that is not in the thread's cache.  That cache is keyed by the blob's
// address and a serial number every packing takes from one process-wide atomic counter (the only
// global here): a freed blob's address may come back with other bytes, its serial cannot.
//
// Consumer groups (created on demand) keep the pending entries list twice, as Redis does:
// per group by ID (owning the NACK records) and per consumer by ID (pointing at them), so
// XPENDING per consumer and XACK are both O(log n).  Names are ordered as bytes, like the
// rax Redis iterates (XINFO GROUPS / CONSUMERS order).
//
// Pure: times are passed in by the caller.  Not thread-safe: touched under its shard's lock.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::types {

struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;

  auto operator<=>(const StreamID&) const = default;
  static constexpr StreamID Min() { return {0, 0}; }
  static constexpr StreamID Max() { return {UINT64_MAX, UINT64_MAX}; }
  bool IsZero() const { return ms == 0 && seq == 0; }
  // The next / previous ID.  Returns false (and wraps) past the extremes.
  bool Incr();
  bool Decr();
  // "<ms>-<seq>".
  std::string ToString() const;
};

// Redis's stream-node-max-bytes and stream-node-max-entries (0: no limit).
struct StreamLimits {
  size_t node_max_bytes = 4096;
  int64_t node_max_entries = 100;
};

struct StreamConsumer;

// A pending entry: delivered to `consumer`, not yet acknowledged.
struct StreamNack {
  int64_t delivery_time = 0;
  uint64_t delivery_count = 1;
  StreamConsumer* consumer = nullptr;
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time = 0;                // last attempt to read or claim
  int64_t active_time = -1;             // last successful read or claim; -1 never
  std::map<StreamID, StreamNack*> pel;  // points into the group's pel
};

inline constexpr int64_t kInvalidEntriesRead = -1;

struct StreamGroup {
  using Pel = std::map<StreamID, std::unique_ptr<StreamNack>>;

  StreamID last_id;
  int64_t entries_read = kInvalidEntriesRead;
  Pel pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  // Removes the pending entry at `it` from the group and from its consumer (XACK, or an entry
  // no longer in the stream); returns the entry after it.
  Pel::iterator DropPending(Pel::iterator it);

  StreamConsumer* FindConsumer(std::string_view name) const;
  // Adds a consumer; returns null if one with this name exists.
  StreamConsumer* CreateConsumer(std::string_view name, int64_t now_ms);
  // Removes the consumer and its pending entries; returns how many were pending.
  size_t DeleteConsumer(std::string_view name);
};

using StreamGroups = std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>;

class StreamValue {
 public:
  // How XADD/XTRIM trim: MAXLEN keeps at most `maxlen` entries, MINID drops entries below
  // `minid`.  `approx` drops whole nodes only; `limit` (0: none) caps the entries dropped.
  struct TrimArgs {
    enum class Strategy : uint8_t { kNone, kMaxLen, kMinId };
    Strategy strategy = Strategy::kNone;
    bool approx = false;
    int64_t limit = 0;
    uint64_t maxlen = 0;
    StreamID minid;
  };

  // Reads entries with IDs in [start, end], forwards or backwards, skipping deleted ones.
  // Valid while the stream does not change.
  class Iterator {
   public:
    Iterator(const StreamValue& s, StreamID start, StreamID end, bool reverse);
    // Moves to the next entry in range; false when there is none.
    bool Next();
    StreamID id() const { return id_; }
    size_t num_fields() const { return num_fields_; }
    // The next field-value pair of the current entry; integer-encoded elements are formatted
    // into the iterator's buffers (valid until the next call).
    void NextField(std::string_view* field, std::string_view* value);

   private:
    bool EnterNode();
    // Decompresses the segments of a partly decompressed node up to plain byte `offset`.
    void EnsurePlain(size_t offset);
    const StreamValue& s_;
    std::vector<uint8_t> scratch_;  // a packed node, decompressed
    const uint8_t* partial_ = nullptr;  // the packed node while segments remain
    size_t next_segment_ = 0;
    size_t plain_end_ = 0;  // scratch_ holds the node's bytes below this
    StreamID start_, end_;
    bool reverse_;
    bool started_ = false;
    size_t node_ = 0;                   // index of the current node
    const uint8_t* lp_ = nullptr;       // current node's listpack, null between nodes
    const uint8_t* ele_ = nullptr;      // cursor inside lp_
    const uint8_t* flags_p_ = nullptr;  // flags of the entry returned last
    size_t remaining_ = 0;              // its elements the caller has not read
    bool id_valid_ = false;             // an entry was returned and not yet left
    const uint8_t* master_fields_ = nullptr;
    const uint8_t* master_field_ = nullptr;
    uint64_t master_count_ = 0;
    StreamID master_id_;
    StreamID id_;
    size_t num_fields_ = 0;
    bool same_fields_ = false;
    char field_buf_[24];
    char value_buf_[24];
  };

  StreamValue() = default;
  ~StreamValue();
  StreamValue(const StreamValue&) = delete;
  StreamValue& operator=(const StreamValue&) = delete;

  uint64_t length() const { return length_; }
  StreamID last_id() const { return last_id_; }
  StreamID first_id() const { return first_id_; }
  StreamID max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  size_t node_count() const { return nodes_.size(); }

  // XSETID's changes.  REQUIRES: the caller checked Redis's rules.
  void set_last_id(StreamID id) { last_id_ = id; }
  void set_max_deleted_id(StreamID id) { max_deleted_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }

  // The ID XADD * takes at `now_ms` (Redis's streamNextID): now, or the last ID + 1 when the
  // clock is not ahead of it.
  StreamID NextAutoId(int64_t now_ms) const;

  // Appends an entry with `fields_values` (field, value, field, value...).  REQUIRES: id >
  // last_id(), an even non-zero number of strings.  Returns false, changing nothing, when
  // the strings add up to more than a node can ever hold (Redis's "too large").
  bool Append(StreamID id, std::span<const std::string_view> fields_values,
              const StreamLimits& limits);

  // True iff a live entry has this ID.
  bool Contains(StreamID id) const;
  // XDEL: deletes the live entries with these IDs, updates the first ID and the maximal
  // deleted ID.  Returns how many were deleted.
  size_t Delete(std::span<const StreamID> ids);
  // XTRIM / XADD's trimming, as Redis's streamTrim: returns the entries removed.
  int64_t Trim(const TrimArgs& args);

  // The first or last entry's ID, counting deleted entries iff !skip_deleted; Max() (first)
  // or Min() (last) for an empty stream.
  StreamID EdgeId(bool first, bool skip_deleted) const;

  // Consumer groups (null when none was ever created).
  const StreamGroups* groups() const { return groups_.get(); }
  StreamGroup* FindGroup(std::string_view name) const;
  // Returns null if a group with this name exists.
  StreamGroup* CreateGroup(std::string_view name, StreamID last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);

  // Redis's streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id`, or
  // kInvalidEntriesRead when it cannot be known.
  int64_t EstimateEntriesRead(StreamID id) const;
  // True iff some deleted entry may lie in [start, end] (Redis's streamRangeHasTombstones).
  bool RangeHasTombstones(StreamID start, StreamID end) const;
  // A group's lag (XINFO GROUPS), nullopt when it cannot be known (Redis replies null).  It
  // can be negative: ENTRIESREAD may set a read counter past the entries ever added.
  std::optional<int64_t> GroupLag(const StreamGroup& g) const;
  // Moves the group forward for an entry `id` it delivers (the last_id / entries_read rules of
  // Redis's streamReplyWithRange).  REQUIRES: id > g->last_id.
  void AdvanceGroup(StreamGroup* g, StreamID id) const;

  StreamValue* Clone() const;
  std::string_view EncodingName() const { return "stream"; }
  size_t AllocationSize() const;

  // Node records, for DEBUG, snapshots and tests: master ID and listpack of node i; a packed
  // node is decompressed into *scratch, which the result then points into.
  StreamID node_master(size_t i) const { return nodes_[i].master; }
  const uint8_t* node_listpack(size_t i, std::vector<uint8_t>* scratch) const;
  bool node_packed(size_t i) const { return nodes_[i].packed(); }

  // Loading (RDB files, RESTORE): appends a node, taking ownership of `lp`, a malloc'd
  // listpack in Redis's node layout.  REQUIRES: the caller validated it (rdb_reader's deep
  // checks) and every entry is above the previous nodes' entries.
  void AdoptNode(StreamID master, uint8_t* lp);
  // After the last AdoptNode: the counters the file carries; packs the closed nodes older
  // than the newest closed one, as Append would have left them.
  void FinishLoad(uint64_t length, StreamID last_id, StreamID first_id, StreamID max_deleted_id,
                  uint64_t entries_added);

 private:
  // `lp` is a listpack, or (bit 0 set) a packed node: [u32 plain size][u32 LZF size][LZF].
  struct Node {
    StreamID master;
    uint8_t* lp;
    bool packed() const { return (reinterpret_cast<uintptr_t>(lp) & 1) != 0; }
  };
  static void FreeNode(Node* n);
  // Compresses node n if that pays; a no-op for a packed node.
  void Pack(size_t n);
  // Makes node n plain (for a change) and returns its listpack.
  uint8_t* Unpack(size_t n);
  // Index of the last node whose master ID is <= id, or nodes_.size() if none.
  size_t FindNode(StreamID id) const;
  // Marks the live entry `id` of node `n` deleted; false if it is not there.  May remove the
  // node (its last live entry).
  bool DeleteInNode(size_t n, StreamID id);
  void RemoveNode(size_t n);
  // Trims inside node n (not approximate): marks entries deleted while the strategy wants.
  int64_t TrimInsideNode(size_t n, const TrimArgs& args);

  std::vector<Node> nodes_;
  uint64_t length_ = 0;
  StreamID last_id_;
  StreamID first_id_;
  StreamID max_deleted_id_;
  uint64_t entries_added_ = 0;
  std::unique_ptr<StreamGroups> groups_;
};

}  // namespace tessera::types
