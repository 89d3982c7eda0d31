// How StreamValue stores and reads its nodes: the node format's readers
// (stream_node_format.h), packing and unpacking closed nodes, the per-thread cache of
// decompressed segments, and the Iterator.  The rest of StreamValue is in stream_value.cc.
#include <algorithm>
#include <atomic>
#include <cassert>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>

#include <lzf.h>

#include "core/ds/listpack.h"
#include "core/types/stream_node_format.h"
#include "core/types/stream_value.h"

namespace tessera::types {

namespace lp = ds::lp;

namespace stream_node {

int64_t Int(const uint8_t* p) {
  lp::Value v = lp::Get(p);
  assert(v.is_int);
  return v.ival;
}

std::string_view IntText(int64_t v, char* buf) {
  auto r = std::to_chars(buf, buf + lp::kIntBufSize, v);
  return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

uint8_t* ReplaceInt(uint8_t* l, const uint8_t** p, int64_t v) {
  char buf[lp::kIntBufSize];
  size_t offset = static_cast<size_t>(*p - l);
  l = lp::ReplaceAt(l, offset, IntText(v, buf));
  *p = l + offset;
  return l;
}

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

uint8_t* MarkDeletedInMaster(uint8_t* l, const Master& m, int64_t n) {
  const uint8_t* p = lp::First(l);
  l = ReplaceInt(l, &p, m.count - n);
  p = lp::Next(l, p);
  return ReplaceInt(l, &p, m.deleted + n);
}

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

namespace {

std::atomic<uint64_t> next_serial{1};

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

}  // namespace

uint64_t NextSerial() { return next_serial.fetch_add(1, std::memory_order_relaxed); }

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

}  // namespace stream_node

using namespace stream_node;  // NOLINT: the node format reads best unqualified here

// --- Node storage ---------------------------------------------------------------------------

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
  h.serial = NextSerial();
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
