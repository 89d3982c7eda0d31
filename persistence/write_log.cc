#include "persistence/write_log.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <chrono>
#include <cstring>

namespace tessera::persistence {

namespace {

// Writes "<type><n>\r\n" at p; returns the end.
char* PutLengthLine(char* p, char type, size_t n) {
  if (n < 100) {  // argument counts and most argument lengths
    *p++ = type;
    if (n >= 10) *p++ = static_cast<char>('0' + n / 10);
    *p++ = static_cast<char>('0' + n % 10);
    *p++ = '\r';
    *p++ = '\n';
    return p;
  }
  char digits[20];
  int len = 0;
  do {
    digits[len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  *p++ = type;
  while (len > 0) *p++ = digits[--len];
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

size_t LengthLineSize(size_t n) {
  if (n < 10) return 4;
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits + 3;
}

// One resize and straight copies: this runs for every logged write.
template <class Strings>
void AppendCommand(std::string* out, const Strings& argv) {
  size_t total = LengthLineSize(argv.size());
  for (const auto& a : argv) total += LengthLineSize(a.size()) + a.size() + 2;
  const size_t start = out->size();
  out->resize(start + total);
  char* p = out->data() + start;
  p = PutLengthLine(p, '*', argv.size());
  for (const auto& a : argv) {
    p = PutLengthLine(p, '$', a.size());
    std::memcpy(p, a.data(), a.size());
    p += a.size();
    *p++ = '\r';
    *p++ = '\n';
  }
}

}  // namespace

void AppendRespCommand(std::string* out, std::span<const std::string_view> argv) {
  AppendCommand(out, argv);
}

void AppendRespCommand(std::string* out, std::span<const std::string> argv) {
  AppendCommand(out, argv);
}

namespace {

constexpr int kSpins = 128;  // pauses before sleeping: a few microseconds, many copies' time

inline void Pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "the futex word is the atomic");

void WriteLog::AppendLock::LockSlow() noexcept {
  // Read before trying again, so that waiting shares the line instead of taking it away from
  // the holder on every try.
  for (int spins = 0; spins < kSpins; ++spins) {
    Pause();
    uint32_t s = state_.load(std::memory_order_relaxed);
    if (s == kFree && state_.compare_exchange_weak(s, kLocked, std::memory_order_acquire)) {
      return;
    }
  }
  // Sleep until the holder releases it; whoever takes it this way leaves it marked contended
  // (another sleeper may remain), so that its unlock wakes the next one.
  while (state_.exchange(kContended, std::memory_order_acquire) != kFree) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kContended,
            nullptr, nullptr, 0);
#else
    state_.wait(kContended, std::memory_order_relaxed);
#endif
  }
}

void WriteLog::AppendLock::Wake() noexcept {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
          0);
#else
  state_.notify_one();
#endif
}

namespace {

std::atomic<uint64_t> next_log_id{1};

// The lane this thread used last, and the log it belongs to (most threads append to one log).
struct LaneCache {
  uint64_t log_id = 0;
  void* lane = nullptr;
};
thread_local LaneCache lane_cache;

constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";

void AppendSelect(std::string* out, int db) {
  std::string db_text = std::to_string(db);
  std::string_view argv[] = {"SELECT", db_text};
  AppendRespCommand(out, argv);
}

}  // namespace

WriteLog::WriteLog() : id_(next_log_id.fetch_add(1, std::memory_order_relaxed)) {}

WriteLog::~WriteLog() {
  for (size_t i = 0; i < lane_count_.load(std::memory_order_acquire); ++i) {
    delete lanes_[i].load(std::memory_order_relaxed);
  }
}

WriteLog::Lane* WriteLog::MyLane() {
  if (lane_cache.log_id == id_) return static_cast<Lane*>(lane_cache.lane);
  return RegisterLane();
}

WriteLog::Lane* WriteLog::RegisterLane() {
  std::lock_guard<std::mutex> lock(register_mu_);
  const std::thread::id me = std::this_thread::get_id();
  const size_t n = lane_count_.load(std::memory_order_relaxed);
  Lane* lane = nullptr;
  // A thread id is reused only once its thread is gone: the lane is free again.
  for (size_t i = 0; i < n && lane == nullptr; ++i) {
    Lane* l = lanes_[i].load(std::memory_order_relaxed);
    if (l->owner == me) lane = l;
  }
  if (lane == nullptr) {
    if (n == kMaxLanes) return nullptr;
    lane = new Lane;
    lane->owner = me;
    lane->ring = std::make_unique<char[]>(kRingBytes);
    lanes_[n].store(lane, std::memory_order_relaxed);
    lane_count_.store(n + 1, std::memory_order_release);
  }
  lane_cache = {id_, lane};
  return lane;
}

void WriteLog::UpdateModeLocked() {
  enabled_.store(batch_reader_ || !taps_.empty(), std::memory_order_relaxed);
  lanes_on_.store(batch_reader_ && !replicating_.load(std::memory_order_relaxed),
                  std::memory_order_relaxed);
}

void WriteLog::set_enabled(bool on) {
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);  // what came before belongs to the old state
  // A reader attaching starts at the current offset: bytes a previous reader left are not its.
  if (on && !batch_reader_) pending_.clear();
  batch_reader_ = on;
  UpdateModeLocked();
}

uint64_t WriteLog::AddTap(WriteLogTap* tap) {
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);  // the tap starts after what was appended before
  taps_.push_back(tap);
  has_taps_ = true;
  repl_db_ = -1;  // the tap's stream must not depend on an earlier SELECT
  replicating_.store(true, std::memory_order_relaxed);
  UpdateModeLocked();
  return offset_.load(std::memory_order_relaxed);
}

void WriteLog::RemoveTap(WriteLogTap* tap) {
  std::lock_guard<AppendLock> lock(mu_);
  std::erase(taps_, tap);
  has_taps_ = !taps_.empty();
  UpdateModeLocked();
}

// Merging.  A lane's thread takes its ticket, copies its record, then publishes it (tail);
// the direct path takes its ticket under mu_ and emits before releasing it.  So a merger
// holding mu_ knows that every ticket below the counter it read is either merged already or
// in a lane, published or about to be (its thread is between the two steps: a copy).  The
// tickets' acq_rel orders a lane's registration before its tickets, so reading the lane
// count after the counter finds every lane that holds one of them.  Each lane's tickets grow,
// so the merge takes, for each next ticket, the head record of the lane that holds it.
void WriteLog::MergeLocked(uint64_t limit) {
  uint64_t next = next_emit_.load(std::memory_order_relaxed);
  if (limit == 0) limit = next_ticket_.load(std::memory_order_acquire);
  if (next >= limit) return;
  size_t n = lane_count_.load(std::memory_order_acquire);
  Lane* lanes[kMaxLanes];
  uint64_t heads[kMaxLanes];
  uint64_t tails[kMaxLanes];
  for (size_t i = 0; i < n; ++i) {
    lanes[i] = lanes_[i].load(std::memory_order_relaxed);
    heads[i] = lanes[i]->head.load(std::memory_order_relaxed);
    tails[i] = lanes[i]->tail.load(std::memory_order_acquire);
  }
  int waits = 0;
  while (next < limit) {
    Lane* from = nullptr;
    LaneHeader h{};
    size_t i = 0;
    for (; i < n; ++i) {
      Lane* l = lanes[i];
      while (heads[i] != tails[i]) {
        std::memcpy(&h, l->ring.get() + (heads[i] & (kRingBytes - 1)), sizeof h);
        if (h.ticket != kPadTicket) break;
        heads[i] += sizeof h + h.size;  // a pad: the ring's end
      }
      if (heads[i] != tails[i] && h.ticket == next) {
        from = l;
        break;
      }
    }
    if (from == nullptr) {
      // Its thread is still copying it: look again (and for a lane registered meanwhile).
      if (++waits > 64) std::this_thread::yield();
      Pause();
      for (const size_t now = lane_count_.load(std::memory_order_acquire); n < now; ++n) {
        lanes[n] = lanes_[n].load(std::memory_order_relaxed);
        heads[n] = lanes[n]->head.load(std::memory_order_relaxed);
      }
      for (size_t j = 0; j < n; ++j) tails[j] = lanes[j]->tail.load(std::memory_order_acquire);
      continue;
    }
    const char* bytes = from->ring.get() + (heads[i] & (kRingBytes - 1)) + sizeof h;
    EmitLocked(h.db, std::string_view(bytes, h.size), h.end_db);
    heads[i] += (sizeof h + h.size + 15) & ~size_t{15};
    ++next;
  }
  next_emit_.store(next, std::memory_order_release);
  for (size_t i = 0; i < n; ++i) lanes[i]->head.store(heads[i], std::memory_order_release);
}

bool WriteLog::AppendToLane(int db, std::string_view commands, int end_db, uint64_t* mark) {
  const size_t need = (sizeof(LaneHeader) + commands.size() + 15) & ~size_t{15};
  if (need > kMaxLaneRecord) return false;
  Lane* lane = MyLane();
  if (lane == nullptr) return false;
  uint64_t tail = lane->tail.load(std::memory_order_relaxed);
  size_t pos = tail & (kRingBytes - 1);
  const size_t to_end = kRingBytes - pos;
  const size_t total = need > to_end ? need + to_end : need;
  if (tail + total - lane->cached_head > kRingBytes) {
    lane->cached_head = lane->head.load(std::memory_order_acquire);
    if (tail + total - lane->cached_head > kRingBytes) {
      // Full (no reader merged for a while): merge everything, this lane's records included;
      // this thread holds no ticket of its own yet, so nothing waits for it.
      {
        std::lock_guard<AppendLock> lock(mu_);
        MergeLocked(0);
      }
      lane->cached_head = lane->head.load(std::memory_order_acquire);
    }
  }
  char* ring = lane->ring.get();
  if (need > to_end) {
    const LaneHeader pad{kPadTicket, static_cast<uint32_t>(to_end - sizeof(LaneHeader)), -1, -1};
    std::memcpy(ring + pos, &pad, sizeof pad);
    tail += to_end;
    pos = 0;
  }
  const uint64_t ticket = next_ticket_.fetch_add(1, std::memory_order_acq_rel);
  const LaneHeader h{ticket, static_cast<uint32_t>(commands.size()), static_cast<int16_t>(db),
                     static_cast<int16_t>(end_db)};
  std::memcpy(ring + pos, &h, sizeof h);
  std::memcpy(ring + pos + sizeof h, commands.data(), commands.size());
  lane->tail.store(tail + need, std::memory_order_release);
  *mark = ticket + 1;
  return true;
}

void WriteLog::EmitLocked(int db, std::string_view commands, int end_db) {
  // What goes before `commands` in each stream: the SELECT, after the MULTI when the bytes
  // are a transaction (Redis 7 propagates "MULTI, SELECT, ..." so that the SELECT is inside
  // it).  The streams usually have the same database selected; they differ after a
  // replica-only record in another database.
  std::string_view aof_head;
  std::string_view repl_head;
  if (db >= 0 && (db != aof_db_ || db != repl_db_)) {
    std::string_view no_select;
    select_.clear();
    if (commands.starts_with(kMulti)) {
      select_.append(kMulti);
      commands.remove_prefix(kMulti.size());
      no_select = kMulti;
    }
    AppendSelect(&select_, db);
    aof_head = db != aof_db_ ? std::string_view(select_) : no_select;
    repl_head = db != repl_db_ ? std::string_view(select_) : no_select;
  }
  if (db >= 0) aof_db_ = repl_db_ = db;
  if (end_db >= 0) aof_db_ = repl_db_ = end_db;
  const size_t before = pending_.size();
  if (batch_reader_) {
    pending_.append(aof_head);
    pending_.append(commands);
  }
  const uint64_t aof_end =
      aof_offset_.load(std::memory_order_relaxed) + aof_head.size() + commands.size();
  aof_offset_.store(aof_end, std::memory_order_release);
  uint64_t end = offset_.load(std::memory_order_relaxed) + repl_head.size() + commands.size();
  offset_.store(end, std::memory_order_release);
  if (has_taps_ && !taps_muted_) {
    for (WriteLogTap* tap : taps_) tap->OnAppend(repl_head, commands, end);
  }
  // The reader wakes on its own every few milliseconds and takes everything in one batch; a
  // wake-up per append would cost a system call per write.  Only a large backlog calls it
  // early, to bound the buffer.
  if (before < kWakeBytes && pending_.size() >= kWakeBytes) Wake();
}

uint64_t WriteLog::Append(int db, std::string_view commands, int end_db) {
  uint64_t mark;
  if (lanes_on_.load(std::memory_order_relaxed) && AppendToLane(db, commands, end_db, &mark)) {
    return mark;
  }
  std::lock_guard<AppendLock> lock(mu_);
  const uint64_t ticket = next_ticket_.fetch_add(1, std::memory_order_acq_rel);
  if (next_emit_.load(std::memory_order_relaxed) != ticket) MergeLocked(ticket);
  EmitLocked(db, commands, end_db);
  next_emit_.store(ticket + 1, std::memory_order_release);
  return ticket + 1;
}

uint64_t WriteLog::AppendRecords(std::span<const LogRecord> records) {
  std::lock_guard<AppendLock> lock(mu_);
  const uint64_t ticket = next_ticket_.fetch_add(1, std::memory_order_acq_rel);
  if (next_emit_.load(std::memory_order_relaxed) != ticket) MergeLocked(ticket);
  EmitRecordsLocked(records);
  next_emit_.store(ticket + 1, std::memory_order_release);
  return ticket + 1;
}

void WriteLog::EmitRecordsLocked(std::span<const LogRecord> records) {
  scratch_.clear();
  const size_t before = pending_.size();
  uint64_t aof_bytes = 0;
  auto to_aof = [&](std::string_view bytes) {
    if (batch_reader_) pending_.append(bytes);
    aof_bytes += bytes.size();
  };
  for (const LogRecord& r : records) {
    if (r.db >= 0 && r.db != repl_db_) {
      AppendSelect(&scratch_, r.db);
      repl_db_ = r.db;
    }
    scratch_.append(r.bytes);
    if (!r.aof) continue;
    if (r.db >= 0 && r.db != aof_db_) {
      select_.clear();
      AppendSelect(&select_, r.db);
      to_aof(select_);
      aof_db_ = r.db;
    }
    to_aof(r.bytes);
  }
  const uint64_t aof_end = aof_offset_.load(std::memory_order_relaxed) + aof_bytes;
  aof_offset_.store(aof_end, std::memory_order_release);
  const uint64_t end = offset_.load(std::memory_order_relaxed) + scratch_.size();
  offset_.store(end, std::memory_order_release);
  if (has_taps_ && !taps_muted_) {
    for (WriteLogTap* tap : taps_) tap->OnAppend({}, scratch_, end);
  }
  if (before < kWakeBytes && pending_.size() >= kWakeBytes) Wake();
}

uint64_t WriteLog::AofOffsetThrough(uint64_t mark) {
  if (next_emit_.load(std::memory_order_acquire) >= mark) {
    return aof_offset_.load(std::memory_order_acquire);
  }
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);
  return aof_offset_.load(std::memory_order_relaxed);
}

uint64_t WriteLog::Collect() {
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);
  return aof_offset_.load(std::memory_order_relaxed);
}

void WriteLog::set_taps_muted(bool muted) {
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);
  taps_muted_ = muted;
}

uint64_t WriteLog::Take(std::string* out, uint64_t* mark) {
  out->clear();
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);
  pending_.swap(*out);
  if (mark != nullptr) *mark = next_emit_.load(std::memory_order_relaxed);
  return aof_offset_.load(std::memory_order_relaxed);
}

size_t WriteLog::PendingBytes() {
  std::lock_guard<AppendLock> lock(mu_);
  return pending_.capacity() + lane_count_.load(std::memory_order_acquire) * kRingBytes;
}

bool WriteLog::WaitForBytes(int timeout_ms) {
  {
    std::unique_lock<std::mutex> lock(wake_mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return woken_; });
    woken_ = false;
  }
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);
  return !pending_.empty();
}

void WriteLog::Wake() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void WriteLog::ForgetSelectedDb() {
  std::lock_guard<AppendLock> lock(mu_);
  MergeLocked(0);
  aof_db_ = -1;
}

}  // namespace tessera::persistence
