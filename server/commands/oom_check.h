// The maxmemory step of the dispatcher (reference 3.1, step 10; Redis's processCommand).
//
// Before a top-level command runs (not one inside EXEC or a script, not the AOF loader) while
// maxmemory is set, the evictor frees memory.  If it could not get under the limit, commands
// flagged deny-oom are refused with -OOM, as is anything queued inside MULTI except EXEC,
// DISCARD, QUIT and RESET; EXEC is refused if a queued command is deny-oom, and then
// discards the transaction (-EXECABORT ... because of: OOM ...).  EVAL, EVALSHA and FCALL
// are deny-oom when their script declares flags without allow-oom or no-writes (Redis's
// getCommandFlags); a script without a shebang is not, but its first deny-oom command fails
// if nothing was written yet (scriptVerifyOOM, in script_runner.cc).  The verdict at the start
// of the command is kept for the script it may run (PreCommandOom()).
#pragma once

#include <cstdint>

#include "server/commands/command.h"

namespace tessera::server {

// Empty if the command may run, else the error to reply (without '-'); for EXEC the caller
// must then also discard the transaction.
std::string_view CheckMaxmemory(Server& server, ClientState& client, const CommandSpec& spec,
                                ArgList args, int64_t now_ms);

// Whether maxmemory was exceeded, with nothing left to evict, when the top-level command now
// running on this thread started (Redis's server.pre_command_oom_state).
bool PreCommandOom();

}  // namespace tessera::server
