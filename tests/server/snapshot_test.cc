// Fork-less snapshots: the file holds the state at the point whoever writes each shard, and a
// shard written early by a hook never comes before the header.
#include <catch2/catch.hpp>

#include <stdio.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>

#include "core/types/list_value.h"
#include "persistence/rdb_reader.h"
#include "server/snapshot.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

std::map<std::string, std::string> LoadStrings(int fd, size_t* records = nullptr) {
  ::lseek(fd, 0, SEEK_SET);
  persistence::rdb::FileSource src(fd);
  persistence::rdb::LoadOptions opts;
  opts.skip_expired = false;
  std::map<std::string, std::string> out;
  persistence::rdb::LoadCallbacks cb;
  cb.on_key = [&](int db, keyspace::Entry* e) {
    std::string value;
    if (e->type() == keyspace::ValueType::kList) {
      value = "list of " + std::to_string(e->object_as<types::ListValue>()->Length());
    } else {
      char buf[24];
      value = std::string(e->StringValue(buf));
    }
    out[std::to_string(db) + ":" + std::string(e->key())] = value;
    if (records != nullptr) ++*records;
    keyspace::Entry::Free(e);
  };
  persistence::Status st = persistence::rdb::Load(src, opts, cb);
  INFO(st.message());
  REQUIRE(st.ok());
  return out;
}

TEST_CASE("A snapshot holds the state at its point, whoever writes the shards", "[snapshot]") {
  CommandTester t;
  for (int i = 0; i < 200; ++i) t.Run({"SET", "k" + std::to_string(i), "old"});
  t.Run({"SELECT", "3"});
  t.Run({"SET", "other", "db3"});
  t.Run({"SELECT", "0"});
  FILE* f = std::tmpfile();
  int fd = ::fileno(f);
  SnapshotOptions opts;
  uint64_t point = 0;
  opts.at_point = [&](uint64_t offset) { point = offset + 1; };
  SnapshotJob job(t.server(), fd, opts);
  CHECK(point == 1);  // ran at the point (the log is empty: offset 0)
  // Clients change keys after the point: the shards they touch are written first, as they
  // were, by the hook; then the job writes the rest.
  for (int i = 0; i < 200; i += 3) t.Run({"SET", "k" + std::to_string(i), "new"});
  t.Run({"DEL", "k1"});
  t.Run({"SET", "added", "x"});
  REQUIRE(job.Finish().empty());
  CHECK(job.keys_written() == 201);
  CHECK(job.keys_total() == 201);  // counted at the point, before the DEL and the SET
  char magic[9] = {};
  REQUIRE(::pread(fd, magic, 9, 0) == 9);
  CHECK(std::string(magic, 9) == "REDIS0011");
  std::map<std::string, std::string> saved = LoadStrings(fd);
  CHECK(saved.size() == 201);
  for (int i = 0; i < 200; ++i) CHECK(saved["0:k" + std::to_string(i)] == "old");
  CHECK(saved["3:other"] == "db3");
  CHECK(saved.count("0:added") == 0);
  std::fclose(f);
  // Every hook ran once: locking a shard now writes nothing more.
  CHECK(t.Run({"GET", "k0"}) == "$3\r\nnew\r\n");
}

TEST_CASE("A file written with keys kept aside loads the point's values", "[snapshot]") {
  CommandTester t;
  for (int i = 0; i < 300; ++i) t.Run({"SET", "k" + std::to_string(i), "old"});
  t.Run({"RPUSH", "list", "a", "b"});
  t.Run({"SET", "undeclared", "old"});
  t.Run({"SELECT", "5"});
  t.Run({"SET", "k1", "db5-old"});
  t.Run({"SELECT", "0"});
  FILE* f = std::tmpfile();
  int fd = ::fileno(f);
  SnapshotJob job(t.server(), fd, SnapshotOptions{});
  const uint64_t written_at_start = job.keys_written();
  for (int i = 0; i < 300; i += 2) t.Run({"SET", "k" + std::to_string(i), "new"});
  t.Run({"LPUSH", "list", "z"});
  t.Run({"RENAME", "k1", "renamed"});
  t.Run({"DEL", "k3"});
  t.Run({"SET", "born", "x"});
  t.Run({"SET", "born-and-gone", "x"});
  t.Run({"DEL", "born-and-gone"});
  t.Run({"DEL", "k5"});
  t.Run({"SET", "k5", "recreated"});
  t.Run({"SELECT", "5"});
  t.Run({"SET", "k1", "db5-new"});
  t.Run({"SELECT", "0"});
  // None of these waited for a shard to be written.
  CHECK(job.keys_written() == written_at_start);
  // What they kept is what the save costs in memory (INFO's current_cow_size): at least the
  // 150 overwritten values' records, and freed as the databases are written.
  const uint64_t kept = job.kept_bytes();
  CHECK(kept > 150 * (3 + 3));
  CHECK(job.kept_peak() == kept);
  // A script may use keys it did not declare: its shards are written before it runs.
  t.Run({"EVAL", "redis.call('set', 'undeclared', 'new') return 1", "0"});
  REQUIRE(job.Finish().empty());
  CHECK(job.keys_written() == 303);
  CHECK(job.kept_bytes() == 0);
  CHECK(job.kept_peak() >= kept);
  std::map<std::string, std::string> saved = LoadStrings(fd);
  CHECK(saved.size() == 303);
  for (int i = 0; i < 300; ++i) CHECK(saved["0:k" + std::to_string(i)] == "old");
  CHECK(saved["5:k1"] == "db5-old");
  CHECK(saved["0:undeclared"] == "old");
  CHECK(saved["0:list"] == "list of 2");
  CHECK(saved.count("0:renamed") == 0);
  CHECK(saved.count("0:born") == 0);
  CHECK(saved.count("0:born-and-gone") == 0);
  std::fclose(f);
  // The server itself has the new values.
  CHECK(t.Run({"GET", "k0"}) == "$3\r\nnew\r\n");
  CHECK(t.Run({"LLEN", "list"}) == ":3\r\n");
  CHECK(t.Run({"GET", "undeclared"}) == "$3\r\nnew\r\n");
}

TEST_CASE("A snapshot written in slices while commands run holds each key once, as at its point",
          "[snapshot]") {
  CommandTester t;
  constexpr int kKeys = 6000;  // several slices per shard
  for (int i = 0; i < kKeys; ++i) t.Run({"SET", "k" + std::to_string(i), "old"});
  t.Run({"SELECT", "2"});
  for (int i = 0; i < 500; ++i) t.Run({"SET", "d" + std::to_string(i), "old"});
  t.Run({"SELECT", "0"});
  FILE* f = std::tmpfile();
  int fd = ::fileno(f);
  SnapshotOptions opts;
  opts.key_save_delay_us = 20;  // about 5 ms per slice of the job's thread, the lock dropped
  SnapshotJob job(t.server(), fd, opts);
  std::string finished;
  std::thread saver([&] { finished = job.Finish(); });
  // Meanwhile: overwrites, deletions, new keys, moves across shards and databases' keys, in
  // ranges the walk has passed and ranges it has not.
  for (int round = 0; round < 3; ++round) {
    for (int i = round; i < kKeys; i += 7) t.Run({"SET", "k" + std::to_string(i), "new"});
    for (int i = round; i < kKeys; i += 50) t.Run({"DEL", "k" + std::to_string(i)});
    for (int i = round; i < kKeys; i += 60) {
      t.Run({"RENAME", "k" + std::to_string(i + 1), "moved" + std::to_string(i)});
    }
    for (int i = 0; i < 200; ++i) t.Run({"SET", "born" + std::to_string(round * 200 + i), "x"});
    t.Run({"SELECT", "2"});
    for (int i = round; i < 500; i += 5) t.Run({"SET", "d" + std::to_string(i), "new"});
    t.Run({"SELECT", "0"});
  }
  saver.join();
  REQUIRE(finished.empty());
  CHECK(job.keys_written() == kKeys + 500);
  size_t records = 0;
  std::map<std::string, std::string> saved = LoadStrings(fd, &records);
  CHECK(records == kKeys + 500);  // none twice
  CHECK(saved.size() == kKeys + 500);
  size_t wrong = 0;
  for (int i = 0; i < kKeys; ++i) wrong += saved["0:k" + std::to_string(i)] != "old";
  for (int i = 0; i < 500; ++i) wrong += saved["2:d" + std::to_string(i)] != "old";
  CHECK(wrong == 0);
  std::fclose(f);
}

}  // namespace
}  // namespace tessera::server
