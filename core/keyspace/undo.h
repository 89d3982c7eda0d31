// Before-images of keys, for undoing writes (a script that must restart holding more shards,
// server/commands/script_locks.h).
//
// An image is a deep copy of a key's entry as it is in its table, expired or not, or the
// knowledge that the key was absent.  Restoring puts the table back as it was for that key,
// with the DB's expiry bookkeeping (volatile count, expiry index) kept right; the entry that
// replaced it is freed.  No event, no write-log record, no ready-key note: an undo is not a
// change anyone may see.  REQUIRES for both: the key's shard lock held by the caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/keyspace/keyspace.h"

namespace tessera::keyspace {

class KeyImage {
 public:
  // Copies `key` of `db` as it is now (an expired entry is copied too: a lazy expiry is
  // undone like a write).
  KeyImage(Keyspace& ks, int db, std::string_view key);
  // The same from the key's entry as PeekEntry found it (`now` may be null: absent).
  KeyImage(int db, std::string_view key, const Entry* now);
  ~KeyImage();
  KeyImage(KeyImage&& other) noexcept;
  KeyImage& operator=(KeyImage&&) = delete;
  KeyImage(const KeyImage&) = delete;
  KeyImage& operator=(const KeyImage&) = delete;

  // Puts the copy back in place of whatever the key holds now (or removes the key if it was
  // absent).  `now_ms` is only the expiry index's reference time.  Once only.
  void Restore(Keyspace& ks, int64_t now_ms);

  int db() const { return db_; }
  const std::string& key() const { return key_; }
  bool existed() const { return copy_ != nullptr; }

 private:
  int db_;
  std::string key_;
  Entry* copy_ = nullptr;  // owned until Restore hands it to the table
};

// The entry of `key` in `db` as stored, expired or not, without touching it; nullptr if none.
Entry* PeekEntry(Keyspace& ks, int db, std::string_view key);

}  // namespace tessera::keyspace
