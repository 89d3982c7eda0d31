// Small helpers every family uses to read arguments and report failures the Redis way.
#pragma once

#include <cctype>
#include <string_view>

#include "core/base/numbers.h"
#include "core/base/status.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"

namespace tessera::server {

inline bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Parses a 64-bit integer argument; on failure replies "value is not an integer or out of
// range" and returns false.
inline bool ParseIntArgOrReply(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (ParseInt64(arg, out)) return true;
  ctx.reply.Error(errors::kNotInteger);
  return false;
}

// Replies the fixed error text of a non-OK status.
inline void ReplyStatus(CommandContext& ctx, OpStatus status) {
  ctx.reply.Error(errors::ForStatus(status));
}

}  // namespace tessera::server
