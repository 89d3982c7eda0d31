// WATCH: which clients watch which keys, and which of them saw a watched key change.
//
// A write command touches each key whose value it changed (CommandContext::KeyModified, as
// Redis's signalModifiedKey); a write that changed nothing (SET NX on an existing key, SREM of
// a missing member) touches nothing.  FLUSHDB, FLUSHALL and SWAPDB touch the watched keys
// that existed.  EXEC then fails (null reply) for a client whose watched key was touched.
// Shared by every worker, behind one mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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
  // Every watched key of `db` (db < 0: of every DB) for which `changed(db, key)` is true.
  void TouchDbIf(int db, const std::function<bool(int, std::string_view)>& changed);
  bool IsDirty(uint64_t client_id) const;
  // The keys `client_id` watches, as (db, key).
  std::vector<std::pair<int, std::string>> KeysOf(uint64_t client_id) const;
  void MarkDirty(uint64_t client_id);
  // Bytes the registry holds for `client_id`'s watched keys (client eviction counts them).
  size_t BytesOf(uint64_t client_id) const;

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
