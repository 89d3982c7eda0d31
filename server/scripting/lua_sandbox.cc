#include "server/scripting/lua_sandbox.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace tessera::server::scripting {

namespace {

// The two registry entries every run reads are keyed by the address of a tag (light
// userdata): a lookup hashes a pointer instead of interning a string.
const char kRealGlobalsTag = 'r';
const char kGlobalsTag = 'g';  // the read-only proxy

void PushRegistryEntry(lua_State* L, const char* tag) {
  lua_pushlightuserdata(L, const_cast<char*>(tag));
  lua_rawget(L, LUA_REGISTRYINDEX);
}

// Pops the value on top into the registry under `tag`.
void SetRegistryEntry(lua_State* L, const char* tag) {
  lua_pushlightuserdata(L, const_cast<char*>(tag));
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

constexpr const char* kProxyOfKey = "tessera.proxy_of";        // real table -> proxy
constexpr const char* kIsProxyKey = "tessera.is_proxy";        // proxy -> true
constexpr const char* kLibraryApiKey = "tessera.library_api";  // {redis = ...} during LOAD
constexpr const char* kLoadFlagKey = "tessera.load_flag";      // {true} while LOAD runs code
constexpr const char* kReadonly = "Attempt to modify a readonly table";

// Raises `message` with the position of the Lua code that called the metamethod (level 1),
// as Redis's patched VM reports a write to a read-only table.
int RaiseAt(lua_State* L, int level, const char* message) {
  luaL_where(L, level);
  lua_pushstring(L, message);
  lua_concat(L, 2);
  return lua_error(L);
}

int ReadonlyNewIndex(lua_State* L) { return RaiseAt(L, 1, kReadonly); }

bool IsProxy(lua_State* L, int idx) {
  if (!lua_istable(L, idx)) return false;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kIsProxyKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  bool is = lua_toboolean(L, -1) != 0;
  lua_pop(L, 2);
  return is;
}

// Records that the table at `idx` is the proxy of the table at `real`.
void MarkProxy(lua_State* L, int idx, int real) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  real = real < 0 ? lua_gettop(L) + real + 1 : real;
  lua_getfield(L, LUA_REGISTRYINDEX, kIsProxyKey);
  lua_pushvalue(L, idx);
  lua_pushvalue(L, real);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Pushes the real table behind the proxy at `idx`, or nil if it is not a proxy.
void PushRealOf(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kIsProxyKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}

void MakeProxy(lua_State* L, bool deep);

// __index of a deep proxy: tables read through it come out as proxies too.
int DeepIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (lua_istable(L, -1)) MakeProxy(L, /*deep=*/true);
  return 1;
}

// Replaces the metatable on top with a read-only view of it (whose own metatable is hidden).
void MakeMetaView(lua_State* L) {
  int mt = lua_gettop(L);
  lua_newtable(L);  // the view
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, mt);
  lua_pushcclosure(L, DeepIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  MarkProxy(L, -1, mt);
  lua_replace(L, mt);
}

// Gives the proxy table on top the metatable {__index = index (on the stack below it),
// __newindex = refuse, __metatable = read-only view}, recording it as the proxy of the table
// at `real`.  Pops `index`.
void SetProxyMetatable(lua_State* L, int real) {
  int proxy = lua_gettop(L);
  int index = proxy - 1;
  lua_newtable(L);
  lua_pushvalue(L, index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, -1);
  MakeMetaView(L);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, proxy);
  MarkProxy(L, proxy, real);
  lua_remove(L, index);
}

// Replaces the table on top with its proxy (one per real table).
void MakeProxy(lua_State* L, bool deep) {
  int real = lua_gettop(L);
  if (IsProxy(L, real)) return;
  lua_getfield(L, LUA_REGISTRYINDEX, kProxyOfKey);
  lua_pushvalue(L, real);
  lua_rawget(L, -2);
  if (!lua_isnil(L, -1)) {
    lua_replace(L, real);
    lua_settop(L, real);
    return;
  }
  lua_pop(L, 1);  // stack: real, proxy_of
  if (deep) {
    lua_pushvalue(L, real);
    lua_pushcclosure(L, DeepIndex, 1);
  } else {
    lua_pushvalue(L, real);
  }
  lua_newtable(L);
  SetProxyMetatable(L, real);  // stack: real, proxy_of, proxy
  lua_pushvalue(L, real);
  lua_pushvalue(L, -2);
  lua_rawset(L, real + 1);
  lua_replace(L, real);
  lua_settop(L, real);
}

int NonexistentGlobal(lua_State* L, int key) {
  if (!lua_isstring(L, key)) {
    return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
  }
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_tostring(L, key));
}

// __index of the globals proxy: the real globals, or the library API during FUNCTION LOAD;
// a missing name is an error, as in Redis.  A closure over the real globals (upvalue 1) and
// the load flag table (upvalue 2, see SetLibraryLoading): every global a script reads comes
// here, so it looks nothing up by name in the registry.
int GlobalIndex(lua_State* L) {
  lua_rawgeti(L, lua_upvalueindex(2), 1);
  bool loading = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  if (loading) {
    lua_getfield(L, LUA_REGISTRYINDEX, kLibraryApiKey);
  } else {
    lua_pushvalue(L, lua_upvalueindex(1));
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  if (lua_isnil(L, -1)) return NonexistentGlobal(L, 2);
  return 1;
}

// __index of the library API's `redis`: a missing field is an error too.
int LibraryRedisIndex(lua_State* L) { return NonexistentGlobal(L, 2); }

// ---- wrappers of base functions ----

int CallOriginal(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  if (lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0) == 0) return lua_gettop(L);
  // The original ran one C frame below the script, so its error text has no location and
  // names it '?'.  Give it the script's location and the function's name (upvalue 2), as when
  // the script calls the original directly: "user_script:1: bad argument #1 to 'tohex' ...".
  if (lua_type(L, -1) == LUA_TSTRING) {
    std::string msg = lua_tostring(L, -1);
    const char* name = lua_tostring(L, lua_upvalueindex(2));
    if (size_t at = msg.find(" to '?'"); name != nullptr && at != std::string::npos) {
      msg.replace(at, 7, std::string(" to '") + name + "'");
    }
    lua_pop(L, 1);
    luaL_where(L, 1);
    lua_pushlstring(L, msg.data(), msg.size());
    lua_concat(L, 2);
  }
  return lua_error(L);
}

int RefuseProxyThenCall(lua_State* L) {
  if (IsProxy(L, 1)) {
    lua_pushstring(L, kReadonly);
    return lua_error(L);
  }
  return CallOriginal(L);
}

// rawget(proxy, k) reads the real table; a table read that way comes out as a proxy.
int SafeRawget(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  PushRealOf(L, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_rawget(L, 1);
  } else {
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
  }
  if (lua_istable(L, -1)) MakeProxy(L, /*deep=*/true);
  return 1;
}

// next(proxy, k) walks the real table, handing out proxies for tables.
int SafeNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  PushRealOf(L, 1);
  int table = lua_isnil(L, -1) ? 1 : 3;
  lua_pushvalue(L, 2);
  if (!lua_next(L, table)) {
    lua_pushnil(L);
    return 1;
  }
  if (lua_istable(L, -1)) MakeProxy(L, /*deep=*/true);
  return 2;
}

int SafePairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushcfunction(L, SafeNext);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// getfenv never returns the real globals (a library C function's environment).
int SafeGetfenv(lua_State* L) {
  int n = CallOriginal(L);
  if (n >= 1) {
    PushRegistryEntry(L, &kRealGlobalsTag);
    bool real = lua_rawequal(L, -1, -2) != 0;
    lua_pop(L, 1);
    if (real) {
      lua_pop(L, 1);
      PushRegistryEntry(L, &kGlobalsTag);
    }
  }
  return lua_gettop(L);
}

bool IsBytecode(std::string_view chunk) { return !chunk.empty() && chunk[0] == LUA_SIGNATURE[0]; }

// loadstring(s [, name]) refusing bytecode: nil plus a message, like a failed load.
// Redis's Lua never undumps: a chunk starting with the bytecode signature goes to the text
// parser, which refuses its first byte ("unexpected symbol near 'char(27)'").  A space in front
// makes Debian's Lua do the same; the chunk name stays the caller's.
int SafeLoadstring(lua_State* L) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  if (IsBytecode(std::string_view(s, len))) {
    std::string text = " " + std::string(s, len);
    const char* name = luaL_optstring(L, 2, s);
    if (luaL_loadbuffer(L, text.data(), text.size(), name) != 0) {
      lua_pushnil(L);
      lua_insert(L, -2);
      return 2;
    }
    return 1;
  }
  return CallOriginal(L);
}

// load(func [, name]): gathers the pieces, then loads them as loadstring does.
int SafeLoad(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  const char* name = luaL_optstring(L, 2, "=(load)");
  luaL_Buffer b;
  lua_settop(L, 2);
  luaL_buffinit(L, &b);
  for (;;) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "reader function must return a string");
    size_t len = 0;
    if (lua_objlen(L, -1) == 0) {
      lua_pop(L, 1);
      break;
    }
    lua_tolstring(L, -1, &len);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len = 0;
  const char* chunk = lua_tolstring(L, -1, &len);
  std::string text;
  if (IsBytecode(std::string_view(chunk, len))) {  // as in SafeLoadstring
    text = " " + std::string(chunk, len);
    chunk = text.data();
    len = text.size();
  }
  if (luaL_loadbuffer(L, chunk, len, name) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

// unpack with the element count computed without overflow (CVE-2025-46817).
int SafeUnpack(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int first = luaL_optint(L, 2, 1);
  int last = lua_isnoneornil(L, 3) ? static_cast<int>(lua_objlen(L, 1)) : luaL_checkint(L, 3);
  if (first > last) return 0;
  int64_t n = static_cast<int64_t>(last) - first + 1;
  if (n >= INT_MAX || !lua_checkstack(L, static_cast<int>(n))) {
    return luaL_error(L, "too many results to unpack");
  }
  for (int64_t i = first; i <= last; ++i) lua_rawgeti(L, 1, static_cast<int>(i));
  return static_cast<int>(n);
}

// bit.tohex(x, n) with n = INT_MIN, whose negation overflows in LuaBitOp (CVE-2024-31449).
int SafeToHex(lua_State* L) {
  if (lua_type(L, 2) == LUA_TNUMBER) {
    // LuaBitOp reads n modulo 2^32 as a signed 32-bit value.
    double d = lua_tonumber(L, 2);
    auto bits = static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(d)));
    if (bits == INT32_MIN) {
      lua_pushnumber(L, INT32_MIN + 1);
      lua_replace(L, 2);
    }
  }
  return CallOriginal(L);
}

// The largest string cjson.encode may meet: it reserves 6 bytes per byte plus 2 in an int.
constexpr size_t kMaxJsonString = (INT_MAX - 2) / 6;

bool JsonSizeOk(lua_State* L, int idx, int depth) {
  if (depth > 1100 || !lua_checkstack(L, 3)) return true;  // cjson refuses the depth itself
  int type = lua_type(L, idx);
  if (type == LUA_TSTRING) return lua_objlen(L, idx) <= kMaxJsonString;
  if (type != LUA_TTABLE) return true;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (!JsonSizeOk(L, -1, depth + 1) || !JsonSizeOk(L, -2, depth + 1)) {
      lua_pop(L, 2);
      return false;
    }
    lua_pop(L, 1);
  }
  return true;
}

int SafeJsonEncode(lua_State* L) {
  if (!JsonSizeOk(L, 1, 0)) return luaL_error(L, "string too long to encode");
  return CallOriginal(L);
}

// Redis's pcall: as Lua's, but an error table carrying an `err` string comes back as that
// string (so pcall(redis.call, ...) gives the error text).
int ScriptPcall(lua_State* L) {
  int argc = lua_gettop(L);
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) lua_replace(L, -2);  // else the nil stays, as in Redis
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// Replaces field `name` of the table on top with `fn` closed over the original.
void Wrap(lua_State* L, const char* name, lua_CFunction fn) {
  lua_getfield(L, -1, name);
  lua_pushstring(L, name);  // for CallOriginal's error text
  lua_pushcclosure(L, fn, 2);
  lua_setfield(L, -2, name);
}

void WrapIn(lua_State* L, const char* table, const char* name, lua_CFunction fn) {
  lua_getfield(L, -1, table);
  Wrap(L, name, fn);
  lua_pop(L, 1);
}

}  // namespace

void InstallSandbox(lua_State* L) {
  int library_redis = lua_gettop(L);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kProxyOfKey);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kIsProxyKey);

  lua_pushvalue(L, LUA_GLOBALSINDEX);
  int real = lua_gettop(L);
  lua_pushvalue(L, real);
  SetRegistryEntry(L, &kRealGlobalsTag);
  Wrap(L, "setmetatable", RefuseProxyThenCall);
  Wrap(L, "rawset", RefuseProxyThenCall);
  Wrap(L, "getfenv", SafeGetfenv);
  Wrap(L, "loadstring", SafeLoadstring);
  lua_pushcfunction(L, SafeLoad);
  lua_setfield(L, real, "load");
  lua_pushcfunction(L, SafeUnpack);
  lua_setfield(L, real, "unpack");
  lua_pushcfunction(L, ScriptPcall);
  lua_setfield(L, real, "pcall");
  lua_pushcfunction(L, SafeRawget);
  lua_setfield(L, real, "rawget");
  lua_pushcfunction(L, SafeNext);
  lua_setfield(L, real, "next");
  lua_pushcfunction(L, SafePairs);
  lua_setfield(L, real, "pairs");
  WrapIn(L, "bit", "tohex", SafeToHex);
  WrapIn(L, "cjson", "encode", SafeJsonEncode);

  // Every library table becomes its read-only proxy.
  lua_pushnil(L);
  while (lua_next(L, real)) {
    if (lua_istable(L, -1) && !lua_rawequal(L, -1, real)) {
      MakeProxy(L, /*deep=*/false);
      lua_pushvalue(L, -2);
      lua_pushvalue(L, -2);
      lua_rawset(L, real);
    }
    lua_pop(L, 1);
  }

  // The globals proxy.
  lua_pushvalue(L, real);
  lua_newtable(L);  // the load flag
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadFlagKey);
  lua_pushcclosure(L, GlobalIndex, 2);
  lua_newtable(L);
  SetProxyMetatable(L, real);
  lua_pushvalue(L, -1);
  SetRegistryEntry(L, &kGlobalsTag);
  lua_pushvalue(L, -1);
  lua_setfield(L, real, "_G");
  lua_replace(L, LUA_GLOBALSINDEX);

  // The string metatable: read-only view (CVE-2025-46818).
  lua_pushstring(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -1);
  MakeMetaView(L);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);

  // The library API seen while FUNCTION LOAD runs: {redis = <read-only library table>}.
  lua_pushvalue(L, library_redis);
  lua_newtable(L);
  lua_pushcfunction(L, LibraryRedisIndex);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  MakeProxy(L, /*deep=*/false);
  lua_newtable(L);
  lua_insert(L, -2);
  lua_setfield(L, -2, "redis");
  lua_setfield(L, LUA_REGISTRYINDEX, kLibraryApiKey);
  lua_settop(L, library_redis - 1);
}

void ResetGlobals(lua_State* L) {
  PushRegistryEntry(L, &kGlobalsTag);
  lua_replace(L, LUA_GLOBALSINDEX);
}

int LoadChunk(lua_State* L, std::string_view code, const char* chunkname) {
  if (IsBytecode(code)) {  // as in SafeLoadstring: a syntax error from the text parser
    std::string text = " " + std::string(code);
    return luaL_loadbuffer(L, text.data(), text.size(), chunkname);
  }
  return luaL_loadbuffer(L, code.data(), code.size(), chunkname);
}

void SetRealGlobal(lua_State* L, const char* name) {
  PushRegistryEntry(L, &kRealGlobalsTag);
  lua_insert(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

void PushRealGlobals(lua_State* L) { PushRegistryEntry(L, &kRealGlobalsTag); }

void SetLibraryLoading(lua_State* L, bool loading) {
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadFlagKey);
  lua_pushboolean(L, loading ? 1 : 0);
  lua_rawseti(L, -2, 1);
  lua_pop(L, 1);
}

void ProtectTable(lua_State* L) { MakeProxy(L, /*deep=*/false); }

int ErrorHandler(lua_State* L) {
  lua_Debug ar;
  bool located = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
  if (located && std::strcmp(ar.what, "C") == 0) {
    located = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
  }
  lua_settop(L, 1);
  if (!lua_istable(L, 1)) {
    std::string msg = "ERR ";
    switch (lua_type(L, 1)) {
      case LUA_TSTRING:
      case LUA_TNUMBER:
        msg += lua_tostring(L, 1);
        break;
      case LUA_TNIL:
        msg += "nil";
        break;
      case LUA_TBOOLEAN:
        msg += lua_toboolean(L, 1) ? "true" : "false";
        break;
      default: {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%s: %p", luaL_typename(L, 1), lua_topointer(L, 1));
        msg += buf;
      }
    }
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushlstring(L, msg.data(), msg.size());
    lua_settable(L, -3);
    lua_replace(L, 1);
  }
  if (located) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, 1, "source");
    lua_pushnumber(L, ar.currentline);
    lua_setfield(L, 1, "line");
  }
  return 1;
}

std::string ErrorMessage(lua_State* L) {
  if (lua_isstring(L, -1)) return std::string("ERR ") + lua_tostring(L, -1);
  std::string msg;
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "err");
    if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  return msg;
}

void ReplyScriptError(lua_State* L, std::string_view name, resp::ReplyBuilder& reply,
                      ReplyErrors* errors) {
  if (!lua_istable(L, -1)) {
    std::string msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
    reply.Error("ERR Error running script " + std::string(name) + ", " + msg.substr(0, 100));
    if (errors != nullptr) errors->Note("ERR", /*already_counted=*/false);
    lua_pop(L, 1);
    return;
  }
  std::string msg = ErrorMessage(L);
  if (msg.empty()) msg = "ERR unknown error";  // error({}): Redis 7.2.4 crashes here
  if (errors != nullptr) errors->Note(msg, ErrorAlreadyCounted(L));
  lua_getfield(L, -1, "source");
  lua_getfield(L, -2, "line");
  if (lua_isstring(L, -2) && lua_isstring(L, -1)) {
    msg += " script: " + std::string(name) + ", on " + lua_tostring(L, -2) + ":" +
           lua_tostring(L, -1) + ".";
  }
  lua_pop(L, 3);
  reply.Error(msg);
}

}  // namespace tessera::server::scripting
