#include "server/acl/acl_check.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/base/glob.h"
#include "server/commands/client_info.h"
#include "server/pubsub.h"

namespace tessera::server {

namespace {

using acl::Denial;

// How long ACL SETUSER waits for another worker to close a subscriber it revoked.
constexpr int kKillWaitMs = 500;

// Closes `id` on its owner's thread, at once (Redis's freeClient of another client); the
// client running the command is closed after its reply instead.
void CloseClient(Server& server, ClientState& self, uint64_t id) {
  if (id == self.id) {
    if (self.control != nullptr) self.control->CloseAfterReply();
    return;
  }
  server.clients().RunOnOwner(id, [](ClientState* c) {
    if (c->control != nullptr) c->control->CloseNow();
  });
}

template <class Pred>
void CloseClientsWhere(Server& server, ClientState& self, Pred pred) {
  std::vector<uint64_t> victims;
  server.clients().ForEach([&](const ClientState& c, int) {
    if (pred(c)) victims.push_back(c.id);
  });
  // In-process tests run commands on clients the registry does not hold.
  if (self.control == nullptr && pred(static_cast<const ClientState&>(self)) &&
      std::find(victims.begin(), victims.end(), self.id) == victims.end()) {
    victims.push_back(self.id);
  }
  for (uint64_t id : victims) CloseClient(server, self, id);
}

}  // namespace

void RefreshClientUser(Server& server, ClientState& client) {
  acl::AclRegistry& registry = server.acl();
  client.acl_epoch = registry.epoch();
  std::shared_ptr<const acl::User> now = registry.Find(client.user_name);
  bool gone = client.user != nullptr && (now == nullptr || now->uid() != client.user->uid());
  if (gone) {
    client.authenticated = false;
    server.clients().SetUserName(&client, "default");
    now = registry.default_user();
    if (client.control != nullptr) client.control->CloseAfterReply();
  }
  if (now == nullptr) now = registry.default_user();
  client.user = std::move(now);
}

std::string AclErrorMessage(Denial denial, const acl::User& user, const CommandSpec& spec,
                            std::string_view arg, bool verbose) {
  switch (denial) {
    case Denial::kCommand:
      return fmt::format("User {} has no permissions to run the '{}' command", user.name(),
                         spec.full_name);
    case Denial::kKey:
      if (verbose) {
        return fmt::format("User {} has no permissions to access the '{}' key", user.name(), arg);
      }
      return "No permissions to access a key";
    case Denial::kChannel:
      if (verbose) {
        return fmt::format("User {} has no permissions to access the '{}' channel", user.name(),
                           arg);
      }
      return "No permissions to access a channel";
    default:
      return "";
  }
}

std::string CheckAclAndLog(Server& server, const acl::User& user, const ClientState& info_client,
                           const CommandSpec& spec, ArgList args, acl::LogContext context,
                           Denial* denial_out) {
  int index = 0;
  Denial denial = user.Check(spec, args, &index);
  if (denial_out != nullptr) *denial_out = denial;
  if (denial == Denial::kNone) return "";
  std::string object = denial == Denial::kCommand ? spec.full_name : std::string(args[index]);
  int64_t now = server.NowMs();
  server.acl().AddLogEntry(denial, context, std::move(object), user.name(),
                           ClientInfoLine(server, info_client, now), now,
                           server.config().acllog_max_len.load(std::memory_order_relaxed));
  return AclErrorMessage(denial, user, spec, args[index], false);
}

void LogAuthFailure(Server& server, const ClientState& client, std::string_view username,
                    std::string_view command_name) {
  int64_t now = server.NowMs();
  server.acl().AddLogEntry(
      Denial::kAuth, client.in_multi ? acl::LogContext::kMulti : acl::LogContext::kTopLevel,
      std::string(command_name), std::string(username), ClientInfoLine(server, client, now), now,
      server.config().acllog_max_len.load(std::memory_order_relaxed));
}

void AuthenticateClient(Server& server, ClientState& client,
                        std::shared_ptr<const acl::User> user) {
  client.authenticated = true;
  client.acl_epoch = server.acl().epoch();
  if (client.user_name != user->name()) server.clients().SetUserName(&client, user->name());
  client.user = std::move(user);
}

void DisconnectUsers(Server& server, ClientState& self, std::span<const std::string_view> names) {
  // A client's user_name names a user only once AUTH succeeded (it is "default" otherwise):
  // read under the registry's mutex, unlike `authenticated`, which only the owner may read.
  CloseClientsWhere(server, self, [&](const ClientState& c) {
    return std::find(names.begin(), names.end(), std::string_view(c.user_name)) != names.end();
  });
}

void DisconnectNonDefaultUsers(Server& server, ClientState& self) {
  CloseClientsWhere(server, self, [](const ClientState& c) { return c.user_name != "default"; });
}

void KillSubscribersLosingChannels(Server& server, ClientState& self, const acl::User& before,
                                   const acl::User& after) {
  auto all_channels = [](const acl::User& u) {
    return std::any_of(u.selectors().begin(), u.selectors().end(),
                       [](const acl::Selector& s) { return s.allchannels(); });
  };
  if (all_channels(after)) return;
  auto upcoming = std::make_shared<std::vector<std::string>>();
  for (const acl::Selector& s : after.selectors()) {
    upcoming->insert(upcoming->end(), s.channels().begin(), s.channels().end());
  }
  // Nothing lost when every old channel pattern is still there.
  bool superset = !all_channels(before);
  for (const acl::Selector& s : before.selectors()) {
    for (const std::string& c : s.channels()) {
      if (std::find(upcoming->begin(), upcoming->end(), c) == upcoming->end()) superset = false;
    }
  }
  if (superset) return;
  std::string name = after.name();
  auto violates = [upcoming, name](const ClientState& c) {
    if (c.user_name != name || !c.HasSubscriptions()) return false;
    auto denied = [&](std::string_view channel, bool is_pattern) {
      return std::none_of(upcoming->begin(), upcoming->end(), [&](const std::string& p) {
        return is_pattern ? p == channel : GlobMatch(p, channel);
      });
    };
    for (const std::string& p : PubSubRegistry::Names(c, PubSubKind::kPattern)) {
      if (denied(p, true)) return true;
    }
    for (PubSubKind kind : {PubSubKind::kChannel, PubSubKind::kShardChannel}) {
      for (const std::string& ch : PubSubRegistry::Names(c, kind)) {
        if (denied(ch, false)) return true;
      }
    }
    return false;
  };
  // Subscriptions are the owner's: each candidate checks its own on its thread.
  std::vector<uint64_t> candidates;
  server.clients().ForEach([&](const ClientState& c, int) {
    if (c.user_name == name && c.HasSubscriptions()) candidates.push_back(c.id);
  });
  for (uint64_t id : candidates) {
    if (id == self.id) {
      if (violates(self) && self.control != nullptr) self.control->CloseAfterReply();
      continue;
    }
    // Done before the reply, so the caller's next command no longer sees them (Redis frees
    // them at once).
    server.clients().RunOnOwnerAndWait(
        id, self.owner,
        [violates](ClientState* c) {
          if (violates(*c) && c->control != nullptr) c->control->CloseNow();
        },
        kKillWaitMs);
  }
}

}  // namespace tessera::server
