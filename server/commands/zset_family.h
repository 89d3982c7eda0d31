// Shared pieces of the sorted-set family, split over three files by responsibility:
// zset_family.cc (single-member commands, pops, blocking pops, ZRANDMEMBER, ZSCAN and the
// registration of every command), zset_range_commands.cc (ZRANGE and its variants, ZCOUNT,
// ZLEXCOUNT, ZREMRANGEBY*) and zset_setop_commands.cc (ZUNION/ZINTER/ZDIFF, their STORE forms,
// ZINTERCARD).  Private to those files.
#pragma once

#include <string_view>
#include <vector>

#include "core/keyspace/zset_ops.h"
#include "core/types/zset_value.h"
#include "server/commands/command.h"

namespace tessera::server::zset {

// Redis zslParseRange: "(" makes an end exclusive, the rest goes through strtod (so "inf",
// "-inf", "+inf" and leading blanks are accepted, NaN is not).  False on a malformed end.
bool ParseScoreRange(std::string_view min, std::string_view max, types::ScoreRange* out);
// Redis zslParseLexRange: "-", "+", "[value" or "(value".  The views point into the args.
bool ParseLexRange(std::string_view min, std::string_view max, types::LexRange* out);

// Replies members with or without scores: RESP2 a flat array (member, score, ...), RESP3
// with scores an array of [member, score] pairs.
void ReplyScoredMembers(CommandContext& ctx, const std::vector<types::ScoredMember>& items,
                        bool withscores);

// Events of members removed from `key` (`event` names the command's kind), and of the key
// if that emptied it.
void NotifyZRemoved(CommandContext& ctx, std::string_view event, std::string_view key);

// Handlers defined in zset_range_commands.cc.
void ZRangeCmd(CommandContext& ctx);
void ZRangeStoreCmd(CommandContext& ctx);
void ZRevRangeCmd(CommandContext& ctx);
void ZRangeByScoreCmd(CommandContext& ctx);
void ZRevRangeByScoreCmd(CommandContext& ctx);
void ZRangeByLexCmd(CommandContext& ctx);
void ZRevRangeByLexCmd(CommandContext& ctx);
void ZCountCmd(CommandContext& ctx);
void ZLexCountCmd(CommandContext& ctx);
void ZRemRangeByRankCmd(CommandContext& ctx);
void ZRemRangeByScoreCmd(CommandContext& ctx);
void ZRemRangeByLexCmd(CommandContext& ctx);

// Handlers defined in zset_setop_commands.cc.
void ZUnionCmd(CommandContext& ctx);
void ZInterCmd(CommandContext& ctx);
void ZDiffCmd(CommandContext& ctx);
void ZUnionStoreCmd(CommandContext& ctx);
void ZInterStoreCmd(CommandContext& ctx);
void ZDiffStoreCmd(CommandContext& ctx);
void ZInterCardCmd(CommandContext& ctx);

}  // namespace tessera::server::zset
