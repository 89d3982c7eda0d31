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

void WriteLog::set_enabled(bool on) {
  std::lock_guard<AppendLock> lock(mu_);
  // A reader attaching starts at the current offset: bytes a previous reader left are not its.
  if (on && !batch_reader_) pending_.clear();
  batch_reader_ = on;
  enabled_.store(batch_reader_ || !taps_.empty(), std::memory_order_relaxed);
}

uint64_t WriteLog::AddTap(WriteLogTap* tap) {
  std::lock_guard<AppendLock> lock(mu_);
  taps_.push_back(tap);
  has_taps_ = true;
  repl_db_ = -1;  // the tap's stream must not depend on an earlier SELECT
  enabled_.store(true, std::memory_order_relaxed);
  replicating_.store(true, std::memory_order_relaxed);
  return offset_.load(std::memory_order_relaxed);
}

void WriteLog::RemoveTap(WriteLogTap* tap) {
  std::lock_guard<AppendLock> lock(mu_);
  std::erase(taps_, tap);
  has_taps_ = !taps_.empty();
  enabled_.store(batch_reader_ || !taps_.empty(), std::memory_order_relaxed);
}

namespace {

constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";

void AppendSelect(std::string* out, int db) {
  std::string db_text = std::to_string(db);
  std::string_view argv[] = {"SELECT", db_text};
  AppendRespCommand(out, argv);
}

}  // namespace

uint64_t WriteLog::Append(int db, std::string_view commands, int end_db) {
  std::unique_lock<AppendLock> lock(mu_);
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
  if (before < kWakeBytes && pending_.size() >= kWakeBytes) {
    lock.unlock();
    Wake();
  }
  return aof_end;
}

uint64_t WriteLog::AppendRecords(std::span<const LogRecord> records) {
  std::unique_lock<AppendLock> lock(mu_);
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
  if (before < kWakeBytes && pending_.size() >= kWakeBytes) {
    lock.unlock();
    Wake();
  }
  return aof_end;
}

void WriteLog::set_taps_muted(bool muted) {
  std::lock_guard<AppendLock> lock(mu_);
  taps_muted_ = muted;
}

uint64_t WriteLog::Take(std::string* out) {
  out->clear();
  std::lock_guard<AppendLock> lock(mu_);
  pending_.swap(*out);
  return aof_offset_.load(std::memory_order_relaxed);
}

size_t WriteLog::PendingBytes() {
  std::lock_guard<AppendLock> lock(mu_);
  return pending_.capacity();
}

bool WriteLog::WaitForBytes(int timeout_ms) {
  {
    std::unique_lock<std::mutex> lock(wake_mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return woken_; });
    woken_ = false;
  }
  std::lock_guard<AppendLock> lock(mu_);
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
  aof_db_ = -1;
}

}  // namespace tessera::persistence
