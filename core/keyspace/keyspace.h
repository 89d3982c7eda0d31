// The keyspace: `databases` logical DBs split into S shards (DESIGN 3).
//
// A key's shard comes from bits 8.. of its 64-bit hash; inside the shard, the key lives in that
// DB's hash table, ordered by the full hash.  A shard owns, per DB, the table, the count of keys
// with an expiry and the active-expiry sweep position, all behind the shard's mutex.
//
// Locking is the caller's job (the dispatcher locks the shards of a command's keys in ascending
// order before the handler runs).  Every method that reads or writes a shard's data REQUIRES
// that shard's mutex held; functions over the whole keyspace take each lock in turn.
//
// SCAN cursors: a table cursor is a position in hash space; the keyspace cursor packs the shard
// index into the top bits and the table cursor, truncated, into the rest.  Truncation loses the
// low bits, so a caller must resume from a point it can represent: rounding the table cursor
// down could hand back the same cursor forever at small COUNTs; ScanKeys (server/
// keyspace_ops.cc) rounds up after scanning to that point and keeps only keys in the hash range
// each call covers.  That is how SCAN keeps its guarantee across any table growth.
#pragma once

#include <atomic>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hash.h"
#include "core/ds/hash_table.h"
#include "core/keyspace/entry.h"
#include "core/keyspace/expiry_index.h"
#include "core/keyspace/lazy_free.h"

namespace tessera::keyspace {

struct EntryTraits {
  static uint64_t Hash(const Entry* e) { return HashBytes(e->key()); }
  static bool Equals(const Entry* e, std::string_view key) { return e->key() == key; }
};
using EntryTable = ds::HashTable<Entry, EntryTraits>;

// One DB's keys within one shard.  Frees its entries on destruction.
struct DbTable {
  DbTable() = default;
  DbTable(DbTable&&) = default;
  DbTable& operator=(DbTable&&) = default;
  ~DbTable();
  void FreeAll();

  EntryTable table;
  size_t volatile_keys = 0;
  uint64_t expire_cursor = 0;  // where the active expiry sweep resumes (hash space)
  // The keys with an expiry by time (may also hold stale entries: see ExpiryIndex).
  ExpiryIndex expiry_index;
  // Some hash here may hold fields with an expiry (HEXPIRE...): the active sweep then also
  // reclaims expired fields.  Cleared at the end of a sweep pass that met none.
  bool field_expiry = false;
  bool field_expiry_seen = false;  // met (or set) during the current pass
};

// Told, with a shard's lock held, that the shard is about to be used for the first time since a
// snapshot marked it (Shard::MarkForSnapshot): the snapshot writes the shard out now, before
// anything can change it (DESIGN 7, fork-less snapshots).
class SnapshotHook {
 public:
  virtual void BeforeFirstUse(unsigned shard) = 0;
  // A command is about to use `key` (of hash `hash`) in database `db` of shard `shard`, whose
  // lock it holds with this hook still pending (ShardMutex::try_lock_keep_hook): the hook
  // keeps the key as it was at the point aside, so that the command need not wait for the
  // whole shard to be written first.  The shard is written later, by whoever runs the hook,
  // with the keys kept aside in place of their current state.
  virtual void SaveKeyAside(unsigned shard, int db, std::string_view key, uint64_t hash) = 0;

 protected:
  ~SnapshotHook() = default;
};

class ShardMutex;

// Holds a shard's lock to read it only (INFO keyspace, memory reports): a pending snapshot
// hook stays pending, since nothing here changes what the snapshot must see.
class ShardReadLock {
 public:
  explicit ShardReadLock(ShardMutex& mu);
  ~ShardReadLock();
  ShardReadLock(const ShardReadLock&) = delete;
  ShardReadLock& operator=(const ShardReadLock&) = delete;

 private:
  ShardMutex& mu_;
};

// The most shards a keyspace has (Keyspace's constructor checks it).
inline constexpr unsigned kMaxShards = 256;
// A set of shard indices (EXEC's locks).
using ShardSet = std::bitset<kMaxShards>;

// A shard's lock.  EXEC runs a transaction's commands while holding the locks of the shards
// they need (every shard for a script, a command without keys or one over the whole keyspace)
// and marks its thread as holding them (ScopedShardsHeld / ScopedAllShardsHeld); lock() and
// unlock() of a held shard then do nothing on that thread, so code written for one command
// (the dispatcher's ShardLocks, AllShardsLock, SCAN's shard-at-a-time locking) runs unchanged
// inside a transaction.  Other threads are unaffected: the mark is per thread.
//
// Invariant: while a thread is marked, it locks no shard outside its mark.  Such a lock would
// break the ascending order (a deadlock with another transaction) and the transaction's
// atomicity; EXEC computes its set from the same key extraction the dispatcher uses, so a
// violation is a bug, and lock() aborts with the shard's index rather than risk either.
//
// Whoever takes the lock also runs a pending snapshot hook first (see SnapshotHook), so every
// path to a shard's data, reads included, meets the snapshot before it can change the shard.
//
// The lock is a timed mutex so that a command waiting for a shard a busy script holds can
// wake up and answer -BUSY (the dispatcher's ShardLocks); lock() and try_lock() cost what a
// plain mutex's do.
class ShardMutex {
 public:
  explicit ShardMutex(unsigned index = 0) : index_(index) {}
  void lock() {
    if (HeldHere()) return;
    CheckUnmarked();
    mu_.lock();
    RunPendingHook();
  }
  void unlock() {
    if (!HeldHere()) mu_.unlock();
  }
  bool try_lock() {
    if (HeldHere()) return true;
    CheckUnmarked();
    if (!mu_.try_lock()) return false;
    RunPendingHook();
    return true;
  }
  // As try_lock(), waiting at most `wait` for the lock.
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> wait) {
    if (HeldHere()) return true;
    CheckUnmarked();
    if (!mu_.try_lock_for(wait)) return false;
    RunPendingHook();
    return true;
  }
  // As lock(), try_lock() and try_lock_for(), but a pending snapshot hook stays pending:
  // before it uses the shard, the caller either saves the keys it will use aside (
  // SnapshotHook::SaveKeyAside, through pending_hook()) or runs the hook (RunPendingHook).
  void lock_keep_hook() {
    if (HeldHere()) return;
    CheckUnmarked();
    if (mu_.try_lock()) return;
    waiters_.fetch_add(1, std::memory_order_relaxed);
    mu_.lock();
    waiters_.fetch_sub(1, std::memory_order_relaxed);
  }
  bool try_lock_keep_hook() {
    if (HeldHere()) return true;
    CheckUnmarked();
    return mu_.try_lock();
  }
  template <class Rep, class Period>
  bool try_lock_for_keep_hook(std::chrono::duration<Rep, Period> wait) {
    if (HeldHere()) return true;
    CheckUnmarked();
    waiters_.fetch_add(1, std::memory_order_relaxed);
    const bool locked = mu_.try_lock_for(wait);
    waiters_.fetch_sub(1, std::memory_order_relaxed);
    return locked;
  }
  // Threads waiting in lock_keep_hook or try_lock_for_keep_hook (commands): a snapshot that
  // writes the shard in slices lets them in between slices (the mutex is not fair).
  int waiters() const { return waiters_.load(std::memory_order_relaxed); }
  // The snapshot hook still to run on this shard, or null.  REQUIRES: the lock held.
  SnapshotHook* pending_hook() const { return pending_.load(std::memory_order_acquire); }
  // The snapshot's own thread, having written the shard in slices: nothing left to run.
  // REQUIRES: the lock held.
  void clear_pending_hook() { pending_.store(nullptr, std::memory_order_release); }
  // The real lock, whatever the mark says (EXEC's own locking); the hook runs too.
  void lock_raw() {
    mu_.lock();
    RunPendingHook();
  }
  template <class Rep, class Period>
  bool try_lock_raw_for(std::chrono::duration<Rep, Period> wait) {
    if (!mu_.try_lock_for(wait)) return false;
    RunPendingHook();
    return true;
  }
  void unlock_raw() { mu_.unlock(); }
  // The real lock if it is free, whatever the mark says (a script taking a shard it did not
  // declare, out of order: it never waits, so the order cannot deadlock); the hook runs too.
  bool try_lock_raw() {
    if (!mu_.try_lock()) return false;
    RunPendingHook();
    return true;
  }
  // Takes the real lock without running the hook (a snapshot marking the shards).
  std::timed_mutex& raw() { return mu_; }
  // Whether this thread holds every shard's lock (inside EXEC or a script).
  static bool HeldAll() { return held_all_; }
  // Whether this thread is marked as holding this shard's lock.
  bool HeldHere() const { return held_all_ || (held_ != nullptr && held_->test(index_)); }

  // REQUIRES: the real lock held.  `hook` runs at the next lock of this shard.
  void set_pending_hook(SnapshotHook* hook) { pending_.store(hook, std::memory_order_release); }
  // Runs the pending hook now, if any (REQUIRES: the real lock held).
  void RunPendingHook() {
    if (pending_.load(std::memory_order_relaxed) == nullptr) return;
    SnapshotHook* hook = pending_.exchange(nullptr, std::memory_order_acquire);
    if (hook != nullptr) hook->BeforeFirstUse(index_);
  }

  // While alive, this thread holds every shard's raw lock.  REQUIRES: it does.  Nests (a
  // script inside EXEC): the previous mark comes back on destruction.
  class ScopedAllShardsHeld {
   public:
    ScopedAllShardsHeld() : previous_(held_all_) { held_all_ = true; }
    ~ScopedAllShardsHeld() { held_all_ = previous_; }
    ScopedAllShardsHeld(const ScopedAllShardsHeld&) = delete;
    ScopedAllShardsHeld& operator=(const ScopedAllShardsHeld&) = delete;

   private:
    bool previous_;
  };

  // While alive, this thread holds the raw locks of the shards in `*held` (which outlives
  // this).  REQUIRES: it does, and no mark is set yet (EXEC does not nest).
  class ScopedShardsHeld {
   public:
    explicit ScopedShardsHeld(const ShardSet* held) : previous_(held_) { held_ = held; }
    ~ScopedShardsHeld() { held_ = previous_; }
    ScopedShardsHeld(const ScopedShardsHeld&) = delete;
    ScopedShardsHeld& operator=(const ScopedShardsHeld&) = delete;

   private:
    const ShardSet* previous_;
  };

 private:
  // Aborts when this thread is marked (it holds some shards) and is about to lock another.
  void CheckUnmarked() const;

  inline static thread_local bool held_all_ = false;
  inline static thread_local const ShardSet* held_ = nullptr;
  std::timed_mutex mu_;
  std::atomic<SnapshotHook*> pending_{nullptr};
  std::atomic<int> waiters_{0};
  unsigned index_;
};

class Shard {
 public:
  Shard(int num_dbs, unsigned index) : mu_(index), dbs_(num_dbs) {}
  ShardMutex& mutex() { return mu_; }
  DbTable& db(int i) { return dbs_[i]; }
  int num_dbs() const { return static_cast<int>(dbs_.size()); }

  // Deletes up to a bounded number of expired keys of `db`: visits at most `budget` entries
  // from the sweep position, also purging expired hash fields (deleting a hash left empty)
  // while DbTable::field_expiry is set.  Returns how many keys it deleted; appends their
  // names to `deleted_names` when given (the write log records them as DELs).
  // REQUIRES: mutex held.
  // `field_events`, when given, gets (name, emptied) for each hash that lost fields (emptied:
  // it lost them all and went; its name is in `deleted_names` too).
  // `lazy`, when given, takes the big values of the deleted keys (lazyfree-lazy-expire).
  size_t ActiveExpire(int db, int64_t now_ms, size_t budget,
                      std::vector<std::string>* deleted_names = nullptr,
                      std::vector<std::pair<std::string, bool>>* field_events = nullptr,
                      FreeSink* lazy = nullptr);

  // Deletes the keys of `db` whose time has come, found through the DB's expiry index: looks
  // at most `budget` index entries.  Returns how many keys it deleted (names appended to
  // `deleted_names` when given); *more is set when due entries remain.  REQUIRES: mutex held.
  // `lazy` as for ActiveExpire.
  size_t ExpireDue(int db, int64_t now_ms, size_t budget, std::vector<std::string>* deleted_names,
                   bool* more, FreeSink* lazy = nullptr);

  // Counters read by INFO; REQUIRES mutex held to write.
  uint64_t expired_keys = 0;

 private:
  ShardMutex mu_;
  std::vector<DbTable> dbs_;
};

class Keyspace {
 public:
  // `shard_count` must be a power of two between 1 and 256.
  Keyspace(int num_dbs, unsigned shard_count);

  int num_dbs() const { return num_dbs_; }
  unsigned shard_count() const { return static_cast<unsigned>(shards_.size()); }
  unsigned ShardOfHash(uint64_t hash) const { return static_cast<unsigned>(hash >> 8) & mask_; }
  unsigned ShardOf(std::string_view key) const { return ShardOfHash(HashBytes(key)); }
  Shard& shard(unsigned i) { return *shards_[i]; }

  uint64_t ComposeCursor(unsigned shard, uint64_t table_cursor) const;
  void DecomposeCursor(uint64_t cursor, unsigned* shard, uint64_t* table_cursor) const;
  // First cursor of `shard` (0 for shard 0, which is also the "start" cursor).
  uint64_t ShardStartCursor(unsigned shard) const { return ComposeCursor(shard, 0); }

 private:
  int num_dbs_;
  unsigned mask_;
  unsigned shard_bits_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// What a command sees of one DB: lookups with lazy expiry and writes that keep the shard's
// counters right.  Cheap to construct per command.  REQUIRES: the caller holds the lock of the
// shard of every key passed in.
// What DbAccess's table operations do to keys on their own, reported to the server (keyspace
// events, WATCH): a key found expired and deleted, a hash whose fields expired, a key added,
// a read that found no key.  Called on the thread using the DbAccess, under the key's shard
// lock.  Unset (the default), reporting costs a null test.
class KeyEventHook {
 public:
  virtual void KeyExpired(int db, std::string_view key) = 0;
  // Fields of the hash `key` expired; `key_deleted`: all of them, and the key went with them.
  virtual void FieldsExpired(int db, std::string_view key, bool key_deleted) = 0;
  virtual void KeyAdded(int db, std::string_view key) = 0;
  virtual void KeyMissed(int db, std::string_view key) = 0;

 protected:
  ~KeyEventHook() = default;
};

class DbAccess {
 public:
  DbAccess(Keyspace* ks, int db, int64_t now_ms, uint32_t clock_s)
      : ks_(ks), db_(db), now_ms_(now_ms), clock_s_(clock_s), lru_clock_s_(clock_s) {}

  int db() const { return db_; }
  int64_t now_ms() const { return now_ms_; }
  // The access-clock field a new entry starts with: the LRU clock (seconds), or under an LFU
  // policy the LFU field of a new key (see eviction.h).
  uint32_t clock() const { return clock_s_; }
  // The LRU clock in seconds whatever the policy (OBJECT IDLETIME, DEBUG OBJECT, RDB IDLE).
  uint32_t lru_clock() const { return lru_clock_s_; }
  // Switches the access clock to LFU (maxmemory-policy *-lfu): new entries start with the
  // initial counter, an access decays and increments it, and a replaced value keeps its
  // predecessor's counter.  `minutes` is LfuMinutes(now).
  void set_lfu(int log_factor, int decay_time, uint32_t minutes);
  bool lfu() const { return lfu_; }
  int lfu_decay_time() const { return lfu_decay_time_; }
  uint32_t lfu_minutes() const { return lfu_minutes_; }
  Keyspace* keyspace() const { return ks_; }

  // The live entry for `key`, or nullptr.  An expired key is deleted here (lazy expiry) and
  // reported missing.  Updates the access clock unless `touch` is false or the client asked
  // for CLIENT NO-TOUCH (set_no_touch); `force_touch` overrides the latter (TOUCH).
  Entry* Find(std::string_view key, bool touch = true, bool force_touch = false) {
    Entry* e = FindLive(key, touch, force_touch);
    if (count_lookups_) ++(e != nullptr ? hits_ : misses_);
    return e;
  }
  // Counting of Find's results (INFO keyspace_hits / keyspace_misses): the dispatcher turns
  // it on for read-only commands, whose lookups are Redis's lookupKeyRead.
  void set_count_lookups(bool on) { count_lookups_ = on; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  void set_no_touch(bool no_touch) { no_touch_ = no_touch; }
  // Expired keys read as missing but stay in place, uncounted and unlogged (while CLIENT
  // PAUSE holds writes, as Redis expires nothing then).
  void set_keep_expired(bool keep) { keep_expired_ = keep; }
  // Replaying an AOF (Redis's server.loading): nothing counts as expired, neither a key found
  // past its time nor an expiry set to a time already past, so the file's commands apply to
  // the values its earlier commands built; such keys expire once the server runs.
  void set_loading(bool loading) { loading_ = loading; }
  // Whether an expiry at `when_ms` is already past (never while loading).
  bool PastExpiry(int64_t when_ms) const { return !loading_ && when_ms <= now_ms_; }
  // Like Find(), on another DB of the same keyspace (MOVE, COPY ... DB).
  Entry* FindInDb(int db, std::string_view key);

  // REQUIRES: no live entry with this key.  A dead (expired) one is removed first.
  void Insert(Entry* e) { InsertInDb(db_, e); }
  void InsertInDb(int db, Entry* e);
  // Swaps `old_e` for `new_e` (same key) and frees `old_e` unless it is `new_e` (lazily
  // under the server-delete rule: see set_lazy_free).
  void Replace(Entry* old_e, Entry* new_e) { ReplaceInDb(db_, old_e, new_e); }
  void ReplaceInDb(int db, Entry* old_e, Entry* new_e);
  // Inserts or replaces; frees the previous entry.
  void Upsert(Entry* e);
  // Removes and frees the live entry; returns true iff one existed.  The value is freed by
  // the server-delete rule (see set_lazy_free), or, for the overload with `lazy`, in the
  // background iff `lazy` and it is big (UNLINK; DEL with lazyfree-lazy-user-del).
  bool Delete(std::string_view key) { return DeleteInDb(db_, key); }
  bool Delete(std::string_view key, bool lazy) { return DeleteInDb(db_, key, lazy); }
  bool DeleteInDb(int db, std::string_view key) { return DeleteInDb(db, key, lazy_server_del_); }
  bool DeleteInDb(int db, std::string_view key, bool lazy);
  // Removes `e` from the table without freeing it; the caller now owns it.
  void Detach(Entry* e) { DetachInDb(db_, e); }
  void DetachInDb(int db, Entry* e);

  // Frees an entry the caller detached, by the server-delete rule (the destination of RENAME
  // or COPY ... REPLACE) or by the expiry rule (EXPIRE with a time already past).
  void FreeRemoved(Entry* e) { FreeEntry(e, lazy_server_del_ ? lazy_sink_ : nullptr); }
  void FreeExpired(Entry* e) { FreeEntry(e, lazy_expire_ ? lazy_sink_ : nullptr); }

  // Lazy freeing (lazy_free.h): values this object removes go to `sink` when they are big
  // and their rule says so: `expire` for keys found expired (lazyfree-lazy-expire),
  // `server_del` for values a command deletes or overwrites as a side effect
  // (lazyfree-lazy-server-del).  Unset (the default), everything is freed at once.
  void set_lazy_free(FreeSink* sink, bool expire, bool server_del) {
    lazy_sink_ = sink;
    lazy_expire_ = expire;
    lazy_server_del_ = server_del;
  }
  FreeSink* lazy_sink() const { return lazy_sink_; }

  // Notes that `key` (a hash) now has a field with an expiry, for the active sweep.
  void NoteFieldExpiry(std::string_view key);

  // Number of keys deleted by lazy expiry through this object.
  size_t expired() const { return expired_; }

  // Keys this object deleted because they had expired (lazy expiry), in order, while a list
  // is given: the write log records each as a DEL before the command's own effect.
  struct DeletedKey {
    int db;
    std::string key;
  };
  void set_deleted_names(std::vector<DeletedKey>* names) { deleted_names_ = names; }

  // Receives key events (see KeyEventHook); `misses`: also report lookups that found no key
  // (Redis's keymiss events, for read commands).
  void set_event_hook(KeyEventHook* hook, bool misses) {
    hook_ = hook;
    report_misses_ = misses;
  }

  // Ready keys (BLPOP and friends): while tracking is on, every list, sorted set or stream this
  // object inserts, or puts in place of a value of another type, is noted as (db, key), because a
  // client blocked on that key may now be served.  Off by default: it costs nothing when no
  // client is blocked.
  struct ReadyKey {
    int db;
    std::string key;
  };
  void set_track_ready(bool on) { track_ready_ = on; }
  // Notes `key` as ready while tracking is on: a stream that got entries (XADD) or lost a
  // group (XGROUP DESTROY).  Inserting a stream, deleting one or replacing it by another
  // type is noted by the table operations themselves (XREADGROUP waiters then get an error).
  void NoteReady(std::string_view key);
  std::vector<ReadyKey>& ready_keys() { return ready_keys_; }

  // Remembers the hash of a key the caller already hashed (the dispatcher, to pick shard
  // locks): lookups and writes of an equal key then skip hashing it again.  At most
  // kRememberedHashes keys are remembered; others are hashed as usual.
  void RememberHash(std::string_view key, uint64_t hash);
  uint64_t HashOf(std::string_view key) const;

 private:
  DbTable& Table(int db, uint64_t hash);
  Keyspace* ks_;
  int db_;
  int64_t now_ms_;
  uint32_t clock_s_;
  uint32_t lru_clock_s_;
  Entry* FindLive(std::string_view key, bool touch, bool force_touch);
  bool count_lookups_ = false;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  bool lfu_ = false;
  int lfu_log_factor_ = 10;
  int lfu_decay_time_ = 1;
  uint32_t lfu_minutes_ = 0;
  uint64_t lfu_random_ = 0;  // SplitMix64 state of the counter's coin flips
  void Touch(Entry* e);
  void NoteIfReady(int db, const Entry* e);
  size_t expired_ = 0;
  std::vector<DeletedKey>* deleted_names_ = nullptr;
  bool no_touch_ = false;
  bool keep_expired_ = false;
  bool loading_ = false;
  bool track_ready_ = false;
  bool report_misses_ = false;
  KeyEventHook* hook_ = nullptr;
  FreeSink* lazy_sink_ = nullptr;
  bool lazy_expire_ = false;
  bool lazy_server_del_ = false;
  FreeSink* ExpireSink() const { return lazy_expire_ ? lazy_sink_ : nullptr; }
  std::vector<ReadyKey> ready_keys_;
  static constexpr size_t kRememberedHashes = 4;
  struct RememberedHash {
    const char* data;
    size_t size;
    uint64_t hash;
  };
  RememberedHash remembered_[kRememberedHashes];
  size_t remembered_count_ = 0;
};

}  // namespace tessera::keyspace
