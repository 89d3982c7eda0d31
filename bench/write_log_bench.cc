// The write log's append path (persistence/write_log.h) with one and two appending threads,
// as workers append with io-threads 1 and 2, and a batch reader taking the bytes every 5 ms as
// the AOF writer does.  Each append is a 50-byte SET, database 0; `work` is a busy loop of
// that many iterations between two appends (a request's other work: 0 is the worst case of
// contention, ~100 is closer to SET at P16).  With no tap attached the log uses its per-thread
// lanes: one shared fetch_add per append, the merge by ticket done by the reader, or by the
// appender itself when its 256 KiB ring fills between two takes (here it does, many times per
// 5 ms: a server merges before each loop iteration's replies, a few kilobytes at a time).
//
// BM_MutexLog is the same append behind a std::mutex and one shared buffer: the write log's
// scheme before its own lock (a futex mutex sleeps the loser of a race and costs the winner a
// wake-up), kept here to compare the two in one run.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "persistence/write_log.h"

namespace {

using tessera::persistence::AppendRespCommand;
using tessera::persistence::WriteLog;

std::string SetCommand() {
  std::string out;
  std::string_view argv[] = {"SET", "key:000000012345", "xxxxxxxxxxxxxxxxxxxx"};
  AppendRespCommand(&out, argv);
  return out;
}

void Work(int64_t n) {
  for (int64_t i = 0; i < n; ++i) benchmark::DoNotOptimize(i);
}

// The old scheme: a futex mutex around a shared buffer and the offset.
struct MutexLog {
  std::mutex mu;
  std::string pending;
  uint64_t offset = 0;
  int selected_db = -1;
  uint64_t Append(int db, std::string_view bytes) {
    std::lock_guard<std::mutex> lock(mu);
    if (db != selected_db) selected_db = db;
    pending.append(bytes);
    offset += bytes.size();
    return offset;
  }
  void Take(std::string* out) {
    out->clear();
    std::lock_guard<std::mutex> lock(mu);
    pending.swap(*out);
  }
};

// A batch reader for the whole benchmark: started by thread 0 in setup, stopped in teardown.
template <class Log>
struct Reader {
  Log log;
  std::atomic<bool> stop{false};
  std::thread thread;
  void Start() {
    stop = false;
    thread = std::thread([this] {
      std::string batch;
      while (!stop.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        log.Take(&batch);
      }
    });
  }
  void Stop() {
    stop = true;
    thread.join();
  }
};

template <class Log>
void Run(benchmark::State& state, Reader<Log>& r) {
  if (state.thread_index() == 0) r.Start();
  const std::string cmd = SetCommand();
  const int64_t work = state.range(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.log.Append(0, cmd));
    Work(work);
  }
  if (state.thread_index() == 0) r.Stop();
  state.SetItemsProcessed(state.iterations());
}

Reader<WriteLog>* write_log_reader = [] {
  auto* r = new Reader<WriteLog>;
  r->log.set_enabled(true);
  return r;
}();
Reader<MutexLog>* mutex_log_reader = new Reader<MutexLog>;

void BM_WriteLog(benchmark::State& state) { Run(state, *write_log_reader); }
void BM_MutexLog(benchmark::State& state) { Run(state, *mutex_log_reader); }

BENCHMARK(BM_WriteLog)->Arg(0)->Arg(100)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_MutexLog)->Arg(0)->Arg(100)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
