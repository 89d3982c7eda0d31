#include "persistence/aof.h"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

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

AofWriter::AofWriter(WriteLog* log, int fd, uint64_t file_size, uint64_t start_offset)
    : log_(log), fd_(fd), durable_(start_offset), written_(start_offset), file_size_(file_size) {
  last_fsync_us_ = MonotonicUs();
  thread_ = std::thread([this] { Run(); });
}

AofWriter::~AofWriter() {
  stop_.store(true, std::memory_order_release);
  log_->Wake();
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
  }
  if (switch_fd_ >= 0) ::close(switch_fd_);
}

void AofWriter::SwitchFileAt(uint64_t at, int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  switch_at_ = at;
  switch_fd_ = fd;
}

std::string AofWriter::last_error() const {
  if (!failing_.load(std::memory_order_relaxed)) return "";  // every write asks: no lock then
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void AofWriter::WaitDurable(uint64_t offset) {
  if (policy_.load(std::memory_order_relaxed) != FsyncPolicy::kAlways) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (durable_ >= offset) return;
  }
  log_->Wake();
  std::unique_lock<std::mutex> lock(mu_);
  durable_cv_.wait(lock, [&] {
    return durable_ >= offset || !error_.empty() || stop_.load(std::memory_order_relaxed);
  });
}

bool AofWriter::WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::strerror(w < 0 ? errno : ENOSPC);
      failing_.store(true, std::memory_order_relaxed);
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    file_size_.fetch_add(static_cast<uint64_t>(w), std::memory_order_relaxed);
  }
  return true;
}

void AofWriter::Fsync(int fd) {
  if (::fsync(fd) != 0 && errno != EINVAL) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::strerror(errno);
    failing_.store(true, std::memory_order_relaxed);
  }
  last_fsync_us_ = MonotonicUs();
}

bool AofWriter::WriteBatch(const std::string& bytes, uint64_t from) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    int fd = -1;
    std::optional<uint64_t> switch_at;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fd = fd_;
      switch_at = switch_at_;
    }
    uint64_t here = from + pos;
    size_t n = bytes.size() - pos;
    if (switch_at && *switch_at <= here) {
      // Every byte before the switch is in the old file: make it durable, then move on.
      Fsync(fd);
      std::lock_guard<std::mutex> lock(mu_);
      ::close(fd_);
      fd_ = switch_fd_;
      switch_fd_ = -1;
      switch_at_.reset();
      file_size_.store(0, std::memory_order_relaxed);
      continue;
    }
    if (switch_at && *switch_at < here + n) n = static_cast<size_t>(*switch_at - here);
    const uint64_t size_before = file_size_.load(std::memory_order_relaxed);
    if (!WriteAll(fd, bytes.data() + pos, n)) {
      // A partial write (disk full) is cut off again, as Redis does, so that the next attempt
      // writes the whole piece once; what is not written is kept for it.
      if (::ftruncate(fd, static_cast<off_t>(size_before)) == 0 &&
          ::lseek(fd, static_cast<off_t>(size_before), SEEK_SET) >= 0) {
        file_size_.store(size_before, std::memory_order_relaxed);
      }
      pending_ = bytes.substr(pos);
      pending_from_ = here;
      return false;
    }
    pos += n;
    written_.store(here + n, std::memory_order_release);
  }
  // A switch exactly at the end of what was written happens now, so that the next bytes go to
  // the new file even if they come much later.
  std::lock_guard<std::mutex> lock(mu_);
  if (switch_at_ && *switch_at_ <= from + bytes.size()) {
    ::fsync(fd_);
    ::close(fd_);
    fd_ = switch_fd_;
    switch_fd_ = -1;
    switch_at_.reset();
    file_size_.store(0, std::memory_order_relaxed);
  }
  return true;
}

void AofWriter::Run() {
  std::string batch;
  bool dirty = false;  // written since the last fsync
  for (;;) {
    const bool stopping = stop_.load(std::memory_order_acquire);
    // Every few milliseconds (appendfsync always: when a worker waits for its replies).
    if (!stopping) log_->WaitForBytes(pending_.empty() ? kBatchMs : 1000);
    bool ok = true;
    if (!pending_.empty()) {
      std::string retry = std::move(pending_);
      pending_.clear();
      {
        std::lock_guard<std::mutex> lock(mu_);
        error_.clear();
        failing_.store(false, std::memory_order_relaxed);
      }
      ok = WriteBatch(retry, pending_from_);
      dirty = true;
    }
    if (ok) {
      uint64_t end = log_->Take(&batch);
      if (!batch.empty() && timestamps_.load(std::memory_order_relaxed)) {
        const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
        if (now_s != last_timestamp_s_) {
          last_timestamp_s_ = now_s;
          std::string ts = "#TS:" + std::to_string(now_s) + "\r\n";
          int fd = -1;
          {
            std::lock_guard<std::mutex> lock(mu_);
            fd = fd_;
          }
          WriteAll(fd, ts.data(), ts.size());
        }
      }
      if (!batch.empty()) {
        const int64_t sleep_us = flush_sleep_us_.load(std::memory_order_relaxed);
        if (sleep_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
        ok = WriteBatch(batch, end - batch.size());
        dirty = true;
      }
    }
    const FsyncPolicy policy = policy_.load(std::memory_order_relaxed);
    const bool skip = skip_fsync_.load(std::memory_order_relaxed);
    int fd = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fd = fd_;
    }
    if (ok && dirty && !skip &&
        (policy == FsyncPolicy::kAlways || stopping ||
         (policy == FsyncPolicy::kEverysec && MonotonicUs() - last_fsync_us_ >= 1000000))) {
      Fsync(fd);
      dirty = false;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!dirty || policy != FsyncPolicy::kAlways || skip) {
        durable_ = std::max(durable_, written_.load(std::memory_order_acquire));
      }
    }
    durable_cv_.notify_all();
    if (stopping && pending_.empty() && log_->aof_offset() == written_.load()) break;
    if (stopping && !ok) break;
  }
}

}  // namespace tessera::persistence
