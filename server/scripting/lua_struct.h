// struct: binary packing for scripts, written for Tessera (Redis bundles Roberto Ierusalimschy's
// struct library, which Debian does not package).  The same API: struct.pack(fmt, ...),
// struct.unpack(fmt, s [, pos]) -> values..., next position, struct.size(fmt).  Options:
// < > = (endianness), ![n] (alignment), x (pad byte), b B h H l L T (char, short, long,
// size_t), i[n] I[n] (n-byte integers, n <= 32), f d (float, double), s (zero-terminated
// string), c[n] (n chars; c0 = whole string, or in unpack the length read just before).
// Counts that overflow and reads past the data are errors, never out-of-bounds accesses
// (CVE-2018-11219 was an overflow here).
#pragma once

struct lua_State;

namespace tessera::server::scripting {

// Sets the global `struct`.
void OpenStruct(lua_State* L);

}  // namespace tessera::server::scripting
