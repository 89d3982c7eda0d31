#include "core/types/stream_value.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>

#include <lzf.h>

#include "core/ds/listpack.h"

namespace tessera::types {

namespace {

namespace lp = ds::lp;

// Entry flags, as Redis's STREAM_ITEM_FLAG_*.
constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;
// Redis's STREAM_LISTPACK_MAX_SIZE: no node (and no entry) may pass 1 GB.
constexpr size_t kListpackMaxSize = size_t{1} << 30;

int64_t Int(const uint8_t* p) {
  lp::Value v = lp::Get(p);
  assert(v.is_int);
  return v.ival;
}

std::string_view IntText(int64_t v, char* buf) {
  auto r = std::to_chars(buf, buf + lp::kIntBufSize, v);
  return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

// Replaces the integer at *p; *p points at it again in the (possibly moved) listpack.
uint8_t* ReplaceInt(uint8_t* l, const uint8_t** p, int64_t v) {
  char buf[lp::kIntBufSize];
  size_t offset = static_cast<size_t>(*p - l);
  l = lp::ReplaceAt(l, offset, IntText(v, buf));
  *p = l + offset;
  return l;
}

// What the master entry of a node says.
struct Master {
  int64_t count;    // live entries
  int64_t deleted;  // entries flagged deleted
  int64_t num_fields;
  const uint8_t* fields;  // first master field (or the terminator when there are none)
  const uint8_t* terminator;
};

Master ReadMaster(const uint8_t* l) {
  Master m;
  const uint8_t* p = lp::First(l);
  m.count = Int(p);
  p = lp::Next(l, p);
  m.deleted = Int(p);
  p = lp::Next(l, p);
  m.num_fields = Int(p);
  p = lp::Next(l, p);
  m.fields = p;
  for (int64_t i = 0; i < m.num_fields; ++i) p = lp::Next(l, p);
  m.terminator = p;
  return m;
}

// One entry of a node as read by a forward walk.
struct EntryView {
  const uint8_t* flags_p;
  int64_t flags;
  StreamID id;
  int64_t num_fields;
  const uint8_t* fields;  // first field (or value, with SAMEFIELDS)
  const uint8_t* last;    // the entry's lp-count
};

// Reads the entry whose flags element is at p.
EntryView ReadEntry(const uint8_t* l, const uint8_t* p, StreamID master, int64_t master_fields) {
  EntryView e;
  e.flags_p = p;
  e.flags = Int(p);
  p = lp::Next(l, p);
  e.id.ms = master.ms + static_cast<uint64_t>(Int(p));
  p = lp::Next(l, p);
  e.id.seq = master.seq + static_cast<uint64_t>(Int(p));
  p = lp::Next(l, p);
  int64_t elements;
  if (e.flags & kFlagSameFields) {
    e.num_fields = master_fields;
    elements = master_fields;
  } else {
    e.num_fields = Int(p);
    p = lp::Next(l, p);
    elements = e.num_fields * 2;
  }
  e.fields = p;
  for (int64_t i = 0; i < elements; ++i) p = lp::Next(l, p);
  e.last = p;
  return e;
}

// A packed node: this header, a table of segments, then their bytes.  The node is cut into
// segments of about kSegmentBytes at entry starts, each compressed on its own, so a forward
// read decompresses only as far as it goes (XRANGE of a node's first entries costs one
// segment).  The counts and the last ID are what trimming reads of a node without
// decompressing it (a packed node never changes).
struct PackedHeader {
  uint32_t plain_size;
  uint32_t data_size;  // bytes of all segments
  int64_t live;        // entries not flagged deleted
  StreamID last;       // the last entry's ID, deleted or not
  uint64_t serial;     // unique per packing, so a cache never mistakes a new blob for a freed one
  uint32_t segments;
};

// Segment k covers plain bytes [plain_end[k-1], plain_end) and data bytes
// [data_end[k-1], data_end); equal sizes mean it is stored as is (it did not compress).
struct Segment {
  uint32_t plain_end;
  uint32_t data_end;
};

constexpr uint32_t kSegmentBytes = 1024;

std::atomic<uint64_t> next_serial{1};

const PackedHeader* Header(const uint8_t* tagged) {
  return reinterpret_cast<const PackedHeader*>(tagged - 1);
}
const Segment* Segments(const PackedHeader* h) { return reinterpret_cast<const Segment*>(h + 1); }
const uint8_t* SegmentData(const PackedHeader* h) {
  return reinterpret_cast<const uint8_t*>(Segments(h) + h->segments);
}
size_t BlobSize(const PackedHeader* h) {
  return sizeof(PackedHeader) + h->segments * sizeof(Segment) + h->data_size;
}

// Writes segment k's plain bytes at their place in `plain` (a buffer of the node's size).
void DecompressSegment(const PackedHeader* h, size_t k, uint8_t* plain) {
  const Segment* seg = Segments(h);
  const uint32_t p0 = k == 0 ? 0 : seg[k - 1].plain_end;
  const uint32_t d0 = k == 0 ? 0 : seg[k - 1].data_end;
  const uint32_t plain_len = seg[k].plain_end - p0;
  const uint32_t data_len = seg[k].data_end - d0;
  if (plain_len == data_len) {
    std::memcpy(plain + p0, SegmentData(h) + d0, plain_len);
    return;
  }
  unsigned int n = lzf_decompress(SegmentData(h) + d0, data_len, plain + p0, plain_len);
  assert(n == plain_len);
  (void)n;
}

// The last segments each thread decompressed: readers that come back to the same part of a
// closed node (a consumer group walking it ten entries at a time, XRANGE pages, XCLAIM of
// its entries) pay a copy, not a decompression.  A slot is valid while a blob with its
// address and serial exists.
struct SegmentCopy {
  const uint8_t* blob = nullptr;
  uint64_t serial = 0;
  size_t k = 0;
  std::vector<uint8_t> plain;
};
constexpr size_t kCachedSegments = 16;
thread_local SegmentCopy cache[kCachedSegments];
thread_local size_t cache_next = 0;

// Writes segment k of a packed node at its place in `plain`, from this thread's cache or
// decompressed (and then cached).
void PlainSegment(const uint8_t* tagged, size_t k, uint8_t* plain) {
  const PackedHeader* h = Header(tagged);
  const uint32_t p0 = k == 0 ? 0 : Segments(h)[k - 1].plain_end;
  const uint32_t len = Segments(h)[k].plain_end - p0;
  for (const SegmentCopy& c : cache) {
    if (c.blob == tagged && c.serial == h->serial && c.k == k) {
      std::memcpy(plain + p0, c.plain.data(), len);
      return;
    }
  }
  DecompressSegment(h, k, plain);
  SegmentCopy& slot = cache[cache_next++ % kCachedSegments];
  slot.blob = tagged;
  slot.serial = h->serial;
  slot.k = k;
  slot.plain.assign(plain + p0, plain + p0 + len);
}

void Decompress(const uint8_t* tagged, std::vector<uint8_t>* out) {
  const PackedHeader* h = Header(tagged);
  out->resize(h->plain_size);
  for (size_t k = 0; k < h->segments; ++k) PlainSegment(tagged, k, out->data());
}

}  // namespace

// --- StreamID --------------------------------------------------------------------------

bool StreamID::Incr() {
  if (seq != UINT64_MAX) {
    ++seq;
    return true;
  }
  if (ms == UINT64_MAX) {
    ms = seq = 0;
    return false;
  }
  ++ms;
  seq = 0;
  return true;
}

bool StreamID::Decr() {
  if (seq != 0) {
    --seq;
    return true;
  }
  if (ms == 0) {
    ms = seq = UINT64_MAX;
    return false;
  }
  --ms;
  seq = UINT64_MAX;
  return true;
}

std::string StreamID::ToString() const {
  char buf[48];
  auto r = std::to_chars(buf, buf + 21, ms);
  *r.ptr++ = '-';
  r = std::to_chars(r.ptr, buf + sizeof(buf), seq);
  return std::string(buf, r.ptr);
}

// --- Consumer groups ---------------------------------------------------------------------

StreamConsumer* StreamGroup::FindConsumer(std::string_view name) const {
  auto it = consumers.find(name);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* StreamGroup::CreateConsumer(std::string_view name, int64_t now_ms) {
  auto [it, inserted] = consumers.try_emplace(std::string(name));
  if (!inserted) return nullptr;
  it->second = std::make_unique<StreamConsumer>();
  it->second->name = std::string(name);
  it->second->seen_time = now_ms;
  return it->second.get();
}

size_t StreamGroup::DeleteConsumer(std::string_view name) {
  auto it = consumers.find(name);
  if (it == consumers.end()) return 0;
  size_t pending = it->second->pel.size();
  for (const auto& [id, nack] : it->second->pel) pel.erase(id);
  consumers.erase(it);
  return pending;
}

// --- StreamValue -------------------------------------------------------------------------

StreamValue::~StreamValue() {
  for (Node& n : nodes_) FreeNode(&n);
}

void StreamValue::FreeNode(Node* n) {
  if (n->packed()) {
    std::free(n->lp - 1);
  } else {
    lp::Free(n->lp);
  }
}

const uint8_t* StreamValue::node_listpack(size_t i, std::vector<uint8_t>* scratch) const {
  if (!nodes_[i].packed()) return nodes_[i].lp;
  Decompress(nodes_[i].lp, scratch);
  return scratch->data();
}

void StreamValue::Pack(size_t n) {
  Node& node = nodes_[n];
  if (node.packed()) return;
  const uint8_t* l = node.lp;
  const uint32_t plain = lp::Bytes(l);
  // Segment ends: the first entry start past kSegmentBytes from the segment's start.
  Master m = ReadMaster(l);
  std::vector<uint32_t> ends;
  uint32_t seg_start = 0;
  const uint8_t* last_entry = nullptr;
  for (const uint8_t* p = lp::Next(l, m.terminator); p != nullptr;) {
    const uint32_t at = static_cast<uint32_t>(p - l);
    if (at - seg_start >= kSegmentBytes) {
      ends.push_back(at);
      seg_start = at;
    }
    last_entry = p;
    p = lp::Next(l, ReadEntry(l, p, node.master, m.num_fields).last);
  }
  ends.push_back(plain);
  std::vector<uint8_t> data(plain);
  std::vector<Segment> segs;
  uint32_t used = 0, from = 0;
  for (uint32_t end : ends) {
    const uint32_t len = end - from;
    unsigned int c = len > 1 ? lzf_compress(l + from, len, data.data() + used, len - 1) : 0;
    if (c == 0) {  // stored as is
      std::memcpy(data.data() + used, l + from, len);
      c = len;
    }
    used += c;
    segs.push_back(Segment{end, used});
    from = end;
  }
  if (used > plain - plain / 8) return;  // pack only when it saves an eighth
  PackedHeader h;
  h.plain_size = plain;
  h.data_size = used;
  h.live = m.count;
  h.last = ReadEntry(l, last_entry, node.master, m.num_fields).id;
  h.serial = next_serial.fetch_add(1, std::memory_order_relaxed);
  h.segments = static_cast<uint32_t>(segs.size());
  auto* blob = static_cast<uint8_t*>(std::malloc(BlobSize(&h)));
  if (blob == nullptr) throw std::bad_alloc();
  std::memcpy(blob, &h, sizeof(h));
  std::memcpy(blob + sizeof(h), segs.data(), segs.size() * sizeof(Segment));
  std::memcpy(blob + sizeof(h) + segs.size() * sizeof(Segment), data.data(), used);
  lp::Free(node.lp);
  node.lp = blob + 1;
}

uint8_t* StreamValue::Unpack(size_t n) {
  Node& node = nodes_[n];
  if (!node.packed()) return node.lp;
  std::vector<uint8_t> plain;
  Decompress(node.lp, &plain);
  uint8_t* l = static_cast<uint8_t*>(std::malloc(plain.size()));
  if (l == nullptr) throw std::bad_alloc();
  std::memcpy(l, plain.data(), plain.size());
  std::free(node.lp - 1);
  node.lp = l;
  return l;
}

StreamID StreamValue::NextAutoId(int64_t now_ms) const {
  const uint64_t ms = static_cast<uint64_t>(now_ms);
  if (ms > last_id_.ms) return StreamID{ms, 0};
  StreamID id = last_id_;
  id.Incr();
  return id;
}

size_t StreamValue::FindNode(StreamID id) const {
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), id,
                             [](StreamID v, const Node& n) { return v < n.master; });
  if (it == nodes_.begin()) return nodes_.size();
  return static_cast<size_t>(it - nodes_.begin()) - 1;
}

bool StreamValue::Append(StreamID id, std::span<const std::string_view> fv,
                         const StreamLimits& limits) {
  assert(id > last_id_ && !fv.empty() && fv.size() % 2 == 0);
  size_t total = 0;
  for (std::string_view s : fv) total += s.size();
  if (total > kListpackMaxSize) return false;
  const int64_t num_fields = static_cast<int64_t>(fv.size() / 2);

  if (!nodes_.empty()) Unpack(nodes_.size() - 1);  // a packed tail: its successor was deleted
  Node* tail = nodes_.empty() ? nullptr : &nodes_.back();
  if (tail != nullptr) {
    size_t max_bytes = limits.node_max_bytes;
    if (max_bytes == 0 || max_bytes > kListpackMaxSize) max_bytes = kListpackMaxSize;
    bool full = lp::Bytes(tail->lp) + total >= max_bytes;
    if (!full && limits.node_max_entries > 0) {
      Master m = ReadMaster(tail->lp);
      full = m.count + m.deleted >= limits.node_max_entries;
    }
    if (full) {
      // The node closed before this one is packed now: the newest closed node stays plain
      // for the readers that trail the tail (consumer groups, XREVRANGE).
      if (nodes_.size() >= 2) Pack(nodes_.size() - 2);
      tail = nullptr;
    }
  }

  // Each entry (and a new node's master entry) goes in with one reallocation.
  std::vector<std::string_view> elems;
  elems.reserve(fv.size() + 8);
  char ints[5][lp::kIntBufSize];
  int64_t flags = 0;
  if (tail == nullptr) {
    elems = {"1", "0", IntText(num_fields, ints[0])};
    for (int64_t i = 0; i < num_fields; ++i) elems.push_back(fv[2 * i]);
    elems.push_back("0");
    nodes_.push_back(Node{id, lp::AppendAll(lp::New(), elems)});
    tail = &nodes_.back();
    flags = kFlagSameFields;
    elems.clear();
  } else {
    const uint8_t* p = lp::First(tail->lp);
    int64_t count = Int(p);
    tail->lp = ReplaceInt(tail->lp, &p, count + 1);
    p = lp::Next(tail->lp, p);
    p = lp::Next(tail->lp, p);
    if (Int(p) == num_fields) {
      p = lp::Next(tail->lp, p);
      int64_t i = 0;
      for (; i < num_fields; ++i, p = lp::Next(tail->lp, p)) {
        if (!lp::Equals(p, fv[2 * i])) break;
      }
      if (i == num_fields) flags = kFlagSameFields;
    }
  }

  const bool same = (flags & kFlagSameFields) != 0;
  elems.push_back(IntText(flags, ints[0]));
  elems.push_back(IntText(static_cast<int64_t>(id.ms - tail->master.ms), ints[1]));
  elems.push_back(IntText(static_cast<int64_t>(id.seq - tail->master.seq), ints[2]));
  if (!same) elems.push_back(IntText(num_fields, ints[3]));
  for (int64_t i = 0; i < num_fields; ++i) {
    if (!same) elems.push_back(fv[2 * i]);
    elems.push_back(fv[2 * i + 1]);
  }
  elems.push_back(IntText(num_fields + 3 + (same ? 0 : num_fields + 1), ints[4]));
  tail->lp = lp::AppendAll(tail->lp, elems);

  ++length_;
  ++entries_added_;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
  return true;
}

void StreamValue::RemoveNode(size_t n) {
  FreeNode(&nodes_[n]);
  nodes_.erase(nodes_.begin() + static_cast<ptrdiff_t>(n));
}

bool StreamValue::DeleteInNode(size_t n, StreamID id) {
  if (nodes_[n].packed()) {
    // Only a node whose ID range holds `id` is worth decompressing for good.
    const PackedHeader* h = Header(nodes_[n].lp);
    if (id > h->last) return false;
    Unpack(n);
  }
  Node& node = nodes_[n];
  Master m = ReadMaster(node.lp);
  const uint8_t* p = lp::Next(node.lp, m.terminator);
  while (p != nullptr) {
    EntryView e = ReadEntry(node.lp, p, node.master, m.num_fields);
    if (e.id > id) return false;
    if (e.id == id) {
      if (e.flags & kFlagDeleted) return false;
      if (m.count == 1) {
        RemoveNode(n);
      } else {
        const uint8_t* fp = e.flags_p;
        node.lp = ReplaceInt(node.lp, &fp, e.flags | kFlagDeleted);
        const uint8_t* q = lp::First(node.lp);
        node.lp = ReplaceInt(node.lp, &q, m.count - 1);
        q = lp::Next(node.lp, q);
        node.lp = ReplaceInt(node.lp, &q, m.deleted + 1);
      }
      --length_;
      return true;
    }
    p = lp::Next(node.lp, e.last);
  }
  return false;
}

bool StreamValue::Contains(StreamID id) const {
  Iterator it(*this, id, id, false);
  return it.Next();
}

size_t StreamValue::Delete(std::span<const StreamID> ids) {
  size_t deleted = 0;
  bool first_deleted = false;
  for (StreamID id : ids) {
    size_t n = FindNode(id);
    if (n == nodes_.size() || !DeleteInNode(n, id)) continue;
    if (id == first_id_) first_deleted = true;
    if (id > max_deleted_id_) max_deleted_id_ = id;
    ++deleted;
  }
  if (deleted > 0) {
    if (length_ == 0) {
      first_id_ = StreamID{};
    } else if (first_deleted) {
      first_id_ = EdgeId(true, true);
    }
  }
  return deleted;
}

int64_t StreamValue::TrimInsideNode(size_t n, const TrimArgs& args) {
  Unpack(n);
  Node& node = nodes_[n];
  Master m = ReadMaster(node.lp);
  int64_t deleted_here = 0;
  const uint8_t* p = lp::Next(node.lp, m.terminator);
  while (p != nullptr) {
    EntryView e = ReadEntry(node.lp, p, node.master, m.num_fields);
    bool stop =
        args.strategy == TrimArgs::Strategy::kMaxLen ? length_ <= args.maxlen : e.id >= args.minid;
    if (stop) break;
    size_t next_offset = static_cast<size_t>(e.last - node.lp);
    if (!(e.flags & kFlagDeleted)) {
      const uint8_t* fp = e.flags_p;
      node.lp = ReplaceInt(node.lp, &fp, e.flags | kFlagDeleted);  // same size: 0..3
      ++deleted_here;
      --length_;
    }
    p = lp::Next(node.lp, node.lp + next_offset);
  }
  const uint8_t* q = lp::First(node.lp);
  node.lp = ReplaceInt(node.lp, &q, m.count - deleted_here);
  q = lp::Next(node.lp, q);
  node.lp = ReplaceInt(node.lp, &q, m.deleted + deleted_here);
  return deleted_here;
}

int64_t StreamValue::Trim(const TrimArgs& args) {
  if (args.strategy == TrimArgs::Strategy::kNone) return 0;
  int64_t deleted = 0;
  while (!nodes_.empty()) {
    if (args.strategy == TrimArgs::Strategy::kMaxLen && length_ <= args.maxlen) break;
    const Node& node = nodes_.front();
    const int64_t entries = node.packed() ? Header(node.lp)->live : Int(lp::First(node.lp));
    if (args.limit != 0 && deleted + entries > args.limit) break;
    bool remove_node;
    if (args.strategy == TrimArgs::Strategy::kMaxLen) {
      remove_node = length_ - static_cast<uint64_t>(entries) >= args.maxlen;
    } else if (node.packed()) {
      remove_node = Header(node.lp)->last < args.minid;
    } else {
      const uint8_t* flags_p = lp::Last(node.lp);
      for (int64_t c = Int(flags_p); c > 0; --c) flags_p = lp::Prev(node.lp, flags_p);
      EntryView e = ReadEntry(node.lp, flags_p, node.master, ReadMaster(node.lp).num_fields);
      remove_node = e.id < args.minid;
    }
    if (remove_node) {
      RemoveNode(0);
      length_ -= static_cast<uint64_t>(entries);
      deleted += entries;
      continue;
    }
    if (args.approx) break;
    deleted += TrimInsideNode(0, args);
    break;
  }
  if (length_ == 0) {
    first_id_ = StreamID{};
  } else if (deleted > 0) {
    first_id_ = EdgeId(true, true);
  }
  return deleted;
}

StreamID StreamValue::EdgeId(bool first, bool skip_deleted) const {
  if (skip_deleted) {
    Iterator it(*this, StreamID::Min(), StreamID::Max(), !first);
    if (it.Next()) return it.id();
    return first ? StreamID::Max() : StreamID::Min();
  }
  if (nodes_.empty()) return first ? StreamID::Max() : StreamID::Min();
  const size_t index = first ? 0 : nodes_.size() - 1;
  if (!first && nodes_[index].packed()) return Header(nodes_[index].lp)->last;
  std::vector<uint8_t> scratch;
  const uint8_t* l = node_listpack(index, &scratch);
  Master m = ReadMaster(l);
  const uint8_t* p;
  if (first) {
    p = lp::Next(l, m.terminator);
  } else {
    p = lp::Last(l);
    for (int64_t c = Int(p); c > 0; --c) p = lp::Prev(l, p);
  }
  return ReadEntry(l, p, nodes_[index].master, m.num_fields).id;
}

// --- Groups and their counters --------------------------------------------------------------

StreamGroup* StreamValue::FindGroup(std::string_view name) const {
  if (!groups_) return nullptr;
  auto it = groups_->find(name);
  return it == groups_->end() ? nullptr : it->second.get();
}

StreamGroup* StreamValue::CreateGroup(std::string_view name, StreamID last_id,
                                      int64_t entries_read) {
  if (!groups_) groups_ = std::make_unique<StreamGroups>();
  auto [it, inserted] = groups_->try_emplace(std::string(name));
  if (!inserted) return nullptr;
  it->second = std::make_unique<StreamGroup>();
  it->second->last_id = last_id;
  it->second->entries_read = entries_read;
  return it->second.get();
}

bool StreamValue::DestroyGroup(std::string_view name) {
  if (!groups_) return false;
  auto it = groups_->find(name);
  if (it == groups_->end()) return false;
  groups_->erase(it);
  return true;
}

bool StreamValue::RangeHasTombstones(StreamID start, StreamID end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

int64_t StreamValue::EstimateEntriesRead(StreamID id) const {
  if (entries_added_ == 0) return 0;
  if (length_ == 0 && id <= last_id_) return static_cast<int64_t>(entries_added_);
  if (id == last_id_) return static_cast<int64_t>(entries_added_);
  if (id > last_id_) return kInvalidEntriesRead;
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return static_cast<int64_t>(entries_added_ - length_);
    if (id == first_id_) return static_cast<int64_t>(entries_added_ - length_ + 1);
  }
  return kInvalidEntriesRead;
}

int64_t StreamValue::GroupLag(const StreamGroup& g) const {
  if (entries_added_ == 0) return 0;
  if (g.entries_read != kInvalidEntriesRead && !RangeHasTombstones(g.last_id, StreamID::Max())) {
    return static_cast<int64_t>(entries_added_) - g.entries_read;
  }
  int64_t read = EstimateEntriesRead(g.last_id);
  if (read == kInvalidEntriesRead) return -1;
  return static_cast<int64_t>(entries_added_) - read;
}

void StreamValue::AdvanceGroup(StreamGroup* g, StreamID id) const {
  if (g->entries_read != kInvalidEntriesRead && !RangeHasTombstones(id, StreamID::Max())) {
    ++g->entries_read;
  } else if (entries_added_ != 0) {
    g->entries_read = EstimateEntriesRead(id);
  }
  g->last_id = id;
}

// --- Copies and sizes --------------------------------------------------------------------------

StreamValue* StreamValue::Clone() const {
  auto* c = new StreamValue();
  c->nodes_.reserve(nodes_.size());
  for (const Node& n : nodes_) {
    if (!n.packed()) {
      c->nodes_.push_back(Node{n.master, lp::Dup(n.lp)});
      continue;
    }
    const size_t size = BlobSize(Header(n.lp));
    auto* blob = static_cast<uint8_t*>(std::malloc(size));
    if (blob == nullptr) throw std::bad_alloc();
    std::memcpy(blob, n.lp - 1, size);
    c->nodes_.push_back(Node{n.master, blob + 1});
  }
  c->length_ = length_;
  c->last_id_ = last_id_;
  c->first_id_ = first_id_;
  c->max_deleted_id_ = max_deleted_id_;
  c->entries_added_ = entries_added_;
  if (groups_) {
    c->groups_ = std::make_unique<StreamGroups>();
    for (const auto& [name, g] : *groups_) {
      StreamGroup* ng = c->CreateGroup(name, g->last_id, g->entries_read);
      for (const auto& [cname, cons] : g->consumers) {
        StreamConsumer* nc = ng->CreateConsumer(cname, cons->seen_time);
        nc->active_time = cons->active_time;
      }
      for (const auto& [id, nack] : g->pel) {
        auto copy = std::make_unique<StreamNack>(*nack);
        copy->consumer = ng->FindConsumer(nack->consumer->name);
        copy->consumer->pel.emplace(id, copy.get());
        ng->pel.emplace(id, std::move(copy));
      }
    }
  }
  return c;
}

size_t StreamValue::AllocationSize() const {
  size_t n = sizeof(StreamValue) + nodes_.capacity() * sizeof(Node);
  for (const Node& node : nodes_) {
    n += node.packed() ? BlobSize(Header(node.lp)) : lp::Bytes(node.lp);
  }
  if (groups_) {
    // Map nodes are about 48 bytes plus their payload.
    for (const auto& [name, g] : *groups_) {
      n += 48 + name.size() + sizeof(StreamGroup) + g->pel.size() * (64 + sizeof(StreamNack));
      for (const auto& [cname, c] : g->consumers) {
        n += 48 + 2 * cname.size() + sizeof(StreamConsumer) + c->pel.size() * 64;
      }
    }
  }
  return n;
}

// --- Iterator ------------------------------------------------------------------------------

StreamValue::Iterator::Iterator(const StreamValue& s, StreamID start, StreamID end, bool reverse)
    : s_(s), start_(start), end_(end), reverse_(reverse) {}

bool StreamValue::Iterator::EnterNode() {
  const size_t count = s_.nodes_.size();
  if (!started_) {
    started_ = true;
    if (count == 0) return false;
    if (!reverse_) {
      node_ = start_.IsZero() ? 0 : s_.FindNode(start_);
      if (node_ == count) node_ = 0;
    } else {
      node_ = end_.IsZero() ? count - 1 : s_.FindNode(end_);
      if (node_ == count) return false;  // every entry is above `end`
    }
  } else if (!reverse_) {
    if (++node_ >= count) return false;
  } else {
    if (node_ == 0) return false;
    --node_;
  }
  const Node& n = s_.nodes_[node_];
  partial_ = nullptr;
  if (n.packed() && !reverse_) {
    // Forwards, decompress segment by segment as the read goes (EnsurePlain).
    const PackedHeader* h = Header(n.lp);
    scratch_.resize(h->plain_size);
    PlainSegment(n.lp, 0, scratch_.data());
    partial_ = n.lp;
    next_segment_ = 1;
    plain_end_ = Segments(h)[0].plain_end;
    if (h->segments == 1) partial_ = nullptr;
    lp_ = scratch_.data();
  } else {
    lp_ = s_.node_listpack(node_, &scratch_);
  }
  master_id_ = n.master;
  Master m = ReadMaster(lp_);
  master_count_ = static_cast<uint64_t>(m.num_fields);
  master_fields_ = m.fields;
  ele_ = reverse_ ? lp::Last(lp_) : m.terminator;
  return true;
}

bool StreamValue::Iterator::Next() {
  // Leave the entry returned last: forwards, skip what the caller did not read; backwards,
  // stand on the lp-count before its flags.
  if (lp_ != nullptr && id_valid_) {
    if (!reverse_) {
      for (; remaining_ > 0; --remaining_) ele_ = lp::Next(lp_, ele_);
    } else {
      ele_ = lp::Prev(lp_, flags_p_);
    }
    id_valid_ = false;
  }
  while (true) {
    if (lp_ == nullptr && !EnterNode()) return false;
    // ele_ is the element before the next entry to read: the master terminator or an
    // lp-count (forwards), or the lp-count of the next entry (backwards).
    if (!reverse_) {
      if (partial_ != nullptr) EnsurePlain(static_cast<size_t>(ele_ - lp_) + lp::EntrySize(ele_));
      ele_ = lp::Next(lp_, ele_);
      if (ele_ == nullptr) {
        lp_ = nullptr;
        continue;
      }
    } else {
      int64_t c = Int(ele_);
      if (c == 0) {
        lp_ = nullptr;
        continue;
      }
      for (; c > 0; --c) ele_ = lp::Prev(lp_, ele_);
    }
    flags_p_ = ele_;
    const int64_t flags = Int(ele_);
    ele_ = lp::Next(lp_, ele_);
    id_.ms = master_id_.ms + static_cast<uint64_t>(Int(ele_));
    ele_ = lp::Next(lp_, ele_);
    id_.seq = master_id_.seq + static_cast<uint64_t>(Int(ele_));
    ele_ = lp::Next(lp_, ele_);
    same_fields_ = (flags & kFlagSameFields) != 0;
    if (same_fields_) {
      num_fields_ = master_count_;
    } else {
      num_fields_ = static_cast<size_t>(Int(ele_));
      ele_ = lp::Next(lp_, ele_);
    }
    remaining_ = same_fields_ ? num_fields_ : 2 * num_fields_;
    const bool live = (flags & kFlagDeleted) == 0;
    if (!reverse_) {
      if (id_ >= start_ && live) {
        if (id_ > end_) return false;
        master_field_ = master_fields_;
        id_valid_ = true;
        return true;
      }
      for (; remaining_ > 0; --remaining_) ele_ = lp::Next(lp_, ele_);
    } else {
      if (id_ <= end_ && live) {
        if (id_ < start_) return false;
        master_field_ = master_fields_;
        id_valid_ = true;
        return true;
      }
      ele_ = lp::Prev(lp_, flags_p_);
    }
  }
}

void StreamValue::Iterator::EnsurePlain(size_t offset) {
  const uint8_t* tagged = partial_;
  const PackedHeader* h = Header(tagged);
  while (partial_ != nullptr && offset >= plain_end_) {
    PlainSegment(tagged, next_segment_, scratch_.data());
    plain_end_ = Segments(h)[next_segment_].plain_end;
    if (++next_segment_ == h->segments) partial_ = nullptr;
  }
}

void StreamValue::Iterator::NextField(std::string_view* field, std::string_view* value) {
  if (same_fields_) {
    *field = lp::Get(master_field_).View(field_buf_);
    master_field_ = lp::Next(lp_, master_field_);
  } else {
    *field = lp::Get(ele_).View(field_buf_);
    ele_ = lp::Next(lp_, ele_);
    --remaining_;
  }
  *value = lp::Get(ele_).View(value_buf_);
  ele_ = lp::Next(lp_, ele_);
  --remaining_;
}

}  // namespace tessera::types
