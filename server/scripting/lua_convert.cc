#include "server/scripting/lua_convert.h"

#include "server/scripting/lua_debugger.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/base/numbers.h"

namespace tessera::server::scripting {

namespace {

std::string_view TrimCrlf(std::string_view s) {
  while (!s.empty() && (s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

void MapCrlf(std::string* s) {
  for (char& c : *s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
}

void CheckStack(lua_State* L, int n) {
  if (!lua_checkstack(L, n)) luaL_error(L, "reached lua stack limit");
}

// A cursor over one RESP reply written by our own reply builder (trusted, complete).
class ReplyReader {
 public:
  explicit ReplyReader(std::string_view s) : s_(s) {}

  // Pushes the next value; `lua` false skips it (attributes).
  void Push(lua_State* L, bool push = true) {
    if (pos_ >= s_.size()) {
      if (push) lua_pushnil(L);
      return;
    }
    char type = s_[pos_++];
    std::string_view line = Line();
    if (push) CheckStack(L, 5);
    switch (type) {
      case '+':
        if (!push) return;
        lua_newtable(L);
        lua_pushstring(L, "ok");
        lua_pushlstring(L, line.data(), line.size());
        lua_settable(L, -3);
        return;
      case '-':
        if (!push) return;
        PushErrorTable(L, std::string("-") + std::string(line));
        lua_pushstring(L, "ignore_error_stats_update");
        lua_pushboolean(L, 1);
        lua_settable(L, -3);
        return;
      case ':':
        if (push)
          lua_pushnumber(
              L, static_cast<lua_Number>(std::strtoll(std::string(line).c_str(), nullptr, 10)));
        return;
      case '$':
      case '=':
        return Bulk(L, type, line, push);
      case '*':
      case '>':
      case '~':
      case '%':
      case '|':
        return Aggregate(L, type, line, push);
      case '_':
        if (push) lua_pushnil(L);
        return;
      case '#':
        if (push) lua_pushboolean(L, line == "t");
        return;
      case ',':
        if (!push) return;
        lua_newtable(L);
        lua_pushstring(L, "double");
        lua_pushnumber(L, std::strtod(std::string(line).c_str(), nullptr));
        lua_settable(L, -3);
        return;
      case '(':
        if (!push) return;
        lua_newtable(L);
        lua_pushstring(L, "big_number");
        lua_pushlstring(L, line.data(), line.size());
        lua_settable(L, -3);
        return;
      default:
        if (push) lua_pushnil(L);
    }
  }

 private:
  std::string_view Line() {
    size_t end = s_.find("\r\n", pos_);
    if (end == std::string_view::npos) end = s_.size();
    std::string_view line = s_.substr(pos_, end - pos_);
    pos_ = std::min(s_.size(), end + 2);
    return line;
  }

  void Bulk(lua_State* L, char type, std::string_view header, bool push) {
    long long len = std::strtoll(std::string(header).c_str(), nullptr, 10);
    if (len < 0) {
      if (push) lua_pushboolean(L, 0);
      return;
    }
    std::string_view body = s_.substr(pos_, static_cast<size_t>(len));
    pos_ = std::min(s_.size(), pos_ + static_cast<size_t>(len) + 2);
    if (!push) return;
    if (type == '$') {
      lua_pushlstring(L, body.data(), body.size());
      return;
    }
    // Verbatim: "fmt:text".
    std::string_view format = body.substr(0, std::min<size_t>(3, body.size()));
    std::string_view text = body.size() > 4 ? body.substr(4) : std::string_view();
    lua_newtable(L);
    lua_pushstring(L, "verbatim_string");
    lua_newtable(L);
    lua_pushstring(L, "string");
    lua_pushlstring(L, text.data(), text.size());
    lua_settable(L, -3);
    lua_pushstring(L, "format");
    lua_pushlstring(L, format.data(), format.size());
    lua_settable(L, -3);
    lua_settable(L, -3);
  }

  void Aggregate(lua_State* L, char type, std::string_view header, bool push) {
    long long n = std::strtoll(std::string(header).c_str(), nullptr, 10);
    if (type == '|') {  // attribute: skip it, then the value it annotates
      for (long long i = 0; i < 2 * n; ++i) Push(L, false);
      Push(L, push);
      return;
    }
    if (n < 0) {
      if (push) lua_pushboolean(L, 0);
      return;
    }
    if (!push) {
      for (long long i = 0; i < (type == '%' ? 2 * n : n); ++i) Push(L, false);
      return;
    }
    if (type == '%' || type == '~') {
      lua_newtable(L);
      lua_pushstring(L, type == '%' ? "map" : "set");
      lua_newtable(L);
      for (long long i = 0; i < n; ++i) {
        Push(L);
        if (type == '%') {
          Push(L);
        } else {
          lua_pushboolean(L, 1);
        }
        if (lua_isnil(L, -2)) {
          lua_pop(L, 2);  // a nil key cannot be stored
        } else {
          lua_settable(L, -3);
        }
      }
      lua_settable(L, -3);
      return;
    }
    lua_newtable(L);
    for (long long i = 0; i < n; ++i) {
      lua_pushnumber(L, static_cast<lua_Number>(i + 1));
      Push(L);
      lua_settable(L, -3);
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// Looks up field `name` of the table on top with rawget; leaves it pushed.
int RawField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

// (long long)d as the C cast behaves on x86-64: out-of-range and NaN give INT64_MIN.
int64_t TruncateToInt64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(d);
}

}  // namespace

bool ErrorAlreadyCounted(lua_State* L) {
  lua_getfield(L, -1, "ignore_error_stats_update");
  bool counted = lua_isboolean(L, -1) && lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return counted;
}

void ReplyErrors::Note(std::string_view message, bool already_counted) {
  if (already_counted) {
    ++counted;
  } else {
    uncounted.emplace_back(message);
  }
}

namespace {

// The table on top is not an error/status/... table: an array up to the first nil.
void ArrayToReply(lua_State* L, int script_resp, resp::ReplyBuilder& reply, ReplyErrors* errors) {
  size_t at = reply.StartDeferred();
  size_t n = 0;
  for (int j = 1;; ++j) {
    lua_rawgeti(L, -1, j);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    LuaToReply(L, script_resp, reply, errors);
    ++n;
  }
  reply.EndDeferred(at, 'A', n);
}

// Handles the special tables; returns false if the table on top is none of them.  On true the
// field value was consumed but the table is still on the stack.
bool SpecialTableToReply(lua_State* L, int script_resp, resp::ReplyBuilder& reply,
                         ReplyErrors* errors) {
  if (RawField(L, "err") == LUA_TSTRING) {
    std::string msg(TrimCrlf(lua_tostring(L, -1)));
    lua_pop(L, 1);
    reply.Error(msg);
    if (errors != nullptr) errors->Note(msg, ErrorAlreadyCounted(L));
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, "ok") == LUA_TSTRING) {
    std::string ok = lua_tostring(L, -1);
    MapCrlf(&ok);
    lua_pop(L, 1);
    reply.SimpleString(ok);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, "double") == LUA_TNUMBER) {
    double d = lua_tonumber(L, -1);
    lua_pop(L, 1);
    reply.Double(d);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, "big_number") == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    std::string digits(s, len);
    MapCrlf(&digits);
    lua_pop(L, 1);
    reply.BigNumber(digits);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, "verbatim_string") == LUA_TTABLE) {
    if (RawField(L, "format") == LUA_TSTRING) {  // stack: table, verbatim, format
      std::string format = lua_tostring(L, -1);
      format.resize(3, ' ');
      lua_pushstring(L, "string");
      lua_rawget(L, -3);  // the verbatim table, under the format
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L, -1, &len);
        reply.Verbatim(std::string_view(s, len), format);
        lua_pop(L, 3);
        return true;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (RawField(L, "map") == LUA_TTABLE) {
    size_t at = reply.StartDeferred();
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      LuaToReply(L, script_resp, reply, errors);  // the key
      LuaToReply(L, script_resp, reply, errors);  // the value
      ++n;
    }
    reply.EndDeferred(at, 'M', n);
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, "set") == LUA_TTABLE) {
    size_t at = reply.StartDeferred();
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      LuaToReply(L, script_resp, reply, errors);
      ++n;
    }
    reply.EndDeferred(at, 'S', n);
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  return false;
}

}  // namespace

void PushErrorTable(lua_State* L, std::string_view text) {
  text = text.substr(0, text.find('\0'));  // Redis builds it from a C string
  if (LuaDebugger* debugger = LuaDebugger::Active(); debugger != nullptr && debugger->stepping()) {
    debugger->LogError(text);
  }
  std::string code = "ERR";
  std::string_view msg = text;
  if (!text.empty() && text[0] == '-') {
    size_t space = text.find(' ');
    if (space == std::string_view::npos) {
      msg = text.substr(1);
    } else {
      code = std::string(text.substr(1, space - 1));
      msg = text.substr(space + 1);
    }
  }
  std::string full = code + " " + std::string(TrimCrlf(msg));
  CheckStack(L, 3);
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, full.data(), full.size());
  lua_settable(L, -3);
}

void PushReply(lua_State* L, std::string_view reply) {
  ReplyReader reader(reply);
  reader.Push(L);
}

void LuaToReply(lua_State* L, int script_resp, resp::ReplyBuilder& reply, ReplyErrors* errors) {
  if (!lua_checkstack(L, 4)) {
    reply.Error("ERR reached lua stack limit");
    if (errors != nullptr) errors->Note("ERR", /*already_counted=*/false);
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      reply.Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          reply.Integer(1);
        } else {
          reply.Null();
        }
      } else {
        reply.Bool(lua_toboolean(L, -1) != 0);
      }
      break;
    case LUA_TNUMBER:
      reply.Integer(TruncateToInt64(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      if (!SpecialTableToReply(L, script_resp, reply, errors)) {
        ArrayToReply(L, script_resp, reply, errors);
      }
      break;
    default:
      reply.Null();
  }
  lua_pop(L, 1);
}

size_t FpconvDtoaForLua(double v, char* buf) {
  // Integral values as integers: Redis 7.2.4 sent 100000000 as "1e+8", which HINCRBY and
  // friends then refused (redis/redis#13113); 7.2.5 fixed it this way, and so do we.
  if (v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
    auto ll = static_cast<int64_t>(v);
    if (static_cast<double>(ll) == v) return FormatInt64(ll, buf);
  }
  return FpconvDtoa(v, buf);
}

}  // namespace tessera::server::scripting
