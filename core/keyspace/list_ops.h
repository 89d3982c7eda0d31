// Keyspace operations of the list family: finding, creating and retiring list values.
//
// The list commands read and change a types::ListValue in place (list_family.cc), so what
// lives here is the part that touches the keyspace: the type check (kWrongType, nothing
// changed), creating a key for a push, the push itself with Redis's conversion check, LMOVE's
// pop-and-push, and the rule that a list never exists empty (the key goes with its last
// element, otherwise the list may convert back to a listpack).
//
// Every function REQUIRES the lock of the shard of each key it is given.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/keyspace/keyspace.h"
#include "core/types/list_value.h"

namespace tessera::keyspace {

// The list of `key`, nullptr if the key is missing; kWrongType for another type.
OpResult<types::ListValue*> OpFindList(DbAccess& db, std::string_view key);

// Adds a new empty list (listpack) under `key`.  REQUIRES: no live key `key`.
types::ListValue* CreateList(DbAccess& db, std::string_view key);

// LPUSH/RPUSH (LPUSHX/RPUSHX with only_if_exists): the list's new length, 0 when
// only_if_exists and the key is missing.
OpResult<size_t> OpPush(DbAccess& db, std::string_view key,
                        std::span<const std::string_view> values, types::ListEnd end,
                        bool only_if_exists, const types::ListLimits& limits);

// After elements left `list` (the value of `key`): deletes the key if the list is empty, else
// lets it convert back to a listpack.  Returns true iff the key was deleted (`list` is then
// freed).
bool FinishRemoval(DbAccess& db, std::string_view key, types::ListValue* list,
                   const types::ListLimits& limits);

// LMOVE/RPOPLPUSH: pops from `from` of `source`, pushes at `to` of `destination`, returns the
// element; nullopt if the source is missing.  kWrongType (nothing changed) if either key
// holds another type.  source == destination rotates the list.
OpResult<std::optional<std::string>> OpMove(DbAccess& db, std::string_view source,
                                            std::string_view destination, types::ListEnd from,
                                            types::ListEnd to, const types::ListLimits& limits);

}  // namespace tessera::keyspace
