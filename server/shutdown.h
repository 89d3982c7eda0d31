// Shutting down as Redis 7.2 does (SHUTDOWN, SIGTERM, SIGINT, SHUTDOWN ABORT, shutdown-timeout).
//
// A request (a SHUTDOWN, a signal) is only recorded where it arrives; the main thread runs the
// shutdown from Step, every ~10 ms.  When some replica has not acknowledged master_repl_offset
// (and neither NOW nor shutdown-timeout 0 says otherwise), writes are paused, the replicas are
// asked for an ACK (REPLCONF GETACK * in the stream) and Step waits until every replica
// acknowledged or shutdown-timeout seconds passed (INFO shutdown_in_milliseconds).  Then the
// final steps run: the replicas' report in the log, the initial-AOF check, the final save.  If
// they succeed, Step returns true and main stops the workers and exits; if they fail, or SHUTDOWN
// ABORT ends the wait, the server goes on and every SHUTDOWN client still blocked gets
// "-ERR Errors trying to SHUTDOWN. Check logs.".
//
// Why the main thread: the workers must keep running while the replicas catch up (they write
// the replicas' connections), so the wait cannot sit in the SHUTDOWN handler on a worker.  The
// alternative, a timer on one worker, would stop that worker's clients from being served during
// the final save; the main thread has nothing else to do.
//
// The final save runs on a thread of its own while the main thread keeps taking SIGTERM and
// SIGINT (the set main gives set_signals): a second SIGINT stops the save, removes its
// temp-<pid>.rdb and exits at once, as Redis's signal handler does during its save.
//
// Threads: Request/Abort/Forget run on workers, Signal/Step on the main thread; all state is
// under mu_.  A successful shutdown sends the blocked SHUTDOWN clients nothing (their
// connections close with the process), as Redis.
#pragma once

#include <signal.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tessera::server {

class Server;

// A second SIGINT during a shutdown ("You insist... exiting now."): a save that is writing
// stops and its temporary file goes, then the process exits with status 1 without the clean
// shutdown's steps.
[[noreturn]] void ExitInsisting(Server& server);

class ShutdownCoordinator {
 public:
  explicit ShutdownCoordinator(Server& server) : server_(server) {}
  // The signals the main thread waits for, blocked in every thread; Step takes them while the
  // final save runs.  Without it (tests), a signal during the save waits for its end.
  void set_signals(const sigset_t* signals) { signals_ = signals; }
  ShutdownCoordinator(const ShutdownCoordinator&) = delete;
  ShutdownCoordinator& operator=(const ShutdownCoordinator&) = delete;

  // SHUTDOWN from `client_id` with `flags` (ShutdownSignalFlag bits); the caller blocks the
  // client, which gets an error through DeliverBlockedReply if the shutdown fails.  A SHUTDOWN
  // while one is already requested or waiting joins it (its flags are not used, as in Redis).
  void Request(uint32_t flags, uint64_t client_id);
  // SIGTERM / SIGINT (main thread).  Returns false when a second SIGINT arrives while a shutdown
  // is requested: the caller exits at once ("You insist... exiting now.").
  bool Signal(int sig);
  // SHUTDOWN ABORT: ends a requested or waiting shutdown (the blocked clients get their error);
  // false (and nothing logged) when there is none.
  bool Abort();
  // A blocked SHUTDOWN client went away.
  void Forget(uint64_t client_id);
  // Main thread, every ~10 ms: runs a requested shutdown, checks the wait.  true: the shutdown
  // succeeded (logged, saved) and the process must exit now.
  bool Step(int64_t now_ms);

  // INFO: milliseconds left of the wait for replicas (-1 when none runs), and the SHUTDOWN
  // clients blocked (INFO blocked_clients counts them, as Redis does).
  int64_t ms_left(int64_t now_ms) const;
  size_t blocked_clients() const;

 private:
  bool ReplicasInSync() const;
  // The final steps (Redis's finishShutdown).  REQUIRES: mu_ not held.
  bool Finish(uint32_t flags);
  // Ends a failed or aborted shutdown: writes resume, the blocked clients get their error.
  // REQUIRES: mu_ held.
  void CancelLocked();

  // The final save, on a thread of its own while this one takes signals.  "" or the error.
  std::string RunFinalSave();

  Server& server_;
  const sigset_t* signals_ = nullptr;
  mutable std::mutex mu_;
  bool requested_ = false;         // a SHUTDOWN or a signal not yet taken by Step
  bool signal_requested_ = false;  // Redis's shutdown_asap: a signal's request, until it ends
  uint32_t flags_ = 0;
  int64_t deadline_ms_ = 0;  // != 0 while waiting for replicas
  std::vector<uint64_t> blocked_;
  // The CLIENT PAUSE state the wait or the final save replaced (paused_), restored when the
  // shutdown does not happen.
  bool paused_ = false;
  int64_t saved_pause_end_ms_ = 0;
  bool saved_pause_writes_only_ = false;
};

}  // namespace tessera::server
