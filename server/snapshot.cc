#include "server/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/base/crc64.h"
#include "persistence/aof.h"
#include "persistence/aof_rewrite.h"
#include "persistence/rdb_writer.h"
#include "server/memory_stats.h"
#include "server/server.h"
#include "server/version.h"

namespace tessera::server {

namespace rdb = persistence::rdb;

SnapshotJob::SnapshotJob(Server& server, int fd, const SnapshotOptions& opts)
    : server_(server),
      fd_(fd),
      opts_(opts),
      written_(server.keyspace().shard_count()),
      kept_(server.keyspace().shard_count()),
      progress_(server.keyspace().shard_count()) {
  keyspace::Keyspace& ks = server.keyspace();
  const int64_t now_ms = Server::RealNowMs();
  clock_ = static_cast<uint32_t>(now_ms / 1000) & 0xFFFFFF;
  wopts_.compress = opts_.compress;
  wopts_.clock = clock_;

  std::string head;
  if (opts_.commands && opts_.timestamp) head = "#TS:" + std::to_string(now_ms / 1000) + "\r\n";
  if (!opts_.commands) {
    rdb::WriteHeader(&head);
    rdb::WriteAux(&head, "redis-ver", kRedisCompatVersion);
    rdb::WriteAux(&head, "redis-bits", "64");
    rdb::WriteAux(&head, "ctime", std::to_string(now_ms / 1000));
    rdb::WriteAux(&head, "used-mem", std::to_string(ReadAllocatedBytes()));
  }

  // The point: with every lock held nothing is half-done, and the log offset, the function
  // libraries and the marks all describe the same state.
  const bool held_all = keyspace::ShardMutex::HeldAll();
  if (!held_all) {
    for (unsigned i = 0; i < ks.shard_count(); ++i) ks.shard(i).mutex().raw().lock();
  }
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    keyspace::Shard& shard = ks.shard(i);
    shard.mutex().set_pending_hook(this);
    for (int db = 0; db < shard.num_dbs(); ++db) keys_total_ += shard.db(db).table.size();
  }
  server.write_log().Collect();  // appends still in the threads' lanes are before the point
  log_offset_ = server.write_log().offset();
  if (opts_.at_point) opts_.at_point(log_offset_);
  std::vector<scripting::Library> libraries = server.scripts().Libraries();
  if (opts_.commands) {
    for (const scripting::Library& lib : libraries) {
      persistence::AppendFunctionLoadCommand(&head, lib.code);
    }
  } else {
    rdb::WriteAux(&head, "aof-base", opts_.aof_base ? "1" : "0");
    for (const scripting::Library& lib : libraries) rdb::WriteFunction(&head, lib.code);
  }
  // The header goes first in the file: written before any lock is released, since from then
  // on a hook (the active expiry cycle, a client) may write a shard's piece.
  Flush(head);
  if (!held_all) {
    for (unsigned i = ks.shard_count(); i > 0; --i) ks.shard(i - 1).mutex().raw().unlock();
  }
}

SnapshotJob::~SnapshotJob() {
  // A job dropped before Finish (an error path) must not leave hooks pointing at it.
  keyspace::Keyspace& ks = server_.keyspace();
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    if (!written_[i].load(std::memory_order_acquire)) TouchShard(i);
  }
}

void SnapshotJob::TouchShard(unsigned i) {
  keyspace::ShardMutex& mu = server_.keyspace().shard(i).mutex();
  if (mu.HeldHere()) {
    mu.RunPendingHook();  // this thread holds the real lock already (EXEC, a script)
    return;
  }
  // In slices, the lock dropped between them: a worker needing the shard waits for one slice,
  // not for the whole shard.  Meanwhile its commands keep their keys aside (SaveKeyAside), and
  // whoever runs the hook instead writes the rest at once (BeforeFirstUse).
  while (true) {
    mu.lock_keep_hook();
    bool done = mu.pending_hook() != this;  // written by a hook meanwhile
    const uint64_t before = keys_.load(std::memory_order_relaxed);
    if (!done && WriteSlice(i, kSliceKeys)) {
      mu.clear_pending_hook();
      ShardDone(i);
      done = true;
    }
    mu.unlock();
    SaveDelay(keys_.load(std::memory_order_relaxed) - before);
    if (done) return;
    // A command waiting for the shard goes before the next slice: this thread would otherwise
    // take the lock back before the woken worker runs, again and again.
    for (int i = 0; i < 1000 && mu.waiters() > 0; ++i) std::this_thread::yield();
  }
}

void SnapshotJob::SaveDelay(uint64_t keys) {
  // rdb-key-save-delay: Redis reads a negative delay as nanoseconds.  A job started with a
  // delay follows the setting as it changes (tests set it to 0 to let a save end; Redis's
  // forked child keeps the value it was born with, but there its writers never wait for it).
  if (keys == 0 || opts_.key_save_delay_us == 0) return;
  const std::atomic<int64_t>& setting = server_.config().rdb_key_save_delay;
  const int64_t delay = setting.load(std::memory_order_relaxed);
  if (delay < 0) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(-delay * static_cast<int64_t>(keys)));
    return;
  }
  // In 10 ms steps, so that an abort or a delay set to 0 is seen soon.
  for (int64_t left = delay * static_cast<int64_t>(keys);
       left > 0 && !aborted_.load(std::memory_order_relaxed) &&
       setting.load(std::memory_order_relaxed) != 0;
       left -= 10000) {
    std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(left, 10000)));
  }
}

void SnapshotJob::BeforeFirstUse(unsigned shard) {
  while (!WriteSlice(shard, SIZE_MAX)) {
  }
  ShardDone(shard);
}

void SnapshotJob::ShardDone(unsigned shard) {
  for (const std::unique_ptr<KeptKeys>& kept : kept_[shard]) {
    if (kept != nullptr) KeptMemoryChanged(kept->memory(), 0);  // an aborted job's
  }
  kept_[shard].clear();
  kept_[shard].shrink_to_fit();
  written_[shard].store(true, std::memory_order_release);
}

void SnapshotJob::EncodeKey(std::string* out, const keyspace::Entry& e) const {
  if (opts_.commands) {
    persistence::AppendKeyAsCommands(out, e);
  } else {
    rdb::WriteKey(out, e, wopts_);
  }
}

void SnapshotJob::SaveKeyAside(unsigned shard_index, int db, std::string_view key, uint64_t hash) {
  if (aborted_.load(std::memory_order_relaxed)) return;  // its file is thrown away
  const Progress& p = progress_[shard_index];
  if (db < p.db || (db == p.db && hash < p.cursor)) return;  // its place is written already
  std::vector<std::unique_ptr<KeptKeys>>& per_db = kept_[shard_index];
  keyspace::Shard& shard = server_.keyspace().shard(shard_index);
  if (per_db.empty()) per_db.resize(static_cast<size_t>(shard.num_dbs()));
  std::unique_ptr<KeptKeys>& kept = per_db[static_cast<size_t>(db)];
  if (kept == nullptr) kept = std::make_unique<KeptKeys>();
  if (kept->Contains(key, hash)) return;  // kept at its first use
  std::string bytes;
  const keyspace::Entry* e = shard.db(db).table.Find(key, hash);
  if (e != nullptr) EncodeKey(&bytes, *e);
  const size_t before = kept->memory();
  kept->Add(key, hash, bytes, /*absent=*/e == nullptr);
  KeptMemoryChanged(before, kept->memory());
}

void SnapshotJob::KeptMemoryChanged(size_t before, size_t after) {
  if (after >= before) {
    const uint64_t now =
        kept_bytes_.fetch_add(after - before, std::memory_order_relaxed) + (after - before);
    uint64_t peak = kept_peak_.load(std::memory_order_relaxed);
    while (now > peak && !kept_peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  } else {
    kept_bytes_.fetch_sub(before - after, std::memory_order_relaxed);
  }
}

bool SnapshotJob::WriteSlice(unsigned shard_index, size_t max_keys) {
  // An aborted job's file is thrown away: what is left only needs its hooks released.
  if (aborted_.load(std::memory_order_relaxed)) return true;
  keyspace::Shard& shard = server_.keyspace().shard(shard_index);
  Progress& p = progress_[shard_index];
  std::string piece;
  uint64_t keys = 0;
  size_t piece_keys = 0;  // a piece of SELECTs only is not written
  auto select = [&](int db) {
    if (opts_.commands) {
      persistence::AppendSelectCommand(&piece, db);
    } else {
      rdb::WriteSelectDb(&piece, db);
    }
  };
  auto added = [&](int db) {  // after each key: a full piece goes to the file
    ++keys;
    ++piece_keys;
    if (piece.size() >= kPieceBytes) {
      Flush(piece);
      piece.clear();
      piece_keys = 0;
      select(db);
    }
  };
  // Databases in order, each in hash order (the table's SCAN cursor): once the walk is past a
  // key's place, a command has nothing to keep aside for it.
  std::vector<const keyspace::Entry*> batch;
  size_t budget = max_keys;
  while (p.db < shard.num_dbs() && budget > 0) {
    const keyspace::DbTable& t = shard.db(p.db);
    // Keys used since the point by commands that kept them aside: written as they were then
    // (or not at all, for a key created since), not as they are now.
    std::vector<std::unique_ptr<KeptKeys>>& per_db = kept_[shard_index];
    KeptKeys* kept = per_db.empty() ? nullptr : per_db[static_cast<size_t>(p.db)].get();
    if (kept != nullptr && kept->empty()) kept = nullptr;
    if (t.table.empty() && kept == nullptr) {
      ++p.db;
      p.cursor = 0;
      continue;
    }
    select(p.db);
    bool db_done = t.table.empty();
    if (!db_done) {
      batch.clear();
      const auto r = t.table.Scan(p.cursor, std::min(budget, kSliceKeys),
                                  [&](const keyspace::Entry* e) { batch.push_back(e); });
      // Scan promises every hash in [cursor, next_cursor); a key it met outside that range is
      // written by the slice whose range holds it, so none is written twice.
      for (const keyspace::Entry* e : batch) {
        const uint64_t h = keyspace::EntryTraits::Hash(e);
        if (h < p.cursor || (!r.done && h >= r.next_cursor)) continue;
        if (kept != nullptr && kept->Contains(e->key(), h)) continue;
        EncodeKey(&piece, *e);
        added(p.db);
      }
      budget -= std::min(budget, batch.size() + 1);
      db_done = r.done;
      if (!r.done) p.cursor = r.next_cursor;
    }
    if (db_done) {
      if (kept != nullptr) {
        kept->ForEachPresent([&](std::string_view, std::string_view record) {
          piece += record;
          added(p.db);
        });
        KeptMemoryChanged(kept->memory(), 0);
        per_db[static_cast<size_t>(p.db)].reset();
      }
      ++p.db;
      p.cursor = 0;
    }
  }
  if (piece_keys > 0) Flush(piece);
  keys_.fetch_add(keys, std::memory_order_relaxed);
  return p.db >= shard.num_dbs();
}

void SnapshotJob::Flush(const std::string& bytes) {
  std::lock_guard<std::mutex> lock(out_mu_);
  if (!error_.empty()) return;
  crc_ = Crc64(crc_, bytes);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = std::strerror(errno);
      return;
    }
    done += static_cast<size_t>(n);
  }
  bytes_.fetch_add(bytes.size(), std::memory_order_relaxed);
}

std::string SnapshotJob::Finish() {
  keyspace::Keyspace& ks = server_.keyspace();
  for (unsigned i = 0; i < ks.shard_count(); ++i) TouchShard(i);
  if (aborted_.load(std::memory_order_relaxed)) return "aborted";
  if (opts_.commands) {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (error_.empty() && ::fsync(fd_) != 0) error_ = std::strerror(errno);
    return error_;
  }
  std::string tail;
  rdb::WriteEof(&tail);
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    uint64_t crc = opts_.checksum ? Crc64(crc_, tail) : 0;
    rdb::AppendChecksum(&tail, crc);
  }
  Flush(tail);
  std::lock_guard<std::mutex> lock(out_mu_);
  if (error_.empty() && ::fsync(fd_) != 0) error_ = std::strerror(errno);
  return error_;
}

SnapshotOptions SnapshotOptionsFromConfig(const Server& server, bool with_delay) {
  const ServerConfig& c = server.config();
  SnapshotOptions opts;
  opts.compress = c.rdbcompression.load(std::memory_order_relaxed);
  opts.checksum = c.rdbchecksum.load(std::memory_order_relaxed);
  if (with_delay) opts.key_save_delay_us = c.rdb_key_save_delay.load(std::memory_order_relaxed);
  return opts;
}

std::string WriteSnapshotFile(Server& server, const std::string& tmp, const std::string& path,
                              const SnapshotOptions& opts,
                              const std::function<void(SnapshotJob*)>& on_job) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return std::strerror(errno);
  std::string err;
  {
    SnapshotJob job(server, fd, opts);
    if (on_job) on_job(&job);
    err = job.Finish();
    if (on_job) on_job(nullptr);
  }
  if (::close(fd) != 0 && err.empty()) err = std::strerror(errno);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) err = std::strerror(errno);
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    return err;
  }
  persistence::FsyncDirectory(std::filesystem::path(path).parent_path().string());
  return "";
}

}  // namespace tessera::server
