// The scripting state shared by every worker: the EVAL script cache (sha -> body, flags), the
// FUNCTION libraries, the one script running now (for BUSY, SCRIPT KILL, FUNCTION KILL), and
// each worker thread's own Lua engine.
//
// Engines: one LuaEngine per worker thread (EngineForThisThread), never shared, so running a
// script needs no engine lock and SCRIPT LOAD or FUNCTION LOAD on one worker never waits for a
// script running on another.  An engine compiles scripts from the cache on first use and is
// rebuilt when SCRIPT FLUSH or a FUNCTION change bumps the generation it was built for.
//
// Running: a script holds its declared keys' shards, or every shard (script_locks.h), so
// scripts on disjoint shards run at once on several workers.  Each run is registered by its
// own thread (a thread runs one script at a time); BUSY, SCRIPT KILL and FUNCTION STATS look
// at all of them: BUSY once the oldest has run past the threshold (as Redis, every client
// gets it), a kill stops every run of its kind that has not written.  The oldest run's start
// and kind are atomics, so the dispatcher's per-command check takes no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/scripting/lua_engine.h"

namespace tessera::server {
class LazyFreer;
}

namespace tessera::server::scripting {

// Redis's script flags (shebang `flags=` and register_function's `flags`).
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,        // "no-writes"
  kScriptAllowOom = 1u << 1,        // "allow-oom"
  kScriptAllowStale = 1u << 2,      // "allow-stale"
  kScriptNoCluster = 1u << 3,       // "no-cluster"
  kScriptAllowCrossSlot = 1u << 4,  // "allow-cross-slot-keys"
  kScriptEvalCompat = 1u << 5,      // no shebang: EVAL's pre-7.0 behaviour
};

// The flag named `name` (register_function compares without case, shebangs exactly), or 0.
uint32_t ScriptFlagFromName(std::string_view name, bool ignore_case = true);
// The flag names in Redis's order (FUNCTION LIST).
std::vector<std::string_view> ScriptFlagNames(uint32_t flags);

// Parses an EVAL body's "#!lua flags=..." line.  On success sets *flags (kScriptEvalCompat
// when there is no shebang) and *shebang_len (bytes before the line feed that ends it).
// Returns false with Redis's message in *error.
bool ParseEvalShebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                      std::string* error);

// The body with its shebang line blanked, keeping the line feed so line numbers stay right.
std::string_view ScriptSource(std::string_view body, size_t shebang_len);

struct CachedScript {
  std::string body;
  uint32_t flags = 0;
};

struct Library {
  std::string name;
  std::string code;
  std::vector<FunctionInfo> functions;
};

class ScriptRegistry {
 public:
  ScriptRegistry();

  // ---- EVAL script cache ----
  std::optional<CachedScript> FindScript(const std::string& sha) const;
  bool HasScript(const std::string& sha) const;
  void AddScript(const std::string& sha, std::string body, uint32_t flags);
  size_t script_count() const;
  size_t scripts_bytes() const;
  // SCRIPT FLUSH: forgets every script; engines rebuild on their next use.  With `lazy`, a
  // cache of more than 64 scripts is freed by that thread (SCRIPT FLUSH ASYNC).
  void FlushScripts(LazyFreer* lazy = nullptr);

  // ---- FUNCTION libraries ----
  // The library holding function `name`, copied, or nullopt.
  std::optional<std::pair<Library, FunctionInfo>> FindFunction(const std::string& name) const;
  std::vector<Library> Libraries() const;
  bool HasLibrary(const std::string& name) const;
  // Adds or replaces a library whose functions were validated by an engine.  Returns false
  // with Redis's message if a function name belongs to another library (or the library
  // exists and !replace).
  bool PutLibrary(Library lib, bool replace, std::string* error);
  bool DeleteLibrary(const std::string& name);
  // With `lazy`, more than 64 functions are freed by that thread (FUNCTION FLUSH ASYNC).
  void FlushLibraries(LazyFreer* lazy = nullptr);
  // Replaces every library at once (FUNCTION RESTORE FLUSH).
  void SetLibraries(std::vector<Library> libs);
  // FUNCTION RESTORE APPEND / REPLACE: adds `libs` all or nothing.  Fails with Redis's message
  // when a library exists (unless `replace`) or a function name belongs to another library.
  bool JoinLibraries(std::vector<Library> libs, bool replace, std::string* error);

  // This thread's engine, (re)built for the current scripts and libraries.
  LuaEngine& EngineForThisThread();
  // Bytes of this thread's engine, 0 if it has none (INFO used_memory_lua).
  size_t ThisThreadEngineBytes() const;
  size_t function_count() const;
  size_t library_count() const;

  // ---- the running scripts ----
  // Registers the calling thread's run.  REQUIRES: the caller holds the shards its script
  // runs on, and runs no other script.  `name` and `command` must stay valid until EndRun
  // (they are the running command's own arguments; nothing is copied per run).
  void BeginRun(bool eval_mode, std::string_view name, ArgSpan command, int64_t now_us);
  void EndRun();  // of the calling thread's run
  bool running() const { return running_.load(std::memory_order_acquire) > 0; }
  // Marks that the calling thread's script wrote (SCRIPT KILL then refuses to stop it).
  void NoteWrite();
  bool running_wrote() const;  // some running script wrote
  // True iff a script runs and the oldest has run for at least `threshold_ms` (> 0).
  bool TimedOut(int64_t now_us, int64_t threshold_ms) const;
  bool running_eval() const { return eval_mode_.load(std::memory_order_relaxed); }
  // The calling thread's own run: whether it has run for at least `threshold_ms` (> 0), since
  // when, of which kind, under which name (the busy-script hook judges each run by itself).
  bool ThisThreadTimedOut(int64_t now_us, int64_t threshold_ms) const;
  int64_t this_thread_start_us() const { return ThisThreadRun().start_us; }
  bool this_thread_eval() const { return ThisThreadRun().eval_mode; }
  std::string_view this_thread_name() const { return ThisThreadRun().name; }
  // Whether the calling thread's script must stop (a kill of it, or shutdown).
  bool kill_requested() const;
  // Shutdown: stops the running script and every later one at their next hook call, whether
  // or not they wrote (SHUTDOWN NOSAVE and SIGTERM must not wait for an endless script).
  void AbortAll() { abort_.store(true, std::memory_order_relaxed); }
  enum class KillResult { kOk, kNotBusy, kUnkillable, kWrongKind };
  // SCRIPT KILL (`eval` true) or FUNCTION KILL.
  KillResult RequestKill(bool eval);
  // DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call noscript commands (tests only).
  void set_deny_script_disabled(bool on) { deny_script_disabled_.store(on); }
  bool deny_script_disabled() const { return deny_script_disabled_.load(); }
  // ---- shard escalation (server/commands/script_locks.h) ----
  // Whether script `name` (sha or function name) once had to restart holding every shard;
  // such scripts take every shard from the start.  Forgotten with SCRIPT FLUSH / FUNCTION
  // FLUSH and when the memory holds kMaxEscalated names.
  bool NeedsAllShards(std::string_view name) const;
  void NoteNeedsAllShards(std::string_view name);
  static constexpr size_t kMaxEscalated = 4096;
  // Restarts so far (INFO-free: tests read it).
  uint64_t script_restarts() const { return restarts_.load(std::memory_order_relaxed); }
  void CountRestart() { restarts_.fetch_add(1, std::memory_order_relaxed); }
  // Test hook: the next `n` shards a script tries to take beyond its declared ones are
  // reported busy, forcing the restart path deterministically.
  void FailShardAcquisitionsForTest(int n) { fail_acquisitions_.store(n); }
  bool TakeForcedAcquisitionFailure();

  // The oldest running script, for FUNCTION STATS.
  std::string running_name() const;
  std::vector<std::string> running_command() const;
  int64_t running_since_us() const { return start_us_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, CachedScript> scripts_;
  size_t scripts_bytes_ = 0;
  std::map<std::string, Library> libraries_;  // by name (FUNCTION LIST order)
  std::unordered_map<std::string, std::string> function_to_library_;
  std::atomic<uint64_t> generation_{1};
  uint64_t id_;  // distinguishes registries (tests build many servers in one process)

  struct Run {
    bool eval_mode = false;
    std::string_view name;
    ArgSpan command;
    int64_t start_us = 0;
    std::atomic<bool> wrote{false};
    std::atomic<bool> kill{false};
  };
  // Publishes the oldest run's start and kind (REQUIRES: mu_ held).
  void UpdateOldestLocked();
  void ForgetEscalated();
  // The calling thread's run record (a thread runs one script at a time).
  static Run& ThisThreadRun();
  std::vector<Run*> runs_;  // guarded by mu_; in start order
  std::atomic<int> running_{0};
  std::atomic<bool> eval_mode_{false};
  std::atomic<bool> abort_{false};
  std::atomic<bool> deny_script_disabled_{false};
  std::atomic<int64_t> start_us_{0};

  mutable std::mutex escalated_mu_;
  std::unordered_map<std::string, bool> escalated_;  // guarded by escalated_mu_
  std::atomic<size_t> escalated_count_{0};
  std::atomic<uint64_t> restarts_{0};
  std::atomic<int> fail_acquisitions_{0};
};

}  // namespace tessera::server::scripting
