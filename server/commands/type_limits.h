// The encoding thresholds of each aggregate type, read from the config at every call so that
// CONFIG SET takes effect from the next command.  Every command that creates or grows a value
// (including SORT ... STORE and GEOADD, which write lists and sorted sets) reads them here.
#pragma once

#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"
#include "server/commands/command.h"

namespace tessera::server {

class Server;

// list-max-listpack-size, and DEBUG QUICKLIST-PACKED-THRESHOLD's plain-node size.
types::ListLimits ListLimitsOf(const CommandContext& ctx);
types::ListLimits ListLimitsOf(const Server& server);
// hash-max-listpack-entries/-value.
types::HashLimits HashLimitsOf(const CommandContext& ctx);
types::HashLimits HashLimitsOf(const Server& server);
// set-max-intset-entries, set-max-listpack-entries/-value.
types::SetLimits SetLimitsOf(const CommandContext& ctx);
types::SetLimits SetLimitsOf(const Server& server);
// zset-max-listpack-entries/-value.
types::ZSetLimits ZSetLimitsOf(const CommandContext& ctx);
types::ZSetLimits ZSetLimitsOf(const Server& server);
// stream-node-max-bytes/-entries.
types::StreamLimits StreamLimitsOf(const CommandContext& ctx);
types::StreamLimits StreamLimitsOf(const Server& server);

}  // namespace tessera::server
