#include "persistence/aof.h"

#include <fcntl.h>
#include <pthread.h>
#include <strings.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/base/split_args.h"

namespace tessera::persistence {

namespace {

int64_t MonotonicUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A file name as the manifest holds it: bare, or quoted with escapes when it holds blanks,
// quotes, backslashes or unprintable bytes (Redis's sdscatrepr), so SplitArgs reads it back.
std::string ManifestName(const std::string& name) {
  bool plain = !name.empty();
  for (unsigned char c : name) {
    if (c == '\\' || c == '"' || !std::isprint(c) || std::isspace(c)) plain = false;
  }
  return plain ? name : QuoteArg(name);
}

void AppendLine(std::string* out, const AofFileInfo& f) {
  *out += "file " + ManifestName(f.name) + " seq " + std::to_string(f.seq) + " type ";
  out->push_back(static_cast<char>(f.type));
  out->push_back('\n');
}

}  // namespace

std::string AofManifest::Serialize() const {
  std::string out;
  if (base) AppendLine(&out, *base);
  for (const AofFileInfo& f : history) AppendLine(&out, f);
  for (const AofFileInfo& f : incrs) AppendLine(&out, f);
  return out;
}

bool AofManifest::Parse(std::string_view text, AofManifest* out, std::string* error) {
  // Redis's rules: a line starting with '#' is a comment; every other line (blank ones too)
  // must be at most kMaxLine bytes and end with '\n', and hold at least three key/value pairs
  // (keys compared without case; unknown keys are skipped, for forward compatibility).
  constexpr size_t kMaxLine = 1024;
  *out = AofManifest();
  if (text.empty()) {
    *error = "Found an empty AOF manifest";
    return false;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    const bool has_newline = end != std::string_view::npos;
    if (!has_newline) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line[0] == '#') continue;
    if (!has_newline || line.size() + 1 > kMaxLine) {
      *error = "The AOF manifest file contains too long line";
      return false;
    }
    while (!line.empty() && std::strchr(" \t\r", line.back()) != nullptr) line.remove_suffix(1);
    while (!line.empty() && std::strchr(" \t\r", line.front()) != nullptr) line.remove_prefix(1);
    std::vector<std::string> words;
    if (line.empty() || !SplitArgs(line, &words) || words.size() < 6 || words.size() % 2 != 0) {
      *error = "Invalid AOF manifest file format";
      return false;
    }
    AofFileInfo f;
    char type = 0;
    for (size_t i = 0; i < words.size(); i += 2) {
      const std::string& k = words[i];
      const std::string& v = words[i + 1];
      if (strcasecmp(k.c_str(), "file") == 0) {
        if (v.find('/') != std::string::npos) {
          *error = "File can't be a path, just a filename";
          return false;
        }
        f.name = v;
      } else if (strcasecmp(k.c_str(), "seq") == 0) {
        f.seq = std::atoll(v.c_str());
      } else if (strcasecmp(k.c_str(), "type") == 0) {
        type = v.empty() ? 0 : v[0];
      }
    }
    if (f.name.empty() || f.seq == 0 || type == 0) {
      *error = "Invalid AOF manifest file format";
      return false;
    }
    if (type != 'b' && type != 'h' && type != 'i') {
      *error = "Unknown AOF file type";
      return false;
    }
    f.type = static_cast<AofFileInfo::Type>(type);
    switch (f.type) {
      case AofFileInfo::Type::kBase:
        if (out->base) {
          *error = "Found duplicate base file information";
          return false;
        }
        out->base = f;
        break;
      case AofFileInfo::Type::kHistory:
        out->history.push_back(f);
        break;
      case AofFileInfo::Type::kIncr:
        if (!out->incrs.empty() && f.seq <= out->incrs.back().seq) {
          *error = "Found a non-monotonic sequence number";
          return false;
        }
        out->incrs.push_back(f);
        break;
    }
  }
  return true;
}

std::string AofBaseName(const std::string& appendfilename, int64_t seq, bool rdb) {
  return appendfilename + "." + std::to_string(seq) + ".base" + (rdb ? ".rdb" : ".aof");
}

std::string AofIncrName(const std::string& appendfilename, int64_t seq) {
  return appendfilename + "." + std::to_string(seq) + ".incr.aof";
}

std::string AofManifestName(const std::string& appendfilename) {
  return appendfilename + ".manifest";
}

void FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return std::strerror(errno);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string err = std::strerror(n < 0 ? errno : ENOSPC);
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  }
  FsyncDirectory(std::filesystem::path(path).parent_path().string());
  return "";
}

// ---- AofWriter ----

AofWriter::AofWriter(WriteLog* log, int fd, uint64_t file_size, uint64_t start_offset,
                     std::function<void()> on_durable)
    : log_(log),
      on_durable_(std::move(on_durable)),
      fd_(fd),
      taken_mark_(log->merged_mark()),
      written_(start_offset),
      durable_(start_offset),
      written_mark_(taken_mark_),
      durable_mark_(taken_mark_),
      file_size_(file_size) {
  last_fsync_us_ = MonotonicUs();
  thread_ = std::thread([this] { Run(); });
}

AofWriter::~AofWriter() { Close(); }

void AofWriter::Close() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_release);
    log_->Wake();
    thread_.join();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    WriteLocked();  // what the log holds now
    closed_ = true;
  }
  // A Sync that read a descriptor before closed_ was set finishes first.
  std::lock_guard<std::mutex> sync(sync_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : old_fds_) {
    ::fsync(fd);
    ::close(fd);
  }
  old_fds_.clear();
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  if (switch_fd_ >= 0) ::close(switch_fd_);
  switch_fd_ = -1;
  std::string().swap(batch_);
  std::string().swap(retry_);
}

void AofWriter::SwitchFileAt(uint64_t at, int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    ::close(fd);
    return;
  }
  switch_at_ = at;
  switch_fd_ = fd;
}

std::string AofWriter::last_error() const {
  if (!failing_.load(std::memory_order_relaxed)) return "";  // every write asks: no lock then
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_;
}

void AofWriter::SetError(int err, bool fsync) {
  std::lock_guard<std::mutex> lock(error_mu_);
  error_ = std::strerror(err);
  error_from_fsync_ = fsync;
  failing_.store(true, std::memory_order_relaxed);
}

void AofWriter::BeforeReplySlow(uint64_t mark) {
  // A failing disk is retried by the writer thread; replies do not wait for it (the writes
  // that come next are refused with MISCONF).
  if (failing_.load(std::memory_order_relaxed)) return;
  if (written_mark_.load(std::memory_order_acquire) < mark && LockUnlessWritten(mark)) {
    std::lock_guard<std::mutex> lock(mu_, std::adopt_lock);
    // Another worker may have written these bytes while this one waited for the mutex.
    if (closed_) return;
    if (written_mark_.load(std::memory_order_relaxed) < mark && !WriteLocked()) return;
  }
  if (policy() == FsyncPolicy::kAlways && durable_mark_.load(std::memory_order_acquire) < mark) {
    // Group commit: whoever gets the mutex fsyncs every byte written so far; the others find
    // their bytes durable when they get it.
    std::lock_guard<std::mutex> sync(sync_mu_);
    if (durable_mark_.load(std::memory_order_acquire) < mark) Sync(true);
  }
}

bool AofWriter::LockUnlessWritten(uint64_t mark) {
  // While another worker writes (a few microseconds: its write() into the page cache), its
  // batch often holds this caller's bytes too: watch for that before sleeping on the mutex,
  // which would cost a context switch and the holder a wake-up system call.
  for (int i = 0; i < kWriteSpins; ++i) {
    if ((i & 7) == 0 && mu_.try_lock()) return true;
    if (written_mark_.load(std::memory_order_acquire) >= mark) return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  mu_.lock();
  return true;
}

bool AofWriter::WriteLocked() {
  if (closed_) return false;
  if (!retry_.empty()) {
    std::string retry = std::move(retry_);
    retry_.clear();
    if (!WriteBatch(retry, retry_from_)) return false;
  }
  const uint64_t end = log_->Take(&batch_, &taken_mark_);
  if (!batch_.empty()) {
    if (timestamps_.load(std::memory_order_relaxed)) {
      const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
      if (now_s != last_timestamp_s_) {
        last_timestamp_s_ = now_s;
        std::string ts = "#TS:" + std::to_string(now_s) + "\r\n";
        WriteAll(fd_, ts.data(), ts.size());
      }
    }
    const int64_t sleep_us = flush_sleep_us_.load(std::memory_order_relaxed);
    if (sleep_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    if (!WriteBatch(batch_, end - batch_.size())) return false;
  }
  written_mark_.store(taken_mark_, std::memory_order_release);
  if (failing_.load(std::memory_order_relaxed)) {
    // A write failure is over once the bytes it kept are written (an fsync's, see Sync).
    std::lock_guard<std::mutex> lock(error_mu_);
    if (!error_from_fsync_) {
      error_.clear();
      failing_.store(false, std::memory_order_relaxed);
    }
  }
  return true;
}

bool AofWriter::WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      SetError(w < 0 ? errno : ENOSPC);
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    file_size_.fetch_add(static_cast<uint64_t>(w), std::memory_order_relaxed);
  }
  return true;
}

bool AofWriter::WriteBatch(const std::string& bytes, uint64_t from) {
  // Under mu_.  A switch happens when the bytes reach its offset (also exactly at the end of
  // what is written, so that the next bytes go to the new file even if they come much later);
  // the old file is left to Sync, which fsyncs and closes it off the reply path.
  auto switch_file = [&] {
    old_fds_.push_back(fd_);
    fd_ = switch_fd_;
    switch_fd_ = -1;
    switch_at_.reset();
    file_size_.store(0, std::memory_order_relaxed);
  };
  size_t pos = 0;
  while (pos < bytes.size()) {
    const uint64_t here = from + pos;
    size_t n = bytes.size() - pos;
    if (switch_at_ && *switch_at_ <= here) {
      switch_file();
      continue;
    }
    if (switch_at_ && *switch_at_ < here + n) n = static_cast<size_t>(*switch_at_ - here);
    const uint64_t size_before = file_size_.load(std::memory_order_relaxed);
    if (!WriteAll(fd_, bytes.data() + pos, n)) {
      // A partial write (disk full) is cut off again, as Redis does, so that the next attempt
      // writes the whole piece once; what is not written is kept for it.
      if (::ftruncate(fd_, static_cast<off_t>(size_before)) == 0 &&
          ::lseek(fd_, static_cast<off_t>(size_before), SEEK_SET) >= 0) {
        file_size_.store(size_before, std::memory_order_relaxed);
      }
      retry_ = bytes.substr(pos);
      retry_from_ = here;
      return false;
    }
    pos += n;
    written_.store(here + n, std::memory_order_release);
  }
  if (switch_at_ && *switch_at_ <= from + bytes.size()) switch_file();
  return true;
}

void AofWriter::Sync(bool current) {
  // Under sync_mu_, which alone closes descriptors (with Close): fd stays open meanwhile.
  std::vector<int> old;
  int fd = -1;
  uint64_t target = 0;
  uint64_t target_mark = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    old.swap(old_fds_);
    fd = fd_;
    target = written_.load(std::memory_order_relaxed);
    target_mark = written_mark_.load(std::memory_order_relaxed);
  }
  auto fsync_fd = [&](int f) {
    if (::fsync(f) == 0 || errno == EINVAL) return true;
    SetError(errno, /*fsync=*/true);
    return false;
  };
  // The files switched away from first: a crash must not keep later bytes and lose earlier.
  for (int f : old) {
    fsync_fd(f);
    ::close(f);
  }
  if (!current) return;
  if (!skip_fsync_.load(std::memory_order_relaxed)) {
    if (!fsync_fd(fd)) return;
    if (failing_.load(std::memory_order_relaxed)) {
      // An fsync failure is over once one succeeds (a write failure once its bytes are written).
      std::lock_guard<std::mutex> lock(error_mu_);
      if (error_from_fsync_) {
        error_.clear();
        failing_.store(false, std::memory_order_relaxed);
      }
    }
  }
  uint64_t durable = durable_.load(std::memory_order_relaxed);
  while (durable < target &&
         !durable_.compare_exchange_weak(durable, target, std::memory_order_release)) {
  }
  AdvanceDurableMark(target_mark);
}

void AofWriter::AdvanceDurableMark(uint64_t mark) {
  uint64_t durable_mark = durable_mark_.load(std::memory_order_relaxed);
  while (durable_mark < mark &&
         !durable_mark_.compare_exchange_weak(durable_mark, mark, std::memory_order_release)) {
  }
  if (durable_mark < mark && on_durable_) on_durable_();
}

void AofWriter::CatchUpDurableMark() {
  // The merged mark first, the AOF offset after: every append before `mark` has its AOF bytes
  // below `end`, so if those are all durable, so is `mark`.
  const uint64_t mark = log_->merged_mark();
  if (mark <= durable_mark_.load(std::memory_order_acquire)) return;
  const uint64_t end = log_->aof_offset();
  if (durable_.load(std::memory_order_acquire) != end) return;  // bytes to fsync first
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || written_.load(std::memory_order_relaxed) != end ||
        durable_.load(std::memory_order_relaxed) != end) {
      return;
    }
    // Under mu_, so that no write moves written_mark_ meanwhile (a later one only raises it).
    if (written_mark_.load(std::memory_order_relaxed) < mark) {
      written_mark_.store(mark, std::memory_order_release);
    }
  }
  AdvanceDurableMark(mark);
}

void AofWriter::Run() {
  pthread_setname_np(pthread_self(), "aof_writer");
  uint64_t seen = written_.load(std::memory_order_relaxed);  // the log's end one tick ago
  int64_t last_retry_us = 0;
  int quiet_ticks = 0;  // ticks in a row that found the log as it was, all written
  bool idle = false;    // the last wait was a long one
  while (!stop_.load(std::memory_order_acquire)) {
    log_->WaitForBytes(idle ? kIdleTickMs : kTickMs);
    if (stop_.load(std::memory_order_acquire)) break;
    const int64_t now_us = MonotonicUs();
    const uint64_t end = log_->aof_offset();  // WaitForBytes merged what the lanes held
    const uint64_t written = written_.load(std::memory_order_acquire);
    quiet_ticks = end == seen && written == end ? quiet_ticks + 1 : 0;
    bool write = false;
    if (failing_.load(std::memory_order_relaxed)) {
      write = now_us - last_retry_us >= int64_t{kRetryMs} * 1000;
      if (write) last_retry_us = now_us;
    } else {
      // Bytes that waited a whole tick (no reply needed them), or a large backlog.
      write = written < seen || end - written >= WriteLog::kWakeBytes;
    }
    seen = end;
    if (write) {
      std::lock_guard<std::mutex> lock(mu_);
      WriteLocked();
    }
    const FsyncPolicy policy = policy_.load(std::memory_order_relaxed);
    const bool skip = skip_fsync_.load(std::memory_order_relaxed);
    bool has_old;
    {
      std::lock_guard<std::mutex> lock(mu_);
      has_old = !old_fds_.empty();
    }
    // everysec's fsync; also under always, for bytes this thread wrote that no reply waited
    // for.  Files switched away from are fsynced and closed at once, whatever the policy.
    const bool fsync_due =
        policy != FsyncPolicy::kNo && !skip &&
        durable_.load(std::memory_order_acquire) < written_.load(std::memory_order_acquire) &&
        now_us - last_fsync_us_ >= 1000000;
    if (fsync_due || has_old) {
      std::lock_guard<std::mutex> sync(sync_mu_);
      Sync(fsync_due);
      if (fsync_due) last_fsync_us_ = now_us;
    } else if (policy != FsyncPolicy::kNo && !skip) {
      CatchUpDurableMark();
    }
    idle = quiet_ticks >= kIdleAfterTicks && policy != FsyncPolicy::kAlways && !has_old &&
           !failing_.load(std::memory_order_relaxed);
  }
}

}  // namespace tessera::persistence
