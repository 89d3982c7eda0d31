// ScoreSource: one input of ZUNION/ZINTER/ZDIFF (and their STORE forms, ZINTERCARD): a sorted
// set, a missing key (empty), or a plain set whose members all score 1, as in Redis's zuiNext.
// Views handed to callbacks point into the value: valid until the keyspace changes.
#pragma once

#include <optional>
#include <string_view>

#include "core/keyspace/keyspace.h"
#include "core/types/zset_value.h"

namespace tessera::server::zset {

struct ScoreSource {
  const keyspace::Entry* entry = nullptr;  // nullptr: missing key
  const types::ZSetValue* z = nullptr;     // the sorted set, if entry holds one
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
    return false;
  }

  size_t size() const { return z != nullptr ? z->size() : 0; }
  bool SameAs(const ScoreSource& o) const { return entry != nullptr && entry == o.entry; }

  std::optional<double> Find(std::string_view member) const {
    if (z != nullptr) return z->Score(member);
    return std::nullopt;
  }

  // Calls fn(member, score) for every member: a sorted set in order.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    if (z == nullptr) return;
    for (auto it = z->IterateFrom(0, false); it.valid(); it.Next()) fn(it.member(), it.score());
  }
};

}  // namespace tessera::server::zset
