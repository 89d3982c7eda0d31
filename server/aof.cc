#include "server/aof.h"

#include <fcntl.h>
#include <pthread.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "core/resp/reply_builder.h"
#include "server/client_state.h"
#include "server/commands/dispatcher.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/process_settings.h"
#include "server/replication/primary.h"
#include "server/server.h"
#include "server/snapshot.h"

namespace tessera::server {

namespace {

// The connection control of the client that replays an AOF for DEBUG LOADAOF: it acts on
// nothing (the replay has no socket) except that a script in the file that runs past
// busy-reply-threshold serves the caller's worker's other clients from its hook, as a script
// a connection runs does (script_runner.h).
class LoaderControl final : public ConnectionControl {
 public:
  explicit LoaderControl(ConnectionControl* caller) : caller_(caller) {}
  void CloseAfterReply() override {}
  void CloseNow() override {}
  void BecomeMonitor() override {}
  size_t QueryBufferBytes() const override { return 0; }
  size_t OutputBufferBytes() const override { return 0; }
  BufferInfo Buffers() const override { return {}; }
  size_t TotalMemoryBytes() const override { return 0; }
  void DeliverBlockedReply(std::string) override {}
  void ServeOthersWhileScriptBusy() override { caller_->ServeOthersWhileScriptBusy(); }

 private:
  ConnectionControl* caller_;
};

using persistence::AofFileInfo;
using persistence::AofManifest;

int64_t NowS() { return Server::RealNowMs() / 1000; }

// aof-use-rdb-preamble: a new base file is an RDB (.base.rdb) or commands (.base.aof).
bool RdbPreamble(const ServerConfig& c) {
  return c.aof_use_rdb_preamble.load(std::memory_order_relaxed);
}

bool IsRdbBaseName(const std::string& name) {
  return name.size() >= 4 && name.compare(name.size() - 4, 4, ".rdb") == 0;
}

persistence::FsyncPolicy PolicyOf(const ServerConfig& c) {
  switch (c.appendfsync.load(std::memory_order_relaxed)) {
    case AppendFsync::kAlways:
      return persistence::FsyncPolicy::kAlways;
    case AppendFsync::kNo:
      return persistence::FsyncPolicy::kNo;
    default:
      return persistence::FsyncPolicy::kEverysec;
  }
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Reads RESP commands from a file through a buffer, remembering where the last complete one
// ended (a truncated tail is cut there).
class CommandReader {
 public:
  // `file_size` bounds every length the file claims: a corrupt "$<huge>" is refused before
  // anything is allocated for it.
  CommandReader(FILE* f, uint64_t file_size) : f_(f), file_size_(file_size) {}
  enum class Result { kCommand, kEof, kTruncated, kBad };

  Result Next(std::vector<std::string>* argv) {
    argv->clear();
    std::string line;
    for (;;) {
      int c = std::fgetc(f_);
      if (c == EOF) return pos_ == good_ ? Result::kEof : Result::kTruncated;
      ++pos_;
      if (c == '#') {  // an annotation line (#TS:...), written with aof-timestamp-enabled
        if (!ReadLine(&line)) return Result::kTruncated;
        good_ = pos_;
        continue;
      }
      if (c != '*') return Result::kBad;
      break;
    }
    if (!ReadLine(&line)) return Result::kTruncated;
    char* end = nullptr;
    long long n = std::strtoll(line.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 1024 * 1024) return Result::kBad;
    for (long long i = 0; i < n; ++i) {
      int c = std::fgetc(f_);
      if (c == EOF) return Result::kTruncated;
      ++pos_;
      if (c != '$') return Result::kBad;
      if (!ReadLine(&line)) return Result::kTruncated;
      long long len = std::strtoll(line.c_str(), &end, 10);
      if (*end != '\0' || len < 0) return Result::kBad;
      if (static_cast<uint64_t>(len) > file_size_ - std::min(pos_, file_size_)) {
        return Result::kTruncated;
      }
      std::string arg;
      arg.resize(static_cast<size_t>(len));
      size_t got = std::fread(arg.data(), 1, arg.size(), f_);
      pos_ += got;
      if (got != arg.size()) return Result::kTruncated;
      char crlf[2];
      size_t g2 = std::fread(crlf, 1, 2, f_);
      pos_ += g2;
      if (g2 != 2) return Result::kTruncated;
      if (crlf[0] != '\r' || crlf[1] != '\n') return Result::kBad;
      argv->push_back(std::move(arg));
    }
    good_ = pos_;
    return Result::kCommand;
  }
  uint64_t good_offset() const { return good_; }
  void set_start(uint64_t at) { pos_ = good_ = at; }

 private:
  bool ReadLine(std::string* line) {
    line->clear();
    for (;;) {
      int c = std::fgetc(f_);
      if (c == EOF) return false;
      ++pos_;
      if (c == '\n') break;
      line->push_back(static_cast<char>(c));
    }
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return true;
  }
  FILE* f_;
  uint64_t file_size_;
  uint64_t pos_ = 0;
  uint64_t good_ = 0;
};

// An AOF file that ends mid-command (or mid-transaction): refused unless it is the last file
// and aof-load-truncated is on; then cut back to `offset`, where the last whole command (or
// the cut-off MULTI) ends, as Redis does.  Returns whether loading may go on.
bool CutTruncated(const std::string& path, uint64_t offset, bool last, const ServerConfig& config,
                  std::string* err) {
  if (!last || !config.aof_load_truncated.load(std::memory_order_relaxed)) {
    *err = "Unexpected end of file reading the append only file " + path +
           ". You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
           "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' "
           "configuration option to yes and restart the server.";
    return false;
  }
  Log(LogLevel::kWarning, "!!! Warning: short read while loading the AOF file {}!!!", path);
  Log(LogLevel::kWarning, "!!! Truncating the AOF {} at offset {} !!!", path, offset);
  if (::truncate(path.c_str(), static_cast<off_t>(offset)) != 0) {
    *err = std::string("Error truncating the AOF file: ") + std::strerror(errno);
    return false;
  }
  Log(LogLevel::kWarning, "AOF {} loaded anyway because aof-load-truncated is enabled", path);
  return true;
}

}  // namespace

Aof::Aof(Server& server) : server_(server) {}

Aof::~Aof() { Close(); }

std::string Aof::DirPath() const { return server_.config().appenddirname; }

std::string Aof::PathOf(const std::string& name) const { return DirPath() + "/" + name; }

bool Aof::ReadManifest(AofManifest* m, bool* exists, std::string* err) {
  const std::string path = PathOf(persistence::AofManifestName(server_.config().appendfilename));
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *exists = false;
    return true;
  }
  *exists = true;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  if (!AofManifest::Parse(text, m, err)) return false;
  return true;
}

bool Aof::PersistManifest(const AofManifest& m, std::string* err) {
  const std::string path = PathOf(persistence::AofManifestName(server_.config().appendfilename));
  std::string e = persistence::WriteFileAtomically(path, m.Serialize());
  if (!e.empty()) {
    *err = "Can't persist the AOF manifest: " + e;
    return false;
  }
  return true;
}

bool Aof::ReplayCommands(const std::string& path, uint64_t skip_bytes, bool last,
                         WorkerStats* stats, std::string* err) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *err = "Fatal error: can't open the append log file " + path + " for reading: " +
           std::strerror(errno);
    return false;
  }
  if (skip_bytes > 0) std::fseek(f, static_cast<long>(skip_bytes), SEEK_SET);
  CommandReader reader(f, FileSize(path));
  reader.set_start(skip_bytes);
  ClientState client;
  client.id = UINT64_MAX - 1;
  client.authenticated = true;
  client.aof_loader = true;
  client.addr = "aof";
  std::optional<LoaderControl> control;
  if (serve_from_ != nullptr) client.control = &control.emplace(serve_from_);
  std::vector<std::string> argv;
  std::vector<std::string_view> views;
  std::string out;
  int64_t clock_us = Server::RealNowUs();
  uint64_t commands = 0;
  uint64_t multi_at = 0;  // the offset of the open transaction's MULTI
  for (;;) {
    const uint64_t command_at = reader.good_offset();
    CommandReader::Result r = reader.Next(&argv);
    if (r == CommandReader::Result::kEof) break;
    if (r == CommandReader::Result::kBad) {
      std::fclose(f);
      *err = "Bad file format reading the append only file " + path + " (at offset " +
             std::to_string(reader.good_offset()) +
             "): make a backup of your AOF file, then use ./redis-check-aof --fix "
             "<filename.manifest>";
      return false;
    }
    if (r == CommandReader::Result::kTruncated) {
      std::fclose(f);
      return CutTruncated(path, reader.good_offset(), last, server_.config(), err);
    }
    views.assign(argv.begin(), argv.end());
    out.clear();
    resp::ReplyBuilder reply(&out, 2);
    if (server_.commands().Find(views[0]) == nullptr) {
      std::fclose(f);
      *err = "Unknown command '" + argv[0] + "' reading the append only file " + path;
      return false;
    }
    if (!client.in_multi && views[0].size() == 5 &&
        ::strncasecmp(views[0].data(), "multi", 5) == 0) {
      multi_at = command_at;
    }
    Dispatch(server_, client, *stats, views, reply, clock_us);
    if (!out.empty() && out[0] == '-') {
      const std::string error = out.substr(1, out.find('\r') - 1);
      // propagation-error-behavior panic: a command the AOF holds must not fail on replay.
      if (server_.config().propagation_error_behavior.load() == PropagationError::kPanic) {
        std::fclose(f);
        *err =
            "This AOF command received an error, which is not allowed "
            "(propagation-error-behavior panic): " +
            argv[0] + ": " + error;
        return false;
      }
      Log(LogLevel::kVerbose, "AOF command {} failed while loading: {}", argv[0], error);
    }
    if (++commands % 1024 == 0) {
      server_.persistence().loading_loaded_bytes.store(reader.good_offset());
      // DEBUG LOADAOF: the other clients of the caller's worker are answered meanwhile.
      if (serve_from_ != nullptr) serve_from_->ServeOthersWhileScriptBusy();
    }
  }
  std::fclose(f);
  if (client.in_multi) {
    // A transaction cut off at its end (never applied: its commands were only queued) is a
    // truncated file: refused, or cut back to before its MULTI so that appends made from now
    // on are not replayed inside it.
    Log(LogLevel::kWarning, "Revert incomplete MULTI/EXEC transaction in AOF file {}", path);
    return CutTruncated(path, multi_at, last, server_.config(), err);
  }
  return true;
}

bool Aof::LoadBase(const std::string& path, bool last, WorkerStats* stats, std::string* err) {
  char magic[5] = {};
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *err = "Fatal error: can't open the base AOF file " + path + ": " + std::strerror(errno);
    return false;
  }
  size_t n = std::fread(magic, 1, 5, f);
  std::fclose(f);
  if (n == 5 && std::memcmp(magic, "REDIS", 5) == 0) {
    Log(LogLevel::kNotice, "Reading RDB base file on AOF loading...");
    uint64_t rdb_bytes = 0;
    if (!server_.persistence().LoadRdbFile(path, err, &rdb_bytes)) return false;
    Log(LogLevel::kNotice, "Reading the remaining AOF tail...");
    // A Redis 6 single file may continue with commands after its RDB preamble.
    return ReplayCommands(path, rdb_bytes, last, stats, err);
  }
  return ReplayCommands(path, 0, last, stats, err);
}

bool Aof::LoadAndOpen(WorkerStats* stats, std::string* err) {
  bool ok = LoadFiles(stats, err, /*load_only=*/false);
  server_.persistence().loading.store(false);
  return ok;
}

bool Aof::LoadForDebug(WorkerStats* stats, std::string* err, ConnectionControl* caller) {
  // While the first base is being written the AOF is not loadable yet: the rewrite stops
  // (and the cron starts it again, from the loaded data); the files load as they are.
  if (wait_rewrite_.load(std::memory_order_acquire)) {
    StopRewriteThread(fmt::format("Killing running AOF rewrite child: {}", ::getpid()).c_str());
  }
  const bool was_on = writer_ != nullptr && !wait_rewrite_.load(std::memory_order_acquire);
  if (was_on) Close();
  serve_from_ = caller;
  bool ok = LoadFiles(stats, err, /*load_only=*/!was_on);
  serve_from_ = nullptr;
  server_.persistence().loading.store(false);
  return ok;
}

bool Aof::LoadFiles(WorkerStats* stats, std::string* err, bool load_only) {
  const ServerConfig& c = server_.config();
  ::mkdir(DirPath().c_str(), 0755);
  AofManifest m;
  bool exists = false;
  if (!ReadManifest(&m, &exists, err)) return false;
  const int64_t start_us = Server::MonotonicUs();
  // Redis 6's single file in `dir` is upgraded when there is no manifest, or when an upgrade
  // was interrupted: the manifest names only that file as base and it is not in the directory.
  const bool interrupted_upgrade = exists && m.base && m.incrs.empty() &&
                                   m.base->name == c.appendfilename &&
                                   ::access(PathOf(c.appendfilename).c_str(), F_OK) != 0;
  if ((!exists || interrupted_upgrade) && ::access(c.appendfilename.c_str(), F_OK) == 0) {
    // Redis 6's single appendonly.aof in `dir`: it becomes the base of a multi-part AOF.
    Log(LogLevel::kNotice, "Found an old-style AOF {}: upgrading to the multi-part layout",
        c.appendfilename);
    if (::rename(c.appendfilename.c_str(), PathOf(c.appendfilename).c_str()) != 0) {
      *err = std::string("Error moving the old AOF file: ") + std::strerror(errno);
      return false;
    }
    m = AofManifest();
    m.base = AofFileInfo{c.appendfilename, 1, AofFileInfo::Type::kBase};
    if (!PersistManifest(m, err)) return false;
    exists = true;
  }
  bool loaded_any = false;
  if (exists) {
    // Every file the manifest names must be there before anything loads (as Redis checks).
    std::vector<std::string> names;
    if (m.base) names.push_back(m.base->name);
    for (const AofFileInfo& f : m.incrs) names.push_back(f.name);
    for (const std::string& name : names) {
      if (::access(PathOf(name).c_str(), F_OK) != 0) {
        *err = "The append log file " + name + " doesn't exist: " + std::strerror(errno);
        return false;
      }
    }
    server_.persistence().loading.store(true);
    if (m.base) {
      std::string path = PathOf(m.base->name);
      if (!LoadBase(path, m.incrs.empty(), stats, err)) return false;
      base_size_ = FileSize(path);
      loaded_any = true;
    }
    for (size_t i = 0; i < m.incrs.size(); ++i) {
      std::string path = PathOf(m.incrs[i].name);
      if (!ReplayCommands(path, 0, i + 1 == m.incrs.size(), stats, err)) return false;
      loaded_any = true;
    }
    if (loaded_any) {
      Log(LogLevel::kNotice, "DB loaded from append only file: {:.3f} seconds",
          static_cast<double>(Server::MonotonicUs() - start_us) / 1e6);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    manifest_ = m;
  }
  if (load_only) return true;
  // Open for appending: a base from the current dataset when the AOF has no file at all (as
  // Redis: with increments but no base, the increments are the whole history, and a base of
  // the loaded data would make a restart replay them twice), then the last incremental file
  // (a new one when there is none).
  if (!m.base && m.incrs.empty()) {
    std::string name =
        persistence::AofBaseName(c.appendfilename, m.next_base_seq(), RdbPreamble(c));
    std::string e = WriteBase(name, [this](uint64_t) { server_.write_log().ForgetSelectedDb(); });
    if (!e.empty()) {
      *err = "Can't create the AOF base file: " + e;
      return false;
    }
    Log(LogLevel::kNotice, "Creating AOF base file {} on server start", name);
    m.base = AofFileInfo{name, m.next_base_seq(), AofFileInfo::Type::kBase};
    base_size_ = FileSize(PathOf(name));
  }
  std::string incr_name;
  if (m.incrs.empty()) {
    incr_name = persistence::AofIncrName(c.appendfilename, m.next_incr_seq());
    m.incrs.push_back(AofFileInfo{incr_name, m.next_incr_seq(), AofFileInfo::Type::kIncr});
    Log(LogLevel::kNotice, "Creating AOF incr file {} on server start", incr_name);
  } else {
    incr_name = m.incrs.back().name;
    Log(LogLevel::kNotice, "Opening AOF incr file {} on server start", incr_name);
  }
  const std::string incr_path = PathOf(incr_name);
  int fd = ::open(incr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = "Can't open the append-only file " + incr_name + ": " + std::strerror(errno);
    return false;
  }
  if (!PersistManifest(m, err)) {
    ::close(fd);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    manifest_ = m;
  }
  server_.write_log().ForgetSelectedDb();
  writer_ =
      std::make_unique<persistence::AofWriter>(&server_.write_log(), fd, FileSize(incr_path),
                                               server_.write_log().aof_offset(), DurableHook());
  PinThread(writer_->thread_handle(), server_.background_cpulist());
  writer_->set_policy(PolicyOf(c));
  writer_->set_timestamps(c.aof_timestamp_enabled.load(std::memory_order_relaxed));
  server_.write_log().set_enabled(true);
  return true;
}

std::string Aof::WriteBase(const std::string& name, const std::function<void(uint64_t)>& at_point) {
  SnapshotOptions opts = SnapshotOptionsFromConfig(server_, /*with_delay=*/true);
  opts.aof_base = true;
  opts.commands = !IsRdbBaseName(name);
  opts.timestamp = server_.config().aof_timestamp_enabled.load(std::memory_order_relaxed);
  opts.at_point = at_point;
  return WriteSnapshotFile(server_,
                           PathOf("temp-rewriteaof-" + std::to_string(::getpid()) + ".aof"),
                           PathOf(name), opts, [this](SnapshotJob* job) {
                             std::lock_guard<std::mutex> lock(job_mu_);
                             if (job == nullptr && job_ != nullptr) {
                               last_cow_size_.store(job_->kept_peak(), std::memory_order_relaxed);
                             }
                             job_ = job;
                             if (job != nullptr && abort_requested_) job->Abort();
                           });
}

void Aof::AbortRewrite(const char* message) {
  if (!rewriting_.load(std::memory_order_acquire)) return;
  Log(LogLevel::kWarning, "{}", message);
  std::lock_guard<std::mutex> lock(job_mu_);
  abort_requested_ = true;
  if (job_ != nullptr) job_->Abort();
}

bool Aof::Enable(std::string* err) {
  if (writer_ || wait_rewrite_.load(std::memory_order_acquire)) return true;
  // Redis's startAppendOnly: the AOF waits for its first base, which a background rewrite
  // writes (RewriteInitial); CONFIG SET returns at once.
  wait_rewrite_.store(true, std::memory_order_release);
  const bool in_exec = keyspace::ShardMutex::HeldAll();
  if (server_.persistence().bgsave_in_progress() || in_exec) {
    std::lock_guard<std::mutex> lock(mu_);
    scheduled_ = true;
    if (in_exec) {
      Log(LogLevel::kNotice,
          "AOF was enabled during a transaction. An AOF background was scheduled to start when "
          "possible.");
    } else {
      Log(LogLevel::kNotice,
          "AOF was enabled but there is already another background operation. An AOF "
          "background was scheduled to start when possible.");
    }
    return true;
  }
  if (rewriting_.load(std::memory_order_acquire)) {
    // A BGREWRITEAOF of the AOF while it was off: it is not feeding any increment, so it
    // cannot become the first base.
    Log(LogLevel::kNotice,
        "AOF was enabled but there is already an AOF rewriting in background. Stopping "
        "background AOF and starting a rewrite now.");
    StopRewriteThread(fmt::format("Killing running AOF rewrite child: {}", ::getpid()).c_str());
  }
  bool scheduled = false;
  if (!StartRewrite(err, &scheduled)) {
    wait_rewrite_.store(false, std::memory_order_release);
    Log(LogLevel::kWarning,
        "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. "
        "Check the above logs for more info about the error.");
    return false;
  }
  return true;
}

void Aof::StopRewriteThread(const char* message) {
  if (!rewrite_thread_.joinable() || rewrite_thread_.get_id() == std::this_thread::get_id()) {
    return;
  }
  AbortRewrite(message);
  rewrite_thread_.join();
}

void Aof::Disable() {
  // As Redis's stopAppendOnly: a scheduled rewrite is forgotten, a running one killed.
  wait_rewrite_.store(false, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    scheduled_ = false;
  }
  StopRewriteThread(fmt::format("Killing running AOF rewrite child: {}", ::getpid()).c_str());
  server_.write_log().set_enabled(false);
  writer_.reset();
  server_.replication().WakeWaiters();  // a WAITAOF for the local AOF gets its error
}

int64_t Aof::FsyncedMark() const {
  if (waiting_for_first_rewrite()) return 0;
  persistence::AofWriter* w = writer_.live();
  if (w == nullptr) return -1;
  return static_cast<int64_t>(w->durable_mark());
}

std::function<void()> Aof::DurableHook() {
  return [this] { server_.replication().OnLocalAofDurable(); };
}

void Aof::KillRewrite(const char* message) { StopRewriteThread(message); }

void Aof::Close() {
  StopRewriteThread("There is a child rewriting the AOF. Killing it!");
  writer_.reset();  // drains and fsyncs
  server_.write_log().set_enabled(false);
}

void Aof::RemoveFiles(const AofManifest& old, const AofManifest& now) {
  auto still_used = [&](const std::string& name) {
    if (now.base && now.base->name == name) return true;
    for (const AofFileInfo& f : now.incrs) {
      if (f.name == name) return true;
    }
    for (const AofFileInfo& f : now.history) {  // kept: aof-disable-auto-gc
      if (f.name == name) return true;
    }
    return false;
  };
  std::vector<std::string> names;
  if (old.base) names.push_back(old.base->name);
  for (const AofFileInfo& f : old.incrs) names.push_back(f.name);
  for (const AofFileInfo& f : old.history) names.push_back(f.name);
  for (const std::string& n : names) {
    if (!still_used(n)) ::unlink(PathOf(n).c_str());
  }
}

bool Aof::StartRewrite(std::string* err, bool* scheduled, bool in_exec) {
  *scheduled = false;
  if (rewriting_.load(std::memory_order_acquire)) {
    *err = "ERR Background append only file rewriting already in progress";
    return false;
  }
  if (server_.persistence().bgsave_in_progress() || in_exec) {
    std::lock_guard<std::mutex> lock(mu_);
    scheduled_ = true;
    *scheduled = true;
    stats_.consecutive_failures = 0;  // asked for: not held by the failure limit
    return true;
  }
  if (rewrite_thread_.joinable()) rewrite_thread_.join();
  {
    std::lock_guard<std::mutex> lock(job_mu_);
    abort_requested_ = false;
  }
  rewriting_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.current_rewrite_start_s = NowS();
    scheduled_ = false;
  }
  Log(LogLevel::kNotice, "Background append only file rewriting started by pid {}", ::getpid());
  // The kind of rewrite is decided here, not on its thread: a CONFIG SET right after must
  // find the rewrite it would stop already being the one it started.
  const RewriteKind kind = wait_rewrite_.load(std::memory_order_acquire) ? RewriteKind::kInitial
                           : writer_                                     ? RewriteKind::kOn
                                                                         : RewriteKind::kOff;
  rewrite_thread_ = std::thread([this, kind] { RunRewrite(kind); });
  return true;
}

AofManifest Aof::ManifestAfterRewrite(const AofManifest& old, const AofFileInfo& base,
                                      const AofFileInfo* incr) const {
  AofManifest done;
  done.base = base;
  if (incr != nullptr) done.incrs.push_back(*incr);
  if (server_.config().aof_disable_auto_gc.load(std::memory_order_relaxed)) {
    // aof-disable-auto-gc: the replaced files stay, named as history, newest first (Redis's
    // order: each older increment, then the old base, before older history).
    for (auto it = old.incrs.rbegin(); it != old.incrs.rend(); ++it) {
      if (incr != nullptr && it->name == incr->name) continue;
      done.history.push_back(AofFileInfo{it->name, it->seq, AofFileInfo::Type::kHistory});
    }
    if (old.base && old.base->name != base.name) {
      done.history.push_back(
          AofFileInfo{old.base->name, old.base->seq, AofFileInfo::Type::kHistory});
    }
    for (const AofFileInfo& h : old.history) done.history.push_back(h);
  }
  return done;
}

bool Aof::RewriteOff(std::string* err) {
  // BGREWRITEAOF with appendonly no: a new base and no increment (as Redis: turning the AOF
  // on later starts one); the old base and increments become history.
  const ServerConfig& c = server_.config();
  ::mkdir(DirPath().c_str(), 0755);
  AofManifest old;
  bool exists = false;
  if (!ReadManifest(&old, &exists, err)) return false;
  const AofFileInfo base{
      persistence::AofBaseName(c.appendfilename, old.next_base_seq(), RdbPreamble(c)),
      old.next_base_seq(), AofFileInfo::Type::kBase};
  *err = WriteBase(base.name, nullptr);
  if (!err->empty()) return false;
  AofManifest done = ManifestAfterRewrite(old, base, nullptr);
  if (!PersistManifest(done, err)) {
    ::unlink(PathOf(base.name).c_str());
    return false;
  }
  RemoveFiles(old, done);
  std::lock_guard<std::mutex> lock(mu_);
  manifest_ = done;
  base_size_ = FileSize(PathOf(base.name));
  return true;
}

bool Aof::RewriteInitial(std::string* err) {
  // Redis's AOF_WAIT_REWRITE: the log goes to a temporary increment from the snapshot's point;
  // only a complete base makes it the AOF's first increment and writes the manifest.
  const ServerConfig& c = server_.config();
  ::mkdir(DirPath().c_str(), 0755);
  AofManifest old;
  bool exists = false;
  if (!ReadManifest(&old, &exists, err)) return false;
  const std::string temp_incr = "temp-" + c.appendfilename + ".incr";
  int fd = ::open(PathOf(temp_incr).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = "Can't open the append-only file " + temp_incr + ": " + std::strerror(errno);
    return false;
  }
  Log(LogLevel::kNotice, "Creating AOF incr file {} on background rewrite", temp_incr);
  const AofFileInfo base{
      persistence::AofBaseName(c.appendfilename, old.next_base_seq(), RdbPreamble(c)),
      old.next_base_seq(), AofFileInfo::Type::kBase};
  const AofFileInfo incr{persistence::AofIncrName(c.appendfilename, old.next_incr_seq()),
                         old.next_incr_seq(), AofFileInfo::Type::kIncr};
  persistence::WriteLog& log = server_.write_log();
  bool fd_taken = false;
  *err = WriteBase(base.name, [&](uint64_t) {
    // The writer starts at the point, under every shard lock: nothing is logged in between.
    // (Its offsets are the AOF stream's, not the replicas' the point is given in.)
    log.ForgetSelectedDb();
    writer_ =
        std::make_unique<persistence::AofWriter>(&log, fd, 0, log.aof_offset(), DurableHook());
    PinThread(writer_->thread_handle(), server_.background_cpulist());
    writer_->set_policy(PolicyOf(c));
    writer_->set_timestamps(c.aof_timestamp_enabled.load(std::memory_order_relaxed));
    writer_->set_flush_sleep_us(flush_sleep_us_.load(std::memory_order_relaxed));
    log.set_enabled(true);
    fd_taken = true;
  });
  bool ok = err->empty();
  if (ok && ::rename(PathOf(temp_incr).c_str(), PathOf(incr.name).c_str()) != 0) {
    *err = "Error trying to rename the temporary AOF incr file " + temp_incr + " into " +
           incr.name + ": " + std::strerror(errno);
    ::unlink(PathOf(base.name).c_str());
    ok = false;
  }
  if (ok) {
    Log(LogLevel::kNotice, "Successfully renamed the temporary AOF incr file {} into {}", temp_incr,
        incr.name);
    AofManifest done = ManifestAfterRewrite(old, base, &incr);
    if (PersistManifest(done, err)) {
      RemoveFiles(old, done);
      std::lock_guard<std::mutex> lock(mu_);
      manifest_ = done;
      base_size_ = FileSize(PathOf(base.name));
      wait_rewrite_.store(false, std::memory_order_release);  // the AOF is on
      server_.replication().WakeWaiters();                    // WAITAOF: what is fsynced now counts
      return true;
    }
    ::unlink(PathOf(base.name).c_str());
    ::unlink(PathOf(incr.name).c_str());
  }
  // Failed: the temporary increment goes, and the log stops feeding it until the next try
  // (whose base will hold what is written meanwhile).
  server_.write_log().set_enabled(false);
  writer_.reset();
  if (!fd_taken) ::close(fd);
  Log(LogLevel::kNotice, "Removing the temp incr aof file {} in the background", temp_incr);
  ::unlink(PathOf(temp_incr).c_str());
  return false;
}

bool Aof::RewriteOn(std::string* err) {
  const ServerConfig& c = server_.config();
  AofManifest old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = manifest_;
  }
  AofManifest during = old;
  const AofFileInfo incr{persistence::AofIncrName(c.appendfilename, old.next_incr_seq()),
                         old.next_incr_seq(), AofFileInfo::Type::kIncr};
  during.incrs.push_back(incr);
  int fd = ::open(PathOf(incr.name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = std::strerror(errno);
    return false;
  }
  if (!PersistManifest(during, err)) {
    ::close(fd);
    return false;
  }
  Log(LogLevel::kNotice, "Creating AOF incr file {} on background rewrite", incr.name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    manifest_ = during;
  }
  writer_->set_skip_fsync(c.no_appendfsync_on_rewrite.load(std::memory_order_relaxed));
  const AofFileInfo base{
      persistence::AofBaseName(c.appendfilename, old.next_base_seq(), RdbPreamble(c)),
      old.next_base_seq(), AofFileInfo::Type::kBase};
  persistence::WriteLog& log = server_.write_log();
  persistence::AofWriter* writer = writer_.get();
  bool fd_taken = false;
  *err = WriteBase(base.name, [&](uint64_t) {
    log.ForgetSelectedDb();
    writer->SwitchFileAt(log.aof_offset(), fd);  // the AOF stream's offset
    fd_taken = true;
  });
  writer_->set_skip_fsync(false);
  if (!fd_taken) ::close(fd);  // failed before its point: the increment stays empty
  if (!err->empty()) return false;
  AofManifest done = ManifestAfterRewrite(during, base, &incr);
  if (!PersistManifest(done, err)) return false;
  RemoveFiles(during, done);
  std::lock_guard<std::mutex> lock(mu_);
  manifest_ = done;
  base_size_ = FileSize(PathOf(base.name));
  return true;
}

void Aof::RunRewrite(RewriteKind kind) {
  // Redis's rewrite is a child process of its own; ours is this thread.
  PinThread(pthread_self(), server_.config().aof_rewrite_cpulist);
  pthread_setname_np(pthread_self(), "aof_rewrite");  // once pinned, as rdb_bgsave
  const int64_t started = NowS();
  std::string err;
  bool ok;
  switch (kind) {
    case RewriteKind::kInitial:
      ok = RewriteInitial(&err);
      break;
    case RewriteKind::kOff:
      ok = RewriteOff(&err);
      break;
    default:
      ok = RewriteOn(&err);
      break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.current_rewrite_start_s = -1;
    stats_.last_rewrite_time_s = NowS() - started;
    stats_.last_rewrite_ok = ok;
    if (ok) {
      ++stats_.rewrites;
      stats_.consecutive_failures = 0;
    } else {
      ++stats_.consecutive_failures;
    }
    // Still waiting for the first base (not turned off meanwhile): try again from the cron,
    // as Redis schedules a new rewrite when its first one fails.
    if (!ok && wait_rewrite_.load(std::memory_order_acquire)) scheduled_ = true;
  }
  if (ok) {
    Log(LogLevel::kNotice, "Background AOF rewrite terminated with success");
    Log(LogLevel::kNotice, "Background AOF rewrite finished successfully");
  } else {
    Log(LogLevel::kWarning, "Background AOF rewrite failed: {}", err);
  }
  rewriting_.store(false, std::memory_order_release);
}

void Aof::CollectHistory() {
  if (server_.config().aof_disable_auto_gc.load() || rewriting_.load()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (manifest_.history.empty()) return;
  AofManifest now = manifest_;
  now.history.clear();
  std::string err;
  if (!PersistManifest(now, &err)) {
    Log(LogLevel::kWarning, "Error persisting the AOF manifest while deleting history files: {}",
        err);
    return;
  }
  for (const AofFileInfo& f : manifest_.history) ::unlink(PathOf(f.name).c_str());
  manifest_ = now;
}

std::string Aof::write_error() const {
  persistence::AofWriter* w = writer_.live();
  return w != nullptr ? w->last_error() : "";
}

void Aof::set_flush_sleep_us(int64_t us) {
  flush_sleep_us_.store(us, std::memory_order_relaxed);
  if (writer_) writer_->set_flush_sleep_us(us);
}

void Aof::ApplyWriterConfig() {
  const ServerConfig& c = server_.config();
  if (writer_) {
    writer_->set_flush_sleep_us(flush_sleep_us_.load(std::memory_order_relaxed));
    writer_->set_policy(PolicyOf(c));
    writer_->set_timestamps(c.aof_timestamp_enabled.load(std::memory_order_relaxed));
  }
}

void Aof::Cron() {
  ApplyWriterConfig();
  // Not while a dataset loads (a replica's full sync, DEBUG LOADAOF): a base of half of it
  // would be wrong; the rewrite starts when the load is done.
  if (server_.persistence().loading.load(std::memory_order_acquire)) return;
  bool scheduled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    scheduled = scheduled_;
  }
  if (rewriting_.load() || server_.persistence().bgsave_in_progress()) return;
  if (scheduled && !RewriteLimited()) {
    std::string err;
    bool again;
    StartRewrite(&err, &again);
    return;
  }
  // auto-aof-rewrite-percentage / -min-size, over the increment's growth since the last base.
  const ServerConfig& c = server_.config();
  const int64_t perc = c.auto_aof_rewrite_percentage.load(std::memory_order_relaxed);
  if (writer_ && perc > 0 && !scheduled) {
    const uint64_t size = writer_->current_file_size() + base_size_;
    const uint64_t base = std::max<uint64_t>(base_size_, 1);
    if (size >= static_cast<uint64_t>(c.auto_aof_rewrite_min_size.load()) &&
        (size - std::min(size, base)) * 100 / base >= static_cast<uint64_t>(perc) &&
        !RewriteLimited()) {
      Log(LogLevel::kNotice, "Starting automatic rewriting of AOF on {}% growth",
          (size - std::min(size, base)) * 100 / base);
      std::string err;
      bool again;
      StartRewrite(&err, &again);
    }
  }
}

bool Aof::RewriteLimited() {
  // Redis's aofRewriteLimited: after 3 failures in a row, the cron's rewrites (scheduled or
  // automatic; BGREWRITEAOF is never held) wait 1 minute, then 2, 4... up to an hour.
  uint64_t failures;
  {
    std::lock_guard<std::mutex> lock(mu_);
    failures = stats_.consecutive_failures;
  }
  if (failures < 3) {
    limit_delay_min_ = 0;
    limit_next_s_ = 0;
    return false;
  }
  const int64_t now_s = NowS();
  if (limit_next_s_ != 0) {
    if (now_s < limit_next_s_) return true;
    limit_next_s_ = 0;
    return false;
  }
  limit_delay_min_ = limit_delay_min_ == 0 ? 1 : std::min<int64_t>(limit_delay_min_ * 2, 60);
  limit_next_s_ = now_s + limit_delay_min_ * 60;
  Log(LogLevel::kWarning,
      "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} "
      "minutes",
      limit_delay_min_);
  return true;
}

Aof::Stats Aof::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.rewrite_scheduled = scheduled_;
  s.base_size = base_size_;
  s.current_size = base_size_ + (writer_ ? writer_->current_file_size() : 0);
  s.last_cow_size = last_cow_size_.load(std::memory_order_relaxed);
  return s;
}

Aof::SnapshotProgress Aof::snapshot_progress() const {
  std::lock_guard<std::mutex> lock(job_mu_);
  SnapshotProgress p;
  if (job_ != nullptr) {
    p.keys_processed = job_->keys_written();
    p.keys_total = job_->keys_total();
    p.kept_bytes = job_->kept_bytes();
    p.kept_peak = job_->kept_peak();
  }
  return p;
}

}  // namespace tessera::server
