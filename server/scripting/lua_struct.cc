#include "server/scripting/lua_struct.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <cctype>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace tessera::server::scripting {

namespace {

constexpr int kMaxIntSize = 32;  // widest 'i'/'I' integer, in bytes
// The alignment '!' selects when it gives no number: the platform's widest scalar.
constexpr size_t kNativeAlign = alignof(std::max_align_t) < 8 ? alignof(std::max_align_t) : 8;

struct Header {
  bool little = true;  // '<' / '>' / '=' (x86-64 is little-endian)
  size_t align = 1;
};

// Reads a decimal count after a format letter, refusing overflow (CVE-2018-11219).
int ReadNumber(lua_State* L, const char** fmt, int fallback) {
  if (!std::isdigit(static_cast<unsigned char>(**fmt))) return fallback;
  int n = 0;
  do {
    int digit = *((*fmt)++) - '0';
    if (n > (INT_MAX - digit) / 10) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
  } while (std::isdigit(static_cast<unsigned char>(**fmt)));
  return n;
}

int IntSize(lua_State* L, const char** fmt) {
  int size = ReadNumber(L, fmt, sizeof(int));
  if (size > kMaxIntSize || size <= 0) {
    luaL_error(L, "integral size %d is larger than limit of %d", size, kMaxIntSize);
  }
  return size;
}

// The size of one option (0 for options that take none); consumes its count.
size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return sizeof(short);
    case 'L':
    case 'l':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(ReadNumber(L, fmt, 1));
    case 'i':
    case 'I':
      return static_cast<size_t>(IntSize(L, fmt));
    default:
      return 0;
  }
}

// Padding before an option of `size` bytes at offset `len`.
size_t Gap(char opt, size_t size, size_t len, const Header& h) {
  if (opt == 'c' || opt == 's' || size <= 1 || h.align <= 1) return 0;
  size_t align = size < h.align ? size : h.align;
  if ((align & (align - 1)) != 0) return 0;  // not a power of two: Redis errors, we never align
  return (align - (len & (align - 1))) & (align - 1);
}

// Handles the header options; returns true iff `opt` was one.
bool Control(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ':
      return true;
    case '>':
      h->little = false;
      return true;
    case '<':
      h->little = true;
      return true;
    case '=':
      h->little = true;
      return true;
    case '!': {
      int a = ReadNumber(L, fmt, static_cast<int>(kNativeAlign));
      if ((a & (a - 1)) != 0 || a <= 0) luaL_error(L, "alignment %d is not a power of 2", a);
      h->align = static_cast<size_t>(a);
      return true;
    }
    default:
      return false;
  }
}

[[noreturn]] void BadOption(lua_State* L, char opt) {
  luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  __builtin_unreachable();
}

// Bytes past the eighth are zero whatever the sign (Redis's struct does not extend it).
void PutInt(luaL_Buffer* b, uint64_t v, size_t size, bool little) {
  char buf[kMaxIntSize];
  for (size_t i = 0; i < size; ++i) {
    unsigned char byte = i < 8 ? static_cast<unsigned char>(v >> (8 * i)) : 0;
    buf[little ? i : size - 1 - i] = static_cast<char>(byte);
  }
  luaL_addlstring(b, buf, size);
}

void PutFloat(luaL_Buffer* b, const void* p, size_t size, bool little) {
  char buf[8];
  std::memcpy(buf, p, size);
  if (!little) {
    for (size_t i = 0; i < size / 2; ++i) std::swap(buf[i], buf[size - 1 - i]);
  }
  luaL_addlstring(b, buf, size);
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  int arg = 2;
  size_t total = 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    char opt = *fmt++;
    if (Control(L, opt, &fmt, &h)) continue;
    size_t size = OptionSize(L, opt, &fmt);
    size_t gap = Gap(opt, size, total, h);
    for (size_t i = 0; i < gap; ++i) luaL_addchar(&b, '\0');
    total += gap;
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        lua_Number n = luaL_checknumber(L, arg++);
        uint64_t v = n < 0 ? static_cast<uint64_t>(static_cast<int64_t>(n))
                           : (n >= 18446744073709551616.0 ? UINT64_MAX : static_cast<uint64_t>(n));
        PutInt(&b, v, size, h.little);
        break;
      }
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        auto f = static_cast<float>(luaL_checknumber(L, arg++));
        PutFloat(&b, &f, sizeof(f), h.little);
        break;
      }
      case 'd': {
        double d = luaL_checknumber(L, arg++);
        PutFloat(&b, &d, sizeof(d), h.little);
        break;
      }
      case 'c':
      case 's': {
        size_t len = 0;
        const char* s = luaL_checklstring(L, arg, &len);
        if (opt == 's') {
          size = len + 1;  // with its terminating zero
        } else if (size == 0) {
          size = len;
        }
        ++arg;  // Redis's struct names the argument after the string in this error
        luaL_argcheck(L, len >= size || opt == 's', arg, "string too short");
        luaL_addlstring(&b, s, opt == 's' ? len : size);
        if (opt == 's') luaL_addchar(&b, '\0');
        break;
      }
      default:
        BadOption(L, opt);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// The integer of `size` bytes at p: its eight least significant bytes, as Redis's struct
// keeps them (wider integers lose their high bytes), sign-extended when narrower.
uint64_t GetInt(const unsigned char* p, size_t size, bool little, bool is_signed) {
  uint64_t v = 0;
  for (size_t i = 0; i < size && i < 8; ++i) {
    v |= static_cast<uint64_t>(p[little ? i : size - 1 - i]) << (8 * i);
  }
  if (is_signed && size < 8) {
    uint64_t sign = uint64_t{1} << (8 * size - 1);
    if ((v & sign) != 0) v |= ~((sign << 1) - 1);
  }
  return v;
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(luaL_checklstring(L, 2, &len));
  lua_Integer start = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, start > 0, 3, "offset must be 1 or greater");
  auto pos = static_cast<size_t>(start) - 1;
  Header h;
  int results = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    if (Control(L, opt, &fmt, &h)) continue;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Gap(opt, size, pos, h);
    luaL_argcheck(L, pos <= len && size <= len - pos, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        bool is_signed = std::islower(static_cast<unsigned char>(opt)) != 0;
        uint64_t v = GetInt(data + pos, size, h.little, is_signed);
        lua_pushnumber(L, is_signed ? static_cast<lua_Number>(static_cast<int64_t>(v))
                                    : static_cast<lua_Number>(v));
        ++results;
        break;
      }
      case 'x':
        break;
      case 'f': {
        float f;
        unsigned char buf[4];
        std::memcpy(buf, data + pos, 4);
        if (!h.little) {
          std::swap(buf[0], buf[3]);
          std::swap(buf[1], buf[2]);
        }
        std::memcpy(&f, buf, 4);
        lua_pushnumber(L, f);
        ++results;
        break;
      }
      case 'd': {
        double d;
        unsigned char buf[8];
        std::memcpy(buf, data + pos, 8);
        if (!h.little) {
          for (int i = 0; i < 4; ++i) std::swap(buf[i], buf[7 - i]);
        }
        std::memcpy(&d, buf, 8);
        lua_pushnumber(L, d);
        ++results;
        break;
      }
      case 'c':
        if (size == 0) {
          // 'c0': the length is the number read just before.
          if (results == 0 || !lua_isnumber(L, -1))
            luaL_error(L, "format 'c0' needs a previous size");
          lua_Number n = lua_tonumber(L, -1);
          lua_pop(L, 1);
          --results;
          luaL_argcheck(L, n >= 0 && n <= static_cast<lua_Number>(len - pos), 2,
                        "data string too short");
          size = static_cast<size_t>(n);
        }
        lua_pushlstring(L, reinterpret_cast<const char*>(data + pos), size);
        ++results;
        break;
      case 's': {
        const void* end = std::memchr(data + pos, '\0', len - pos);
        if (end == nullptr) luaL_error(L, "unfinished string in data");
        size = static_cast<size_t>(static_cast<const unsigned char*>(end) - (data + pos)) + 1;
        lua_pushlstring(L, reinterpret_cast<const char*>(data + pos), size - 1);
        ++results;
        break;
      }
      default:
        BadOption(L, opt);
    }
    pos += size;
  }
  lua_pushnumber(L, static_cast<lua_Number>(pos + 1));
  return results + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  size_t pos = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    if (Control(L, opt, &fmt, &h)) continue;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Gap(opt, size, pos, h);
    if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
    if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
    if (std::strchr("bBhHlLTiIxfdc", opt) == nullptr) BadOption(L, opt);
    pos += size;
  }
  lua_pushnumber(L, static_cast<lua_Number>(pos));
  return 1;
}

}  // namespace

void OpenStruct(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, Pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, Unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, Size);
  lua_setfield(L, -2, "size");
  lua_setglobal(L, "struct");
}

}  // namespace tessera::server::scripting
