// OrderTree<T, Cmp>: an order-statistic B+tree of caller-owned pointers, the ordered index of
// big sorted sets.  Cmp provides `static bool Less(const T* a, const T* b)`, a strict total order
// over the elements present; an element's key must not change while it is in the tree (erase,
// change, reinsert), except in ways that keep it between its neighbours.
//
// Approach: leaves hold up to kLeafCap element pointers and are linked both ways for in-order
// walks; inner nodes hold, per child, the pointer, the subtree's smallest element (its
// separator) and the subtree's element count, so rank lookups (At, Rank, CountWhile) cost
// O(log n).  Separators are element pointers, not copies: the tree never owns or copies keys,
// and a zset stores each member once (in its element).  An insert at the very end of the last
// leaf (or the very start of the first) splits off a one-element leaf instead of halving, so
// a zset filled in order ends with full leaves.
// Rejected: Redis's skiplist (24 bytes + 16 per level per node, ~1.33 levels, a node per
// element) costs ~48 bytes an element against ~11 here (8 per pointer, leaves ~70% full), and
// walks pointer chains instead of arrays.
//
// Invariants: every leaf is at depth height_-1; every node except the root is non-empty;
// keys[i] of an inner node is the smallest element under child[i]; counts[i] is the number of
// elements under child[i]; the leaves, first_ to last_ through `next`, hold the elements in
// increasing order.  Erase merges a node under a quarter full into a neighbour when both fit
// in three quarters of a node, so a shrinking tree keeps most of its fill.
// Not thread-safe: a tree belongs to one value, touched under its shard's lock.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tessera::ds {

template <class T, class Cmp>
class OrderTree {
 public:
  static constexpr uint32_t kLeafCap = 61;   // 24 + 61 * 8 = 512 bytes, a jemalloc size class
  static constexpr uint32_t kInnerCap = 42;  // 8 + 42 * 24 = 1016 bytes (1024 class)

 private:
  struct Leaf {
    uint32_t n = 0;
    Leaf* prev = nullptr;
    Leaf* next = nullptr;
    T* items[kLeafCap];
  };
  struct Inner {
    uint32_t n = 0;
    void* child[kInnerCap];
    T* keys[kInnerCap];
    size_t counts[kInnerCap];
  };
  static constexpr int kMaxDepth = 24;  // 42^23 elements: unreachable

 public:
  // A position in the tree; invalid past either end.  Invalidated by any insert or erase.
  class Cursor {
   public:
    Cursor() = default;
    bool valid() const { return leaf_ != nullptr; }
    T* get() const { return leaf_->items[idx_]; }
    void Next() {
      if (++idx_ < leaf_->n) return;
      leaf_ = leaf_->next;
      idx_ = 0;
    }
    void Prev() {
      if (idx_ > 0) {
        --idx_;
        return;
      }
      leaf_ = leaf_->prev;
      idx_ = leaf_ != nullptr ? leaf_->n - 1 : 0;
    }

   private:
    friend class OrderTree;
    Cursor(const Leaf* leaf, uint32_t idx) : leaf_(leaf), idx_(idx) {}
    const Leaf* leaf_ = nullptr;
    uint32_t idx_ = 0;
  };

  OrderTree() = default;
  ~OrderTree() { Clear(); }
  OrderTree(const OrderTree&) = delete;
  OrderTree& operator=(const OrderTree&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes of the tree's nodes (not the elements).
  size_t BytesAllocated() const { return leaves_ * sizeof(Leaf) + inners_ * sizeof(Inner); }

  // REQUIRES: no element equal to e (under Cmp) is present.
  void Insert(T* e) {
    ++size_;
    if (root_ == nullptr) {
      Leaf* lf = NewLeaf();
      lf->items[lf->n++] = e;
      root_ = lf;
      height_ = 1;
      first_ = last_ = lf;
      return;
    }
    Inner* path[kMaxDepth];
    uint32_t idx[kMaxDepth];
    int depth = 0;
    void* node = root_;
    for (uint32_t h = height_; h > 1; --h, ++depth) {
      Inner* in = static_cast<Inner*>(node);
      uint32_t i = ChildFor(in, [e](const T* x) { return Cmp::Less(x, e); });
      if (i == 0 && Cmp::Less(e, in->keys[0])) in->keys[0] = e;
      ++in->counts[i];
      path[depth] = in;
      idx[depth] = i;
      node = in->child[i];
    }
    Leaf* lf = static_cast<Leaf*>(node);
    uint32_t pos = LowerBound(lf, [e](const T* x) { return Cmp::Less(x, e); });
    if (lf->n < kLeafCap) {
      InsertAt(lf->items, lf->n, pos, e);
      ++lf->n;
      return;
    }
    // Split: in half, or keep the full leaf whole when adding past either end of the set.
    Leaf* right = NewLeaf();
    uint32_t m = lf->n / 2;
    if (pos == lf->n && lf->next == nullptr) m = lf->n;
    if (pos == 0 && lf->prev == nullptr) m = 0;
    right->n = lf->n - m;
    std::memcpy(right->items, lf->items + m, right->n * sizeof(T*));
    lf->n = m;
    if (pos < m || (pos == m && m < kLeafCap)) {
      InsertAt(lf->items, lf->n, pos, e);
      ++lf->n;
    } else {
      InsertAt(right->items, right->n, pos - m, e);
      ++right->n;
    }
    right->prev = lf;
    right->next = lf->next;
    if (lf->next != nullptr) lf->next->prev = right; else last_ = right;
    lf->next = right;
    AddSibling(path, idx, depth, lf, lf->n, right, right->n, right->items[0]);
  }

  // Removes e (found by Cmp, matched by pointer).  Returns true iff it was present.
  bool Erase(const T* e) {
    if (root_ == nullptr) return false;
    Inner* path[kMaxDepth];
    uint32_t idx[kMaxDepth];
    int depth = 0;
    void* node = root_;
    for (uint32_t h = height_; h > 1; --h, ++depth) {
      Inner* in = static_cast<Inner*>(node);
      uint32_t i = ChildFor(in, [e](const T* x) { return !Cmp::Less(e, x); });
      path[depth] = in;
      idx[depth] = i;
      node = in->child[i];
    }
    Leaf* lf = static_cast<Leaf*>(node);
    uint32_t pos = LowerBound(lf, [e](const T* x) { return Cmp::Less(x, e); });
    if (pos >= lf->n || lf->items[pos] != e) return false;
    --size_;
    RemoveAt(lf->items, lf->n, pos);
    --lf->n;
    for (int k = 0; k < depth; ++k) --path[k]->counts[idx[k]];
    if (pos == 0 && lf->n > 0) FixKeys(path, idx, depth, lf->items[0]);
    Rebalance(path, idx, depth, lf);
    return true;
  }

  // Number of elements x, from the smallest on, for which before(x) holds.  REQUIRES: before is
  // true on a prefix of the order and false after it.
  template <class Before>
  size_t CountWhile(Before&& before) const {
    if (root_ == nullptr) return 0;
    size_t rank = 0;
    const void* node = root_;
    for (uint32_t h = height_; h > 1; --h) {
      const Inner* in = static_cast<const Inner*>(node);
      uint32_t i = ChildFor(in, before);
      for (uint32_t j = 0; j < i; ++j) rank += in->counts[j];
      node = in->child[i];
    }
    return rank + LowerBound(static_cast<const Leaf*>(node), before);
  }

  // The cursor at e (found by Cmp, matched by pointer); invalid if e is not present.
  Cursor Find(const T* e) const {
    if (root_ == nullptr) return Cursor();
    const void* node = root_;
    for (uint32_t h = height_; h > 1; --h) {
      const Inner* in = static_cast<const Inner*>(node);
      node = in->child[ChildFor(in, [e](const T* x) { return !Cmp::Less(e, x); })];
    }
    const Leaf* lf = static_cast<const Leaf*>(node);
    uint32_t pos = LowerBound(lf, [e](const T* x) { return Cmp::Less(x, e); });
    if (pos >= lf->n || lf->items[pos] != e) return Cursor();
    return Cursor(lf, pos);
  }

  // 0-based position of e.  REQUIRES: e is present.
  size_t Rank(const T* e) const {
    return CountWhile([e](const T* x) { return Cmp::Less(x, e); });
  }

  // The cursor at `rank`; invalid iff rank >= size().
  Cursor At(size_t rank) const {
    if (rank >= size_) return Cursor();
    const void* node = root_;
    for (uint32_t h = height_; h > 1; --h) {
      const Inner* in = static_cast<const Inner*>(node);
      uint32_t i = 0;
      while (rank >= in->counts[i]) rank -= in->counts[i++];
      node = in->child[i];
    }
    return Cursor(static_cast<const Leaf*>(node), static_cast<uint32_t>(rank));
  }
  Cursor First() const { return first_ != nullptr ? Cursor(first_, 0) : Cursor(); }
  Cursor Last() const { return last_ != nullptr ? Cursor(last_, last_->n - 1) : Cursor(); }

  // Forgets every element (does not free them) and frees the nodes.
  void Clear() {
    if (root_ != nullptr) FreeSubtree(root_, height_);
    root_ = nullptr;
    height_ = 0;
    size_ = 0;
    first_ = last_ = nullptr;
  }

  // For tests: walks the tree and returns true iff every invariant above holds.
  bool CheckInvariants() const {
    if (root_ == nullptr) return size_ == 0 && first_ == nullptr && last_ == nullptr;
    const Leaf* prev_leaf = nullptr;
    const T* prev = nullptr;
    size_t count = 0;
    if (!CheckNode(root_, height_, &prev_leaf, &prev, &count, true)) return false;
    return count == size_ && prev_leaf == last_ && last_->next == nullptr &&
           first_->prev == nullptr;
  }

 private:
  // Last child index i >= 1 whose key satisfies before(), else 0.
  template <class Before>
  static uint32_t ChildFor(const Inner* in, const Before& before) {
    uint32_t lo = 1, hi = in->n;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (before(in->keys[mid])) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }
  // First index whose item does not satisfy before().
  template <class Before>
  static uint32_t LowerBound(const Leaf* lf, const Before& before) {
    uint32_t lo = 0, hi = lf->n;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (before(lf->items[mid])) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  template <class V>
  static void InsertAt(V* a, uint32_t n, uint32_t pos, V v) {
    std::memmove(a + pos + 1, a + pos, (n - pos) * sizeof(V));
    a[pos] = v;
  }
  template <class V>
  static void RemoveAt(V* a, uint32_t n, uint32_t pos) {
    std::memmove(a + pos, a + pos + 1, (n - pos - 1) * sizeof(V));
  }

  Leaf* NewLeaf() {
    ++leaves_;
    return new Leaf();
  }
  Inner* NewInner() {
    ++inners_;
    return new Inner();
  }
  void FreeLeaf(Leaf* lf) {
    --leaves_;
    delete lf;
  }
  void FreeInner(Inner* in) {
    --inners_;
    delete in;
  }
  void FreeSubtree(void* node, uint32_t h) {
    if (h == 1) return FreeLeaf(static_cast<Leaf*>(node));
    Inner* in = static_cast<Inner*>(node);
    for (uint32_t i = 0; i < in->n; ++i) FreeSubtree(in->child[i], h - 1);
    FreeInner(in);
  }

  static size_t SumCounts(const Inner* in) {
    size_t s = 0;
    for (uint32_t i = 0; i < in->n; ++i) s += in->counts[i];
    return s;
  }

  // `left` (child path[depth-1]->child[idx[depth-1]], already counted with its new size) split
  // off `right`; inserts right after it, splitting ancestors as needed.
  void AddSibling(Inner** path, uint32_t* idx, int depth, void* left, size_t left_count,
                  void* right, size_t right_count, T* right_key) {
    while (depth > 0) {
      Inner* p = path[depth - 1];
      uint32_t i = idx[depth - 1];
      p->counts[i] = left_count;
      if (p->n < kInnerCap) {
        InsertChild(p, i + 1, right, right_count, right_key);
        return;
      }
      Inner* q = NewInner();
      uint32_t m = i + 1 == p->n ? p->n : p->n / 2;  // appending: keep p whole, as leaves do
      q->n = p->n - m;
      std::memcpy(q->child, p->child + m, q->n * sizeof(void*));
      std::memcpy(q->keys, p->keys + m, q->n * sizeof(T*));
      std::memcpy(q->counts, p->counts + m, q->n * sizeof(size_t));
      p->n = m;
      if (i + 1 <= m && m < kInnerCap) {
        InsertChild(p, i + 1, right, right_count, right_key);
      } else {
        InsertChild(q, i + 1 - m, right, right_count, right_key);
      }
      left = p;
      right = q;
      left_count = SumCounts(p);
      right_count = SumCounts(q);
      right_key = q->keys[0];
      --depth;
    }
    // The root split: a new root above both halves.
    Inner* root = NewInner();
    root->n = 2;
    root->child[0] = left;
    root->keys[0] = MinOf(left, height_);
    root->counts[0] = left_count;
    root->child[1] = right;
    root->keys[1] = right_key;
    root->counts[1] = right_count;
    root_ = root;
    ++height_;
  }

  static void InsertChild(Inner* p, uint32_t at, void* child, size_t count, T* key) {
    InsertAt(p->child, p->n, at, child);
    InsertAt(p->keys, p->n, at, key);
    InsertAt(p->counts, p->n, at, count);
    ++p->n;
  }
  static void RemoveChild(Inner* p, uint32_t at) {
    RemoveAt(p->child, p->n, at);
    RemoveAt(p->keys, p->n, at);
    RemoveAt(p->counts, p->n, at);
    --p->n;
  }

  // The smallest element under a non-empty node of height h.
  static T* MinOf(void* node, uint32_t h) {
    return h == 1 ? static_cast<Leaf*>(node)->items[0] : static_cast<Inner*>(node)->keys[0];
  }

  // The node at path level `depth` now has `new_min` as its smallest element.
  static void FixKeys(Inner** path, uint32_t* idx, int depth, T* new_min) {
    for (int k = depth - 1; k >= 0; --k) {
      path[k]->keys[idx[k]] = new_min;
      if (idx[k] != 0) break;
    }
  }

  // After an erase under `node` (at path level `depth`, height 1 = leaf): frees empty nodes and
  // merges small ones into a neighbour, bottom-up, then shortens the root.
  void Rebalance(Inner** path, uint32_t* idx, int depth, void* node) {
    uint32_t h = 1;
    for (; depth > 0; --depth, ++h) {
      Inner* p = path[depth - 1];
      uint32_t i = idx[depth - 1];
      const uint32_t cap = h == 1 ? kLeafCap : kInnerCap;
      const uint32_t n = NodeSize(node, h);
      if (n == 0) {
        Unlink(node, h);
        RemoveChild(p, i);
        if (i == 0 && p->n > 0) FixKeys(path, idx, depth - 1, p->keys[0]);
      } else if (n < cap / 4 && p->n > 1) {
        uint32_t a = i + 1 < p->n ? i : i - 1;  // merge child a+1 into child a
        if (NodeSize(p->child[a], h) + NodeSize(p->child[a + 1], h) > cap * 3 / 4) break;
        MergeInto(p->child[a], p->child[a + 1], h);
        p->counts[a] += p->counts[a + 1];
        RemoveChild(p, a + 1);
      } else {
        break;
      }
      node = p;
    }
    while (height_ > 1) {
      Inner* r = static_cast<Inner*>(root_);
      if (r->n > 1) break;
      root_ = r->n == 1 ? r->child[0] : nullptr;
      height_ = r->n == 1 ? height_ - 1 : 0;
      FreeInner(r);
    }
    if (size_ == 0) Clear();
  }

  static uint32_t NodeSize(const void* node, uint32_t h) {
    return h == 1 ? static_cast<const Leaf*>(node)->n : static_cast<const Inner*>(node)->n;
  }

  // Frees an empty node, unlinking a leaf from its neighbours.
  void Unlink(void* node, uint32_t h) {
    if (h != 1) return FreeInner(static_cast<Inner*>(node));
    Leaf* lf = static_cast<Leaf*>(node);
    if (lf->prev != nullptr) lf->prev->next = lf->next; else first_ = lf->next;
    if (lf->next != nullptr) lf->next->prev = lf->prev; else last_ = lf->prev;
    if (root_ == lf) root_ = nullptr;
    FreeLeaf(lf);
  }

  // Appends right's contents to left (its left neighbour) and frees right.
  void MergeInto(void* left, void* right, uint32_t h) {
    if (h == 1) {
      Leaf* l = static_cast<Leaf*>(left);
      Leaf* r = static_cast<Leaf*>(right);
      std::memcpy(l->items + l->n, r->items, r->n * sizeof(T*));
      l->n += r->n;
      r->n = 0;
      Unlink(r, 1);
      return;
    }
    Inner* l = static_cast<Inner*>(left);
    Inner* r = static_cast<Inner*>(right);
    std::memcpy(l->child + l->n, r->child, r->n * sizeof(void*));
    std::memcpy(l->keys + l->n, r->keys, r->n * sizeof(T*));
    std::memcpy(l->counts + l->n, r->counts, r->n * sizeof(size_t));
    l->n += r->n;
    FreeInner(r);
  }

  bool CheckNode(const void* node, uint32_t h, const Leaf** prev_leaf, const T** prev,
                 size_t* count, bool is_root) const {
    if (h == 1) {
      const Leaf* lf = static_cast<const Leaf*>(node);
      if (lf->n == 0 || lf->n > kLeafCap) return false;
      if (lf->prev != *prev_leaf) return false;
      if (*prev_leaf == nullptr ? first_ != lf : (*prev_leaf)->next != lf) return false;
      for (uint32_t i = 0; i < lf->n; ++i) {
        if (*prev != nullptr && !Cmp::Less(*prev, lf->items[i])) return false;
        *prev = lf->items[i];
      }
      *prev_leaf = lf;
      *count += lf->n;
      return true;
    }
    const Inner* in = static_cast<const Inner*>(node);
    if (in->n == 0 || in->n > kInnerCap || (is_root && in->n < 2)) return false;
    for (uint32_t i = 0; i < in->n; ++i) {
      size_t before = *count;
      if (MinOf(in->child[i], h - 1) != in->keys[i]) return false;
      if (!CheckNode(in->child[i], h - 1, prev_leaf, prev, count, false)) return false;
      if (*count - before != in->counts[i]) return false;
    }
    return true;
  }

  void* root_ = nullptr;
  uint32_t height_ = 0;  // 0: empty; 1: the root is a leaf
  size_t size_ = 0;
  Leaf* first_ = nullptr;
  Leaf* last_ = nullptr;
  size_t leaves_ = 0;
  size_t inners_ = 0;
};

}  // namespace tessera::ds
