// The stream family, split by responsibility (STYLE 11):
//   stream_family.cc          XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID, the registration
//   stream_read_commands.cc   XREAD and XREADGROUP, blocking included
//   stream_group_commands.cc  XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM
//   stream_info_commands.cc   XINFO
// Values are types::StreamValue (core/types/stream_value.h).  The order of checks and the error
// texts follow Redis 7.2's t_stream.c, since they decide which error a client sees.  This
// header holds what the files share: ID parsing and the reply shapes of entries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/types/stream_value.h"
#include "server/commands/command.h"

namespace tessera::server::stream {

using types::StreamID;
using types::StreamValue;

// Parses an ID as Redis's streamGenericParseIDOrReply: "<ms>-<seq>", or "<ms>" with
// `missing_seq`; "-" and "+" are the extremes unless `strict`; with `seq_given` non-null,
// "<ms>-*" is accepted and *seq_given says whether the sequence was given.  Replies Redis's
// error and returns false when invalid.
bool ParseIdOrReply(CommandContext& ctx, std::string_view arg, StreamID* id, uint64_t missing_seq,
                    bool strict, bool* seq_given = nullptr);
// The same without replying.
bool ParseId(std::string_view arg, StreamID* id, uint64_t missing_seq, bool strict,
             bool* seq_given = nullptr);
// A range bound: "(" makes it exclusive (parsed strictly, then moved one step inwards by the
// caller); `*exclusive` says so.
bool ParseIntervalIdOrReply(CommandContext& ctx, std::string_view arg, StreamID* id,
                            bool* exclusive, uint64_t missing_seq);

// The stream of `key` into *s (nullptr if missing); replies WRONGTYPE and returns false for
// another type.
bool FindStreamOrReply(CommandContext& ctx, std::string_view key, StreamValue** s);

void ReplyId(CommandContext& ctx, StreamID id);
// The iterator's current entry as [id, [field, value, ...]].
void ReplyEntry(CommandContext& ctx, StreamValue::Iterator& it);
// The live entry `id` as ReplyEntry does; false (nothing written) if there is none.
bool ReplyEntryById(CommandContext& ctx, const StreamValue& s, StreamID id);
// Entries in [start, end] as an array, at most `count` (0: all).  Returns how many.
size_t ReplyRange(CommandContext& ctx, const StreamValue& s, StreamID start, StreamID end,
                  size_t count, bool reverse);

// The write log's forms of consumer-group changes, exactly as Redis 7.2 propagates them
// (streamPropagateXCLAIM, streamPropagateGroupID, streamPropagateConsumerCreation).
// XREADGROUP, XCLAIM and XAUTOCLAIM are never logged as sent (their effect depends on time and
// on the PEL): they set CommandContext::effects_only and log these.  None counts `dirty`:
// callers count as Redis's commands do.
// `nack` (of entry `id`, written as `id` reads) as an XCLAIM that forces the same owner, time
// and count on a replay; for an entry deleted from the stream, the NACK as it was before it
// left the PEL (the replay drops it too);
void PropagateClaim(CommandContext& ctx, std::string_view key, std::string_view group_name,
                    const types::StreamGroup& g, std::string_view id,
                    const types::StreamNack& nack);
// the group's last delivered ID and read counter (XGROUP SETID ... ENTRIESREAD);
void PropagateGroupLastId(CommandContext& ctx, std::string_view key, std::string_view group_name,
                          const types::StreamGroup& g);
// a consumer created on the way: counted and notified always (NoteConsumerCreated), logged as
// XGROUP CREATECONSUMER only by XREADGROUP with NOACK (otherwise the XCLAIMs create it, or it
// is not logged at all, as in Redis).
void NoteConsumerCreated(CommandContext& ctx, std::string_view key);
void PropagateConsumerCreation(CommandContext& ctx, std::string_view key,
                               std::string_view group_name, std::string_view consumer);

// An argument as Redis's "%s" prints it into an error (cut at a NUL).
std::string_view ErrArg(std::string_view arg);

// Registration of the split files, called by RegisterStreamFamily().
void RegisterReadCommands(CommandTable* table);
void RegisterGroupCommands(CommandTable* table);
void RegisterInfoCommands(CommandTable* table);

// MakeSpec with the stream group and ACL category.
CommandSpec StreamSpec(std::string name, int arity, uint32_t flags, KeySpec keys, uint64_t acl,
                       Handler h, std::string_view since, std::string_view complexity,
                       std::string_view summary, std::vector<ArgDoc> arguments = {});

// COMMAND DOCS pieces the stream commands share: XADD/XTRIM's trimming block and the
// <id|$> of XGROUP CREATE/SETID.
ArgDoc TrimArgDoc();
ArgDoc GroupIdArgDoc();

}  // namespace tessera::server::stream
