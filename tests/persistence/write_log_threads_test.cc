// The write log under concurrent appenders (several workers, the batch reader taking bytes
// while they append, taps attached): every append lands whole, in one order that the batch
// reader and every tap see alike, with a SELECT exactly where the database changes and
// offsets that count every byte.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persistence/write_log.h"

namespace tessera::persistence {
namespace {

struct Command {
  std::vector<std::string> args;
};

// Splits a RESP stream of arrays of bulk strings; fails the test on anything else.
std::vector<Command> Decode(const std::string& bytes) {
  std::vector<Command> out;
  size_t pos = 0;
  auto line = [&]() {
    size_t end = bytes.find("\r\n", pos);
    REQUIRE(end != std::string::npos);
    std::string l = bytes.substr(pos, end - pos);
    pos = end + 2;
    return l;
  };
  while (pos < bytes.size()) {
    std::string header = line();
    REQUIRE(header[0] == '*');
    Command c;
    const int n = std::stoi(header.substr(1));
    for (int i = 0; i < n; ++i) {
      std::string len = line();
      REQUIRE(len[0] == '$');
      const size_t size = std::stoul(len.substr(1));
      REQUIRE(pos + size + 2 <= bytes.size());
      c.args.push_back(bytes.substr(pos, size));
      REQUIRE(bytes.compare(pos + size, 2, "\r\n") == 0);
      pos += size + 2;
    }
    out.push_back(std::move(c));
  }
  return out;
}

struct OrderTap : WriteLogTap {
  void OnAppend(std::string_view select, std::string_view commands, uint64_t end) override {
    // Runs under the log's lock: appends reach a tap one at a time and in order.
    if (end <= last_end) out_of_order = true;
    if (end - last_end != select.size() + commands.size() && last_end != 0) gaps = true;
    last_end = end;
    bytes.append(select);
    bytes.append(commands);
  }
  std::string bytes;
  uint64_t last_end = 0;
  bool out_of_order = false;
  bool gaps = false;
};

TEST_CASE("Concurrent appenders: whole commands, one order, SELECT where the db changes",
          "[writelog]") {
  WriteLog log;
  log.set_enabled(true);
  OrderTap tap;
  const uint64_t tap_start = log.AddTap(&tap);
  CHECK(tap_start == 0);

  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::atomic<bool> done{false};
  std::string taken;  // everything the batch reader took, in order
  uint64_t taken_end = 0;
  std::thread reader([&] {
    std::string batch;
    while (!done.load(std::memory_order_acquire)) {
      log.WaitForBytes(1);
      taken_end = log.Take(&batch);
      taken += batch;
    }
    taken_end = log.Take(&batch);
    taken += batch;
  });
  std::vector<std::thread> writers;
  std::vector<uint64_t> last_offset(kThreads, 0);
  std::atomic<bool> offsets_grow{true};
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::string cmd;
      for (int i = 0; i < kPerThread; ++i) {
        // Each thread moves between databases; the command names its own database, so the
        // decoder can check the SELECT in force when it is replayed.
        const int db = (i / 7 + t) % 3;
        const std::string db_text = std::to_string(db);
        const std::string seq = std::to_string(i);
        const std::string who = std::to_string(t);
        std::string_view argv[] = {"SET", who, seq, db_text};
        cmd.clear();
        AppendRespCommand(&cmd, argv);
        const uint64_t end = log.Append(db, cmd);
        if (end <= last_offset[t]) offsets_grow = false;
        last_offset[t] = end;
      }
    });
  }
  for (auto& w : writers) w.join();
  done.store(true, std::memory_order_release);
  reader.join();

  CHECK(offsets_grow.load());
  CHECK_FALSE(tap.out_of_order);
  CHECK_FALSE(tap.gaps);
  CHECK(taken_end == log.offset());
  CHECK(taken.size() == log.offset());
  CHECK(tap.last_end == log.offset());
  // The batch reader and the tap got the same bytes: one order for every reader.
  CHECK(taken == tap.bytes);

  // Replay: the database in force is the one each command names; each thread's commands
  // come in the order it appended them; nothing is lost or doubled; no SELECT is redundant.
  int current_db = -1;
  std::map<int, int> next_seq;
  int selects = 0;
  int redundant_selects = 0;
  int wrong_db = 0;
  int out_of_order = 0;
  for (const Command& c : Decode(taken)) {
    if (c.args[0] == "SELECT") {
      REQUIRE(c.args.size() == 2);
      const int db = std::stoi(c.args[1]);
      if (db == current_db) ++redundant_selects;
      current_db = db;
      ++selects;
      continue;
    }
    REQUIRE(c.args.size() == 4);
    REQUIRE(c.args[0] == "SET");
    const int who = std::stoi(c.args[1]);
    const int seq = std::stoi(c.args[2]);
    if (std::stoi(c.args[3]) != current_db) ++wrong_db;
    if (seq != next_seq[who]) ++out_of_order;
    next_seq[who] = seq + 1;
  }
  CHECK(wrong_db == 0);
  CHECK(out_of_order == 0);
  CHECK(redundant_selects == 0);
  CHECK(selects > 0);
  for (int t = 0; t < kThreads; ++t) CHECK(next_seq[t] == kPerThread);
  log.RemoveTap(&tap);
}

// Lanes: while the AOF is the only reader, each thread appends into its own lane with a
// ticket, and the records are merged by ticket when read.  The order must still be the one
// the locks gave: here each key has its mutex (a shard lock) and a counter bumped under it,
// so in the log every key's values must come 1, 2, 3...  Some appends are transactions over
// two keys (both mutexes held).  Readers run meanwhile: the batch reader (Take), workers
// asking for their marks' offsets (AofOffsetThrough), and a tap that attaches halfway with no
// lock held (appenders already past the mode check still use their lanes then).
TEST_CASE("Lanes: appends merge in the order their locks gave, for every reader", "[writelog]") {
  WriteLog log;
  log.set_enabled(true);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  constexpr int kKeys = 8;
  std::mutex key_mu[kKeys];
  int counter[kKeys] = {};
  std::atomic<bool> done{false};
  std::string taken;
  std::thread reader([&] {
    std::string batch;
    while (!done.load(std::memory_order_acquire)) {
      log.WaitForBytes(1);
      log.Take(&batch);
      taken += batch;
    }
    log.Take(&batch);
    taken += batch;
  });
  OrderTap tap;
  std::atomic<uint64_t> tap_start{0};
  std::atomic<int> marks_behind{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      uint32_t rng = 12345u + static_cast<uint32_t>(t);
      std::string cmd;
      for (int i = 0; i < kPerThread; ++i) {
        rng = rng * 1103515245u + 12345u;
        const int k = static_cast<int>((rng >> 16) % kKeys);
        const int k2 = (k + 1 + static_cast<int>((rng >> 8) % (kKeys - 1))) % kKeys;
        const bool txn = i % 5 == 0;
        cmd.clear();
        auto set = [&](int key, int in_db) {
          const std::string name = std::to_string(key);
          const std::string value = std::to_string(++counter[key]);
          const std::string db = std::to_string(in_db);
          std::string_view argv[] = {"SET", name, value, db};
          AppendRespCommand(&cmd, argv);
        };
        uint64_t mark;
        if (txn) {
          // Both keys in one database (the SELECT goes after MULTI), mutexes in key order.
          const int a = std::min(k, k2), b = std::max(k, k2);
          std::scoped_lock lock(key_mu[a], key_mu[b]);
          cmd += "*1\r\n$5\r\nMULTI\r\n";
          set(a, a % 3);
          set(b, a % 3);
          cmd += "*1\r\n$4\r\nEXEC\r\n";
          mark = log.Append(a % 3, cmd);
        } else {
          std::lock_guard<std::mutex> lock(key_mu[k]);
          set(k, k % 3);
          mark = log.Append(k % 3, cmd);
        }
        if (i % 4 == 0 && log.AofOffsetThrough(mark) < cmd.size()) marks_behind.fetch_add(1);
        if (t == 0 && i == kPerThread / 2) tap_start = log.AddTap(&tap);
      }
    });
  }
  for (auto& w : writers) w.join();
  done.store(true, std::memory_order_release);
  reader.join();
  CHECK(marks_behind.load() == 0);
  CHECK(log.Collect() == taken.size());
  CHECK_FALSE(tap.out_of_order);
  CHECK_FALSE(tap.gaps);

  // Replays a stream from database `db`: each key's values in sequence from
  // (*next_value)[key] (from its first SET where absent), each SET in the database its command
  // names; returns the SETs seen.
  auto replay = [](const std::string& bytes, std::map<int, int>* next_value, int db = -1,
                   int* db_end = nullptr) {
    int sets = 0, wrong_db = 0, out_of_order = 0, redundant = 0;
    for (const Command& c : Decode(bytes)) {
      if (c.args[0] == "SELECT") {
        if (std::stoi(c.args[1]) == db) ++redundant;
        db = std::stoi(c.args[1]);
        continue;
      }
      if (c.args[0] == "MULTI" || c.args[0] == "EXEC") continue;
      REQUIRE(c.args.size() == 4);
      const int key = std::stoi(c.args[1]), value = std::stoi(c.args[2]);
      if (std::stoi(c.args[3]) != db) ++wrong_db;
      auto it = next_value->find(key);
      if (it != next_value->end() && value != it->second) ++out_of_order;
      (*next_value)[key] = value + 1;
      ++sets;
    }
    CHECK(wrong_db == 0);
    CHECK(out_of_order == 0);
    CHECK(redundant == 0);
    if (db_end != nullptr) *db_end = db;
    return sets;
  };
  std::map<int, int> next_value;
  for (int k = 0; k < kKeys; ++k) next_value[k] = 1;
  const int sets = replay(taken, &next_value);
  int total = 0;
  for (int k = 0; k < kKeys; ++k) {
    CHECK(next_value[k] == counter[k] + 1);
    total += counter[k];
  }
  CHECK(sets == total);
  // The tap got exactly the stream's bytes from where it attached (it starts with a SELECT of
  // its own), in the same order.
  REQUIRE(tap_start.load() <= taken.size());
  std::map<int, int> tap_next;  // the first value of each key is whatever came next
  const int tap_sets = replay(tap.bytes, &tap_next);
  std::map<int, int> head_next, tail_next;
  int db_at_tap = -1;  // the AOF stream's database where the tap attached
  replay(taken.substr(0, tap_start.load()), &head_next, -1, &db_at_tap);
  const int tail_sets = replay(taken.substr(tap_start.load()), &tail_next, db_at_tap);
  CHECK(tap_sets == tail_sets);
  CHECK(tap_next == tail_next);
  CHECK(tap.bytes.size() >= taken.size() - tap_start.load());
  log.RemoveTap(&tap);
}

// A tap that holds the append lock for a while on its first append (a holder that was
// preempted): another appender spins, then sleeps on the lock and carries on when released.
struct SlowTap : WriteLogTap {
  void OnAppend(std::string_view select, std::string_view commands, uint64_t) override {
    bytes.append(select);
    bytes.append(commands);
    if (!inside.exchange(true)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::atomic<bool> inside{false};
  std::string bytes;
};

TEST_CASE("An appender waiting past its spins sleeps and is woken by the release", "[writelog]") {
  WriteLog log;
  SlowTap tap;
  log.AddTap(&tap);
  std::thread first([&] { log.Append(0, "*1\r\n$5\r\nFIRST\r\n"); });
  while (!tap.inside.load()) std::this_thread::yield();
  // The first append is inside its tap, holding the lock for 50 ms.
  // Far longer than the spins: this append sleeps until the release, then lands after FIRST.
  const uint64_t end = log.AofOffsetThrough(log.Append(0, "*1\r\n$6\r\nSECOND\r\n"));
  first.join();
  CHECK(end == log.offset());
  CHECK(tap.bytes ==
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nFIRST\r\n*1\r\n$6\r\nSECOND\r\n");
  // The lock still works afterwards, contended or not.
  CHECK(log.AofOffsetThrough(log.Append(0, "*1\r\n$5\r\nTHIRD\r\n")) == end + 15);
  log.RemoveTap(&tap);
}

TEST_CASE("A large backlog wakes the batch reader early", "[writelog]") {
  WriteLog log;
  log.set_enabled(true);
  // Nothing pending: the wait times out and says so.
  CHECK_FALSE(log.WaitForBytes(1));
  std::atomic<bool> woke{false};
  std::thread reader([&] {
    // A long timeout: only the backlog crossing kWakeBytes ends it in time.
    woke = log.WaitForBytes(60000);
  });
  std::string chunk(64 * 1024, 'x');
  for (size_t n = 0; n <= WriteLog::kWakeBytes / chunk.size(); ++n) log.Append(-1, chunk);
  reader.join();
  CHECK(woke.load());
  std::string taken;
  CHECK(log.Take(&taken) == log.offset());
  CHECK(taken.size() == log.offset());
}

}  // namespace
}  // namespace tessera::persistence
