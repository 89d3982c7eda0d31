#include "core/types/list_value.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>

#include "core/ds/listpack.h"

namespace tessera::types {

namespace lp = ds::lp;

namespace {

// Node byte limits for fill -1..-5 (quicklist.c's optimization_level).
constexpr size_t kSizeLevels[] = {4096, 8192, 16384, 32768, 65536};
// With a count fill, a node still never exceeds this many bytes.
constexpr size_t kSizeSafetyLimit = 8192;
// Over-estimate of an entry's encoding overhead when checking a node's room.
constexpr size_t kEntryOverheadEstimate = 8;

// quicklistNodeLimit: the byte limit (SIZE_MAX if none) and element limit of a node.
void NodeLimit(int fill, size_t* size, uint64_t* count) {
  *size = SIZE_MAX;
  *count = UINT64_MAX;
  if (fill >= 0) {
    *count = fill == 0 ? 1 : uint64_t(fill);
  } else {
    int64_t level = -int64_t(fill) - 1;
    if (level >= 5) level = 4;
    *size = kSizeLevels[level];
  }
}

// quicklistNodeExceedsLimit.
bool ExceedsLimit(int fill, size_t bytes, uint64_t count) {
  size_t size_limit;
  uint64_t count_limit;
  NodeLimit(fill, &size_limit, &count_limit);
  if (size_limit != SIZE_MAX) return bytes > size_limit;
  if (bytes > kSizeSafetyLimit) return true;
  return count > count_limit;
}

}  // namespace

// A node: a listpack, or one element's raw bytes ("plain").
struct QlNode {
  uint8_t* data = nullptr;
  size_t sz = 0;       // listpack bytes, or the element's length
  uint32_t count = 0;  // elements (1 for a plain node)
  bool plain = false;

  void Refresh() {
    sz = lp::Bytes(data);
    count = lp::Length(data);
  }
  void Free() {
    if (plain) {
      std::free(data);
    } else {
      lp::Free(data);
    }
    data = nullptr;
  }
};

struct ListValue::Quicklist {
  std::deque<QlNode> nodes;
  size_t count = 0;
  int fill = -2;  // list-max-listpack-size when the quicklist was made, as in Redis

  static QlNode Plain(std::string_view s) {
    QlNode n;
    n.data = static_cast<uint8_t*>(std::malloc(s.size() ? s.size() : 1));
    if (n.data == nullptr) throw std::bad_alloc();
    std::memcpy(n.data, s.data(), s.size());
    n.sz = s.size();
    n.count = 1;
    n.plain = true;
    return n;
  }
  static QlNode Packed(std::string_view s) {
    QlNode n;
    n.data = lp::Append(lp::New(), s);
    n.Refresh();
    return n;
  }

  // _quicklistNodeAllowInsert.
  bool AllowInsert(const QlNode* n, size_t sz, size_t threshold) const {
    if (n == nullptr || n->plain || sz >= threshold) return false;
    return !ExceedsLimit(fill, n->sz + sz + kEntryOverheadEstimate, uint64_t(n->count) + 1);
  }
  // _quicklistNodeAllowMerge.
  bool AllowMerge(size_t a, size_t b) const {
    if (a >= nodes.size() || b >= nodes.size()) return false;
    const QlNode& x = nodes[a];
    const QlNode& y = nodes[b];
    if (x.plain || y.plain) return false;
    return !ExceedsLimit(fill, x.sz + y.sz - 7, uint64_t(x.count) + y.count);
  }

  void Push(std::string_view s, ListEnd end, size_t threshold) {
    bool head = end == ListEnd::kHead;
    if (s.size() >= threshold) {
      if (head) {
        nodes.push_front(Plain(s));
      } else {
        nodes.push_back(Plain(s));
      }
    } else {
      QlNode* edge = nodes.empty() ? nullptr : head ? &nodes.front() : &nodes.back();
      if (AllowInsert(edge, s.size(), threshold)) {
        edge->data = head ? lp::Prepend(edge->data, s) : lp::Append(edge->data, s);
        edge->sz = lp::Bytes(edge->data);
        edge->count++;
      } else if (head) {
        nodes.push_front(Packed(s));
      } else {
        nodes.push_back(Packed(s));
      }
    }
    ++count;
  }

  void EraseNode(size_t i) {
    count -= nodes[i].count;
    nodes[i].Free();
    nodes.erase(nodes.begin() + i);
  }

  // The node holding element `index` (0 <= index < count) and its offset there, walking from
  // the nearer end.
  void Locate(size_t index, size_t* node, size_t* offset) const {
    if (index <= count / 2) {
      size_t i = 0;
      while (index >= nodes[i].count) index -= nodes[i++].count;
      *node = i;
      *offset = index;
    } else {
      size_t from_end = count - 1 - index;  // 0 = last element
      size_t i = nodes.size() - 1;
      while (from_end >= nodes[i].count) from_end -= nodes[i--].count;
      *node = i;
      *offset = nodes[i].count - 1 - from_end;
    }
  }

  // Byte offset of element `offset` inside packed node i.
  size_t OffsetOf(size_t i, size_t offset) const {
    return size_t(lp::Seek(nodes[i].data, int64_t(offset)) - nodes[i].data);
  }

  void DeleteInNode(size_t i, size_t start, size_t n) {
    QlNode& node = nodes[i];
    node.data = lp::DeleteRange(node.data, int64_t(start), uint32_t(n));
    node.Refresh();
    count -= n;
  }

  // quicklistDelRange, with start and n already clipped to the list.
  void DeleteRange(size_t start, size_t n) {
    if (n == 0) return;
    size_t i, off;
    Locate(start, &i, &off);
    if (off > 0 || n < nodes[i].count) {
      size_t del = std::min(n, nodes[i].count - off);
      DeleteInNode(i, off, del);
      n -= del;
      if (nodes[i].count == 0) {
        EraseNode(i);
      } else {
        ++i;
      }
    }
    size_t j = i;
    while (n > 0 && j < nodes.size() && nodes[j].count <= n) {
      n -= nodes[j].count;
      count -= nodes[j].count;
      nodes[j].Free();
      ++j;
    }
    nodes.erase(nodes.begin() + i, nodes.begin() + j);
    if (n > 0) DeleteInNode(i, 0, n);
  }

  // _quicklistSplitNode: node i keeps [0, offset] (after) or [offset, end] (!after); the
  // returned node holds the rest.
  QlNode Split(size_t i, size_t offset, bool after) {
    QlNode& node = nodes[i];
    QlNode other;
    other.data = lp::Dup(node.data);
    size_t n = node.count;
    if (after) {
      node.data = lp::DeleteRange(node.data, int64_t(offset + 1), uint32_t(n - offset - 1));
      other.data = lp::DeleteRange(other.data, 0, uint32_t(offset + 1));
    } else {
      node.data = lp::DeleteRange(node.data, 0, uint32_t(offset));
      other.data = lp::DeleteRange(other.data, int64_t(offset), uint32_t(n - offset));
    }
    node.Refresh();
    other.Refresh();
    return other;
  }

  // Merges node b into node a (a just before b) and removes b.
  void MergeInto(size_t a, size_t b) {
    nodes[a].data = lp::Merge(nodes[a].data, nodes[b].data);
    nodes[a].Refresh();
    nodes[b].data = nullptr;
    nodes.erase(nodes.begin() + b);
  }

  // _quicklistMergeNodes around node c.
  void MergeAround(size_t c) {
    if (c >= 2 && AllowMerge(c - 2, c - 1)) {
      MergeInto(c - 2, c - 1);
      --c;
    }
    if (AllowMerge(c + 1, c + 2)) MergeInto(c + 1, c + 2);
    size_t target = c;
    if (c >= 1 && AllowMerge(c - 1, c)) {
      MergeInto(c - 1, c);
      target = c - 1;
    }
    if (AllowMerge(target, target + 1)) MergeInto(target, target + 1);
  }

  void InsertNode(size_t at, QlNode n) { nodes.insert(nodes.begin() + at, n); }

  // _quicklistInsert: puts s before or after element `offset` of node i.
  void Insert(size_t i, size_t offset, bool after, std::string_view s, size_t threshold) {
    QlNode* node = &nodes[i];
    QlNode* next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    QlNode* prev = i > 0 ? &nodes[i - 1] : nullptr;
    bool full = !AllowInsert(node, s.size(), threshold);
    bool at_tail = after && offset == node->count - 1;
    bool at_head = !after && offset == 0;
    bool avail_next = at_tail && AllowInsert(next, s.size(), threshold);
    bool avail_prev = at_head && AllowInsert(prev, s.size(), threshold);
    size_t where = after ? i + 1 : i;  // index for a node placed next to node i

    if (s.size() >= threshold) {
      if (node->plain || at_tail || at_head) {
        InsertNode(where, Plain(s));
      } else {
        QlNode rest = Split(i, offset, after);
        if (after) {
          InsertNode(i + 1, Plain(s));
          InsertNode(i + 2, rest);
        } else {
          InsertNode(i, Plain(s));
          InsertNode(i, rest);
        }
      }
      ++count;
      return;
    }
    if (!full) {
      size_t at = OffsetOf(i, offset);
      if (after) at += lp::EntrySize(node->data + at);
      node->data = lp::InsertAt(node->data, at, s);
      node->sz = lp::Bytes(node->data);
      node->count++;
    } else if (at_tail && avail_next) {
      next->data = lp::Prepend(next->data, s);
      next->sz = lp::Bytes(next->data);
      next->count++;
    } else if (at_head && avail_prev) {
      prev->data = lp::Append(prev->data, s);
      prev->sz = lp::Bytes(prev->data);
      prev->count++;
    } else if (at_tail || at_head) {
      InsertNode(where, Packed(s));
    } else {
      QlNode rest = Split(i, offset, after);
      if (after) {
        rest.data = lp::Prepend(rest.data, s);
      } else {
        rest.data = lp::Append(rest.data, s);
      }
      rest.Refresh();
      InsertNode(where, rest);
      MergeAround(after ? i : i + 1);
    }
    ++count;
  }

  // quicklistReplaceEntry for element `offset` of node i.
  void Replace(size_t i, size_t offset, std::string_view s, size_t threshold) {
    QlNode& node = nodes[i];
    bool large = s.size() >= threshold;
    if (!node.plain && !large) {
      node.data = lp::ReplaceAt(node.data, OffsetOf(i, offset), s);
      node.sz = lp::Bytes(node.data);
    } else if (node.plain && large) {
      QlNode fresh = Plain(s);
      node.Free();
      node = fresh;
    } else if (node.plain) {
      Insert(i, 0, /*after=*/true, s, threshold);
      EraseNode(i);
    } else {
      // A large value in a packed node: it goes after the entry (splitting the node, so the
      // old entry ends node i), then the old entry is removed.
      Insert(i, offset, /*after=*/true, s, threshold);
      if (nodes[i].count == 1) {
        EraseNode(i);
      } else {
        DeleteInNode(i, nodes[i].count - 1, 1);
      }
    }
  }
};

// ---- ListValue ----

ListValue::ListValue() : lp_(lp::New()) {}

ListValue::~ListValue() {
  if (ql_ != nullptr) {
    for (QlNode& n : ql_->nodes) n.Free();
    delete ql_;
  } else {
    lp::Free(lp_);
  }
}

ListValue* ListValue::Clone() const {
  auto* copy = new ListValue();
  if (ql_ == nullptr) {
    lp::Free(copy->lp_);
    copy->lp_ = lp::Dup(lp_);
    return copy;
  }
  lp::Free(copy->lp_);
  copy->lp_ = nullptr;
  copy->ql_ = new Quicklist(*ql_);
  for (QlNode& n : copy->ql_->nodes) {
    if (n.plain) {
      auto* bytes = static_cast<uint8_t*>(std::malloc(n.sz ? n.sz : 1));
      if (bytes == nullptr) throw std::bad_alloc();
      std::memcpy(bytes, n.data, n.sz);
      n.data = bytes;
    } else {
      n.data = lp::Dup(n.data);
    }
  }
  return copy;
}

std::string_view ListValue::EncodingName() const {
  return ql_ == nullptr ? "listpack" : "quicklist";
}

size_t ListValue::AllocationSize() const {
  size_t bytes = sizeof(*this);
  if (ql_ == nullptr) return bytes + lp::Bytes(lp_);
  bytes += sizeof(Quicklist) + ql_->nodes.size() * sizeof(QlNode);
  for (const QlNode& n : ql_->nodes) bytes += n.sz;
  return bytes;
}

size_t ListValue::Length() const { return ql_ == nullptr ? lp::Length(lp_) : ql_->count; }

void ListValue::ConvertForGrowth(size_t add_bytes, size_t add_count, const ListLimits& limits) {
  if (ql_ != nullptr) return;
  if (!ExceedsLimit(limits.fill, lp::Bytes(lp_) + add_bytes, lp::Length(lp_) + add_count)) {
    return;
  }
  auto* ql = new Quicklist();
  ql->fill = limits.fill;
  if (lp::Length(lp_) > 0) {
    QlNode n;
    n.data = lp_;
    n.Refresh();
    ql->nodes.push_back(n);
    ql->count = n.count;
  } else {
    lp::Free(lp_);
  }
  lp_ = nullptr;
  ql_ = ql;
}

void ListValue::ConvertForShrink(const ListLimits& limits) { TryConvertToListpack(limits, true); }

void ListValue::ConvertIfSmall(const ListLimits& limits) { TryConvertToListpack(limits, false); }

ListValue* ListValue::NewQuicklist(const ListLimits& limits) {
  auto* list = new ListValue();
  lp::Free(list->lp_);
  list->lp_ = nullptr;
  list->ql_ = new Quicklist();
  list->ql_->fill = limits.fill;
  return list;
}

void ListValue::TryConvertToListpack(const ListLimits& limits, bool shrinking) {
  if (ql_ == nullptr || ql_->nodes.size() != 1 || ql_->nodes.front().plain) return;
  size_t size_limit;
  uint64_t count_limit;
  NodeLimit(limits.fill, &size_limit, &count_limit);
  if (shrinking) {
    size_limit /= 2;
    count_limit /= 2;
  }
  if (ql_->nodes.front().sz > size_limit || ql_->count > count_limit) return;
  lp_ = ql_->nodes.front().data;
  delete ql_;
  ql_ = nullptr;
}

void ListValue::Push(std::string_view value, ListEnd end, const ListLimits& limits) {
  if (ql_ != nullptr) return ql_->Push(value, end, limits.packed_threshold);
  lp_ = end == ListEnd::kHead ? lp::Prepend(lp_, value) : lp::Append(lp_, value);
}

std::string ListValue::Pop(ListEnd end) {
  bool head = end == ListEnd::kHead;
  char buf[lp::kIntBufSize];
  if (ql_ == nullptr) {
    const uint8_t* p = head ? lp::First(lp_) : lp::Last(lp_);
    std::string out(lp::Get(p).View(buf));
    lp_ = lp::DeleteAt(lp_, size_t(p - lp_));
    return out;
  }
  size_t i = head ? 0 : ql_->nodes.size() - 1;
  QlNode& node = ql_->nodes[i];
  if (node.plain) {
    std::string out(reinterpret_cast<const char*>(node.data), node.sz);
    ql_->EraseNode(i);
    return out;
  }
  const uint8_t* p = head ? lp::First(node.data) : lp::Last(node.data);
  std::string out(lp::Get(p).View(buf));
  node.data = lp::DeleteAt(node.data, size_t(p - node.data));
  node.sz = lp::Bytes(node.data);
  node.count--;
  ql_->count--;
  if (node.count == 0) {
    node.Free();
    ql_->nodes.erase(ql_->nodes.begin() + i);
  }
  return out;
}

ListValue::Cursor ListValue::At(int64_t index) const {
  Cursor c;
  c.list_ = this;
  int64_t n = int64_t(Length());
  if (index < 0) index += n;
  if (index < 0 || index >= n) return c;
  if (ql_ == nullptr) {
    c.data_ = lp_;
    c.p_ = lp::Seek(lp_, index);
    return c;
  }
  size_t off;
  ql_->Locate(size_t(index), &c.node_, &off);
  c.EnterNode(false);
  if (!c.plain_) c.p_ = lp::Seek(c.data_, int64_t(off));
  return c;
}

void ListValue::Cursor::EnterNode(bool last) {
  const QlNode& node = list_->ql_->nodes[node_];
  data_ = node.data;
  plain_ = node.plain;
  plain_size_ = node.sz;
  p_ = plain_ ? data_ : last ? lp::Last(data_) : lp::First(data_);
}

std::string_view ListValue::Cursor::Get(char* buf) const {
  if (plain_) return std::string_view(reinterpret_cast<const char*>(data_), plain_size_);
  return lp::Get(p_).View(buf);
}

bool ListValue::Cursor::Equals(std::string_view s) const {
  if (plain_) return plain_size_ == s.size() && std::memcmp(data_, s.data(), s.size()) == 0;
  return lp::Equals(p_, s);
}

void ListValue::Cursor::Next() {
  p_ = plain_ ? nullptr : lp::Next(data_, p_);
  if (p_ != nullptr || list_->ql_ == nullptr) return;
  if (++node_ >= list_->ql_->nodes.size()) return;
  EnterNode(false);
}

void ListValue::Cursor::Prev() {
  p_ = plain_ ? nullptr : lp::Prev(data_, p_);
  if (p_ != nullptr || list_->ql_ == nullptr || node_ == 0) return;
  --node_;
  EnterNode(true);
}

void ListValue::DeleteRange(size_t start, size_t count) {
  if (count == 0) return;
  if (ql_ != nullptr) return ql_->DeleteRange(start, count);
  lp_ = lp::DeleteRange(lp_, int64_t(start), uint32_t(count));
}

bool ListValue::Set(int64_t index, std::string_view value, const ListLimits& limits) {
  int64_t n = int64_t(Length());
  if (index < 0) index += n;
  if (index < 0 || index >= n) return false;
  if (ql_ == nullptr) {
    lp_ = lp::ReplaceAt(lp_, size_t(lp::Seek(lp_, index) - lp_), value);
    return true;
  }
  size_t node, off;
  ql_->Locate(size_t(index), &node, &off);
  ql_->Replace(node, off, value, limits.packed_threshold);
  return true;
}

bool ListValue::Insert(std::string_view pivot, std::string_view value, bool after,
                       const ListLimits& limits) {
  if (ql_ == nullptr) {
    for (const uint8_t* p = lp::First(lp_); p != nullptr; p = lp::Next(lp_, p)) {
      if (!lp::Equals(p, pivot)) continue;
      size_t at = size_t(p - lp_) + (after ? lp::EntrySize(p) : 0);
      lp_ = lp::InsertAt(lp_, at, value);
      return true;
    }
    return false;
  }
  for (size_t i = 0; i < ql_->nodes.size(); ++i) {
    const QlNode& node = ql_->nodes[i];
    if (node.plain) {
      if (node.sz == pivot.size() && std::memcmp(node.data, pivot.data(), pivot.size()) == 0) {
        ql_->Insert(i, 0, after, value, limits.packed_threshold);
        return true;
      }
      continue;
    }
    size_t off = 0;
    for (const uint8_t* p = lp::First(node.data); p != nullptr; p = lp::Next(node.data, p)) {
      if (lp::Equals(p, pivot)) {
        ql_->Insert(i, off, after, value, limits.packed_threshold);
        return true;
      }
      ++off;
    }
  }
  return false;
}

namespace {

// Removes matches of `value` from listpack *lp, from the head (forward) or the tail, up to
// `limit` (0 = all).  Returns how many went.
size_t RemoveFromListpack(uint8_t** lpp, std::string_view value, bool forward, size_t limit) {
  size_t removed = 0;
  uint8_t* l = *lpp;
  if (forward) {
    size_t off = lp::kHeaderSize;
    while (l[off] != lp::kEof && (limit == 0 || removed < limit)) {
      if (lp::Equals(l + off, value)) {
        l = lp::DeleteAt(l, off);
        ++removed;
      } else {
        off += lp::EntrySize(l + off);
      }
    }
  } else {
    const uint8_t* p = lp::Last(l);
    while (p != nullptr && (limit == 0 || removed < limit)) {
      const uint8_t* prev = lp::Prev(l, p);
      size_t prev_off = prev ? size_t(prev - l) : 0;
      if (lp::Equals(p, value)) {
        l = lp::DeleteAt(l, size_t(p - l));
        ++removed;
      }
      p = prev ? l + prev_off : nullptr;
    }
  }
  *lpp = l;
  return removed;
}

}  // namespace

size_t ListValue::Remove(std::string_view value, int64_t count) {
  bool forward = count >= 0;
  size_t limit = count == INT64_MIN ? size_t{1} << 63 : size_t(count < 0 ? -count : count);
  if (ql_ == nullptr) return RemoveFromListpack(&lp_, value, forward, limit);
  size_t removed = 0;
  size_t nodes = ql_->nodes.size();
  for (size_t k = 0; k < nodes && (limit == 0 || removed < limit); ++k) {
    size_t i = forward ? k - (nodes - ql_->nodes.size()) : nodes - 1 - k;
    QlNode& node = ql_->nodes[i];
    size_t got;
    if (node.plain) {
      got = node.sz == value.size() && std::memcmp(node.data, value.data(), value.size()) == 0;
      if (got) ql_->EraseNode(i);
    } else {
      got = RemoveFromListpack(&node.data, value, forward, limit ? limit - removed : 0);
      if (got) {
        node.Refresh();
        ql_->count -= got;
        if (node.count == 0) {
          node.Free();
          ql_->nodes.erase(ql_->nodes.begin() + i);
        }
      }
    }
    removed += got;
  }
  return removed;
}

size_t ListValue::quicklist_nodes() const { return ql_ == nullptr ? 0 : ql_->nodes.size(); }

ListValue::QuicklistInfo ListValue::quicklist_info() const {
  QuicklistInfo info;
  if (ql_ == nullptr) return info;
  info.nodes = ql_->nodes.size();
  info.fill = ql_->fill;
  for (const QlNode& n : ql_->nodes) {
    info.total_bytes += n.sz;
    info.plain_nodes += n.plain;
  }
  return info;
}

void ListValue::AdoptNode(uint8_t* data, size_t size, bool plain) {
  assert(ql_ != nullptr);
  QlNode n;
  n.data = data;
  n.plain = plain;
  if (plain) {
    n.sz = size;
    n.count = 1;
  } else {
    n.Refresh();
  }
  ql_->nodes.push_back(n);
  ql_->count += n.count;
}

ListValue* ListValue::FromSingleNode(uint8_t* data, const ListLimits& limits) {
  size_t size_limit;
  uint64_t count_limit;
  NodeLimit(limits.fill, &size_limit, &count_limit);
  if (lp::Bytes(data) <= size_limit && lp::Length(data) <= count_limit) {
    return new ListValue(data);
  }
  ListValue* list = NewQuicklist(limits);
  list->AdoptNode(data, 0, false);
  return list;
}

void ListValue::ForEachNode(const std::function<void(const uint8_t*, size_t, bool)>& fn) const {
  if (ql_ == nullptr) {
    fn(lp_, lp::Bytes(lp_), false);
    return;
  }
  for (const QlNode& n : ql_->nodes) fn(n.data, n.sz, n.plain);
}

}  // namespace tessera::types
