// cmsgpack: MessagePack for scripts, written for Tessera (Redis bundles lua-cmsgpack, which
// Debian does not package).  The same API and encoding choices as Redis's: pack(...) ->
// string; unpack(s) -> values; unpack_one(s [, offset]) -> next offset (-1 at the end),
// value; unpack_limit(s, limit [, offset]).  Integral numbers take the smallest integer
// form, others float32 when exact, else float64; a table whose keys are exactly 1..n is an
// array, any other a map; tables nested deeper than 16 pack as nil.  Unpacking never
// preallocates from a declared count and refuses nesting deeper than 1000 (CVE-2018-11218,
// CVE-2022-24834 were overflows in these paths).
#pragma once

struct lua_State;

namespace tessera::server::scripting {

// Sets the global `cmsgpack`.
void OpenMsgpack(lua_State* L);

}  // namespace tessera::server::scripting
