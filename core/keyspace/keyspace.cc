#include "core/keyspace/keyspace.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/base/random.h"
#include "core/keyspace/eviction.h"
#include "core/keyspace/object.h"

namespace tessera::keyspace {

DbTable::~DbTable() { FreeAll(); }

void DbTable::FreeAll() {
  table.ForEach([](Entry* e) { Entry::Free(e); });
  table.Clear();
  expiry_index.Clear();
  volatile_keys = 0;
  expire_cursor = 0;
  field_expiry = false;
  field_expiry_seen = false;
}

size_t Shard::ActiveExpire(int db, int64_t now_ms, size_t budget,
                           std::vector<std::string>* deleted_names,
                           std::vector<std::pair<std::string, bool>>* field_events,
                           FreeSink* lazy) {
  DbTable& t = dbs_[db];
  if ((t.volatile_keys == 0 && !t.field_expiry) || t.table.empty()) return 0;
  std::vector<Entry*> dead;
  std::vector<Entry*> emptied;  // hashes whose last field expired
  auto result = t.table.Scan(t.expire_cursor, budget, [&](Entry* e) {
    if (e->IsExpired(now_ms)) {
      dead.push_back(e);
    } else if (t.field_expiry && e->type() == ValueType::kHash) {
      bool purged = false;
      if (PurgeExpiredParts(e, now_ms, &purged)) {
        emptied.push_back(e);
      } else {
        if (purged && field_events != nullptr) field_events->emplace_back(e->key(), false);
        if (HasExpiringParts(*e)) t.field_expiry_seen = true;
      }
    }
  });
  if (result.done) {
    t.expire_cursor = 0;
    t.field_expiry = t.field_expiry_seen;
    t.field_expiry_seen = false;
  } else {
    t.expire_cursor = result.next_cursor;
  }
  if (deleted_names != nullptr) {
    for (Entry* e : dead) deleted_names->emplace_back(e->key());
    for (Entry* e : emptied) deleted_names->emplace_back(e->key());
  }
  if (field_events != nullptr) {
    for (Entry* e : emptied) field_events->emplace_back(e->key(), true);
  }
  for (Entry* e : dead) {
    t.table.ErasePointer(e, EntryTraits::Hash(e));
    --t.volatile_keys;
    FreeEntry(e, lazy);
  }
  for (Entry* e : emptied) {
    t.table.ErasePointer(e, EntryTraits::Hash(e));
    if (e->has_expiry()) --t.volatile_keys;
    Entry::Free(e);  // an empty hash: nothing to walk
  }
  expired_keys += dead.size();
  return dead.size() + emptied.size();
}

size_t Shard::ExpireDue(int db, int64_t now_ms, size_t budget,
                        std::vector<std::string>* deleted_names, bool* more, FreeSink* lazy) {
  DbTable& t = dbs_[db];
  ExpiryIndex& index = t.expiry_index;
  *more = false;
  // Stale entries (keys whose expiry changed or went) beyond the live ones: start afresh.
  if (index.size() > 2 * t.volatile_keys + 4096) {
    index.Clear();
    t.table.ForEach([&](Entry* e) {
      if (e->has_expiry()) index.Add(e->expire_at(), EntryTraits::Hash(e), now_ms);
    });
  }
  size_t deleted = 0;
  size_t looked = 0;
  ExpiryIndex::Due due;
  std::vector<std::pair<int64_t, uint64_t>> later;  // added back once the due buckets are out
  std::vector<Entry*> candidates;
  while (looked < budget && index.TakeDue(now_ms, &due)) {
    size_t i = 0;
    for (; i < due.hashes.size() && looked < budget; ++i, ++looked) {
      const uint64_t hash = due.hashes[i];
      candidates.clear();
      t.table.ForEachWithHash(hash, [&](Entry* e) { candidates.push_back(e); });
      for (Entry* e : candidates) {
        if (!e->has_expiry() || e->expire_at() < due.start_ms || e->expire_at() >= due.end_ms ||
            EntryTraits::Hash(e) != hash) {
          continue;  // not this entry's (current) bucket
        }
        if (!e->IsExpired(now_ms)) {
          later.emplace_back(e->expire_at(), hash);
          continue;
        }
        if (deleted_names != nullptr) deleted_names->emplace_back(e->key());
        t.table.ErasePointer(e, hash);
        --t.volatile_keys;
        FreeEntry(e, lazy);
        ++deleted;
      }
    }
    index.PutBack(due, i);
  }
  // Keys due later in this millisecond window wait for the next call: asking again at once
  // would only find them again.
  *more = index.next_ms() <= now_ms;
  for (const auto& [at, hash] : later) index.Add(at, hash, now_ms);
  expired_keys += deleted;
  return deleted;
}

ShardReadLock::ShardReadLock(ShardMutex& mu) : mu_(mu) { mu_.lock_keep_hook(); }
ShardReadLock::~ShardReadLock() { mu_.unlock(); }

void ShardMutex::CheckUnmarked() const {
  if (held_ == nullptr || held_all_) return;
  std::fprintf(stderr, "BUG: shard %u locked by a transaction that did not reserve it\n", index_);
  std::abort();
}

Keyspace::Keyspace(int num_dbs, unsigned shard_count) : num_dbs_(num_dbs) {
  assert(shard_count >= 1 && shard_count <= kMaxShards && (shard_count & (shard_count - 1)) == 0);
  mask_ = shard_count - 1;
  shard_bits_ = 0;
  while ((1u << shard_bits_) < shard_count) ++shard_bits_;
  shards_.reserve(shard_count);
  for (unsigned i = 0; i < shard_count; ++i) shards_.push_back(std::make_unique<Shard>(num_dbs, i));
}

uint64_t Keyspace::ComposeCursor(unsigned shard, uint64_t table_cursor) const {
  if (shard_bits_ == 0) return table_cursor;
  uint64_t c = (static_cast<uint64_t>(shard) << (64 - shard_bits_)) | (table_cursor >> shard_bits_);
  // Cursor 0 means "start" (and "done" in replies): a resume point that rounds to 0 inside
  // shard 0 becomes 1, which can only repeat elements.
  return c == 0 && table_cursor != 0 ? 1 : c;
}

void Keyspace::DecomposeCursor(uint64_t cursor, unsigned* shard, uint64_t* table_cursor) const {
  if (shard_bits_ == 0) {
    *shard = 0;
    *table_cursor = cursor;
    return;
  }
  *shard = static_cast<unsigned>(cursor >> (64 - shard_bits_));
  *table_cursor = cursor << shard_bits_;
}

DbTable& DbAccess::Table(int db, uint64_t hash) {
  return ks_->shard(ks_->ShardOfHash(hash)).db(db);
}

void DbAccess::RememberHash(std::string_view key, uint64_t hash) {
  if (remembered_count_ < kRememberedHashes) {
    remembered_[remembered_count_++] = {key.data(), key.size(), hash};
  }
}

uint64_t DbAccess::HashOf(std::string_view key) const {
  for (size_t i = 0; i < remembered_count_; ++i) {
    const RememberedHash& r = remembered_[i];
    if (r.size == key.size() && (r.data == key.data() || std::memcmp(r.data, key.data(), r.size) == 0)) {
      return r.hash;
    }
  }
  return HashBytes(key);
}

Entry* DbAccess::FindLive(std::string_view key, bool touch, bool force_touch) {
  uint64_t hash = HashOf(key);
  DbTable& t = Table(db_, hash);
  Entry* e = t.table.Find(key, hash);
  if (e == nullptr) {
    if (hook_ != nullptr && report_misses_) hook_->KeyMissed(db_, key);
    return nullptr;
  }
  if (!loading_ && e->IsExpired(now_ms_)) {
    if (keep_expired_) return nullptr;
    if (deleted_names_ != nullptr) deleted_names_->push_back(DeletedKey{db_, std::string(key)});
    t.table.ErasePointer(e, hash);
    --t.volatile_keys;
    FreeEntry(e, ExpireSink());
    ++expired_;
    ks_->shard(ks_->ShardOfHash(hash)).expired_keys++;
    if (hook_ != nullptr) {
      hook_->KeyExpired(db_, key);
      if (report_misses_) hook_->KeyMissed(db_, key);
    }
    return nullptr;
  }
  bool purged = false;
  if (!loading_ && e->type() == ValueType::kHash &&
      PurgeExpiredParts(e, now_ms_, &purged)) {  // all expired
    if (deleted_names_ != nullptr) deleted_names_->push_back(DeletedKey{db_, std::string(key)});
    t.table.ErasePointer(e, hash);
    if (e->has_expiry()) --t.volatile_keys;
    Entry::Free(e);
    if (hook_ != nullptr) {
      hook_->FieldsExpired(db_, key, /*key_deleted=*/true);
      if (report_misses_) hook_->KeyMissed(db_, key);
    }
    return nullptr;
  }
  if (purged && hook_ != nullptr) hook_->FieldsExpired(db_, key, /*key_deleted=*/false);
  if (force_touch || (touch && !no_touch_)) Touch(e);
  return e;
}

void DbAccess::set_lfu(int log_factor, int decay_time, uint32_t minutes) {
  lfu_ = true;
  lfu_log_factor_ = log_factor;
  lfu_decay_time_ = decay_time;
  lfu_minutes_ = minutes;
  lfu_random_ = static_cast<uint64_t>(now_ms_);
  clock_s_ = LfuInitialField(minutes);
}

void DbAccess::Touch(Entry* e) {
  if (!lfu_) {
    e->set_clock(clock_s_);
    return;
  }
  SplitMix64 rng(lfu_random_++ ^ reinterpret_cast<uintptr_t>(e));
  e->set_clock(LfuTouch(e->clock(), lfu_minutes_, {lfu_log_factor_, lfu_decay_time_}, rng.Next()));
}

void DbAccess::NoteFieldExpiry(std::string_view key) {
  DbTable& t = Table(db_, HashOf(key));
  t.field_expiry = true;
  t.field_expiry_seen = true;
}

Entry* DbAccess::FindInDb(int db, std::string_view key) {
  int saved = db_;
  db_ = db;
  Entry* e = Find(key);
  db_ = saved;
  return e;
}

void DbAccess::InsertInDb(int db, Entry* e) {
  uint64_t hash = HashOf(e->key());
  DbTable& t = Table(db, hash);
  if (Entry* dead = t.table.Find(e->key(), hash)) {  // an expired entry not yet reclaimed
    if (deleted_names_ != nullptr) deleted_names_->push_back(DeletedKey{db, std::string(e->key())});
    t.table.ErasePointer(dead, hash);
    if (dead->has_expiry()) --t.volatile_keys;
    FreeEntry(dead, ExpireSink());
    ++expired_;
    ks_->shard(ks_->ShardOfHash(hash)).expired_keys++;
    if (hook_ != nullptr) hook_->KeyExpired(db, e->key());
  }
  t.table.Insert(e, hash);
  if (e->has_expiry()) {
    ++t.volatile_keys;
    t.expiry_index.Add(e->expire_at(), hash, now_ms_);
  }
  if (hook_ != nullptr) hook_->KeyAdded(db, e->key());
  if (track_ready_) NoteIfReady(db, e);
}

void DbAccess::NoteIfReady(int db, const Entry* e) {
  if (e->type() == ValueType::kList || e->type() == ValueType::kZSet ||
      e->type() == ValueType::kStream) {
    ready_keys_.push_back(ReadyKey{db, std::string(e->key())});
  }
}

void DbAccess::ReplaceInDb(int db, Entry* old_e, Entry* new_e) {
  uint64_t hash = HashOf(new_e->key());
  DbTable& t = Table(db, hash);
  if (old_e != new_e) {
    bool found = t.table.ReplacePointer(old_e, new_e, hash);
    assert(found);
    (void)found;
  }
  t.volatile_keys += static_cast<size_t>(new_e->has_expiry()) -
                     static_cast<size_t>(old_e->has_expiry());
  if (new_e->has_expiry() &&
      (old_e == new_e || !old_e->has_expiry() || old_e->expire_at() != new_e->expire_at())) {
    t.expiry_index.Add(new_e->expire_at(), hash, now_ms_);
  }
  if (old_e == new_e) return;
  if (lfu_) new_e->set_clock(old_e->clock());  // a new value of the same key keeps its counter
  if (track_ready_ && old_e->type() != new_e->type()) {
    // A stream replaced by another type wakes XREADGROUP waiters (their group is gone).
    if (old_e->type() == ValueType::kStream)
      ready_keys_.push_back(ReadyKey{db, std::string(new_e->key())});
    NoteIfReady(db, new_e);
  }
  // WithExpiry hands an aggregate's object to the new entry: free only the old shell then.
  if (old_e->is_object() && new_e->is_object() && old_e->object() == new_e->object()) {
    Entry::FreeShell(old_e);
  } else {
    FreeRemoved(old_e);
  }
}

void DbAccess::Upsert(Entry* e) {
  Entry* old = Find(e->key(), false);
  if (old != nullptr) {
    Replace(old, e);
  } else {
    Insert(e);
  }
}

bool DbAccess::DeleteInDb(int db, std::string_view key, bool lazy) {
  int saved = db_;
  db_ = db;
  Entry* e = Find(key, false);
  db_ = saved;
  if (e == nullptr) return false;
  DetachInDb(db, e);
  FreeEntry(e, lazy ? lazy_sink_ : nullptr);
  return true;
}

void DbAccess::DetachInDb(int db, Entry* e) {
  uint64_t hash = HashOf(e->key());
  DbTable& t = Table(db, hash);
  bool found = t.table.ErasePointer(e, hash);
  assert(found);
  (void)found;
  if (e->has_expiry()) --t.volatile_keys;
  if (track_ready_ && e->type() == ValueType::kStream) {
    ready_keys_.push_back(ReadyKey{db, std::string(e->key())});
  }
}

void DbAccess::NoteReady(std::string_view key) {
  if (track_ready_) ready_keys_.push_back(ReadyKey{db_, std::string(key)});
}

}  // namespace tessera::keyspace
