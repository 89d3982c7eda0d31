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
// Threads: Request/Abort/Forget run on workers, Signal/Step on the main thread; all state is
// under mu_.  A successful shutdown sends the blocked SHUTDOWN clients nothing (their
// connections close with the process), as Redis.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace tessera::server {

class Server;

class ShutdownCoordinator {
 public:
  explicit ShutdownCoordinator(Server& server) : server_(server) {}
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

  Server& server_;
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
