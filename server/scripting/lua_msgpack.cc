#include "server/scripting/lua_msgpack.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace tessera::server::scripting {

namespace {

// Tables nested deeper than this are packed as nil (what Redis's cmsgpack does, which is how
// it copes with tables that contain themselves).
constexpr int kMaxPackNesting = 16;
// Unpacking refuses input nested deeper than this (no C stack overflow on hostile input).
constexpr int kMaxUnpackNesting = 1000;

// ---- packing ----

void PutBE(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PackHeader(std::string* out, size_t n, uint8_t fix, uint8_t fix_max, uint8_t op16,
                uint8_t op32) {
  if (n <= fix_max) {
    out->push_back(static_cast<char>(fix | n));
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(op16));
    PutBE(out, n, 2);
  } else {
    out->push_back(static_cast<char>(op32));
    PutBE(out, n, 4);
  }
}

void PackInteger(std::string* out, int64_t v) {
  if (v >= 0) {
    if (v < 128) {
      out->push_back(static_cast<char>(v));
    } else if (v <= 0xff) {
      out->push_back(static_cast<char>(0xcc));
      PutBE(out, static_cast<uint64_t>(v), 1);
    } else if (v <= 0xffff) {
      out->push_back(static_cast<char>(0xcd));
      PutBE(out, static_cast<uint64_t>(v), 2);
    } else if (v <= 0xffffffffLL) {
      out->push_back(static_cast<char>(0xce));
      PutBE(out, static_cast<uint64_t>(v), 4);
    } else {
      out->push_back(static_cast<char>(0xcf));
      PutBE(out, static_cast<uint64_t>(v), 8);
    }
    return;
  }
  auto u = static_cast<uint64_t>(v);
  if (v >= -32) {
    out->push_back(static_cast<char>(u & 0xff));
  } else if (v >= -128) {
    out->push_back(static_cast<char>(0xd0));
    PutBE(out, u, 1);
  } else if (v >= -32768) {
    out->push_back(static_cast<char>(0xd1));
    PutBE(out, u, 2);
  } else if (v >= INT32_MIN) {
    out->push_back(static_cast<char>(0xd2));
    PutBE(out, u, 4);
  } else {
    out->push_back(static_cast<char>(0xd3));
    PutBE(out, u, 8);
  }
}

void PackNumber(std::string* out, lua_Number n) {
  if (std::isfinite(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0 &&
      static_cast<lua_Number>(static_cast<int64_t>(n)) == n) {
    return PackInteger(out, static_cast<int64_t>(n));
  }
  auto f = static_cast<float>(n);
  if (static_cast<lua_Number>(f) == n) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    out->push_back(static_cast<char>(0xca));
    PutBE(out, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &n, 8);
    out->push_back(static_cast<char>(0xcb));
    PutBE(out, bits, 8);
  }
}

// The table at `idx` is an array iff its keys are exactly the integers 1..n.
bool IsArray(lua_State* L, int idx, size_t* n) {
  size_t count = 0;
  double max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    lua_Number k;
    if (lua_type(L, -1) != LUA_TNUMBER || (k = lua_tonumber(L, -1)) < 1 || std::floor(k) != k) {
      lua_pop(L, 1);
      return false;
    }
    max = std::max(max, k);
    ++count;
  }
  *n = count;
  return max == static_cast<double>(count);
}

void PackValue(lua_State* L, std::string* out, int level);

void PackTable(lua_State* L, std::string* out, int level) {
  int idx = lua_gettop(L);
  lua_checkstack(L, 3);  // at most kMaxPackNesting levels: cannot fail
  size_t n = 0;
  if (IsArray(L, idx, &n)) {
    PackHeader(out, n, 0x90, 15, 0xdc, 0xdd);
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, idx, static_cast<int>(i));
      PackValue(L, out, level + 1);
    }
    return;
  }
  size_t pairs = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    ++pairs;
  }
  PackHeader(out, pairs, 0x80, 15, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pushvalue(L, -2);
    PackValue(L, out, level + 1);  // the key
    PackValue(L, out, level + 1);  // the value
  }
}

// Packs and pops the value on top.
void PackValue(lua_State* L, std::string* out, int level) {
  switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN:
      out->push_back(static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TNUMBER:
      PackNumber(out, lua_tonumber(L, -1));
      break;
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      if (len < 32) {
        out->push_back(static_cast<char>(0xa0 | len));
      } else if (len <= 0xff) {
        out->push_back(static_cast<char>(0xd9));
        PutBE(out, len, 1);
      } else if (len <= 0xffff) {
        out->push_back(static_cast<char>(0xda));
        PutBE(out, len, 2);
      } else {  // Lua strings stay far below 4 GB here (proto-max-bulk-len)
        out->push_back(static_cast<char>(0xdb));
        PutBE(out, len, 4);
      }
      out->append(s, len);
      break;
    }
    case LUA_TTABLE:
      if (level >= kMaxPackNesting) {
        out->push_back(static_cast<char>(0xc0));
      } else {
        PackTable(L, out, level);
      }
      break;
    default:  // nil, functions, userdata, threads
      out->push_back(static_cast<char>(0xc0));
  }
  lua_pop(L, 1);
}

// Lua errors are longjmps: no C++ object may be alive when one is raised, so the packing
// (which raises nothing) happens in a scope of its own.
int Pack(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  {
    std::string out;
    for (int i = 1; i <= argc; ++i) {
      lua_pushvalue(L, i);
      PackValue(L, &out, 0);
    }
    lua_pushlstring(L, out.data(), out.size());
  }
  return 1;
}

// ---- unpacking ----

class Reader {
 public:
  Reader(lua_State* L, const unsigned char* p, size_t len) : L_(L), p_(p), left_(len) {}
  size_t left() const { return left_; }

  // Pushes the next value.
  void Value(int depth) {
    if (depth > kMaxUnpackNesting || !lua_checkstack(L_, 3)) Bad();
    uint8_t op = Byte();
    if (op <= 0x7f) return lua_pushnumber(L_, op);
    if (op >= 0xe0) return lua_pushnumber(L_, static_cast<int8_t>(op));
    if ((op & 0xe0) == 0xa0) return String(op & 0x1f);
    if ((op & 0xf0) == 0x90) return Array(op & 0x0f, depth);
    if ((op & 0xf0) == 0x80) return Map(op & 0x0f, depth);
    switch (op) {
      case 0xc0:
        return lua_pushnil(L_);
      case 0xc2:
        return lua_pushboolean(L_, 0);
      case 0xc3:
        return lua_pushboolean(L_, 1);
      case 0xca: {
        auto bits = static_cast<uint32_t>(BE(4));
        float f;
        std::memcpy(&f, &bits, 4);
        return lua_pushnumber(L_, f);
      }
      case 0xcb: {
        uint64_t bits = BE(8);
        double d;
        std::memcpy(&d, &bits, 8);
        return lua_pushnumber(L_, d);
      }
      case 0xcc:
        return lua_pushnumber(L_, static_cast<lua_Number>(BE(1)));
      case 0xcd:
        return lua_pushnumber(L_, static_cast<lua_Number>(BE(2)));
      case 0xce:
        return lua_pushnumber(L_, static_cast<lua_Number>(BE(4)));
      case 0xcf:
        return lua_pushnumber(L_, static_cast<lua_Number>(BE(8)));
      case 0xd0:
        return lua_pushnumber(L_, static_cast<int8_t>(BE(1)));
      case 0xd1:
        return lua_pushnumber(L_, static_cast<int16_t>(BE(2)));
      case 0xd2:
        return lua_pushnumber(L_, static_cast<int32_t>(BE(4)));
      case 0xd3:
        return lua_pushnumber(L_, static_cast<lua_Number>(static_cast<int64_t>(BE(8))));
      case 0xc4:
      case 0xd9:
        return String(BE(1));
      case 0xc5:
      case 0xda:
        return String(BE(2));
      case 0xc6:
      case 0xdb:
        return String(BE(4));
      case 0xdc:
        return Array(BE(2), depth);
      case 0xdd:
        return Array(BE(4), depth);
      case 0xde:
        return Map(BE(2), depth);
      case 0xdf:
        return Map(BE(4), depth);
      default:
        Bad();
    }
  }

 private:
  [[noreturn]] void Bad() {
    luaL_error(L_, "Bad data format in input.");
    __builtin_unreachable();
  }
  void Need(size_t n) {
    if (left_ < n) {
      luaL_error(L_, "Missing bytes in input.");
    }
  }
  uint8_t Byte() {
    Need(1);
    --left_;
    return *p_++;
  }
  uint64_t BE(int bytes) {
    Need(static_cast<size_t>(bytes));
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p_[i];
    p_ += bytes;
    left_ -= static_cast<size_t>(bytes);
    return v;
  }
  void String(uint64_t len) {
    Need(len);
    lua_pushlstring(L_, reinterpret_cast<const char*>(p_), len);
    p_ += len;
    left_ -= len;
  }
  // The declared count is not trusted for preallocation: each element needs at least a byte.
  void Array(uint64_t n, int depth) {
    lua_newtable(L_);
    for (uint64_t i = 1; i <= n; ++i) {
      lua_pushnumber(L_, static_cast<lua_Number>(i));
      Value(depth + 1);
      lua_settable(L_, -3);
    }
  }
  void Map(uint64_t n, int depth) {
    lua_newtable(L_);
    for (uint64_t i = 0; i < n; ++i) {
      Value(depth + 1);
      Value(depth + 1);
      if (lua_isnil(L_, -2)) {
        lua_pop(L_, 2);  // a nil key cannot be stored
      } else {
        lua_settable(L_, -3);
      }
    }
  }

  lua_State* L_;
  const unsigned char* p_;
  size_t left_;
};

// Unpacks up to `limit` values (0: all) from `offset`; with `with_offset` the first result is
// where to resume, or -1 at the end.
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset, bool with_offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(limit));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (with_offset) lua_pushnil(L);  // the resume offset, set at the end
  int base = lua_gettop(L);
  Reader reader(L, reinterpret_cast<const unsigned char*>(s) + offset,
                len - static_cast<size_t>(offset));
  lua_Integer count = 0;
  while (reader.left() > 0 && (limit == 0 || count < limit)) {
    reader.Value(0);
    ++count;
  }
  if (with_offset) {
    lua_pushnumber(L, reader.left() == 0 ? -1 : static_cast<lua_Number>(len - reader.left()));
    lua_replace(L, base);
    return static_cast<int>(count) + 1;
  }
  return static_cast<int>(count);
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0, false); }

int UnpackOne(lua_State* L) {
  lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset, true);
}

int UnpackLimit(lua_State* L) {
  lua_Integer limit = luaL_checkinteger(L, 2);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset, true);
}

}  // namespace

void OpenMsgpack(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, Pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, Unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, UnpackOne);
  lua_setfield(L, -2, "unpack_one");
  lua_pushcfunction(L, UnpackLimit);
  lua_setfield(L, -2, "unpack_limit");
  lua_pushstring(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_setglobal(L, "cmsgpack");
}

}  // namespace tessera::server::scripting
