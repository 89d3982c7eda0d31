#include "server/shutdown.h"

#include <signal.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <string>
#include <thread>

#include "server/aof.h"
#include "server/client_registry.h"
#include "server/client_state.h"
#include "server/commands/script_runner.h"
#include "server/config/config.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/server.h"

namespace tessera::server {

namespace {
constexpr const char* kShutdownError = "-ERR Errors trying to SHUTDOWN. Check logs.\r\n";
}  // namespace

void ShutdownCoordinator::Request(uint32_t flags, uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_.push_back(client_id);
  if (requested_ || deadline_ms_ != 0) return;
  requested_ = true;
  flags_ = flags;
}

bool ShutdownCoordinator::Signal(int sig) {
  std::lock_guard<std::mutex> lock(mu_);
  if (signal_requested_ && sig == SIGINT) return false;
  Log(LogLevel::kWarning, "Received {} scheduling shutdown...",
      sig == SIGINT ? "SIGINT" : "SIGTERM");
  signal_requested_ = true;
  if (requested_ || deadline_ms_ != 0) return true;
  requested_ = true;
  const ServerConfig& c = server_.config();
  flags_ = sig == SIGINT ? c.shutdown_on_sigint.load() : c.shutdown_on_sigterm.load();
  return true;
}

bool ShutdownCoordinator::Abort() {
  std::lock_guard<std::mutex> lock(mu_);
  // A request Step has not taken yet (DEBUG PAUSE-CRON holds it, or it came a moment ago)
  // is aborted as one that waits.
  if (deadline_ms_ != 0 || requested_) {
    CancelLocked();
  } else {
    return false;
  }
  Log(LogLevel::kNotice, "Shutdown manually aborted.");
  return true;
}

void ShutdownCoordinator::Forget(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_.erase(std::remove(blocked_.begin(), blocked_.end(), client_id), blocked_.end());
}

bool ShutdownCoordinator::ReplicasInSync() const {
  for (const auto& r : server_.replication().AckStates(Server::RealNowUs() / 1000)) {
    if (r.behind != 0) return false;
  }
  return true;
}

bool ShutdownCoordinator::Step(int64_t now_ms) {
  // DEBUG PAUSE-CRON holds a requested shutdown, as Redis's serverCron takes it.
  if (server_.cron_paused.load(std::memory_order_relaxed)) return false;
  uint32_t flags;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (requested_) {
      requested_ = false;
      Log(LogLevel::kNotice, "User requested shutdown...");
      saved_pause_end_ms_ = server_.pause_end_ms.load();
      saved_pause_writes_only_ = server_.pause_writes_only.load();
      const int64_t timeout_s = server_.config().shutdown_timeout.load();
      if ((flags_ & kShutdownNow) == 0 && timeout_s != 0 && !ReplicasInSync()) {
        deadline_ms_ = now_ms + timeout_s * 1000;
        // Writes stop so that master_repl_offset stops moving; the replicas are asked where
        // they are (they would otherwise answer within a second).
        paused_ = true;
        if (!server_.WritesPaused(now_ms)) server_.pause_writes_only.store(true);
        server_.pause_end_ms.store(INT64_MAX);
        server_.replication().RequestAcks();
        Log(LogLevel::kNotice, "Waiting for replicas before shutting down.");
        return false;
      }
    } else if (deadline_ms_ == 0 || (now_ms < deadline_ms_ && !ReplicasInSync())) {
      return false;
    }
    flags = flags_;
  }
  return Finish(flags);
}

bool ShutdownCoordinator::Finish(uint32_t flags) {
  const bool save = (flags & kShutdownSave) != 0;
  const bool nosave = (flags & kShutdownNoSave) != 0;
  const bool force = (flags & kShutdownForce) != 0;
  const auto replicas = server_.replication().AckStates(Server::RealNowUs() / 1000);
  int lagging = 0;
  for (const auto& r : replicas) {
    if (r.behind == 0) continue;
    ++lagging;
    Log(LogLevel::kNotice, "Lagging replica {} reported offset {} behind master, lag={}, state={}.",
        r.name, r.behind, r.lag_s, r.state);
  }
  if (!replicas.empty()) {
    Log(LogLevel::kNotice, "{} of {} replicas are in sync when shutting down.",
        static_cast<int>(replicas.size()) - lagging, replicas.size());
  }
  bool ok = true;
  Persistence& persistence = server_.persistence();
  if (persistence.aof().writing_initial()) {
    // CONFIG SET appendonly yes has not written the AOF's base yet: without it the dataset
    // would be lost.
    if (force) {
      Log(LogLevel::kWarning, "Writing initial AOF. Exit anyway.");
    } else {
      Log(LogLevel::kWarning, "Writing initial AOF, can't exit.");
      ok = false;
    }
  }
  if (ok && persistence.aof().rewrite_in_progress()) {
    // The AOF as it is holds the whole dataset; the rewrite would only hold up the exit (and
    // the final save, which waits for it).
    persistence.aof().KillRewrite("There is a child rewriting the AOF. Killing it!");
  }
  if (ok && (save || (!nosave && !server_.config().save.Get().empty()))) {
    // Every client's commands are held during the save, so nothing is acknowledged after the
    // snapshot's point.  A script past busy-reply-threshold would hold the locks the save
    // needs: it is stopped, as the shutdown is committed to unless the save fails.
    {
      std::lock_guard<std::mutex> lock(mu_);
      paused_ = true;
    }
    server_.pause_writes_only.store(false);
    server_.pause_end_ms.store(INT64_MAX);
    if (ScriptTimedOut(server_)) server_.scripts().AbortAll();
    // As Redis kills its saving child at shutdown: the final save replaces it.
    persistence.AbortBackgroundSave("There is a child saving an .rdb. Killing it!");
    persistence.WaitForBackgroundSave();
    Log(LogLevel::kNotice, "Saving the final RDB snapshot before exiting.");
    if (!RunFinalSave().empty()) {
      if (force) {
        Log(LogLevel::kWarning, "Error trying to save the DB. Exit anyway.");
      } else {
        Log(LogLevel::kWarning, "Error trying to save the DB, can't exit.");
        ok = false;
      }
    }
  }
  if (ok) return true;
  Log(LogLevel::kWarning,
      "Errors trying to shut down the server. Check the logs for more information.");
  std::lock_guard<std::mutex> lock(mu_);
  CancelLocked();
  return false;
}

std::string ShutdownCoordinator::RunFinalSave() {
  Persistence& persistence = server_.persistence();
  if (signals_ == nullptr) return persistence.Save();
  std::string err;
  std::atomic<bool> done{false};
  std::thread saver([&] {
    err = persistence.Save();
    done.store(true, std::memory_order_release);
  });
  while (!done.load(std::memory_order_acquire)) {
    const timespec tick{0, 10 * 1000 * 1000};
    const int sig = sigtimedwait(signals_, nullptr, &tick);
    if (sig > 0 && !Signal(sig)) {
      persistence.AbortSave();
      saver.join();  // an aborted save removes its temporary file
      ExitInsisting(server_);
    }
  }
  saver.join();
  return err;
}

void ExitInsisting(Server& server) {
  Log(LogLevel::kWarning, "You insist... exiting now.");
  Persistence& persistence = server.persistence();
  persistence.AbortSave();
  persistence.AbortBackgroundSave("There is a child saving an .rdb. Killing it!");
  persistence.WaitForBackgroundSave();  // its temporary file is removed
  _exit(1);                             // not a clean shutdown
}

void ShutdownCoordinator::CancelLocked() {
  requested_ = false;
  signal_requested_ = false;
  flags_ = 0;
  deadline_ms_ = 0;
  if (paused_) {
    server_.pause_writes_only.store(saved_pause_writes_only_);
    server_.pause_end_ms.store(saved_pause_end_ms_);
    paused_ = false;
  }
  for (uint64_t id : blocked_) {
    server_.clients().RunOnOwner(id, [](ClientState* c) {
      if (!c->waiting_for_shutdown) return;
      c->waiting_for_shutdown = false;
      c->waiting_for_acks = false;  // the block SHUTDOWN borrowed from WAIT
      if (c->control != nullptr) c->control->DeliverBlockedReply(kShutdownError);
    });
  }
  blocked_.clear();
}

int64_t ShutdownCoordinator::ms_left(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  return deadline_ms_ == 0 ? -1 : std::max<int64_t>(0, deadline_ms_ - now_ms);
}

size_t ShutdownCoordinator::blocked_clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocked_.size();
}

}  // namespace tessera::server
