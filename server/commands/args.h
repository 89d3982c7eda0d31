// Small helpers every family uses to read arguments and report failures the Redis way.
#pragma once

#include <cctype>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/ascii.h"
#include "core/base/glob.h"
#include "core/base/numbers.h"
#include "core/base/status.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"

namespace tessera::server {

inline bool EqualsNoCase(std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); }

// Parses a 64-bit integer argument; on failure replies "value is not an integer or out of
// range" and returns false.
inline bool ParseIntArgOrReply(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (ParseInt64(arg, out)) return true;
  ctx.reply.Error(errors::kNotInteger);
  return false;
}

// Reads a blocking command's timeout in seconds (fractions allowed; 0 = forever) into an
// absolute deadline in Unix ms (0 for forever), as Redis's getTimeoutFromObjectOrReply.  On
// failure replies Redis's error and returns false.
bool ParseBlockTimeoutOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);
// The same for a timeout in whole milliseconds (XREAD's BLOCK), as Redis's
// getTimeoutFromObjectOrReply with UNIT_MILLISECONDS.
bool ParseBlockTimeoutMsOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);

// SCAN-family cursors (SCAN, HSCAN, SSCAN, ZSCAN) as Redis reads them, with strtoul: a leading
// blank, trailing bytes or overflow is an error; a leading '-' wraps and "" is cursor 0.
bool ParseScanCursor(std::string_view arg, uint64_t* out);

// The options every SCAN-family command shares.
struct ScanArgs {
  size_t count = 10;
  std::optional<std::string_view> pattern;  // unset when it would match every string
};

// Reads the options from args[first] on, as Redis's scanGenericCommand does: COUNT n (n >= 1)
// and MATCH pattern.  Another word is offered to `extra(i)`, which returns how many arguments
// the command's own option at args[i] takes (0: not one of its options, a syntax error).  On
// failure replies Redis's error and returns false.
template <typename Extra>
bool ParseScanArgsOrReply(CommandContext& ctx, size_t first, ScanArgs* out, Extra&& extra) {
  for (size_t i = first; i < ctx.args.size();) {
    const bool has_value = i + 1 < ctx.args.size();
    if (has_value && EqualsNoCase(ctx.args[i], "count")) {
      int64_t count;
      if (!ParseIntArgOrReply(ctx, ctx.args[i + 1], &count)) return false;
      if (count < 1) {
        ctx.reply.Error(errors::kSyntax);
        return false;
      }
      out->count = static_cast<size_t>(count);
      i += 2;
    } else if (has_value && EqualsNoCase(ctx.args[i], "match")) {
      out->pattern = ctx.args[i + 1];
      if (GlobMatchesEverything(*out->pattern)) out->pattern.reset();
      i += 2;
    } else if (size_t taken = extra(i); taken > 0) {
      i += taken;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

inline bool ParseScanArgsOrReply(CommandContext& ctx, size_t first, ScanArgs* out) {
  return ParseScanArgsOrReply(ctx, first, out, [](size_t) { return size_t{0}; });
}

// Starts a SCAN-family reply: the next cursor, then the header of `n` elements that the caller
// writes.  (0, 0) is the whole reply for a missing key.
inline void ReplyScanHeader(CommandContext& ctx, uint64_t cursor, size_t n) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));
  ctx.reply.ArrayHeader(n);
}

// A seed for this call's SplitMix64 (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY):
// the clock and the client, so that no generator is shared between threads.
uint64_t CallRandomSeed(const CommandContext& ctx);

// Replies a container's HELP in Redis's shape: a header naming the command as the client typed
// it (upper-cased), the given lines, then the HELP entry.  `lines` alternate between a usage
// line and its indented explanation, as in Redis.
inline void ReplyHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  std::string name = AsciiUpper(ctx.args[0]);
  ctx.reply.ArrayHeader(lines.size() + 3);
  ctx.reply.SimpleString(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view l : lines) ctx.reply.SimpleString(l);
  ctx.reply.SimpleString("HELP");
  ctx.reply.SimpleString("    Print this help.");
}

// Redis's addReplySubcommandSyntaxError: args[1] as given (up to 128 bytes, cut at a NUL) and
// the command name upper-cased.
void ReplySubcommandSyntaxError(CommandContext& ctx);

// Replies the fixed error text of a non-OK status.
inline void ReplyStatus(CommandContext& ctx, OpStatus status) {
  ctx.reply.Error(errors::ForStatus(status));
}

}  // namespace tessera::server
