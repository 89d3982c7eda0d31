// key-ttl-policy: Tessera's session-store safety net (off by default).
//
//   key-ttl-policy <glob> <default-seconds> <max-seconds>     (repeatable; 0 = none)
//
// A key matching <glob> that a write leaves without a TTL gets <default-seconds>; one left
// with a TTL longer than <max-seconds> is cut to it.  The first matching policy decides.  It
// exists because applications that forget the TTL of their sessions fill the cache until it
// evicts (or, with noeviction, refuses writes).
//
// Where it applies: once, in the dispatcher, after any write command that changed something,
// to the keys it changed: the keys its handler signalled as modified (the same signal WATCH
// and client tracking use), or, for a handler that signals none, the keys its key spec names,
// as the dispatcher already assumes for WATCH.  So every command family, MULTI/EXEC and
// scripts (their redis.call go through the dispatcher) are covered by one rule, and a new
// command is covered without knowing the policy exists.  The TTL set here reaches the write
// log as a PEXPIREAT after the command's own effect, so the AOF and replicas see the same TTL.
//
// Consequences, on purpose: PERSIST on a matching key, or SET without EX, ends with the default
// TTL again; EXPIRE beyond the maximum is cut.  Keys in another DB than the command's (MOVE,
// COPY ... DB) are left alone; so are keys loaded from RDB/AOF at start-up.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tessera::server {

struct CommandContext;

// Applies the policy to `keys` (db, name) after ctx's handler ran.  REQUIRES: the command's
// shard locks are held; ctx.dirty > 0.  Returns how many keys got a new TTL.
int ApplyKeyTtlPolicy(CommandContext& ctx, const std::vector<std::pair<int, std::string>>& keys);

}  // namespace tessera::server
