// Keyspace operations of the stream family: finding and creating stream values.
//
// The stream commands read and change a types::StreamValue in place (stream_family.cc); what
// lives here is the part that touches the keyspace.  Unlike a list, a stream may exist empty
// (XADD with MAXLEN 0, XDEL of every entry, XGROUP CREATE ... MKSTREAM), as in Redis.
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <string_view>

#include "core/base/status.h"
#include "core/keyspace/keyspace.h"
#include "core/types/stream_value.h"

namespace tessera::keyspace {

// The stream of `key`, nullptr if the key is missing; kWrongType for another type.
OpResult<types::StreamValue*> OpFindStream(DbAccess& db, std::string_view key);

// Adds a new empty stream under `key`.  REQUIRES: no live key `key`.
types::StreamValue* CreateStream(DbAccess& db, std::string_view key);

}  // namespace tessera::keyspace
