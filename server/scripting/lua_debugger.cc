#include "server/scripting/lua_debugger.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "server/scripting/lua_sandbox.h"
#include "server/server.h"

namespace tessera::server::scripting {

thread_local LuaDebugger* LuaDebugger::active_ = nullptr;

namespace {

// C's atoi over a byte string (Redis parses the debugger's numbers with it): leading
// blanks, a sign, then digits up to the first other byte; 0 when there are none.
int Atoi(std::string_view s) { return std::atoi(std::string(s.substr(0, s.find('\0'))).c_str()); }

// strcasecmp of a command name (compared as a C string, as Redis does).
bool Is(const std::string& arg, const char* name) { return strcasecmp(arg.c_str(), name) == 0; }

constexpr int kMaxValueDepth = LUA_MINSTACK / 2;  // Redis's LDB_MAX_VALUES_DEPTH

// The message of the error on top, as Redis logs it: a string as it is (no error code added),
// an error table by its text.
std::string ErrorText(lua_State* L) {
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    return std::string(s, len);
  }
  return ErrorMessage(L);
}

}  // namespace

LuaDebugger::LuaDebugger(DebugChannel* channel, std::string_view source, int64_t busy_threshold_ms)
    : channel_(channel), busy_threshold_ms_(busy_threshold_ms), start_us_(Server::MonotonicUs()) {
  while (!source.empty() && (source.back() == '\n' || source.back() == '\r')) {
    source.remove_suffix(1);
  }
  while (!source.empty()) {
    size_t nl = source.find('\n');
    lines_.emplace_back(source.substr(0, nl));
    if (nl == std::string_view::npos) break;
    source.remove_prefix(nl + 1);
    if (source.empty()) lines_.emplace_back();
  }
}

LuaDebugger* LuaDebugger::SetActive(LuaDebugger* d) {
  LuaDebugger* previous = active_;
  active_ = d;
  return previous;
}

// ---- output ----

void LuaDebugger::AppendRepr(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '\\':
      case '"':
        out->push_back('\\');
        out->push_back(c);
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out->push_back(c);
        } else {
          out->append(fmt::format("\\x{:02x}", static_cast<unsigned char>(c)));
        }
    }
  }
  out->push_back('"');
}

void LuaDebugger::LogWithMaxLen(std::string line) {
  bool trimmed = false;
  if (maxlen_ != 0 && line.size() > maxlen_) {
    line.resize(maxlen_);
    line += " ...";
    trimmed = true;
  }
  Log(std::move(line));
  if (trimmed && !maxlen_hint_sent_) {
    maxlen_hint_sent_ = true;
    Log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
  }
}

void LuaDebugger::SendLogs() {
  std::string out = fmt::format("*{}\r\n", logs_.size());
  for (std::string& line : logs_) {
    for (char& c : line) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    out += '+';
    out += line;
    out += "\r\n";
  }
  logs_.clear();
  // A failed write is seen by the next read, which ends the session's input.
  channel_->Write(out);
}

void LuaDebugger::EndSession() {
  Log("<endsession>");
  SendLogs();
}

// ---- what redis.* logs ----

void LuaDebugger::LogCommand(std::span<const std::string_view> args) {
  std::string line = "<redis>";
  for (size_t j = 0; j < args.size(); ++j) {
    if (j == 10) {
      // Redis's count: one fewer than the arguments left out.
      line += fmt::format(" ... ({} more)", static_cast<int>(args.size() - j - 1));
      break;
    }
    line += ' ';
    line += args[j].substr(0, args[j].find('\0'));
  }
  Log(std::move(line));
}

void LuaDebugger::LogReply(std::string_view resp) {
  std::string line = "<reply> ";
  ProtocolToHuman(&line, resp);
  LogWithMaxLen(std::move(line));
}

void LuaDebugger::LogError(std::string_view text) {
  Log("<error> " + std::string(text.substr(0, text.find('\0'))));
}

void LuaDebugger::LogDebugCall(lua_State* L) {
  int argc = lua_gettop(L);
  std::string line = fmt::format("<debug> line {}: ", currentline_);
  for (int i = 1; i <= argc; ++i) {
    CatStackValue(&line, L, i, 0);
    if (i != argc) line += ", ";
  }
  Log(std::move(line));
}

// ---- RESP as the debugger shows it ----

namespace {

// The header line's text after the type byte, and the offset just past its CRLF.
std::string_view HeaderLine(std::string_view reply, size_t* next) {
  size_t cr = reply.find('\r', 1);
  if (cr == std::string_view::npos) cr = reply.size();
  *next = std::min(reply.size(), cr + 2);
  return reply.substr(1, cr - 1);
}

}  // namespace

size_t LuaDebugger::ProtocolToHuman(std::string* out, std::string_view reply) {
  if (reply.empty()) return 0;
  size_t next = 0;
  std::string_view line = HeaderLine(reply, &next);
  auto items = [&](std::string_view open, std::string_view close, bool pairs) {
    long long n = std::strtoll(std::string(line).c_str(), nullptr, 10);
    out->append(open);
    for (long long j = 0; j < n && next < reply.size(); ++j) {
      next += ProtocolToHuman(out, reply.substr(next));
      if (pairs) {
        out->append(" => ");
        next += ProtocolToHuman(out, reply.substr(next));
      }
      if (j != n - 1) out->push_back(',');
    }
    out->append(close);
  };
  switch (reply[0]) {
    case ':':
      out->append(line);
      return next;
    case '$': {
      long long len = std::strtoll(std::string(line).c_str(), nullptr, 10);
      if (len < 0) {
        out->append("NULL");
        return next;
      }
      AppendRepr(out, reply.substr(next, static_cast<size_t>(len)));
      return std::min(reply.size(), next + static_cast<size_t>(len) + 2);
    }
    case '+':
    case '-':
      AppendRepr(out, reply.substr(0, line.size() + 1));
      return next;
    case '*':
      if (line == "-1") {
        out->append("NULL");
        return next;
      }
      items("[", "]", false);
      return next;
    case '~':
      items("~(", ")", false);
      return next;
    case '%':
      items("{", "}", true);
      return next;
    case '_':
      out->append("(null)");
      return next;
    case '#':
      out->append(reply.size() > 1 && reply[1] == 't' ? "#true" : "#false");
      return next;
    case ',':
      out->append("(double) ");
      out->append(line);
      return next;
    default:
      // Redis renders nothing for the other types (big numbers, verbatim strings...).
      return reply.size();
  }
}

// ---- Lua values ----

void LuaDebugger::CatStackValue(std::string* out, lua_State* L, int idx, int level) {
  if (idx < 0 && idx > LUA_REGISTRYINDEX) idx = lua_gettop(L) + idx + 1;
  if (level++ == kMaxValueDepth) {
    out->append("<max recursion level reached! Nested table?>");
    return;
  }
  int type = lua_type(L, idx);
  switch (type) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      AppendRepr(out, std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      out->append(lua_toboolean(L, idx) ? "true" : "false");
      return;
    case LUA_TNUMBER: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(lua_tonumber(L, idx)));
      out->append(buf);
      return;
    }
    case LUA_TNIL:
      out->append("nil");
      return;
    case LUA_TTABLE: {
      // Both renderings at once, as Redis: an array's values, or every [key]=value.
      if (!lua_checkstack(L, 3)) {
        out->append("<max recursion level reached! Nested table?>");
        return;
      }
      std::string as_array;
      std::string as_map;
      bool is_array = true;
      int expected = 1;
      lua_pushnil(L);
      while (lua_next(L, idx) != 0) {
        if (is_array && (lua_type(L, -2) != LUA_TNUMBER || lua_tonumber(L, -2) != expected)) {
          is_array = false;
        }
        CatStackValue(&as_array, L, -1, level);
        as_array += "; ";
        as_map += '[';
        CatStackValue(&as_map, L, -2, level);
        as_map += "]=";
        CatStackValue(&as_map, L, -1, level);
        as_map += "; ";
        lua_pop(L, 1);
        ++expected;
      }
      std::string& chosen = is_array ? as_array : as_map;
      if (!chosen.empty()) chosen.resize(chosen.size() - 2);
      *out += '{';
      *out += chosen;
      *out += '}';
      return;
    }
    case LUA_TFUNCTION:
    case LUA_TUSERDATA:
    case LUA_TTHREAD:
    case LUA_TLIGHTUSERDATA: {
      const char* name = type == LUA_TFUNCTION   ? "function"
                         : type == LUA_TUSERDATA ? "userdata"
                         : type == LUA_TTHREAD   ? "thread"
                                                 : "light-userdata";
      char buf[64];
      std::snprintf(buf, sizeof(buf), "\"%s@%p\"", name, lua_topointer(L, idx));
      out->append(buf);
      return;
    }
    default:
      out->append("\"<unknown-lua-type>\"");
  }
}

void LuaDebugger::LogStackValue(lua_State* L, std::string prefix) {
  CatStackValue(&prefix, L, -1, 0);
  LogWithMaxLen(std::move(prefix));
}

// ---- source and breakpoints ----

std::string_view LuaDebugger::SourceLine(int line) const {
  if (line < 1 || static_cast<size_t>(line) > lines_.size()) {
    return "<out of range source code line>";
  }
  return lines_[static_cast<size_t>(line - 1)];
}

bool LuaDebugger::IsBreakpoint(int line) const {
  for (int bp : breakpoints_) {
    if (bp == line) return true;
  }
  return false;
}

bool LuaDebugger::AddBreakpoint(int line) {
  if (line <= 0 || static_cast<size_t>(line) > lines_.size()) return false;
  if (!IsBreakpoint(line) && breakpoints_.size() != kMaxBreakpoints) {
    breakpoints_.push_back(line);
    return true;
  }
  return false;
}

bool LuaDebugger::DeleteBreakpoint(int line) {
  for (size_t j = 0; j < breakpoints_.size(); ++j) {
    if (breakpoints_[j] == line) {
      breakpoints_.erase(breakpoints_.begin() + static_cast<std::ptrdiff_t>(j));
      return true;
    }
  }
  return false;
}

void LuaDebugger::LogSourceLine(int line) {
  bool bp = IsBreakpoint(line);
  bool current = currentline_ == line;
  const char* prefix = current && bp ? "->#" : current ? "-> " : bp ? "  #" : "   ";
  Log(fmt::format("{}{:<3} {}", prefix, line, SourceLine(line)));
}

void LuaDebugger::List(int around, int context) {
  for (int j = 1; static_cast<size_t>(j) <= lines_.size(); ++j) {
    if (around != 0 && std::abs(around - j) > context) continue;
    LogSourceLine(j);
  }
}

// ---- the commands ----

LuaDebugger::Parse LuaDebugger::ParseCommand(std::string_view buf, std::vector<std::string>* argv) {
  argv->clear();
  if (buf.empty()) return Parse::kNeedMore;
  // Redis's parser skips anything before the first '*' and is lenient about the rest.
  size_t p = buf.find('*');
  if (p == std::string_view::npos) return Parse::kProtocolError;
  size_t crlf = buf.find("\r\n", p);
  if (crlf == std::string_view::npos) return Parse::kNeedMore;
  int argc = Atoi(buf.substr(p + 1, crlf - p - 1));
  if (argc <= 0 || argc > 1024) return Parse::kProtocolError;
  p = crlf + 2;
  while (static_cast<int>(argv->size()) < argc) {
    if (p >= buf.size()) return Parse::kNeedMore;
    if (buf[p] != '$') return Parse::kProtocolError;
    crlf = buf.find("\r\n", p);
    if (crlf == std::string_view::npos) return Parse::kNeedMore;
    int len = Atoi(buf.substr(p + 1, crlf - p - 1));
    if (len <= 0 || len > 1024) return Parse::kProtocolError;
    p = crlf + 2;
    if (p + static_cast<size_t>(len) + 2 > buf.size()) return Parse::kNeedMore;
    argv->emplace_back(buf.substr(p, static_cast<size_t>(len)));
    p += static_cast<size_t>(len);
    if (buf[p] != '\r' || buf[p + 1] != '\n') return Parse::kProtocolError;
    p += 2;
  }
  return Parse::kCommand;
}

void LuaDebugger::Help() {
  static const char* kLines[] = {
      "Redis Lua debugger help:",
      "[h]elp               Show this help.",
      "[s]tep               Run current line and stop again.",
      "[n]ext               Alias for step.",
      "[c]ontinue           Run till next breakpoint.",
      "[l]ist               List source code around current line.",
      "[l]ist [line]        List source code around [line].",
      "                     line = 0 means: current position.",
      "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
      "                     to show before/after [line].",
      "[w]hole              List all source code. Alias for 'list 1 1000000'.",
      "[p]rint              Show all the local variables.",
      "[p]rint <var>        Show the value of the specified variable.",
      "                     Can also show global vars KEYS and ARGV.",
      "[b]reak              Show all breakpoints.",
      "[b]reak <line>       Add a breakpoint to the specified line.",
      "[b]reak -<line>      Remove breakpoint from the specified line.",
      "[b]reak 0            Remove all breakpoints.",
      "[t]race              Show a backtrace.",
      "[e]val <code>        Execute some Lua code (in a different callframe).",
      "[r]edis <cmd>        Execute a Redis command.",
      "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
      "                     Specifying zero as <len> means unlimited.",
      "[a]bort              Stop the execution of the script. In sync",
      "                     mode dataset changes will be retained.",
      "",
      "Debugger functions you can call from Lua scripts:",
      "redis.debug()        Produce logs in the debugger console.",
      "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
      "                     next line of code.",
  };
  for (const char* line : kLines) Log(line);
}

void LuaDebugger::Print(lua_State* L, const std::string& name) {
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar) != 0; ++level) {
    for (int i = 1;; ++i) {
      const char* local = lua_getlocal(L, &ar, i);  // pushes its value
      if (local == nullptr) break;
      if (name == local) {
        LogStackValue(L, "<value> ");
        lua_pop(L, 1);
        return;
      }
      lua_pop(L, 1);
    }
  }
  if (name == "ARGV" || name == "KEYS") {
    lua_getglobal(L, name.c_str());
    LogStackValue(L, "<value> ");
    lua_pop(L, 1);
  } else {
    Log("No such variable.");
  }
}

void LuaDebugger::PrintAll(lua_State* L) {
  lua_Debug ar;
  int vars = 0;
  if (lua_getstack(L, 0, &ar) != 0) {
    for (int i = 1;; ++i) {
      const char* local = lua_getlocal(L, &ar, i);
      if (local == nullptr) break;
      if (std::strstr(local, "(*temporary)") == nullptr) {
        LogStackValue(L, fmt::format("<value> {} = ", local));
        ++vars;
      }
      lua_pop(L, 1);
    }
  }
  if (vars == 0) Log("No local variables in the current context.");
}

void LuaDebugger::Break(const std::vector<std::string>& argv) {
  if (argv.size() == 1) {
    if (breakpoints_.empty()) {
      Log("No breakpoints set. Use 'b <line>' to add one.");
      return;
    }
    Log(fmt::format("{} breakpoints set:", breakpoints_.size()));
    for (int bp : breakpoints_) LogSourceLine(bp);
    return;
  }
  for (size_t j = 1; j < argv.size(); ++j) {
    const std::string& arg = argv[j];
    char* end = nullptr;
    errno = 0;
    long line = std::strtol(arg.c_str(), &end, 10);
    // Redis's string2l: an exact decimal, no blanks, no leading zeros or "+".
    bool valid = !arg.empty() && errno == 0 && end == arg.c_str() + arg.size() && arg[0] != '+' &&
                 !std::isspace(static_cast<unsigned char>(arg[0])) &&
                 !(arg.size() > 1 && arg[0] == '0') &&
                 !(arg.size() > 2 && arg[0] == '-' && arg[1] == '0') && arg != "-0";
    if (!valid) {
      Log(fmt::format("Invalid argument:'{}'", arg.substr(0, arg.find('\0'))));
    } else if (line == 0) {
      breakpoints_.clear();
      Log("All breakpoints removed.");
    } else if (line > 0) {
      if (breakpoints_.size() == kMaxBreakpoints) {
        Log("Too many breakpoints set.");
      } else if (line <= INT32_MAX && AddBreakpoint(static_cast<int>(line))) {
        List(static_cast<int>(line), 1);
      } else {
        Log("Wrong line number.");
      }
    } else {
      if (line >= -INT32_MAX && DeleteBreakpoint(static_cast<int>(-line))) {
        Log("Breakpoint removed.");
      } else {
        Log("No breakpoint in the specified line.");
      }
    }
  }
}

void LuaDebugger::Eval(lua_State* L, const std::vector<std::string>& argv) {
  std::string code;
  for (size_t j = 1; j < argv.size(); ++j) {
    if (j != 1) code += ' ';
    code += argv[j];
  }
  std::string expr = "return " + code;
  // An expression first, then a statement; bytecode is refused, as everywhere.
  if (LoadChunk(L, expr, "@ldb_eval") != 0) {
    lua_pop(L, 1);
    if (LoadChunk(L, code, "@ldb_eval") != 0) {
      Log("<error> " + ErrorText(L));
      lua_pop(L, 1);
      return;
    }
  }
  if (lua_pcall(L, 0, 1, 0) != 0) {
    Log("<error> " + ErrorText(L));
    lua_pop(L, 1);
    return;
  }
  LogStackValue(L, "<retval> ");
  lua_pop(L, 1);
}

void LuaDebugger::Redis(lua_State* L, const std::vector<std::string>& argv) {
  if (!lua_checkstack(L, static_cast<int>(argv.size()) + 1)) {
    LogReply("max lua stack reached");  // Redis logs it through its reply renderer
    return;
  }
  lua_getglobal(L, "redis");
  lua_getfield(L, -1, "call");
  for (size_t j = 1; j < argv.size(); ++j) lua_pushlstring(L, argv[j].data(), argv[j].size());
  step_ = true;  // redis.call logs the command and its reply
  lua_pcall(L, static_cast<int>(argv.size()) - 1, 1, 0);
  step_ = false;
  lua_pop(L, 2);
}

void LuaDebugger::Trace(lua_State* L) {
  lua_Debug ar;
  int level = 0;
  while (lua_getstack(L, level, &ar) != 0) {
    lua_getinfo(L, "Snl", &ar);
    if (std::strstr(ar.short_src, "user_script") != nullptr) {
      Log(fmt::format("{} {}:", level == 0 ? "In" : "From",
                      ar.name != nullptr ? ar.name : "top level"));
      LogSourceLine(ar.currentline);
    }
    ++level;
  }
  if (level == 0) Log("<error> Can't retrieve Lua stack.");
}

void LuaDebugger::Maxlen(const std::vector<std::string>& argv) {
  if (argv.size() == 2) {
    int value = Atoi(argv[1]);
    maxlen_hint_sent_ = true;  // the user knows about maxlen now
    if (value != 0 && value <= 60) value = 60;
    maxlen_ = static_cast<size_t>(value);
  }
  if (maxlen_ != 0) {
    Log(fmt::format("<value> replies are truncated at {} bytes.", maxlen_));
  } else {
    Log("<value> replies are unlimited.");
  }
}

bool LuaDebugger::Execute(lua_State* L, const std::vector<std::string>& argv, ReplResult* result) {
  const std::string& name = argv[0];
  if (Is(name, "h") || Is(name, "help")) {
    Help();
  } else if (Is(name, "s") || Is(name, "step") || Is(name, "n") || Is(name, "next")) {
    step_ = true;
    *result = ReplResult::kResume;
    return true;
  } else if (Is(name, "c") || Is(name, "continue")) {
    *result = ReplResult::kResume;
    return true;
  } else if (Is(name, "t") || Is(name, "trace")) {
    Trace(L);
  } else if (Is(name, "m") || Is(name, "maxlen")) {
    Maxlen(argv);
  } else if (Is(name, "b") || Is(name, "break")) {
    Break(argv);
  } else if (Is(name, "e") || Is(name, "eval")) {
    Eval(L, argv);
  } else if (Is(name, "a") || Is(name, "abort")) {
    error_ = "script aborted for user request";
    *result = ReplResult::kError;
    return true;
  } else if (argv.size() > 1 && (Is(name, "r") || Is(name, "redis"))) {
    Redis(L, argv);
  } else if (Is(name, "p") || Is(name, "print")) {
    if (argv.size() == 2) {
      Print(L, argv[1]);
    } else {
      PrintAll(L);
    }
  } else if (Is(name, "l") || Is(name, "list")) {
    int around = currentline_;
    int context = 5;
    if (argv.size() > 1) {
      int num = Atoi(argv[1]);
      if (num > 0) around = num;
    }
    if (argv.size() > 2) context = Atoi(argv[2]);
    List(around, context);
  } else if (Is(name, "w") || Is(name, "whole")) {
    List(1, 1000000);
  } else {
    Log("<error> Unknown Redis Lua debugger command or wrong number of arguments.");
  }
  SendLogs();
  return false;
}

LuaDebugger::ReplResult LuaDebugger::Repl(lua_State* L) {
  std::vector<std::string> argv;
  for (;;) {
    Parse parsed;
    while ((parsed = ParseCommand(cbuf_, &argv)) != Parse::kCommand) {
      if (parsed == Parse::kProtocolError) {
        error_ = "protocol error";
        return ReplResult::kError;
      }
      char buf[1024];
      long n = channel_->Read(buf, sizeof(buf));
      if (n <= 0) {
        // The client is gone: the script runs to its end without stopping.
        step_ = false;
        breakpoints_.clear();
        return ReplResult::kClientGone;
      }
      cbuf_.append(buf, static_cast<size_t>(n));
      if (cbuf_.size() > kMaxInput) {
        cbuf_.clear();
        error_ = "max client buffer reached";
        return ReplResult::kError;
      }
    }
    cbuf_.clear();  // as Redis: input past the command is dropped
    ReplResult result = ReplResult::kResume;
    if (Execute(L, argv, &result)) return result;
  }
}

const char* LuaDebugger::OnHook(lua_State* L, lua_Debug* ar) {
  lua_getstack(L, 0, ar);
  lua_getinfo(L, "Sl", ar);
  currentline_ = ar->currentline;
  bool bp = IsBreakpoint(currentline_) || luabp_;
  bool timeout = false;
  if (std::strstr(ar->short_src, "user_script") == nullptr) return nullptr;
  if (ar->event == LUA_HOOKCOUNT && !step_ && !bp) {
    int64_t limit_ms = busy_threshold_ms_ > 0 ? busy_threshold_ms_ : 5000;
    if ((Server::MonotonicUs() - start_us_) / 1000 < limit_ms) return nullptr;
    timeout = true;
    step_ = true;
  }
  if (!step_ && !bp) return nullptr;
  const char* reason = bp        ? (luabp_ ? "redis.breakpoint() called" : "break point")
                       : timeout ? "timeout reached, infinite loop?"
                                 : "step over";
  step_ = false;
  luabp_ = false;
  Log(fmt::format("* Stopped at {}, stop reason = {}", currentline_, reason));
  LogSourceLine(currentline_);
  SendLogs();
  ReplResult result = Repl(L);
  if (result == ReplResult::kError) return error_.c_str();
  if (result == ReplResult::kClientGone && timeout) {
    // Nobody will ever stop this loop: end the script rather than block forever.
    error_ = "timeout during Lua debugging with client closing connection";
    return error_.c_str();
  }
  start_us_ = Server::MonotonicUs();
  return nullptr;
}

}  // namespace tessera::server::scripting
