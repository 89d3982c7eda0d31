// WATCH: which clients watch which keys, and which of them saw a watched key change.
//
// A write command touches the keys it names (the dispatcher calls Touch for each key of a
// successful write while anything is watched); FLUSHDB, FLUSHALL and SWAPDB touch a whole DB.
// EXEC then fails (null reply) for a client whose watched key was touched.  A touch is coarse
// on purpose: a write command that changed nothing (SET NX on an existing key, DEL of a
// missing key) still counts, where Redis would not count it; the price is a retried
// transaction, never a lost update.  Shared by every worker, behind one mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tessera::server {

class WatchRegistry {
 public:
  void Watch(uint64_t client_id, int db, std::string_view key);
  // Forgets every key of the client and its dirty mark (EXEC, DISCARD, UNWATCH, disconnect).
  void UnwatchAll(uint64_t client_id);
  void Touch(int db, std::string_view key);
  // Every watched key of `db` (db < 0: of every DB).
  void TouchDb(int db);
  bool IsDirty(uint64_t client_id) const;
  // The keys `client_id` watches, as (db, key).
  std::vector<std::pair<int, std::string>> KeysOf(uint64_t client_id) const;
  void MarkDirty(uint64_t client_id);

  // Number of watched (db, key) pairs: a cheap check before any Touch.
  size_t watched_keys() const { return watched_.load(std::memory_order_relaxed); }

 private:
  using KeyRef = std::pair<int, std::string>;
  mutable std::mutex mu_;
  std::map<KeyRef, std::set<uint64_t>> watchers_;
  std::unordered_map<uint64_t, std::vector<KeyRef>> keys_of_;
  std::set<uint64_t> dirty_;
  std::atomic<size_t> watched_{0};
};

}  // namespace tessera::server
