#include "server/keyspace_ops.h"

#include <mutex>
#include <utility>

#include "core/base/glob.h"
#include "core/base/hash.h"
#include "server/server.h"

namespace tessera::server {

using keyspace::DbTable;
using keyspace::Entry;
using keyspace::EntryTable;
using keyspace::Keyspace;
using keyspace::Shard;

namespace {

// Table Scan calls are given at most this many elements to visit at once, so count * slots
// read per element cannot overflow however large COUNT is.
constexpr size_t kMaxScanBatch = size_t{1} << 20;
// A Scan that ends on its read limit before visiting what it was asked for meets a sparse
// stretch of the table; after this many such calls SCAN returns whatever it has.
constexpr int kMaxSparseSteps = 10;

unsigned ShardBits(const Keyspace& ks) {
  unsigned bits = 0;
  while ((1u << bits) < ks.shard_count()) ++bits;
  return bits;
}

uint64_t ToWire(uint64_t composed) { return composed >> kWireCursorShift; }
uint64_t FromWire(uint64_t wire) { return wire << kWireCursorShift; }

// Runs HashTable::Scan calls over one shard's table and keeps the entries that match the
// pattern, each at most once per SCAN iteration.  The table may hand out an element again (the
// rest of a home slot below the cursor, or while rehashing, elements past the smaller of its
// two arrays' resume points), so an entry is kept only if its hash lies in [cursor, bound),
// where bound is the resume point the call reports (or `limit`, if lower; no bound once the
// table is done).  Successive calls cover adjacent intervals of hash space, so each key is
// kept in exactly one of them.
class ScanStep {
 public:
  static constexpr uint64_t kNoLimit = ~uint64_t{0};

  ScanStep(const ScanOptions& options, std::vector<Entry*>* matched)
      : options_(options), matched_(matched) {}

  // Visits from `cursor`, asking the table for up to `want` elements; keeps entries with
  // hash < min(limit, the returned resume point), or all of them once the table is done.
  EntryTable::ScanResult Run(const EntryTable& table, uint64_t cursor, size_t want,
                             uint64_t limit = kNoLimit) {
    pending_.clear();
    EntryTable::ScanResult r = table.Scan(cursor, want, [&](Entry* e) {
      ++visited_;
      uint64_t hash = HashBytes(e->key());
      if (hash >= cursor) pending_.push_back({e, hash});
    });
    // Once the table is done there is no resume point: everything left is kept now.
    const uint64_t bound = r.done ? kNoLimit : std::min(r.next_cursor, limit);
    for (const auto& [e, hash] : pending_) {
      if (bound != kNoLimit && hash >= bound) continue;
      if (!options_.pattern || GlobMatch(*options_.pattern, e->key())) matched_->push_back(e);
    }
    return r;
  }
  size_t visited() const { return visited_; }

 private:
  const ScanOptions& options_;
  std::vector<Entry*>* matched_;
  std::vector<std::pair<Entry*, uint64_t>> pending_;
  size_t visited_ = 0;
};

// Moves the matched entries of one shard into the page, reclaiming expired ones.
// REQUIRES: the shard's lock held.
void TakeMatched(keyspace::DbAccess& db, const ScanOptions& options, std::vector<Entry*>* matched,
                 ScanPage* page) {
  for (Entry* e : *matched) {
    if (e->IsExpired(db.now_ms())) {
      db.Find(e->key(), false);  // deletes it: lazy expiry
      continue;
    }
    if (options.filter_type && (!options.type || e->type() != *options.type)) continue;
    page->keys.emplace_back(e->key());
  }
  matched->clear();
}

}  // namespace

void ForEachLiveKey(Keyspace& ks, int db, std::string_view pattern, int64_t now_ms,
                    const std::function<void(std::string_view)>& fn) {
  const bool all = GlobMatchesEverything(pattern);
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    Shard& shard = ks.shard(i);
    std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
    shard.db(db).table.ForEach([&](Entry* e) {
      if (e->IsExpired(now_ms)) return;
      if (all || GlobMatch(pattern, e->key())) fn(e->key());
    });
  }
}

size_t CountKeys(Keyspace& ks, int db) {
  size_t total = 0;
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    Shard& shard = ks.shard(i);
    std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
    total += shard.db(db).table.size();
  }
  return total;
}

ScanPage ScanKeys(Keyspace& ks, keyspace::DbAccess& db, uint64_t cursor,
                  const ScanOptions& options) {
  ScanPage page;
  unsigned shard_index;
  uint64_t table_cursor;
  ks.DecomposeCursor(FromWire(cursor), &shard_index, &table_cursor);
  const uint64_t granule = uint64_t{1} << (ShardBits(ks) + kWireCursorShift);
  const size_t count = std::max<size_t>(options.count, 1);
  std::vector<Entry*> matched;
  ScanStep step(options, &matched);
  int sparse_steps = 0;

  for (; shard_index < ks.shard_count(); ++shard_index, table_cursor = 0) {
    Shard& shard = ks.shard(shard_index);
    std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
    const EntryTable& table = shard.db(db.db()).table;
    while (true) {
      size_t want = std::min(count - std::min(count, step.visited()), kMaxScanBatch);
      size_t before = step.visited();
      EntryTable::ScanResult r = step.Run(table, table_cursor, std::max<size_t>(want, 1));
      if (!r.done && step.visited() - before < want) ++sparse_steps;
      if (!r.done && (step.visited() >= count || sparse_steps >= kMaxSparseSteps)) {
        // Resume from the cursor rounded up to a multiple of `granule` (see the header); first
        // visit everything below it.  The top granule has no representable resume point, so
        // there the scan runs to the end of the table.
        const bool top = r.next_cursor > ~uint64_t{0} - (granule - 1);
        const uint64_t resume = top ? 0 : (r.next_cursor + granule - 1) & ~(granule - 1);
        while (!r.done && (top || r.next_cursor < resume)) {
          r = step.Run(table, r.next_cursor, 1, top ? ScanStep::kNoLimit : resume);
        }
        if (!r.done) {
          TakeMatched(db, options, &matched, &page);
          page.cursor = ToWire(ks.ComposeCursor(shard_index, resume));
          return page;
        }
      }
      if (r.done) break;
      table_cursor = r.next_cursor;
    }
    TakeMatched(db, options, &matched, &page);
    if (step.visited() >= count && shard_index + 1 < ks.shard_count()) {
      page.cursor = ToWire(ks.ShardStartCursor(shard_index + 1));
      return page;
    }
  }
  page.cursor = 0;
  return page;
}

std::optional<std::string> RandomKey(Keyspace& ks, keyspace::DbAccess& db,
                                     const std::function<uint64_t()>& random) {
  const unsigned n = ks.shard_count();
  std::vector<size_t> sizes(n);
  size_t total = 0;
  for (unsigned i = 0; i < n; ++i) {
    Shard& shard = ks.shard(i);
    std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
    sizes[i] = shard.db(db.db()).table.size();
    total += sizes[i];
  }
  // Sizes may go stale while no lock is held; they only steer the choice of shard.
  for (int expired = 0; total > 0 && expired < kRandomKeyMaxExpiredSamples;) {
    uint64_t pick = random() % total;
    unsigned s = 0;
    while (pick >= sizes[s]) pick -= sizes[s++];
    Shard& shard = ks.shard(s);
    std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
    const EntryTable& table = shard.db(db.db()).table;
    Entry* e = table.RandomElement(random());
    if (e == nullptr) {  // emptied meanwhile
      total -= sizes[s];
      sizes[s] = 0;
      continue;
    }
    if (!e->IsExpired(db.now_ms())) return std::string(e->key());
    db.Find(e->key(), false);  // deletes it: lazy expiry
    --sizes[s];
    --total;
    ++expired;
  }
  // Mostly expired keys, or sizes gone stale: walk the shards for the first live key.
  const unsigned start = static_cast<unsigned>(random() % n);
  for (unsigned i = 0; i < n; ++i) {
    Shard& shard = ks.shard((start + i) % n);
    std::lock_guard<keyspace::ShardMutex> lock(shard.mutex());
    std::optional<std::string> found;
    shard.db(db.db()).table.ForEach([&](Entry* e) {
      if (!found && !e->IsExpired(db.now_ms())) found.emplace(e->key());
    });
    if (found) return found;
  }
  return std::nullopt;
}

size_t FlushDb(Server& server, int db, const std::function<void()>& while_locked, bool async) {
  Keyspace& ks = server.keyspace();
  const int first = db < 0 ? 0 : db;
  const int last = db < 0 ? ks.num_dbs() - 1 : db;
  std::vector<DbTable> detached;
  size_t removed = 0;
  {
    Server::AllShardsLock lock(server);
    if (while_locked) while_locked();
    for (unsigned i = 0; i < ks.shard_count(); ++i) {
      for (int d = first; d <= last; ++d) {
        DbTable& t = ks.shard(i).db(d);
        if (t.table.empty()) continue;
        removed += t.table.size();
        detached.push_back(std::exchange(t, DbTable{}));
      }
    }
  }
  if (async && !detached.empty()) {
    server.lazy_free().FreeTablesLater(std::move(detached), removed);
  } else {
    detached.clear();  // frees every entry, with no lock held
  }
  return removed;
}

void SwapDb(Server& server, int db1, int db2, const std::function<void()>& while_locked) {
  Keyspace& ks = server.keyspace();
  Server::AllShardsLock lock(server);
  if (while_locked) while_locked();
  if (db1 != db2) {
    for (unsigned i = 0; i < ks.shard_count(); ++i)
      std::swap(ks.shard(i).db(db1), ks.shard(i).db(db2));
  }
}

void TouchWatchedKeysInDbs(Server& server, int db1, int db2, int64_t now_ms) {
  if (server.watches().watched_keys() == 0) return;
  Keyspace& ks = server.keyspace();
  auto live = [&](int db, std::string_view key) {
    uint64_t hash = HashBytes(key);
    const keyspace::Entry* e = ks.shard(ks.ShardOfHash(hash)).db(db).table.Find(key, hash);
    return e != nullptr && !e->IsExpired(now_ms);
  };
  server.watches().TouchDbIf(db1, [&](int db, std::string_view key) {
    return live(db, key) || (db2 != db1 && live(db2, key));
  });
  if (db2 != db1) {
    server.watches().TouchDbIf(
        db2, [&](int db, std::string_view key) { return live(db, key) || live(db1, key); });
  }
}

}  // namespace tessera::server
