// Small helpers every family uses to read arguments and report failures the Redis way.
#pragma once

#include <cctype>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/base/ascii.h"
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

// SCAN-family cursors (SCAN, HSCAN, SSCAN, ZSCAN) as Redis reads them, with strtoul: a leading
// blank, trailing bytes or overflow is an error; a leading '-' wraps and "" is cursor 0.
bool ParseScanCursor(std::string_view arg, uint64_t* out);

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

// Replies the fixed error text of a non-OK status.
inline void ReplyStatus(CommandContext& ctx, OpStatus status) {
  ctx.reply.Error(errors::ForStatus(status));
}

}  // namespace tessera::server
