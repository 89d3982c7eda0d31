// A key as the commands that rebuild it: the base of an AOF rewrite with
// aof-use-rdb-preamble no (a `.base.aof` of RESP commands instead of an RDB snapshot).
//
// The forms are those Redis 7.2 writes, so redis-check-aof and redis-server load our file
// and a reader comparing files sees the same shapes: SET for strings; RPUSH, SADD, ZADD and
// HMSET with at most kItemsPerCommand elements each; a stream as one XADD per entry (or
// `XADD key MAXLEN 0 <last-id> x y` when it is empty), then XSETID with ENTRIESADDED and
// MAXDELETEDID, XGROUP CREATE ... ENTRIESREAD per group, XGROUP CREATECONSUMER for a
// consumer without pending entries and one XCLAIM ... JUSTID FORCE per pending entry;
// PEXPIREAT for a key's expiry.  A hash field's TTL (Redis 7.4) becomes HPEXPIREAT.
//
// Pure: no I/O, no clock.  The caller holds the lock that protects the entry.
#pragma once

#include <string>
#include <string_view>

#include "core/keyspace/entry.h"

namespace tessera::persistence {

// Elements per RPUSH/SADD/ZADD/HMSET command (Redis's AOF_REWRITE_ITEMS_PER_CMD).
inline constexpr size_t kItemsPerCommand = 64;

// Appends the RESP commands that rebuild `e` (its key, value and expiry) to `out`.
void AppendKeyAsCommands(std::string* out, const keyspace::Entry& e);

// `SELECT db` and `FUNCTION LOAD <code>`, as RESP.
void AppendSelectCommand(std::string* out, int db);
void AppendFunctionLoadCommand(std::string* out, std::string_view library_code);

}  // namespace tessera::persistence
