#include "server/commands/args.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "server/server.h"

namespace tessera::server {

namespace {

// A timeout in ms (0: forever) as an absolute deadline, with Redis's range checks.
bool DeadlineOrReply(CommandContext& ctx, int64_t t, int64_t* deadline_ms) {
  if (t < 0) {
    ctx.reply.Error(errors::kTimeoutNegative);
    return false;
  }
  const int64_t now = ctx.db.now_ms();
  if (t > 0) {
    if (t > LLONG_MAX - now) {
      ctx.reply.Error(errors::kTimeoutOutOfRange);
      return false;
    }
    t += now;
  }
  *deadline_ms = t;
  return true;
}

}  // namespace

bool ParseBlockTimeoutOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  long double seconds;
  if (!ParseLongDouble(arg, &seconds)) {
    ctx.reply.Error(errors::kTimeoutNotFloat);
    return false;
  }
  long double ms = seconds * 1000.0L;
  if (ms > static_cast<long double>(LLONG_MAX)) {
    ctx.reply.Error(errors::kTimeoutOutOfRange);
    return false;
  }
  // Below LLONG_MIN the conversion would be undefined (found by dispatcher_fuzz): such a
  // timeout is negative, which is what Redis answers for it.
  if (ms < static_cast<long double>(LLONG_MIN)) ms = static_cast<long double>(LLONG_MIN);
  return DeadlineOrReply(ctx, static_cast<int64_t>(std::ceil(ms)), deadline_ms);
}

bool ParseBlockTimeoutMsOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  int64_t t;
  if (!ParseInt64(arg, &t)) {
    ctx.reply.Error(errors::kTimeoutNotInteger);
    return false;
  }
  return DeadlineOrReply(ctx, t, deadline_ms);
}

void ReplySubcommandSyntaxError(CommandContext& ctx) {
  ctx.reply.Error(fmt::format(fmt::runtime(errors::kSubcommandSyntaxFmt),
                              CStringPrefix(ctx.args[1]).substr(0, 128), AsciiUpper(ctx.args[0])));
}

bool ParseScanCursor(std::string_view arg, uint64_t* out) {
  if (!arg.empty() && std::isspace(static_cast<unsigned char>(arg[0]))) return false;
  std::string s(arg);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

uint64_t CallRandomSeed(const CommandContext& ctx) {
  return static_cast<uint64_t>(Server::MonotonicUs()) ^ (ctx.client.id * 0x9e3779b97f4a7c15ull) ^
         ctx.client.commands_processed.load(std::memory_order_relaxed);
}

}  // namespace tessera::server
