#include "persistence/rdb_parallel.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "persistence/rdb_format.h"

namespace tessera::persistence::rdb {

namespace {

using keyspace::Entry;

constexpr size_t kRingBatches = 8;
constexpr size_t kBatchJobs = 256;

// Reads one RDB string without decoding it (into the record).
bool SkipString(Input& in) {
  uint64_t len;
  bool encoded;
  if (!in.ReadLength(&len, &encoded)) return false;
  if (!encoded) return in.Skip(len);
  switch (len) {
    case kEncInt8:
      return in.Skip(1);
    case kEncInt16:
      return in.Skip(2);
    case kEncInt32:
      return in.Skip(4);
    case kEncLzf: {
      uint64_t clen, ulen;
      return in.ReadLength(&clen) && in.ReadLength(&ulen) && in.Skip(clen);
    }
  }
  return false;
}

// Reads the value of a deferred type without decoding it: the reads ReadValue makes, in its
// order.  False at the first failed or malformed read.
bool FrameValue(Input& in, uint8_t type) {
  uint64_t n;
  switch (type) {
    case kTypeList:
    case kTypeSet:
    case kTypeListQuicklist:
      if (!in.ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!SkipString(in)) return false;
      }
      return true;
    case kTypeHash:
      if (!in.ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!SkipString(in) || !SkipString(in)) return false;
      }
      return true;
    case kTypeZSet2:
      if (!in.ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!SkipString(in) || !in.Skip(8)) return false;
      }
      return true;
    case kTypeListQuicklist2:
      if (!in.ReadLength(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t container;
        if (!in.ReadLength(&container) || !SkipString(in)) return false;
      }
      return true;
    default:  // one string: a packed blob
      return SkipString(in);
  }
}

struct Job {
  int db = 0;
  uint8_t type = 0;
  bool decoded = false;  // st and e are final (decoded in place, or framing failed)
  std::string key;
  std::string raw;    // the value's bytes as in the file
  uint64_t base = 0;  // the file offset of raw[0]
  KeyPrefix prefix;
  Status st;
  Entry* e = nullptr;
};

void Decode(Job& job, const LoadOptions& opts) {
  if (job.decoded) return;
  MemorySource src(job.raw);
  Input in(src, job.base);
  try {
    job.st = ReadValue(in, job.type, job.key, opts, &job.e);
  } catch (const std::bad_alloc&) {
    job.st = Input::ShortRead();
  }
  if (job.st.ok() && src.remaining() != 0) {
    // Framing and ReadValue disagree on where the value ends: a bug, never a wrong value.
    Entry::Free(job.e);
    job.e = nullptr;
    job.st = in.Corrupt("value decoded short of its framed end");
  }
  job.decoded = true;
}

struct Batch {
  enum State { kFilling, kQueued, kClaimed, kDone };
  std::vector<Job> jobs{kBatchJobs};
  size_t n = 0;
  State state = kFilling;  // guarded by Impl::mu
};

}  // namespace

struct ParallelDecoder::Impl {
  Impl(const LoadOptions& o, const LoadCallbacks& c) : opts(o), cb(c), ring(kRingBatches) {}

  const LoadOptions& opts;
  const LoadCallbacks& cb;
  std::vector<Batch> ring;
  size_t fill = 0;         // the batch being filled
  size_t oldest = 0;       // the oldest batch submitted and not delivered
  size_t outstanding = 0;  // batches submitted and not delivered
  Status error;            // the first error delivered
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::deque<size_t> queue;  // submitted batches no thread has claimed
  bool stop = false;
  std::vector<std::thread> threads;

  void DecodeBatch(Batch& b) {
    for (size_t i = 0; i < b.n; ++i) Decode(b.jobs[i], opts);
  }

  void Worker() {
    for (;;) {
      size_t idx;
      {
        std::unique_lock<std::mutex> lock(mu);
        work_cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (queue.empty()) return;
        idx = queue.front();
        queue.pop_front();
        ring[idx].state = Batch::kClaimed;
      }
      DecodeBatch(ring[idx]);
      {
        std::lock_guard<std::mutex> lock(mu);
        ring[idx].state = Batch::kDone;
      }
      done_cv.notify_all();
    }
  }

  void Submit() {
    if (ring[fill].n == 0) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      ring[fill].state = Batch::kQueued;
      queue.push_back(fill);
    }
    work_cv.notify_one();
    ++outstanding;
    fill = (fill + 1) % kRingBatches;
    if (outstanding == kRingBatches) DeliverOldest();
  }

  // Waits for the oldest batch (decoding it here if no thread took it yet), then runs its
  // callbacks in order; after an error, only frees what the jobs built.
  // While a decoder thread has the oldest batch, this thread decodes the newest queued ones
  // instead of waiting: the reading thread and the decoders share the decoding, so that on
  // two cores neither side idles while the other has work.
  void DeliverOldest() {
    Batch& b = ring[oldest];
    bool mine = false;
    {
      std::unique_lock<std::mutex> lock(mu);
      for (;;) {
        if (b.state == Batch::kQueued) {
          queue.erase(std::find(queue.begin(), queue.end(), oldest));
          b.state = Batch::kClaimed;
          mine = true;
          break;
        }
        if (b.state == Batch::kDone) break;
        if (queue.empty()) {
          done_cv.wait(lock, [&] { return b.state == Batch::kDone; });
          break;
        }
        const size_t idx = queue.back();
        queue.pop_back();
        ring[idx].state = Batch::kClaimed;
        lock.unlock();
        DecodeBatch(ring[idx]);
        lock.lock();
        ring[idx].state = Batch::kDone;
      }
    }
    if (mine) DecodeBatch(b);
    for (size_t i = 0; i < b.n; ++i) Deliver(b.jobs[i]);
    b.n = 0;
    b.state = Batch::kFilling;
    oldest = (oldest + 1) % kRingBatches;
    --outstanding;
  }

  void Deliver(Job& job) {
    Entry* e = job.e;
    job.e = nullptr;
    if (!error.ok()) {
      if (e != nullptr) Entry::Free(e);
      return;
    }
    Status st = DeliverKey(job.st, e, job.key, job.db, job.prefix, opts, cb);
    if (!st.ok()) error = st;
  }

  Job& NextJob(int db, uint8_t type, std::string key, const KeyPrefix& prefix) {
    Job& job = ring[fill].jobs[ring[fill].n++];
    job.db = db;
    job.type = type;
    job.decoded = false;
    job.key = std::move(key);
    job.prefix = prefix;
    job.st = Status::Ok();
    job.e = nullptr;
    return job;
  }

  Status Drain() {
    Submit();
    while (outstanding > 0) DeliverOldest();
    return error;
  }
};

ParallelDecoder::ParallelDecoder(const LoadOptions& opts, const LoadCallbacks& cb)
    : impl_(new Impl(opts, cb)) {
  for (int i = 0; i < opts.decode_threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->Worker(); });
  }
}

ParallelDecoder::~ParallelDecoder() {
  impl_->error = Status::Corrupt("load abandoned");  // frees, delivers nothing
  impl_->Drain();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->work_cv.notify_all();
  for (std::thread& t : impl_->threads) t.join();
  delete impl_;
}

Status ParallelDecoder::AddDeferred(Input& in, uint8_t type, std::string key, int db,
                                    const KeyPrefix& prefix) {
  Job& job = impl_->NextJob(db, type, std::move(key), prefix);
  job.raw.clear();
  job.base = in.offset();
  in.set_record(&job.raw);
  const bool framed = FrameValue(in, type);
  in.set_record(nullptr);
  if (!framed) {
    // The serial reader on the same bytes fails where the serial load would, with its error.
    Decode(job, impl_->opts);
    if (job.st.ok()) {
      Entry::Free(job.e);
      job.e = nullptr;
      job.st = in.failed_read() ? Input::ShortRead() : in.ReadError();
    }
    return impl_->Drain();
  }
  // Keep a batch's raw bytes bounded: a few large values fill it as 256 small ones would.
  if (impl_->ring[impl_->fill].n == kBatchJobs || job.raw.size() > (size_t{1} << 20)) {
    impl_->Submit();
  }
  return impl_->error;
}

Status ParallelDecoder::AddDecoded(Status st, Entry* e, std::string key, int db,
                                   const KeyPrefix& prefix) {
  if (impl_->outstanding == 0 && impl_->ring[impl_->fill].n == 0) {
    // Nothing queued before it: deliver now (a file of plain strings never queues).
    if (!impl_->error.ok()) {
      if (e != nullptr) Entry::Free(e);
      return impl_->error;
    }
    Status d = DeliverKey(st, e, key, db, prefix, impl_->opts, impl_->cb);
    if (!d.ok()) impl_->error = d;
    return impl_->error;
  }
  Job& job = impl_->NextJob(db, 0, std::move(key), prefix);
  job.decoded = true;
  job.st = st;
  job.e = e;
  if (!st.ok() && st.code() != Status::Code::kEmptyKey) return impl_->Drain();
  if (impl_->ring[impl_->fill].n == kBatchJobs) impl_->Submit();
  return impl_->error;
}

Status ParallelDecoder::Drain() { return impl_->Drain(); }

}  // namespace tessera::persistence::rdb
