// Which shards a script holds, and how it gets more: the lock selection of EVAL, EVALSHA, FCALL
// and their _RO forms (script_runner.h runs the script; this unit decides what it holds).
//
// Mechanism (issue 12, "Atomicity on a multi-threaded keyspace"):
//  1. The dispatcher locks the shards of the declared KEYS, in ascending order, like any
//     command.  A script with no declared key, one inside EXEC, and one remembered as needing
//     more (step 4) runs holding every shard instead, as all scripts used to.
//  2. Before each redis.call, Admit() works out the shards the command touches (its keys'
//     shards; every shard for a command over the whole keyspace or with effects that cannot be
//     undone: FLUSHALL, KEYS, SCAN, DBSIZE, RANDOMKEY, SWAPDB, INFO, PUBLISH, MIGRATE, MOVE,
//     COPY, SORT BY/GET..., and before the first write to a value too big to copy: a hash
//     table, skiplist, quicklist or stream encoding, a string over 64 KiB).  A shard not yet
//     held is taken with try_lock, out of order but without waiting, so no cycle of waiters
//     can form; taken, it stays held to the end.  Once every shard is held, the attempt can
//     no longer fail.
//  3. If a shard is busy (or every shard is needed), the attempt is abandoned: the script is
//     stopped, its writes are undone from before-images (each key's entry, value and expiry,
//     copied before the script's first write to it: keyspace/undo.h), the write-log batch and
//     the blocked-client wake-ups it gathered are cut back (dispatcher.h EffectsMark), the
//     keyspace events, WATCH touches and tracking invalidations it raised, held until commit
//     (script_signals.h), are dropped, its reply is discarded; then every shard is given
//     back, every shard is locked in ascending order and the script runs again from the start.
//     No other client saw the attempt: its shards were held throughout.
//  4. The script (sha or function name) is remembered in the registry and runs holding every
//     shard from the start next time, so contended undeclared access costs one restart.
// Rejected: escalating at the first undeclared key without an undo log (a script that wrote
// cannot restart, and cannot wait out of order without risking a deadlock); remembering
// scripts without step 3 (a script's key names can depend on data, so a first run is never
// proof).  Counters (commandstats, dirty, keyspace hits) and MONITOR lines of an abandoned
// attempt are not undone: they count work done, not data.
//
// Threads: one ScriptShards lives on the stack of the thread running the script; it marks
// that thread as holding its set (ShardMutex::ScopedShardsHeld reads the set it grows).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/keyspace/keyspace.h"
#include "core/keyspace/undo.h"
#include "server/commands/command.h"

namespace tessera::server {

class Server;

class ScriptShards {
 public:
  // REQUIRES: the dispatcher holds the real locks of the shards of `declared_keys` (those of
  // a script it does not run on every shard) and this thread is not marked.
  ScriptShards(Server& server, ArgList declared_keys);
  // Gives back every shard taken beyond the declared ones (the dispatcher releases those).
  ~ScriptShards();
  ScriptShards(const ScriptShards&) = delete;
  ScriptShards& operator=(const ScriptShards&) = delete;

  // True once every shard is held (then no Admit is needed and nothing can be rolled back,
  // except in undo-only mode).
  bool all() const { return all_; }
  // SCRIPT DEBUG YES (script_debug.h): every shard is held already (by the dispatcher or
  // EscalateToAll), and Admit only records before-images, of values of any size, so that
  // RollBack undoes the whole session.  Admit then refuses (returns false for) a command
  // whose effects an image cannot undo: a write or a Pub/Sub or admin command that needs
  // every shard (FLUSHALL, SWAPDB, MOVE, COPY, PUBLISH...).
  void UndoOnly() {
    all_ = true;
    undo_only_ = true;
  }
  bool undo_only() const { return undo_only_; }
  // The shards held now; grows with Admit.  For ShardMutex::ScopedShardsHeld.
  const keyspace::ShardSet* held() const { return &held_; }

  // Before a script's command runs (`db`: the script's current DB).  Returns true iff every
  // shard the command touches is held (taking free ones), after recording before-images of
  // the keys it may change.  False: the attempt must be abandoned (RollBack, EscalateToAll).
  bool Admit(const CommandSpec& spec, ArgList args, int db);
  // Restores the before-images.  REQUIRES: the shards still held, the attempt over.
  void RollBack(int64_t now_ms);
  // Gives every held shard back, then locks all of them in ascending order.
  void EscalateToAll();
  // The attempt is over: drops the thread's every-shard mark that TakeEveryShard set
  // (ShardMutex::HeldAll() must say so to code that locks shards itself, e.g. snapshots).
  void EndAttempt() { all_mark_.reset(); }

  // Strings longer than this are not copied before a write (see Admit).
  static constexpr size_t kImageMaxBytes = 64 * 1024;

  // Whether a command needs every shard whatever its keys (exposed for tests).
  static bool NeedsEveryShard(const CommandSpec& spec, ArgList args,
                              const std::vector<int>& key_positions);

 private:
  bool TakeShard(unsigned shard);
  bool AdmitForUndo(const CommandSpec& spec, ArgList args, int db);
  // Takes every shard not yet held (try_lock each).  True iff all are now held.
  bool TakeEveryShard();
  // Whether `key` of `db` has its before-image already.
  bool Imaged(int db, std::string_view key);
  // Whether the command may change the key at `pos` (`e`: its entry, or null): a write that
  // names it without RO, or any access to an expired key or one with expiring parts.
  bool MayChange(const CommandSpec& spec, int pos, ArgList args, bool writes,
                 const keyspace::Entry* e) const;
  void NoteImage(int db, std::string_view key, const keyspace::Entry* now);

  Server& server_;
  keyspace::Keyspace& ks_;
  keyspace::ShardSet declared_;
  keyspace::ShardSet held_;
  bool all_ = false;
  bool undo_only_ = false;
  std::optional<keyspace::ShardMutex::ScopedAllShardsHeld> all_mark_;
  std::vector<int> positions_;
  // Images in the order taken.  A script writes few keys as a rule: up to kScanImages they
  // are found by a scan, past that through image_index_ (hash of db and key -> index).
  std::vector<keyspace::KeyImage> images_;
  std::unordered_multimap<uint64_t, size_t> image_index_;
  static constexpr size_t kScanImages = 16;
};

}  // namespace tessera::server
