// ACL and its subcommands (Redis 7.2): users, rules, the ACL log and the ACL file.  The users
// and their rules live in server/acl; this file parses arguments and shapes replies.
#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>

#include "core/base/sha1.h"
#include "server/acl/acl_check.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/config/config_file.h"
#include "server/log.h"
#include "server/server.h"

namespace tessera::server {

namespace {

constexpr int64_t kGenPassMaxBits = 4096;

using UserPtr = std::shared_ptr<const acl::User>;

void ReplySelector(resp::ReplyBuilder& r, const acl::Selector& s) {
  r.Bulk("commands");
  r.Bulk(s.DescribeCommands());
  r.Bulk("keys");
  r.Bulk(s.DescribeKeys());
  r.Bulk("channels");
  r.Bulk(s.DescribeChannels());
}

void AclSetUser(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.args.size(); ++i) ctx.redacted_args.push_back(static_cast<int>(i));
  std::string_view name = ctx.args[2];
  if (acl::HasSpaces(name)) {
    return ctx.reply.Error("ERR Usernames can't contain spaces or null characters");
  }
  UserPtr before;
  std::string error = ctx.server.acl().SetUser(name, ctx.args.subspan(3), &before);
  if (!error.empty()) return ctx.reply.Error("ERR " + error);
  UserPtr after = ctx.server.acl().Find(name);
  if (before != nullptr && after != nullptr) {
    KillSubscribersLosingChannels(ctx.server, ctx.client, *before, *after);
  }
  ctx.reply.Ok();
}

void AclDelUser(CommandContext& ctx) {
  ArgList names = ctx.args.subspan(2);
  for (std::string_view n : names) {
    if (n == "default") return ctx.reply.Error("ERR The 'default' user cannot be removed");
  }
  int deleted = ctx.server.acl().DelUsers(names);
  if (deleted > 0) DisconnectUsers(ctx.server, ctx.client, names);
  ctx.reply.Integer(deleted);
}

void AclGetUser(CommandContext& ctx) {
  UserPtr u = ctx.server.acl().Find(ctx.args[2]);
  if (u == nullptr) return ctx.reply.Null();
  resp::ReplyBuilder& r = ctx.reply;
  r.MapHeader(6);
  r.Bulk("flags");
  std::vector<std::string_view> flags;
  flags.push_back(u->enabled() ? "on" : "off");
  if (u->nopass()) flags.push_back("nopass");
  flags.push_back(u->skip_sanitize_payload() ? "skip-sanitize-payload" : "sanitize-payload");
  r.SetHeader(flags.size());
  for (std::string_view f : flags) r.Bulk(f);
  r.Bulk("passwords");
  r.ArrayHeader(u->passwords().size());
  for (const std::string& p : u->passwords()) r.Bulk(p);
  ReplySelector(r, u->selectors()[0]);
  r.Bulk("selectors");
  r.ArrayHeader(u->selectors().size() - 1);
  for (size_t i = 1; i < u->selectors().size(); ++i) {
    r.MapHeader(3);
    ReplySelector(r, u->selectors()[i]);
  }
}

void AclList(CommandContext& ctx) {
  std::vector<UserPtr> users = ctx.server.acl().Users();
  ctx.reply.ArrayHeader(users.size());
  for (const UserPtr& u : users) {
    ctx.reply.Bulk(fmt::format("user {} {}", u->name(), u->Describe()));
  }
}

void AclUsers(CommandContext& ctx) {
  std::vector<UserPtr> users = ctx.server.acl().Users();
  ctx.reply.ArrayHeader(users.size());
  for (const UserPtr& u : users) ctx.reply.Bulk(u->name());
}

void AclWhoAmI(CommandContext& ctx) { ctx.reply.Bulk(ctx.client.user_name); }

// LOAD and SAVE need an aclfile; true iff there is one (else the error is replied).
bool HaveAclFile(CommandContext& ctx) {
  if (!ctx.server.config().aclfile.empty()) return true;
  ctx.reply.Error(
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
      "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
      "Redis configuration file set) in order to store users in the Redis configuration.");
  return false;
}

void AclLoad(CommandContext& ctx) {
  if (!HaveAclFile(ctx)) return;
  const std::string& path = ctx.server.config().aclfile;
  std::string text, error;
  if (!ReadAclFile(path, &text, &error)) return ctx.reply.Error("ERR " + error);
  error = ctx.server.acl().LoadFileText(text, path);
  if (!error.empty()) return ctx.reply.Error("ERR " + error);
  DisconnectNonDefaultUsers(ctx.server, ctx.client);
  ctx.reply.Ok();
}

void AclSave(CommandContext& ctx) {
  if (!HaveAclFile(ctx)) return;
  std::string error;
  if (!ReplaceFileAtomically(ctx.server.config().aclfile, ctx.server.acl().SaveFileText(), 022,
                             &error)) {
    Log(LogLevel::kWarning, "Writing ACL file for ACL SAVE: {}", error);
    return ctx.reply.Error(
        "ERR There was an error trying to save the ACLs. Please check the server logs for more "
        "information");
  }
  ctx.reply.Ok();
}

void AclCat(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    ctx.reply.ArrayHeader(std::size(kAclCategoryNames));
    for (const AclCategoryName& c : kAclCategoryNames) ctx.reply.Bulk(c.name);
    return;
  }
  if (ctx.args.size() != 3) return ReplySubcommandSyntaxError(ctx);
  uint64_t category = AclCategoryByName(ctx.args[2]);
  if (category == 0) {
    return ctx.reply.Error(
        fmt::format("ERR Unknown category '{}'", CStringPrefix(ctx.args[2]).substr(0, 128)));
  }
  size_t header = ctx.reply.StartDeferred();
  size_t n = 0;
  for (const CommandSpec* s : ctx.server.commands().all()) {
    if ((s->acl & category) == 0) continue;
    ctx.reply.Bulk(s->full_name);
    ++n;
  }
  ctx.reply.EndDeferred(header, 'A', n);
}

void AclGenPass(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ReplySubcommandSyntaxError(ctx);
  int64_t bits = 256;
  if (ctx.args.size() == 3 && !ParseInt64(ctx.args[2], &bits)) {
    return ctx.reply.Error(errors::kNotInteger);
  }
  if (bits <= 0 || bits > kGenPassMaxBits) {
    return ctx.reply.Error(fmt::format(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to {}",
        kGenPassMaxBits));
  }
  size_t chars = static_cast<size_t>((bits + 3) / 4);
  uint8_t random[kGenPassMaxBits / 8];
  if (RAND_bytes(random, static_cast<int>((chars + 1) / 2)) != 1) {
    return ctx.reply.Error("ERR Failed to generate random bytes");
  }
  ctx.reply.Bulk(ToHex(random, (chars + 1) / 2).substr(0, chars));
}

std::string_view ReasonName(acl::Denial d) {
  switch (d) {
    case acl::Denial::kCommand:
      return "command";
    case acl::Denial::kKey:
      return "key";
    case acl::Denial::kChannel:
      return "channel";
    case acl::Denial::kAuth:
      return "auth";
    default:
      return "unknown";
  }
}

std::string_view ContextName(acl::LogContext c) {
  switch (c) {
    case acl::LogContext::kTopLevel:
      return "toplevel";
    case acl::LogContext::kMulti:
      return "multi";
    case acl::LogContext::kLua:
      return "lua";
    case acl::LogContext::kModule:
      return "module";
  }
  return "unknown";
}

void AclLog(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ReplySubcommandSyntaxError(ctx);
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (EqualsNoCase(ctx.args[2], "reset")) {
      ctx.server.acl().ResetLog();
      return ctx.reply.Ok();
    }
    if (!ParseInt64(ctx.args[2], &count)) return ctx.reply.Error(errors::kNotInteger);
    count = std::max<int64_t>(count, 0);
  }
  std::vector<acl::LogEntry> entries = ctx.server.acl().LogEntries(static_cast<size_t>(count));
  int64_t now = ctx.server.NowMs();
  resp::ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(entries.size());
  for (const acl::LogEntry& e : entries) {
    r.MapHeader(10);
    r.Bulk("count");
    r.Integer(static_cast<int64_t>(e.count));
    r.Bulk("reason");
    r.Bulk(ReasonName(e.reason));
    r.Bulk("context");
    r.Bulk(ContextName(e.context));
    r.Bulk("object");
    r.Bulk(e.object);
    r.Bulk("username");
    r.Bulk(e.username);
    r.Bulk("age-seconds");
    r.Double(static_cast<double>(now - e.updated_ms) / 1000);
    r.Bulk("client-info");
    r.Bulk(e.client_info);
    r.Bulk("entry-id");
    r.Integer(e.entry_id);
    r.Bulk("timestamp-created");
    r.Integer(e.created_ms);
    r.Bulk("timestamp-last-updated");
    r.Integer(e.updated_ms);
  }
}

// Redis's lookupCommand() for DRYRUN: a container's subcommand when one is named.
const CommandSpec* LookupDryRun(const CommandTable& table, ArgList argv, bool* unknown_sub) {
  const CommandSpec* spec = table.Find(argv[0]);
  *unknown_sub = false;
  if (spec == nullptr || spec->subcommands.empty() || argv.size() < 2) return spec;
  return CommandTable::FindSub(*spec, argv[1]);
}

void AclDryRun(CommandContext& ctx) {
  UserPtr u = ctx.server.acl().Find(ctx.args[2]);
  if (u == nullptr) {
    return ctx.reply.Error(fmt::format("ERR User '{}' not found", CStringPrefix(ctx.args[2])));
  }
  ArgList argv = ctx.args.subspan(3);
  bool unknown_sub = false;
  const CommandSpec* spec = LookupDryRun(ctx.server.commands(), argv, &unknown_sub);
  if (spec == nullptr) {
    return ctx.reply.Error(fmt::format("ERR Command '{}' not found", CStringPrefix(argv[0])));
  }
  size_t argc = argv.size();
  if ((spec->arity > 0 && argc != static_cast<size_t>(spec->arity)) ||
      argc < static_cast<size_t>(std::abs(spec->arity))) {
    return ctx.reply.Error(
        fmt::format("ERR wrong number of arguments for '{}' command", spec->full_name));
  }
  int index = 0;
  acl::Denial d = u->Check(*spec, argv, &index);
  if (d != acl::Denial::kNone) {
    return ctx.reply.Bulk(AclErrorMessage(d, *u, *spec, argv[index], true));
  }
  ctx.reply.Ok();
}

void AclHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "CAT [<category>]",
                     "    Without a category: the category names. With one: its commands.",
                     "DELUSER <username> [<username> ...]",
                     "    Removes users and disconnects their clients.",
                     "DRYRUN <username> <command> [<arg> ...]",
                     "    Tells whether the user could run the command, without running it.",
                     "GETUSER <username>",
                     "    The user's flags, password hashes, permissions and selectors.",
                     "GENPASS [<bits>]",
                     "    A random password of 256 bits, or of the given number of bits.",
                     "LIST",
                     "    Every user as a rule line of the ACL file.",
                     "LOAD",
                     "    Replaces the users with those of the ACL file.",
                     "LOG [<count> | RESET]",
                     "    Recent denials and failed logins, newest first; RESET empties it.",
                     "SAVE",
                     "    Writes the users to the ACL file.",
                     "SETUSER <username> <attribute> [<attribute> ...]",
                     "    Creates a user or changes its rules.",
                     "USERS",
                     "    The user names.",
                     "WHOAMI",
                     "    The user of this connection.",
                 });
}

CommandSpec Sub(std::string name, int arity, uint32_t flags, Handler h, std::string_view complexity,
                std::string_view summary, std::string_view since = "6.0.0") {
  return MakeSpec(std::move(name), arity, flags | kNoScript | kLoading | kStale | kSentinel,
                  KeySpec{}, 0, h, "server", since, complexity, summary);
}

}  // namespace

void RegisterAclFamily(CommandTable* table) {
  CommandSpec acl = MakeContainerSpec("acl", "server", "6.0.0",
                                      "Subcommands that manage users and their permissions.");
  acl.flags = kSentinel;
  acl.subcommands = {
      Sub("cat", -2, 0, AclCat, "O(1): the categories and their commands never change at run time.",
          "Lists the ACL categories, or the commands in one."),
      Sub("deluser", -3, kAdmin, AclDelUser,
          "O(1) per user removed, for users with a usual number of rules.",
          "Deletes users and disconnects their clients."),
      Sub("dryrun", -4, kAdmin, AclDryRun, "O(1), plus checking the command's keys and channels.",
          "Tells whether a user may run a command, without running it.", "7.0.0"),
      Sub("genpass", -2, 0, AclGenPass, "O(1)", "Generates a random password."),
      Sub("getuser", 3, kAdmin, AclGetUser,
          "O(N), N being the rules (passwords, commands, key and channel patterns) of the user.",
          "Describes one user's rules."),
      Sub("list", 2, kAdmin, AclList, "O(N) in the number of users defined.",
          "Lists every user as ACL file rule lines."),
      Sub("load", 2, kAdmin, AclLoad, "O(N) in the number of users defined.",
          "Reloads the users from the ACL file."),
      Sub("log", -2, kAdmin, AclLog, "O(N) in the number of log entries returned.",
          "Shows or clears the log of denied commands and failed logins."),
      Sub("save", 2, kAdmin, AclSave, "O(N) in the number of users defined.",
          "Writes the users to the ACL file."),
      Sub("setuser", -3, kAdmin, AclSetUser, "O(N) in the number of rules given.",
          "Creates a user or changes its rules."),
      Sub("users", 2, kAdmin, AclUsers, "O(N) in the number of users defined.",
          "Lists the user names."),
      Sub("whoami", 2, 0, AclWhoAmI, "O(1)", "Returns the user of this connection."),
      Sub("help", 2, 0, AclHelp, "O(1)", "Lists the ACL subcommands."),
  };
  // HELP is the one subcommand a script may call.
  acl.subcommands.back().flags &= ~kNoScript;
  table->Add(std::move(acl));
}

}  // namespace tessera::server
