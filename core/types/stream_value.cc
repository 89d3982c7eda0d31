#include "core/types/stream_value.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "core/ds/listpack.h"
#include "core/types/stream_node_format.h"

namespace tessera::types {

namespace lp = ds::lp;
using namespace stream_node;  // NOLINT: the node format reads best unqualified here

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

StreamGroup::Pel::iterator StreamGroup::DropPending(Pel::iterator it) {
  if (it->second->consumer != nullptr) it->second->consumer->pel.erase(it->first);
  return pel.erase(it);
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
  Master m{};  // the tail's master entry: one walk serves the fill check and SAMEFIELDS
  if (tail != nullptr) {
    m = ReadMaster(tail->lp);
    size_t max_bytes = limits.node_max_bytes;
    if (max_bytes == 0 || max_bytes > kListpackMaxSize) max_bytes = kListpackMaxSize;
    bool full = lp::Bytes(tail->lp) + total >= max_bytes;
    if (!full && limits.node_max_entries > 0) {
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
    if (m.num_fields == num_fields) {
      const uint8_t* p = m.fields;
      int64_t i = 0;
      for (; i < num_fields; ++i, p = lp::Next(tail->lp, p)) {
        if (!lp::Equals(p, fv[2 * i])) break;
      }
      if (i == num_fields) flags = kFlagSameFields;
    }
    // After the comparison: a count that grows a byte moves the node's elements.
    const uint8_t* count = lp::First(tail->lp);
    tail->lp = ReplaceInt(tail->lp, &count, m.count + 1);
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
        node.lp = MarkDeletedInMaster(node.lp, m, 1);
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
  node.lp = MarkDeletedInMaster(node.lp, m, deleted_here);
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

std::optional<int64_t> StreamValue::GroupLag(const StreamGroup& g) const {
  if (entries_added_ == 0) return 0;
  if (g.entries_read != kInvalidEntriesRead && !RangeHasTombstones(g.last_id, StreamID::Max())) {
    return static_cast<int64_t>(entries_added_) - g.entries_read;
  }
  int64_t read = EstimateEntriesRead(g.last_id);
  if (read == kInvalidEntriesRead) return std::nullopt;
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

void StreamValue::AdoptNode(StreamID master, uint8_t* lp) { nodes_.push_back(Node{master, lp}); }

void StreamValue::FinishLoad(uint64_t length, StreamID last_id, StreamID first_id,
                             StreamID max_deleted_id, uint64_t entries_added) {
  length_ = length;
  last_id_ = last_id;
  first_id_ = first_id;
  max_deleted_id_ = max_deleted_id;
  entries_added_ = entries_added;
  for (size_t i = 0; i + 2 < nodes_.size(); ++i) Pack(i);
}

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

}  // namespace tessera::types
