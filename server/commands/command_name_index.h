// Command names -> their place in the command table, found without regard to ASCII case.
//
// Looked up once for every command a client sends.  An open-addressed table of a few hundred
// names: one pass over the client's bytes hashes them case-folded (FNV-1a), with no lower-case
// copy, and a probe compares the stored hash before the name.  A std::unordered_map with a
// case-insensitive hash spent more on walking its bucket (re-hashing each next node to find
// the bucket's end) than on the rest of the lookup.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/base/ascii.h"

namespace tessera::server {

class CommandNameIndex {
 public:
  static constexpr size_t kNone = SIZE_MAX;

  void Clear() {
    entries_.clear();
    slots_.clear();
  }
  // REQUIRES: `name` is in lower case, and no name equal to it ignoring case is present.  The
  // bytes `name` points to must outlive the index.
  void Insert(std::string_view name, size_t value) {
    entries_.push_back({name, value, Hash(name)});
    if (slots_.size() < 2 * entries_.size()) {
      Rebuild();
    } else {
      Place(entries_.size() - 1);
    }
  }
  // Removes `name` (any case); false if it was not there.
  bool Erase(std::string_view name) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (EqualsIgnoreCase(entries_[i].name, name)) {
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        Rebuild();
        return true;
      }
    }
    return false;
  }
  // The value stored for `name` (any case), or kNone.
  size_t Find(std::string_view name) const {
    if (slots_.empty()) return kNone;
    const uint64_t h = Hash(name);
    const size_t mask = slots_.size() - 1;
    for (size_t i = Slot(h) & mask;; i = (i + 1) & mask) {
      const uint32_t s = slots_[i];
      if (s == 0) return kNone;
      const Entry& e = entries_[s - 1];
      if (e.hash == h && EqualsStored(e.name, name)) return e.value;
    }
  }
  bool Contains(std::string_view name) const { return Find(name) != kNone; }
  // f(name, value) for every entry.
  template <typename F>
  void ForEach(F f) const {
    for (const Entry& e : entries_) f(e.name, e.value);
  }

  // FNV-1a of the bytes with bit 5 set: equal names ignoring ASCII case hash alike.
  static uint64_t Hash(std::string_view s) {
    uint64_t h = 14695981039346656037ull;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c | 0x20)) * 1099511628211ull;
    return h;
  }

 private:
  struct Entry {
    std::string_view name;
    size_t value;
    uint64_t hash;
  };
  // `stored` equals `name` ignoring ASCII case.  Stored names are lower case, as the command
  // table's are (a rename's too), so only the client's bytes are folded, without a branch.
  static bool EqualsStored(std::string_view stored, std::string_view name) {
    if (stored.size() != name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(name[i]);
      const unsigned char lower = c + (static_cast<unsigned char>(c - 'A') < 26 ? 32 : 0);
      if (lower != static_cast<unsigned char>(stored[i])) return false;
    }
    return true;
  }
  static size_t Slot(uint64_t h) { return static_cast<size_t>(h ^ (h >> 29)); }

  void Place(size_t entry) {
    const size_t mask = slots_.size() - 1;
    size_t i = Slot(entries_[entry].hash) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = static_cast<uint32_t>(entry + 1);
  }
  // At most a quarter full after a rebuild, so probes stay short.
  void Rebuild() {
    slots_.assign(std::bit_ceil(std::max<size_t>(16, 4 * entries_.size())), 0);
    for (size_t i = 0; i < entries_.size(); ++i) Place(i);
  }

  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // an entry's position + 1; 0 is an empty slot
};

}  // namespace tessera::server
