// ACL as the rest of the server uses it: the per-command check with its ACL LOG entry, a
// client's user (authenticate, refresh after a change), and the clients an ACL change
// disconnects.  user.h and acl_registry.h know nothing of clients; this file joins them.
//
// Cost: NeedsAclCheck() is the dispatcher's fast path, one relaxed atomic load and one flag
// test per command; a user with every permission (the default user, unless restricted) never
// reaches the full check.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "server/acl/acl_registry.h"
#include "server/client_state.h"
#include "server/server.h"

namespace tessera::server {

// Re-reads the client's user after an ACL change (owner thread).  A client whose user was
// deleted (or replaced by ACL LOAD) becomes an unauthenticated `default` client and is closed
// after its current reply, as Redis does.
void RefreshClientUser(Server& server, ClientState& client);

// True iff the client's next command needs the full check: its user may not run everything.
inline bool NeedsAclCheck(Server& server, ClientState& client) {
  if (client.acl_epoch != server.acl().epoch()) RefreshClientUser(server, client);
  return !client.user->unrestricted();
}

// The full check of `spec` with `args` for `user`.  On denial: adds the ACL LOG entry (its
// client-info describes `info_client`, the connection that sent the command), counts it for
// INFO, and returns the message Redis puts after "NOPERM " (in *denial the reason); "" when
// allowed.  `arg_offset` is added to the logged argument index (DRYRUN checks a suffix).
std::string CheckAclAndLog(Server& server, const acl::User& user, const ClientState& info_client,
                           const CommandSpec& spec, ArgList args, acl::LogContext context,
                           acl::Denial* denial = nullptr);

// Redis's getAclErrorMessage(): `arg` is the key or channel denied.
std::string AclErrorMessage(acl::Denial denial, const acl::User& user, const CommandSpec& spec,
                            std::string_view arg, bool verbose);

// A failed AUTH or HELLO AUTH: ACL LOG entry with reason "auth", object the command name as
// sent.
void LogAuthFailure(Server& server, const ClientState& client, std::string_view username,
                    std::string_view command_name);

// Makes `user` the client's user after a successful AUTH / HELLO AUTH.
void AuthenticateClient(Server& server, ClientState& client, std::shared_ptr<const acl::User> user);

// ACL DELUSER: closes every client authenticated as one of `names` (`self` after its reply).
void DisconnectUsers(Server& server, ClientState& self, std::span<const std::string_view> names);

// ACL LOAD: closes every client authenticated as a user other than `default`.
void DisconnectNonDefaultUsers(Server& server, ClientState& self);

// ACL SETUSER changed a user's channels from `before` to `after`: closes that user's
// subscribers holding a subscription the new rules deny (Redis's
// ACLKillPubsubClientsIfNeeded).
void KillSubscribersLosingChannels(Server& server, ClientState& self, const acl::User& before,
                                   const acl::User& after);

}  // namespace tessera::server
