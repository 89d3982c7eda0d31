// The AOF manifest, the writer's file switch at an exact write log offset, and the writes
// callers make before their replies (BeforeReply).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "persistence/aof.h"
#include "persistence/write_log.h"

namespace tessera::persistence {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_CASE("AOF manifest round-trips Redis's text", "[aof]") {
  const std::string text =
      "file appendonly.aof.3.base.rdb seq 3 type b\n"
      "file appendonly.aof.2.incr.aof seq 2 type h\n"
      "file appendonly.aof.4.incr.aof seq 4 type i\n"
      "file appendonly.aof.5.incr.aof seq 5 type i\n";
  AofManifest m;
  std::string err;
  REQUIRE(AofManifest::Parse(text, &m, &err));
  REQUIRE(m.base);
  CHECK(m.base->name == "appendonly.aof.3.base.rdb");
  CHECK(m.base->seq == 3);
  CHECK(m.history.size() == 1);
  REQUIRE(m.incrs.size() == 2);
  CHECK(m.incrs[1].seq == 5);
  CHECK(m.next_base_seq() == 4);
  CHECK(m.next_incr_seq() == 6);
  CHECK(m.Serialize() == text);
  // Comments and unknown keys are skipped, as Redis does.
  REQUIRE(AofManifest::Parse("# hi\nfile a seq 1 type b extra 7\n", &m, &err));
  CHECK(m.base->name == "a");
}

TEST_CASE("AOF manifest quotes file names with blanks or quotes, as Redis does", "[aof]") {
  AofManifest m;
  m.base = AofFileInfo{"my aof.1.base.rdb", 1, AofFileInfo::Type::kBase};
  m.incrs.push_back(AofFileInfo{"q\"t\\.1.incr.aof", 1, AofFileInfo::Type::kIncr});
  const std::string text = m.Serialize();
  CHECK(text ==
        "file \"my aof.1.base.rdb\" seq 1 type b\n"
        "file \"q\\\"t\\\\.1.incr.aof\" seq 1 type i\n");
  AofManifest back;
  std::string err;
  REQUIRE(AofManifest::Parse(text, &back, &err));
  CHECK(back.base->name == "my aof.1.base.rdb");
  CHECK(back.incrs[0].name == "q\"t\\.1.incr.aof");
}

TEST_CASE("AOF manifest refuses malformed text", "[aof]") {
  AofManifest m;
  std::string err;
  CHECK_FALSE(AofManifest::Parse("", &m, &err));
  CHECK(err == "Found an empty AOF manifest");
  CHECK_FALSE(AofManifest::Parse("file a seq 1 type b\nfile b seq 2 type b\n", &m, &err));
  CHECK(err == "Found duplicate base file information");
  CHECK_FALSE(AofManifest::Parse("file a seq 2 type i\nfile b seq 2 type i\n", &m, &err));
  CHECK(err == "Found a non-monotonic sequence number");
  CHECK_FALSE(AofManifest::Parse("file ../a seq 1 type i\n", &m, &err));
  CHECK_FALSE(AofManifest::Parse("file a seq 1 type x\n", &m, &err));
  CHECK_FALSE(AofManifest::Parse("file a seq\n", &m, &err));
  CHECK_FALSE(AofManifest::Parse("file \"unterminated seq 1 type i\n", &m, &err));
  // Redis's line rules: a blank line, fewer than three pairs, an odd word count, a missing
  // key, a last line without its newline or a line past 1024 bytes are all refused.
  const char* invalid[] = {"file a seq 1 type i\n\nfile b seq 3 type i\n", "file a type i\n",
                           "file a seq 1 type i newkey\n", "filx a seq 1 type b\n",
                           "file a seq 0 type i\n"};
  for (const char* text : invalid) {
    CHECK_FALSE(AofManifest::Parse(text, &m, &err));
    CHECK(err == "Invalid AOF manifest file format");
  }
  CHECK_FALSE(AofManifest::Parse("file a seq 1 type i", &m, &err));
  CHECK(err == "The AOF manifest file contains too long line");
  std::string long_line;
  while (long_line.size() < 1100) long_line += "file a seq 1 type b ";
  CHECK_FALSE(AofManifest::Parse(long_line + "\n", &m, &err));
  CHECK(err == "The AOF manifest file contains too long line");
  CHECK_FALSE(AofManifest::Parse("file a seq 1 type x\n", &m, &err));
  CHECK(err == "Unknown AOF file type");
  // Keys are compared without case, surrounding blanks are trimmed.
  REQUIRE(AofManifest::Parse("  FILE a SEQ 2 Type i \r\n", &m, &err));
  CHECK(m.incrs.size() == 1);
  CHECK(m.incrs[0].seq == 2);
  CHECK(AofBaseName("appendonly.aof", 7, true) == "appendonly.aof.7.base.rdb");
  CHECK(AofIncrName("x.aof", 2) == "x.aof.2.incr.aof");
  CHECK(AofManifestName("x.aof") == "x.aof.manifest");
}

TEST_CASE("AofWriter writes the log and switches files at an exact offset", "[aof]") {
  char dir_template[] = "/tmp/tessera-aof-test-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  const std::string a = dir + "/a.aof", b = dir + "/b.aof";
  WriteLog log;
  log.set_enabled(true);
  std::string one, two;
  std::string_view set1[] = {"SET", "k", "1"};
  std::string_view set2[] = {"SET", "k", "2"};
  AppendRespCommand(&one, set1);
  AppendRespCommand(&two, set2);
  {
    AofWriter w(&log, ::open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 0, 0);
    w.set_policy(FsyncPolicy::kAlways);
    uint64_t end1 = log.AofOffsetThrough(log.Append(0, one));
    w.SwitchFileAt(end1, ::open(b.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    log.ForgetSelectedDb();
    const uint64_t mark2 = log.Append(0, two);
    w.BeforeReply(mark2);
    const uint64_t end2 = log.AofOffsetThrough(mark2);
    CHECK(w.written_offset() == end2);
    CHECK(w.durable_offset() == end2);
    CHECK(w.last_error().empty());
  }
  const std::string select = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
  CHECK(ReadAll(a) == select + one);
  CHECK(ReadAll(b) == select + two);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("BeforeReply writes the log's bytes under every policy, before it returns", "[aof]") {
  char dir_template[] = "/tmp/tessera-aof-test-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  for (FsyncPolicy policy : {FsyncPolicy::kEverysec, FsyncPolicy::kNo, FsyncPolicy::kAlways}) {
    const std::string a = dir + "/a.aof";
    WriteLog log;
    AofWriter w(&log, ::open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 0, 0);
    w.set_policy(policy);
    log.set_enabled(true);
    std::string expected = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
    for (int i = 0; i < 50; ++i) {
      std::string cmd;
      std::string value = std::to_string(i);
      std::string_view argv[] = {"SET", "k", value};
      AppendRespCommand(&cmd, argv);
      const uint64_t mark = log.Append(0, cmd);
      expected += cmd;
      CHECK_FALSE(w.covers(mark));  // the writer thread waits a tick before it writes
      w.BeforeReply(mark);
      const uint64_t end = log.AofOffsetThrough(mark);
      CHECK(w.written_offset() == end);
      CHECK(ReadAll(a) == expected);  // in the file when the call returns
      if (policy == FsyncPolicy::kAlways) CHECK(w.durable_offset() == end);
      CHECK(w.covers(mark));
    }
    w.Close();
    // Closed: a caller still holding the writer returns at once, nothing is written.
    log.Append(0, "*1\r\n$4\r\nPING\r\n");
    w.BeforeReply(log.mark());
    CHECK(ReadAll(a) == expected);
  }
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("durable_mark follows the fsyncs, and the appends with no AOF bytes", "[aof]") {
  // WAITAOF's local count (Redis's fsynced_reploff): the mark moves with the fsyncs of
  // always and everysec, never under no, and over records for the replicas only once every
  // AOF byte before them is fsynced.
  char dir_template[] = "/tmp/tessera-aof-test-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  const std::string a = dir + "/a.aof";
  std::string set;
  std::string_view argv[] = {"SET", "k", "v"};
  AppendRespCommand(&set, argv);
  const std::string ping = "*1\r\n$4\r\nPING\r\n";
  auto wait_until = [](auto cond) {
    for (int i = 0; i < 400 && !cond(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
  };
  {
    WriteLog log;
    std::atomic<int> hooks{0};
    AofWriter w(&log, ::open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 0, 0,
                [&] { hooks.fetch_add(1); });
    w.set_policy(FsyncPolicy::kAlways);
    log.set_enabled(true);
    const uint64_t start = w.durable_mark();
    uint64_t mark = log.Append(0, set);
    CHECK(w.durable_mark() < mark);
    w.BeforeReply(mark);  // always: written and fsynced before it returns
    CHECK(w.durable_mark() >= mark);
    CHECK(hooks.load() >= 1);
    CHECK(start < mark);
    // A record for the replicas only adds no AOF byte: its mark is durable once the writer
    // thread sees that every AOF byte is.
    const LogRecord replica_only[] = {{-1, /*aof=*/false, ping}};
    mark = log.AppendRecords(replica_only);
    CHECK(w.durable_mark() < mark);
    CHECK(wait_until([&] { return w.durable_mark() >= mark; }));
    // everysec: within about a second, by the writer thread.
    w.set_policy(FsyncPolicy::kEverysec);
    mark = log.Append(0, set);
    CHECK(wait_until([&] { return w.durable_mark() >= mark; }));
    // no: the bytes are written, never counted as fsynced.
    w.set_policy(FsyncPolicy::kNo);
    mark = log.Append(0, set);
    w.BeforeReply(mark);
    CHECK(w.covers(mark));
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    CHECK(w.durable_mark() < mark);
    const int hooks_before = hooks.load();
    mark = log.AppendRecords(replica_only);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(w.durable_mark() < mark);
    CHECK(hooks.load() == hooks_before);
  }
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("Callers on several threads write the log once, in log order", "[aof]") {
  char dir_template[] = "/tmp/tessera-aof-test-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  const std::string a = dir + "/a.aof", b = dir + "/b.aof";
  WriteLog log;
  std::string all;  // what the log held, as a tap saw it
  struct Tap : WriteLogTap {
    std::string* out;
    void OnAppend(std::string_view select, std::string_view commands, uint64_t) override {
      out->append(select);
      out->append(commands);
    }
  } tap;
  tap.out = &all;
  log.AddTap(&tap);
  std::atomic<uint64_t> switch_at{0};
  std::atomic<int> short_writes{0};
  std::shared_mutex point;  // the shard locks' part: appends shared, the switch's point exclusive
  {
    AofWriter w(&log, ::open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 0, 0);
    log.set_enabled(true);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 2000; ++i) {
          std::string cmd;
          std::string key = "t" + std::to_string(t), value = std::to_string(i);
          std::string_view argv[] = {"SET", key, value};
          AppendRespCommand(&cmd, argv);
          uint64_t end;
          {
            std::shared_lock<std::shared_mutex> lock(point);
            end = log.Append(t % 2, cmd);  // a mark
          }
          if (t == 0 && i == 1000) {
            // As a rewrite does, at a point of the log where no append runs (every shard lock).
            std::unique_lock<std::shared_mutex> lock(point);
            switch_at = log.Collect();
            w.SwitchFileAt(switch_at, ::open(b.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
          }
          if (i % 3 == 0) continue;  // not every append is followed by a reply
          w.BeforeReply(end);
          if (!w.covers(end)) short_writes.fetch_add(1);  // Catch2 checks: main only
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }
  CHECK(short_writes.load() == 0);
  log.RemoveTap(&tap);
  // No SELECT was forgotten at the switch in this test, so the two files are the log cut there.
  const std::string first = ReadAll(a), second = ReadAll(b);
  CHECK(first.size() == switch_at.load());
  CHECK(first + second == all);
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace tessera::persistence
