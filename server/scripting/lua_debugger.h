// The Lua debugger (LDB) of SCRIPT DEBUG YES|SYNC: Redis 7.2's debugging protocol, driven
// from the line hook of the script it debugs.
//
// Approach (as Redis's ldb*): while a debugged EVAL runs, a Lua hook on every line (and every
// 100000 instructions, to catch loops) decides whether to stop: stepping, a breakpoint line,
// redis.breakpoint(), or busy-reply-threshold (5 s when 0) passed without a stop.  At a stop
// it sends the "* Stopped at ..." log and then reads debugger commands from the client's
// socket synchronously, through DebugChannel, answering each with the log lines it produced
// as one array of status replies, until a command resumes the script (step, next,
// continue) or ends it (abort, a protocol error, more than 1 MiB of unparsed input).  The
// session's last message is "<endsession>"; the EVAL's own reply follows it and the server
// closes the client.  The commands' texts, listing format, value dumps and reply rendering
// are Redis's, so redis-cli --ldb works unchanged.
//
// Threads and ownership: a debugger lives on the stack of the worker thread running the
// debugged script and is used by it alone; `Active()` is that thread's debugger while the
// script runs (redis.debug, redis.breakpoint and error logging find it there).
//
// Lua errors are longjmps: nothing here raises one.  OnHook returns the error the hook must
// raise once this object's frames are gone; the debugger's own Lua calls (eval, redis) run
// under lua_pcall.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct lua_State;
struct lua_Debug;

namespace tessera::server::scripting {

// The debugging client's connection, used with blocking calls while the session lasts.
class DebugChannel {
 public:
  virtual ~DebugChannel() = default;
  // Writes every byte, waiting for room up to 5 s (Redis's send timeout); false on failure.
  virtual bool Write(std::string_view bytes) = 0;
  // Waits for input, then reads up to `len` bytes.  Returns the count, or <= 0 once the
  // client is gone (closed, reset, or an I/O error).
  virtual long Read(char* buf, size_t len) = 0;
};

class LuaDebugger {
 public:
  // `source`: the EVAL's script body as the client sent it.  `busy_threshold_ms`:
  // busy-reply-threshold now (a stop is forced once a script ran that long unattended).
  LuaDebugger(DebugChannel* channel, std::string_view source, int64_t busy_threshold_ms);
  LuaDebugger(const LuaDebugger&) = delete;
  LuaDebugger& operator=(const LuaDebugger&) = delete;

  // This thread's debugger while it runs a debugged script, else null.
  static LuaDebugger* Active() { return active_; }
  // Makes `d` this thread's active debugger (null: none); returns the previous one.
  static LuaDebugger* SetActive(LuaDebugger* d);

  // True iff the user is stepping: redis.call logs its command, reply and errors (Redis's
  // ldbIsEnabled).
  bool stepping() const { return step_; }

  // Called by the engine's line/count hook.  Returns null to go on, or the error message the
  // hook must raise (abort, protocol error, ...).
  const char* OnHook(lua_State* L, lua_Debug* ar);

  // redis.debug(...): logs its arguments with the current line.
  void LogDebugCall(lua_State* L);
  // redis.breakpoint(): stop at the next line.
  void RequestBreak() { luabp_ = true; }
  // redis.call while stepping: the command (at most 10 arguments shown) and its reply.
  void LogCommand(std::span<const std::string_view> args);
  void LogReply(std::string_view resp);
  // An error raised in Lua while stepping ("<error> " + text as Redis builds it).
  void LogError(std::string_view text);

  // Sends the pending logs and "<endsession>" (ldbEndSession).
  void EndSession();

  // Redis's sdscatrepr (exposed for tests).
  static void AppendRepr(std::string* out, std::string_view s);
  // ldbRedisProtocolToHuman: one RESP reply as the debugger shows it; returns the bytes used.
  static size_t ProtocolToHuman(std::string* out, std::string_view reply);

  // Parses one debugger command from `buf` as Redis's forgiving parser does.
  enum class Parse { kCommand, kNeedMore, kProtocolError };
  static Parse ParseCommand(std::string_view buf, std::vector<std::string>* argv);

 private:
  enum class ReplResult { kResume, kClientGone, kError };

  void Log(std::string line) { logs_.push_back(std::move(line)); }
  void LogWithMaxLen(std::string line);
  void SendLogs();
  ReplResult Repl(lua_State* L);
  // Runs one parsed command; true iff it resumes the script.
  bool Execute(lua_State* L, const std::vector<std::string>& argv, ReplResult* result);

  std::string_view SourceLine(int line) const;
  bool IsBreakpoint(int line) const;
  bool AddBreakpoint(int line);
  bool DeleteBreakpoint(int line);
  void LogSourceLine(int line);
  void List(int around, int context);
  void LogStackValue(lua_State* L, std::string prefix);
  void CatStackValue(std::string* out, lua_State* L, int idx, int level);
  void Print(lua_State* L, const std::string& name);
  void PrintAll(lua_State* L);
  void Break(const std::vector<std::string>& argv);
  void Eval(lua_State* L, const std::vector<std::string>& argv);
  void Redis(lua_State* L, const std::vector<std::string>& argv);
  void Trace(lua_State* L);
  void Maxlen(const std::vector<std::string>& argv);
  void Help();

  static thread_local LuaDebugger* active_;

  DebugChannel* channel_;
  std::vector<std::string> lines_;  // the source, split at '\n'
  std::vector<std::string> logs_;   // pending output lines
  std::vector<int> breakpoints_;    // at most kMaxBreakpoints
  std::string cbuf_;                // unparsed input
  std::string error_;               // what OnHook asks the hook to raise
  int64_t busy_threshold_ms_;
  int64_t start_us_;  // monotonic; reset after each stop
  size_t maxlen_ = kDefaultMaxLen;
  bool maxlen_hint_sent_ = false;
  bool step_ = true;    // stop at the next line
  bool luabp_ = false;  // redis.breakpoint() was called
  int currentline_ = 0;

  static constexpr size_t kMaxBreakpoints = 64;
  static constexpr size_t kDefaultMaxLen = 256;
  static constexpr size_t kMaxInput = 1 << 20;
};

}  // namespace tessera::server::scripting
