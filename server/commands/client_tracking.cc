// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: client-side caching's commands.  The
// tables and the invalidation messages are server/tracking.h; the options are checked here in
// Redis's order, with its error texts.
#include "server/commands/client_tracking.h"

#include <fmt/format.h>

#include "core/base/ascii.h"
#include "server/commands/args.h"
#include "server/commands/errors.h"
#include "server/server.h"

namespace tessera::server {

namespace {

// Two prefixes overlap when one starts with the other: a key could match both.
bool Overlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

// Redis's checkPrefixCollisionsOrReply: each new prefix against the client's prefixes, then
// against the new ones after it.
bool CheckPrefixCollisions(CommandContext& ctx, const std::vector<std::string>& prefixes) {
  const std::vector<std::string>& mine = ctx.client.tracking_prefixes;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    for (const std::string& existing : mine) {
      if (!Overlap(existing, prefixes[i])) continue;
      ctx.reply.Error(fmt::format(
          "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client "
          "must not overlap.",
          CStringPrefix(prefixes[i]), CStringPrefix(existing)));
      return false;
    }
    for (size_t j = i + 1; j < prefixes.size(); ++j) {
      if (!Overlap(prefixes[i], prefixes[j])) continue;
      ctx.reply.Error(fmt::format(
          "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single "
          "client must not overlap.",
          CStringPrefix(prefixes[i]), CStringPrefix(prefixes[j])));
      return false;
    }
  }
  return true;
}

// Checks CLIENT TRACKING ON's options against each other and the client's current mode.
bool CheckEnable(CommandContext& ctx, const TrackingOptions& o) {
  uint32_t flags = ctx.client.tracking_flags.load(std::memory_order_relaxed);
  if (!o.bcast && !o.prefixes.empty()) {
    ctx.reply.Error("ERR PREFIX option requires BCAST mode to be enabled");
    return false;
  }
  if ((flags & kTrackingOn) != 0 && ((flags & kTrackingBcast) != 0) != o.bcast) {
    ctx.reply.Error(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
    return false;
  }
  if (o.bcast && (o.optin || o.optout)) {
    ctx.reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
    return false;
  }
  if (o.optin && o.optout) {
    ctx.reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
    return false;
  }
  if ((o.optin && (flags & kTrackingOptOut) != 0) || (o.optout && (flags & kTrackingOptIn) != 0)) {
    ctx.reply.Error(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
    return false;
  }
  return !o.bcast || CheckPrefixCollisions(ctx, o.prefixes);
}

}  // namespace

void ClientTracking(CommandContext& ctx) {
  TrackingOptions o;
  const size_t argc = ctx.args.size();
  for (size_t j = 3; j < argc; ++j) {
    std::string_view opt = ctx.args[j];
    bool more = j + 1 < argc;
    if (EqualsNoCase(opt, "redirect") && more) {
      ++j;
      if (o.redirect != 0) {
        return ctx.reply.Error("ERR A client can only redirect to a single other client");
      }
      int64_t id;
      if (!ParseIntArgOrReply(ctx, ctx.args[j], &id)) return;
      // The target must exist now, though it may go away later (then the redirect breaks).
      if (!ctx.server.clients().Contains(static_cast<uint64_t>(id))) {
        return ctx.reply.Error("ERR The client ID you want redirect to does not exist");
      }
      o.redirect = static_cast<uint64_t>(id);
    } else if (EqualsNoCase(opt, "bcast")) {
      o.bcast = true;
    } else if (EqualsNoCase(opt, "optin")) {
      o.optin = true;
    } else if (EqualsNoCase(opt, "optout")) {
      o.optout = true;
    } else if (EqualsNoCase(opt, "noloop")) {
      o.noloop = true;
    } else if (EqualsNoCase(opt, "prefix") && more) {
      o.prefixes.emplace_back(ctx.args[++j]);
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (EqualsNoCase(ctx.args[2], "on")) {
    if (!CheckEnable(ctx, o)) return;
    ctx.server.tracking().Enable(ctx.client, std::move(o));
  } else if (EqualsNoCase(ctx.args[2], "off")) {
    ctx.server.tracking().Disable(ctx.client);
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  ctx.reply.Ok();
}

void ClientCaching(CommandContext& ctx) {
  uint32_t flags = ctx.client.tracking_flags.load(std::memory_order_relaxed);
  if ((flags & kTrackingOn) == 0) {
    return ctx.reply.Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
  }
  std::string_view opt = ctx.args[2];
  if (EqualsNoCase(opt, "yes")) {
    if ((flags & kTrackingOptIn) == 0) {
      return ctx.reply.Error(
          "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (EqualsNoCase(opt, "no")) {
    if ((flags & kTrackingOptOut) == 0) {
      return ctx.reply.Error(
          "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  ctx.client.tracking_flags.fetch_or(kTrackingCaching, std::memory_order_relaxed);
  ctx.reply.Ok();
}

void ClientGetRedir(CommandContext& ctx) { ctx.reply.Integer(TrackingRedirectField(ctx.client)); }

void ClientTrackingInfo(CommandContext& ctx) {
  const ClientState& c = ctx.client;
  uint32_t flags = c.tracking_flags.load(std::memory_order_relaxed);
  std::vector<std::string_view> names;
  names.push_back((flags & kTrackingOn) != 0 ? "on" : "off");
  if ((flags & kTrackingBcast) != 0) names.push_back("bcast");
  if ((flags & kTrackingOptIn) != 0) {
    names.push_back("optin");
    if ((flags & kTrackingCaching) != 0) names.push_back("caching-yes");
  }
  if ((flags & kTrackingOptOut) != 0) {
    names.push_back("optout");
    if ((flags & kTrackingCaching) != 0) names.push_back("caching-no");
  }
  if ((flags & kTrackingNoLoop) != 0) names.push_back("noloop");
  if ((flags & kTrackingBrokenRedir) != 0) names.push_back("broken_redirect");
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  ctx.reply.SetHeader(names.size());
  for (std::string_view n : names) ctx.reply.Bulk(n);
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(TrackingRedirectField(c));
  ctx.reply.Bulk("prefixes");
  ctx.reply.ArrayHeader(c.tracking_prefixes.size());
  for (const std::string& p : c.tracking_prefixes) ctx.reply.Bulk(p);
}

int64_t TrackingRedirectField(const ClientState& c) {
  if ((c.tracking_flags.load(std::memory_order_relaxed) & kTrackingOn) == 0) return -1;
  return static_cast<int64_t>(c.tracking_redirect.load(std::memory_order_relaxed));
}

void AppendTrackingFlags(const ClientState& c, std::string* out) {
  uint32_t flags = c.tracking_flags.load(std::memory_order_relaxed);
  if ((flags & kTrackingOn) != 0) out->push_back('t');
  if ((flags & kTrackingBrokenRedir) != 0) out->push_back('R');
  if ((flags & kTrackingBcast) != 0) out->push_back('B');
}

}  // namespace tessera::server
