// ScoreSource: one input of ZUNION/ZINTER/ZDIFF (and their STORE forms, ZINTERCARD): a sorted
// set, a missing key (empty), or a plain set whose members all score 1, as in Redis's zuiNext.
// Views handed to callbacks point into the value: valid until the keyspace changes.
#pragma once

#include <optional>
#include <string_view>

#include "core/keyspace/keyspace.h"
#include "core/types/set_value.h"
#include "core/types/zset_value.h"

namespace tessera::server::zset {

struct ScoreSource {
  const keyspace::Entry* entry = nullptr;  // nullptr: missing key
  const types::ZSetValue* z = nullptr;     // the sorted set, if entry holds one
  const types::SetValue* set = nullptr;    // the plain set, if entry holds one
  double weight = 1;

  // Looks `key` up; false iff it holds a type that is neither a set nor a sorted set.
  static bool Lookup(keyspace::DbAccess& db, std::string_view key, ScoreSource* out) {
    keyspace::Entry* e = db.Find(key);
    out->entry = e;
    if (e == nullptr) return true;
    if (e->type() == keyspace::ValueType::kZSet) {
      out->z = e->object_as<types::ZSetValue>();
      return true;
    }
    if (e->type() == keyspace::ValueType::kSet) {
      out->set = e->object_as<types::SetValue>();
      return true;
    }
    return false;
  }

  size_t size() const {
    if (z != nullptr) return z->size();
    return set != nullptr ? set->size() : 0;
  }
  bool SameAs(const ScoreSource& o) const { return entry != nullptr && entry == o.entry; }

  std::optional<double> Find(std::string_view member) const {
    if (z != nullptr) return z->Score(member);
    if (set != nullptr && set->Contains(member)) return 1.0;
    return std::nullopt;
  }

  // Calls fn(member, score) for every member: a sorted set in order, a set in its own order
  // with score 1.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    if (z != nullptr) {
      for (auto it = z->IterateFrom(0, false); it.valid(); it.Next()) fn(it.member(), it.score());
      return;
    }
    if (set == nullptr) return;
    set->ForEach([&](const types::SetMember& m) {
      char buf[24];
      fn(m.View(buf), 1.0);
    });
  }
};

}  // namespace tessera::server::zset
