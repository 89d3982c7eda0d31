// CLIENT's client-side caching subcommands (client_tracking.cc), registered by
// client_command.cc with the other CLIENT subcommands, and the tracking fields CLIENT LIST shows.
#pragma once

#include <cstdint>
#include <string>

#include "server/commands/command.h"

namespace tessera::server {

void ClientTracking(CommandContext& ctx);      // CLIENT TRACKING ON|OFF [options]
void ClientCaching(CommandContext& ctx);       // CLIENT CACHING YES|NO
void ClientGetRedir(CommandContext& ctx);      // CLIENT GETREDIR
void ClientTrackingInfo(CommandContext& ctx);  // CLIENT TRACKINGINFO

// CLIENT LIST's redir=: the REDIRECT id while tracking (0: none), else -1.  Any thread.
int64_t TrackingRedirectField(const ClientState& c);
// Appends CLIENT LIST's tracking flags (t, R, B in Redis's order).  Any thread.
void AppendTrackingFlags(const ClientState& c, std::string* out);

}  // namespace tessera::server
