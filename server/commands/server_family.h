// Internal to the server family: the handlers that live in info.cc and command_docs.cc, which
// RegisterServerFamily() (server_family.cc) puts in the table.  Not for other families.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command.h"

namespace tessera::server {

class Server;

// info.cc
void InfoCommand(CommandContext& ctx);
// The INFO text for the section arguments (the arguments after INFO; empty = default).
std::string BuildInfo(Server& server, ArgList sections);

// debug_mallctl.cc: DEBUG MALLCTL and DEBUG MALLCTL-STR.
// MIGRATE's cached connections (migrate_command.cc): closes those idle past 10 seconds, as
// Redis's cron does, and returns how many stay (INFO migrate_cached_sockets).
size_t CloseIdleMigrateSockets();

void DebugMallctlInt(CommandContext& ctx);
void DebugMallctlStr(CommandContext& ctx);

// command_docs.cc: COMMAND and its subcommands.
void CommandCommand(CommandContext& ctx);
void CommandCountCommand(CommandContext& ctx);
void CommandListCommand(CommandContext& ctx);
void CommandInfoCommand(CommandContext& ctx);
void CommandDocsCommand(CommandContext& ctx);
void CommandGetKeysCommand(CommandContext& ctx);
void CommandGetKeysAndFlagsCommand(CommandContext& ctx);
void CommandHelpCommand(CommandContext& ctx);

}  // namespace tessera::server
