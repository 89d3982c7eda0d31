// Helpers shared by the keys family tests: RESP literals, a small RESP reader for SCAN and
// KEYS replies, and direct writes into the keyspace (so these tests do not depend on the
// string family).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/keyspace/keyspace.h"
#include "tests/server/command_tester.h"

namespace tessera::server::testing {

using Overrides = std::vector<std::pair<std::string, std::string>>;

inline std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Err(std::string_view text) { return "-" + std::string(text) + "\r\n"; }
inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";
inline const std::string kNil3 = "_\r\n";

// Reads a RESP array of bulk strings, possibly nested once (SCAN): returns the flattened bulk
// strings in order.  Fails the test on anything else.
inline std::vector<std::string> Flatten(const std::string& resp) {
  std::vector<std::string> out;
  size_t pos = 0;
  auto line = [&]() {
    size_t end = resp.find("\r\n", pos);
    std::string l = resp.substr(pos, end - pos);
    pos = end + 2;
    return l;
  };
  while (pos < resp.size()) {
    std::string l = line();
    if (l[0] == '*') continue;
    if (l[0] != '$') throw std::runtime_error("unexpected RESP: " + resp);
    size_t n = std::stoul(l.substr(1));
    out.push_back(resp.substr(pos, n));
    pos += n + 2;
  }
  return out;
}

struct ScanReply {
  uint64_t cursor;
  std::vector<std::string> keys;
};

inline ScanReply ParseScan(const std::string& resp) {
  std::vector<std::string> flat = Flatten(resp);
  if (flat.empty()) throw std::runtime_error("bad SCAN reply: " + resp);
  return {std::stoull(flat[0]), std::vector<std::string>(flat.begin() + 1, flat.end())};
}

// Writes a string key straight into the keyspace, as SET would (no string family needed).
inline void PutString(CommandTester& t, std::string_view key, std::string_view value,
                      int64_t expire_at_ms = keyspace::kNoExpiry, int db = 0) {
  keyspace::Keyspace& ks = t.server().keyspace();
  std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf(key)).mutex());
  uint32_t clock = static_cast<uint32_t>(t.now_ms() / 1000) & 0xFFFFFF;
  keyspace::DbAccess db_access(&ks, db, t.now_ms(), clock);
  db_access.Upsert(keyspace::Entry::NewStringAutoEncoded(key, value, expire_at_ms, clock));
}

// The string value at `key`, or "(nil)"; does not touch the access time.
inline std::string GetString(CommandTester& t, std::string_view key, int db = 0) {
  keyspace::Keyspace& ks = t.server().keyspace();
  std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf(key)).mutex());
  keyspace::DbAccess db_access(&ks, db, t.now_ms(), 0);
  keyspace::Entry* e = db_access.Find(key, false);
  if (e == nullptr) return "(nil)";
  char buf[32];
  return std::string(e->StringValue(buf));
}

// Entries physically present in a DB, expired ones included.
inline size_t StoredKeys(CommandTester& t, int db = 0) {
  keyspace::Keyspace& ks = t.server().keyspace();
  size_t n = 0;
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    std::lock_guard<keyspace::ShardMutex> lock(ks.shard(i).mutex());
    n += ks.shard(i).db(db).table.size();
  }
  return n;
}

}  // namespace tessera::server::testing
