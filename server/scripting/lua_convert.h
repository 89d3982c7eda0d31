// Conversions between Lua values and RESP, exactly as Redis 7.2's script_lua.c converts them.
//
// RESP -> Lua (a redis.call reply): integer -> number, bulk -> string, null bulk / null array
// -> false, status -> {ok=s}, error -> {err="CODE msg"}, array -> table (a RESP3 null inside
// leaves a hole), and for RESP3 map -> {map={...}}, set -> {set={m=true}}, null -> nil,
// boolean -> boolean, double -> {double=n}, big number -> {big_number=s}, verbatim ->
// {verbatim_string={string=s, format=f}}; attributes are skipped.
// Lua -> RESP (a script's result): string -> bulk, number -> integer (truncated), boolean ->
// 1 / null under RESP2 scripts and a boolean under RESP3 ones, tables by their special field
// (err, ok, double, big_number, verbatim_string, map, set) or else as the array of 1..n up to
// the first nil; anything else -> null.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/resp/reply_builder.h"

struct lua_State;

namespace tessera::server::scripting {

// Redis's luaPushErrorBuff: "-CODE msg" keeps its code, anything else gets "ERR "; CR/LF are
// trimmed from both ends.  Pushes {err="CODE msg"}.
void PushErrorTable(lua_State* L, std::string_view text);

// Pushes the Lua value of one complete RESP reply (as our commands write them).
void PushReply(lua_State* L, std::string_view reply);

// The error replies in a script's reply, for the error statistics, as Redis counts them: an
// error a redis.call met was counted where it happened (its table is marked
// ignore_error_stats_update), and a reply carrying it again only counts as a failed call of
// the script command (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE); any other error is counted.
struct ReplyErrors {
  uint32_t counted = 0;                // replies of errors counted already
  std::vector<std::string> uncounted;  // the others' "CODE message" texts
  void Note(std::string_view message, bool already_counted);
};

// Whether the error table on top carries ignore_error_stats_update.
bool ErrorAlreadyCounted(lua_State* L);

// Pops the value on top of the stack and writes it as the reply.  `script_resp` is the
// protocol the script selected with redis.setresp (it decides how booleans convert).  Error
// replies written are noted in *errors when given.
void LuaToReply(lua_State* L, int script_resp, resp::ReplyBuilder& reply,
                ReplyErrors* errors = nullptr);

// A Lua number as redis.call passes it: integral values as integers, others in Redis's
// fpconv_dtoa layout (Redis 7.2.5's fix of 7.2.4's "1e+8").  `buf` >= 32 bytes.
size_t FpconvDtoaForLua(double v, char* buf);

}  // namespace tessera::server::scripting
