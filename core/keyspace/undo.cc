#include "core/keyspace/undo.h"

#include <utility>

namespace tessera::keyspace {

Entry* PeekEntry(Keyspace& ks, int db, std::string_view key) {
  uint64_t hash = HashBytes(key);
  return ks.shard(ks.ShardOfHash(hash)).db(db).table.Find(key, hash);
}

KeyImage::KeyImage(Keyspace& ks, int db, std::string_view key)
    : KeyImage(db, key, PeekEntry(ks, db, key)) {}

KeyImage::KeyImage(int db, std::string_view key, const Entry* now) : db_(db), key_(key) {
  if (now != nullptr) copy_ = Entry::CloneWithKey(now, key);
}

KeyImage::~KeyImage() {
  if (copy_ != nullptr) Entry::Free(copy_);
}

KeyImage::KeyImage(KeyImage&& other) noexcept
    : db_(other.db_), key_(std::move(other.key_)), copy_(std::exchange(other.copy_, nullptr)) {}

void KeyImage::Restore(Keyspace& ks, int64_t now_ms) {
  uint64_t hash = HashBytes(key_);
  DbTable& t = ks.shard(ks.ShardOfHash(hash)).db(db_);
  if (Entry* now = t.table.Find(key_, hash)) {
    t.table.ErasePointer(now, hash);
    if (now->has_expiry()) --t.volatile_keys;
    Entry::Free(now);
  }
  Entry* copy = std::exchange(copy_, nullptr);
  if (copy == nullptr) return;
  t.table.Insert(copy, hash);
  if (copy->type() == ValueType::kHash) t.field_expiry = true;  // its fields may carry TTLs
  if (copy->has_expiry()) {
    ++t.volatile_keys;
    t.expiry_index.Add(copy->expire_at(), hash, now_ms);
  }
}

}  // namespace tessera::keyspace
