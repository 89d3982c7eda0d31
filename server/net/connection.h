// Connection: one client's socket, buffers and parser; owned by one worker for life.
//
// Read path: libuv reads into `in_`; Process() parses every complete command and dispatches
// it, appending replies to `out_`; after the batch, Flush() writes them with one try_write (and
// one uv_write for whatever the socket did not take), so a pipeline of N commands costs one
// write.  While a uv_write is in flight, new replies accumulate in `out_` and go out when it
// completes.  Memory is freed in the close callback (STYLE 15).
//
// Pub/Sub messages arrive from the worker's inbox through Push() (a PushTarget) and share
// `out_` with replies; messages a client publishes to itself are appended right after the
// reply of the command that published them.  client-output-buffer-limit is checked whenever
// output is added past 16 KiB (after a batch, on each push) and once a second by the cron; a
// client past it is closed at once with Redis's log line.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/resp/request_parser.h"
#include "server/client_state.h"
#include "server/net/query_buffer.h"
#include "server/net/tls.h"
#include "server/pubsub.h"

namespace tessera::server::net {

class Worker;

class Connection final : public ConnectionControl, public PushTarget {
 public:
  // `tls`: where a TLS port's connection gets its session; null for a plain one.
  Connection(Worker* worker, bool is_unix, TlsContextHolder* tls = nullptr);
  ~Connection() override;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle_); }
  // After uv_accept succeeded: fills addresses, registers the client, starts reading.
  void Start();
  // Instead of Start(), for the replica's link (server/replication/replica.h): takes the
  // connected socket `fd` as the master client of REPLICAOF `generation`, and runs the
  // stream's first bytes, read with the snapshot.  False if libuv refused the socket.
  bool StartAsMaster(int fd, std::string_view leftover, uint64_t generation);
  // Writes a message straight to the socket and closes (maxclients, protected mode).
  void RejectAndClose(std::string_view message);
  void Close();
  ClientState& state() { return state_; }
  int64_t idle_ms(int64_t now_ms) const {
    return now_ms - state_.last_interaction_ms.load(std::memory_order_relaxed);
  }
  // Appends bytes to the output and flushes (MONITOR lines).
  void SendRaw(const std::string& bytes);
  // Called by the worker's flush pass for a connection that scheduled one.
  void FlushScheduled() {
    flush_scheduled_ = false;
    Flush();
  }

  // ConnectionControl
  void CloseAfterReply() override;
  void CloseNow() override { Close(); }
  void BecomeMonitor() override;
  size_t QueryBufferBytes() const override { return in_len_ - in_pos_; }
  size_t OutputBufferBytes() const override {
    return out_.size() + inflight_.size() + spilled_bytes_;
  }
  size_t TotalMemoryBytes() const override;
  BufferInfo Buffers() const override;
  // The worker's client cron (Redis's clientsCronResizeQueryBuffer and
  // clientsCronResizeOutputBuffer): gives back query-buffer room an idle client (over 2 s) or
  // a past peak no longer needs, resizes the reply buffer toward its recent peak (between
  // 1 KiB and 16 KiB), and frees the write buffer of a finished write.  Owner thread, outside
  // Process().
  void CronResizeBuffers(int64_t now_ms);
  // From the worker's cron: ReportMemoryAndEvict (a client whose buffers shrank, or one that
  // just lost CLIENT NO-EVICT, is seen with no traffic of its own).
  void CronReportMemory() {
    if (!closing_ && !in_process_) ReportMemoryAndEvict();
  }
  void DeliverBlockedReply(std::string reply) override;
  void CountUnblockedNow(std::string_view reply) override;
  void ResumeHeld() override;
  // From the worker's cron, once a second: the soft limit also expires while no output is
  // added (Redis's clientsCron).  Logs and closes; returns true iff closed.
  bool CloseIfOutputLimitReachedIdle();
  // PushTarget: a published message for this client (from the worker's inbox).
  void Push(std::string_view header, std::string_view body) override;
  void WriteNow() override {
    if (!in_process_) Flush();
  }
  void CloseForOutputLimit() override {
    if (!closing_) CloseOverOutputLimit("scheduled to be closed ASAP");
  }
  // True while a blocking command waits (BLPOP...): no input is processed meanwhile.
  bool blocked() const { return blocked_; }
  bool closing() const { return closing_; }
  // ConnectionControl: this connection's script asks the worker to serve the others.
  void ServeOthersWhileScriptBusy() override;
  // ConnectionControl: the socket with blocking reads and writes (connection_debug.cc).
  std::unique_ptr<scripting::DebugChannel> OpenDebugChannel() override;
  // Reads what the socket holds with read(2) instead of libuv, and processes it as OnRead
  // does (Worker::ServeWhileScriptBusy, which polled the descriptor).
  void ReadOutsideLoop();
  // Where the owning Worker keeps this connection in its list (the Worker's business: it
  // removes a closed connection in O(1)).
  size_t worker_slot = SIZE_MAX;

 private:
  // Runs every complete command in the input; `now_us` is the wall clock (Unix us) now.
  void Process(int64_t now_us);
  void Flush();
  // After `out_` was emptied into the socket (or into `inflight_`): a buffer that grew past
  // 16 KiB goes back to the reply buffer's size, as Redis frees its reply blocks once they are
  // written.  Client memory counts in used_memory: kept, the peak of each burst (tracking
  // invalidations of evicted keys, say) would make eviction evict more.  A batch of replies
  // under 16 KiB, every ordinary pipeline, never allocates here.
  void ReleaseWrittenOutput();
  // Moves what `out_` holds to the end of `spilled_` (as it is when a write may take it now,
  // in 16 KiB blocks behind a full socket): output that piles up (a client that does not
  // read, a replica) grows by blocks, each allocated once and counted at once, as Redis's
  // reply list, instead of one buffer that doubles: a doubling of megabytes happens in one
  // step, on one worker, between two reports to client eviction, and other workers' commands
  // would evict keys for it.  Plain connections only (a TLS connection's `out_` is encrypted
  // whole in Flush).
  void Spill();
  // Flush() while blocks are spilled: writes them and `out_` in order with one writev (a
  // uv_try_write of several buffers), and hands what the socket did not take to one uv_write.
  void FlushSpilled();
  // One non-blocking write of `bufs`, counted in the stats: the bytes taken (0 when the socket
  // is full), or -1 after a failed write closed the connection.
  int TryWrite(const uv_buf_t* bufs, unsigned n);
  // Rewrites the spilled blocks (none in a write) as full 16 KiB blocks.
  void CompactSpilled();
  // A replica: reports what it holds plus `more` bytes about to be allocated, before they are.
  void PreReport(size_t more);
  void NoteLogMark();  // log_mark_ = the log's end, when a log reader is attached
  // libuv's allocation callback: room in `in_` for the next read.
  void PrepareRead(uv_buf_t* buf);
  // Makes the query buffer's room for the next read (a big argument's whole length at once);
  // returns how many bytes may be read without passing client-query-buffer-limit.
  size_t GrowForNextRead();
  void OnRead(ssize_t nread);
  // TLS: decrypts the `nread` bytes just read into `in_`; false iff the connection closed.
  bool DecryptInput(size_t nread);
  // Tries the held command again in 10 ms: the pause may have ended, or (pause_queue.h) the
  // clients held before this one may have run.
  void RetryPausedLater();
  // client-query-buffer-limit, or 1 MiB before authentication.
  // Redis's authRequired(): not authenticated, and `default` needs a password (or is off).
  bool AuthRequired() const;
  size_t QueryBufferLimit() const;
  // Logs Redis's line for it and closes without a reply, as Redis does.
  void CloseForQueryBufferLimit();
  // After Dispatch parked the client: arms the timer of its deadline, if any.
  // client-output-buffer-limit of this client's class (Redis's checkClientOutputBufferLimits):
  // true iff the hard limit is reached, or the soft one has been for longer than its seconds.
  // Updates the soft-limit timer as a side effect.
  bool OutputLimitReached();
  // Logs Redis's line and closes at once, dropping pending output.  Returns true iff closed.
  bool CloseIfOutputLimitReached();
  void CloseOverOutputLimit(std::string_view how);
  void StartBlockTimer();
  // Client eviction (server/client_eviction.h): reports what this client holds and, once the
  // clients' total reached maxmemory-clients, evicts the largest clients (this one, maybe).
  // Returns false iff this connection is closed now.  Never called from inside Dispatch.
  bool ReportMemoryAndEvict();
  // What this client holds as client eviction and CLIENT LIST's tot-mem count it, with the
  // parts only the owner may read (tracking prefixes).  Owner thread.
  size_t EvictionMemoryBytes() const;
  void StopBlockTimer();
  void OnBlockTimeout();

  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle_;
  Worker* worker_;
  bool is_unix_;
  ClientState state_;
  resp::RequestParser parser_;
  QueryBuffer in_;
  size_t in_len_ = 0;  // bytes of in_ holding data
  size_t in_pos_ = 0;  // first unconsumed byte
  // Largest query buffer use (bytes held plus room for the next read) since the last cron.
  size_t qbuf_peak_ = 0;
  // The master client: stream bytes consumed since the offset last moved (a transaction's,
  // until its EXEC).
  uint64_t master_pending_ = 0;
  // Argument bytes of the command running now (CLIENT LIST argv-mem).
  size_t argv_mem_ = 0;
  // The reply buffer's size (CLIENT LIST rbs): `out_` gets this capacity when the client first
  // has output and after each cron resize; the cron grows or shrinks it toward the largest
  // output held since the peak's last reset (`reply_peak_`, rbp).
  size_t reply_size_ = 16 * 1024;
  size_t reply_peak_ = 0;
  int64_t reply_peak_reset_ms_ = 0;
  std::string out_;       // replies not yet handed to libuv
  size_t last_write_bytes_ = 0;  // what the last Flush wrote (or began to write)
  // The write log's AOF offset when the output was last added to: Flush sends nothing before
  // the AOF holds the log up to it (0: nothing logged yet).
  uint64_t log_mark_ = 0;
  std::string inflight_;  // bytes of the uv_write in progress
  // Output spilled out of `out_` (Spill): it goes out after `inflight_`, before `out_`.  The
  // first `spilled_inflight_` blocks are in the uv_write in progress (FlushSpilled).
  std::deque<std::string> spilled_;
  size_t spilled_bytes_ = 0;  // their bytes
  size_t spilled_heap_ = 0;   // what the allocator holds for them
  size_t spilled_inflight_ = 0;
  uv_write_t write_req_;
  uv_timer_t* pause_timer_ = nullptr;
  uv_timer_t* block_timer_ = nullptr;
  bool blocked_ = false;
  bool postponed_ = false;  // counted in INFO blocked_clients while CLIENT PAUSE holds us
  uint64_t pause_ticket_ = 0;  // our place in Server::pause_queue() while a command is held
  bool writing_ = false;
  bool close_after_reply_ = false;
  bool closing_ = false;
  bool registered_ = false;
  bool in_process_ = false;
  bool flush_scheduled_ = false;
  int64_t soft_limit_since_s_ = 0;  // when the output passed the soft limit (Unix s); 0 = below
  std::vector<std::string_view> argv_;
  // TLS connections only: the session, which holds the ciphertext libuv reads (plaintext is
  // decrypted into `in_`; `out_` holds plaintext until Flush() encrypts it).
  std::unique_ptr<TlsSession> tls_;

  friend class DebugSocket;  // connection_debug.cc
};

}  // namespace tessera::server::net
