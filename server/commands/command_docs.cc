// COMMAND and its subcommands: everything is generated from the command table (STYLE 3), in
// Redis 7.2's reply shapes, because client libraries (cluster routing, key extraction) and
// redis-cli (hints) read them.
//
// A command's Redis key specs are its CommandSpec::key_specs when it declares them (BITOP's
// destination and sources; GEORADIUS's keyword specs for STORE), else one spec from its legacy
// key range: an index/range spec, or an unknown/unknown spec for a command with a key
// extractor (reported "movablekeys", as in Redis).  Commands list in name order with each
// container's subcommands after it (Redis walks a hash table: no order).
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "core/base/glob.h"
#include "server/commands/args.h"
#include "server/commands/command_docs_data.h"
#include "server/commands/server_family.h"
#include "server/server.h"

namespace tessera::server {

namespace {

struct FlagName {
  uint64_t bit;
  std::string_view name;
};

// In Redis's order.  may_replicate, sentinel, protected and our kAllShards are hidden, as in
// Redis; movablekeys is derived from the key extractor.
constexpr FlagName kCommandFlags[] = {
    {kWrite, "write"},
    {kReadOnly, "readonly"},
    {kDenyOom, "denyoom"},
    {kAdmin, "admin"},
    {kPubSub, "pubsub"},
    {kNoScript, "noscript"},
    {kBlocking, "blocking"},
    {kLoading, "loading"},
    {kStale, "stale"},
    {kSkipMonitor, "skip_monitor"},
    {kSkipSlowlog, "skip_slowlog"},
    {kFast, "fast"},
    {kNoAuth, "no_auth"},
    {kNoMandatoryKeys, "no_mandatory_keys"},
    {kNoAsyncLoading, "no_async_loading"},
    {kNoMulti, "no_multi"},
};

constexpr FlagName kKeyFlags[] = {
    {kKeyRO, "RO"},
    {kKeyRW, "RW"},
    {kKeyOW, "OW"},
    {kKeyRM, "RM"},
    {kKeyAccess, "access"},
    {kKeyUpdate, "update"},
    {kKeyInsert, "insert"},
    {kKeyDelete, "delete"},
    {kKeyNotKey, "not_key"},
    {kKeyIncomplete, "incomplete"},
    {kKeyVariableFlags, "variable_flags"},
};

constexpr FlagName kArgFlags[] = {
    {kArgOptional, "optional"},
    {kArgMultiple, "multiple"},
    {kArgMultipleToken, "multiple_token"},
};

constexpr std::string_view kArgTypeNames[] = {
    "string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"};

// A set of status replies, one per flag present in `bits` (Redis's addReplyCommandFlags).
template <size_t N>
void ReplyFlagSet(resp::ReplyBuilder& r, uint64_t bits, const FlagName (&names)[N],
                  std::string_view prefix = "") {
  size_t n = 0;
  for (const FlagName& f : names) n += (bits & f.bit) ? 1 : 0;
  r.SetHeader(n);
  for (const FlagName& f : names) {
    if (bits & f.bit) r.SimpleString(fmt::format("{}{}", prefix, f.name));
  }
}

bool HasKeys(const CommandSpec& s) { return s.keys.first > 0 || s.key_extractor != nullptr; }

void ReplyCommandFlags(resp::ReplyBuilder& r, const CommandSpec& s) {
  // movablekeys comes after no_multi and before allow_busy in Redis's list.
  size_t n = 0;
  for (const FlagName& f : kCommandFlags) n += (s.flags & f.bit) ? 1 : 0;
  bool movable = s.key_extractor != nullptr;
  bool allow_busy = (s.flags & kAllowBusy) != 0;
  r.SetHeader(n + movable + allow_busy);
  for (const FlagName& f : kCommandFlags) {
    if (s.flags & f.bit) r.SimpleString(f.name);
  }
  if (movable) r.SimpleString("movablekeys");
  if (allow_busy) r.SimpleString("allow_busy");
}

// A {type, spec} map of a key spec's begin_search or find_keys part.
void ReplyKeySpecPart(resp::ReplyBuilder& r, std::string_view type,
                      std::initializer_list<std::pair<std::string_view, int64_t>> fields) {
  r.MapHeader(2);
  r.Bulk("type");
  r.Bulk(type);
  r.Bulk("spec");
  r.MapHeader(fields.size());
  for (const auto& [name, value] : fields) {
    r.Bulk(name);
    r.Integer(value);
  }
}

// A key spec's map header, its notes if any, and its flags.
void ReplyKeySpecStart(resp::ReplyBuilder& r, const KeySpec& k, uint32_t flags) {
  r.MapHeader(k.notes.empty() ? 3 : 4);
  if (!k.notes.empty()) {
    r.Bulk("notes");
    r.Bulk(k.notes);
  }
  r.Bulk("flags");
  ReplyFlagSet(r, flags, kKeyFlags);
}

void ReplyRangeKeySpec(resp::ReplyBuilder& r, const KeySpec& k, uint32_t flags) {
  ReplyKeySpecStart(r, k, flags);
  if (k.unknown) {
    r.Bulk("begin_search");
    ReplyKeySpecPart(r, "unknown", {});
    r.Bulk("find_keys");
    ReplyKeySpecPart(r, "unknown", {});
    return;
  }
  // Redis's range spec counts lastkey from the first key (or from the end when negative).
  int lastkey = k.last >= 0 ? k.last - k.first : k.last;
  r.Bulk("begin_search");
  if (!k.keyword.empty()) {
    lastkey = k.last;
    r.MapHeader(2);
    r.Bulk("type");
    r.Bulk("keyword");
    r.Bulk("spec");
    r.MapHeader(2);
    r.Bulk("keyword");
    r.Bulk(k.keyword);
    r.Bulk("startfrom");
    r.Integer(k.first);
  } else {
    ReplyKeySpecPart(r, "index", {{"index", k.first}});
  }
  r.Bulk("find_keys");
  ReplyKeySpecPart(r, "range",
                   {{"lastkey", lastkey}, {"keystep", std::max(k.step, 1)}, {"limit", k.limit}});
}

// A numkeys command's spec: the count at `first`, the keys right after it.
void ReplyKeynumKeySpec(resp::ReplyBuilder& r, const KeySpec& k, uint32_t flags) {
  ReplyKeySpecStart(r, k, flags);
  r.Bulk("begin_search");
  ReplyKeySpecPart(r, "index", {{"index", k.first}});
  r.Bulk("find_keys");
  ReplyKeySpecPart(r, "keynum",
                   {{"keynumidx", 0}, {"firstkey", 1}, {"keystep", std::max(k.step, 1)}});
}

void ReplyKeySpecs(resp::ReplyBuilder& r, const CommandSpec& s) {
  if (!HasKeys(s)) {
    r.SetHeader(0);
    return;
  }
  if (!s.key_specs.empty()) {
    r.SetHeader(s.key_specs.size());
    for (const KeySpec& k : s.key_specs) {
      if (k.keynum) {
        ReplyKeynumKeySpec(r, k, KeyFlagsOf(s, k));
      } else {
        ReplyRangeKeySpec(r, k, KeyFlagsOf(s, k));
      }
    }
    return;
  }
  r.SetHeader(1);
  if (s.key_extractor == nullptr) return ReplyRangeKeySpec(r, s.keys, KeyFlagsOf(s));
  r.MapHeader(3);
  r.Bulk("flags");
  ReplyFlagSet(r, KeyFlagsOf(s), kKeyFlags);
  r.Bulk("begin_search");
  ReplyKeySpecPart(r, "unknown", {});
  r.Bulk("find_keys");
  ReplyKeySpecPart(r, "unknown", {});
}

void ReplyCommandInfo(resp::ReplyBuilder& r, const CommandSpec* s) {
  if (s == nullptr) {
    r.Null();
    return;
  }
  r.ArrayHeader(10);
  r.Bulk(s->full_name);
  r.Integer(s->arity);
  ReplyCommandFlags(r, *s);
  r.Integer(s->keys.first);
  r.Integer(s->keys.last);
  r.Integer(s->keys.step);
  size_t categories = 0;
  for (const AclCategoryName& c : kAclCategoryNames) categories += (s->acl & c.bit) ? 1 : 0;
  r.SetHeader(categories);
  for (const AclCategoryName& c : kAclCategoryNames) {
    if (s->acl & c.bit) r.SimpleString(fmt::format("@{}", c.name));
  }
  // Redis's commands carry 7.2.4's tips (command_docs_data.h); ours have none.
  const RedisCommandDocs* docs = FindRedisCommandDocs(s->full_name);
  if (docs == nullptr) {
    r.SetHeader(0);
  } else {
    r.SetHeader(docs->tips.size());
    for (std::string_view tip : docs->tips) r.Bulk(tip);
  }
  ReplyKeySpecs(r, *s);
  if (s->subcommands.empty()) {
    r.SetHeader(0);
    return;
  }
  r.ArrayHeader(s->subcommands.size());
  for (const CommandSpec& sub : s->subcommands) ReplyCommandInfo(r, &sub);
}

constexpr FlagName kDocFlags[] = {
    {kDocDeprecated, "deprecated"},
    {kDocSyscmd, "syscmd"},
};

// Where an argument's key_spec_index comes from.  A generated table (command_docs_data.h)
// states it per argument, as Redis does (SORT's BY and GET patterns belong to a key spec too).
// A family's hand-written table has key arguments take 0, 1, ... in order of appearance, the
// last spec taking any further ones (BITOP: destkey 0, key 1): `key_args_seen` counts them
// across the nesting, `spec_count` is 0 when the command has no key spec.
struct KeyIndexing {
  bool explicit_indices = false;
  int spec_count = 0;
  int key_args_seen = 0;

  int Next(const ArgDoc& a) {
    if (explicit_indices) return a.key_spec_index;
    if (a.type != ArgType::kKey || spec_count == 0) return -1;
    return std::min(key_args_seen++, spec_count - 1);
  }
};

// Redis's addReplyCommandArgList: name, type, display_text (not for oneof/block), then the
// optional fields present, then the children.
void ReplyArgDocs(resp::ReplyBuilder& r, const std::vector<ArgDoc>& args, KeyIndexing* keys) {
  r.ArrayHeader(args.size());
  for (const ArgDoc& a : args) {
    bool nested = a.type == ArgType::kOneOf || a.type == ArgType::kBlock;
    int key_index = keys->Next(a);
    // A token is shown when set, even empty (MIGRATE's empty-string, as Redis shows it).
    bool has_token = a.token.data() != nullptr;
    r.MapHeader(3 + (key_index >= 0) + has_token + !a.since.empty() + !a.deprecated_since.empty() +
                (a.flags != 0));
    r.Bulk("name");
    r.Bulk(a.name);
    r.Bulk("type");
    r.Bulk(kArgTypeNames[static_cast<int>(a.type)]);
    if (!nested) {
      r.Bulk("display_text");
      r.Bulk(a.display.empty() ? a.name : a.display);
    }
    if (key_index >= 0) {
      r.Bulk("key_spec_index");
      r.Integer(key_index);
    }
    if (has_token) {
      r.Bulk("token");
      r.Bulk(a.token);
    }
    if (!a.since.empty()) {
      r.Bulk("since");
      r.Bulk(a.since);
    }
    if (!a.deprecated_since.empty()) {
      r.Bulk("deprecated_since");
      r.Bulk(a.deprecated_since);
    }
    if (a.flags != 0) {
      r.Bulk("flags");
      ReplyFlagSet(r, a.flags, kArgFlags);
    }
    if (nested) {
      r.Bulk("arguments");
      ReplyArgDocs(r, a.args, keys);
    }
  }
}

// Redis's addReplyCommandDocs.  Our summary and complexity; the facts Redis documents beyond
// the spec (since, deprecation, history, the argument tree) from its generated entry, if any.
void ReplyCommandDocs(resp::ReplyBuilder& r, const CommandSpec& s) {
  const RedisCommandDocs* redis = FindRedisCommandDocs(s.full_name);
  std::string_view since = redis != nullptr ? redis->since : s.since;
  std::string_view complexity =
      redis != nullptr && !redis->has_complexity ? std::string_view() : s.complexity;
  uint32_t doc_flags = redis != nullptr ? redis->doc_flags : 0;
  std::string_view deprecated_since = redis != nullptr ? redis->deprecated_since : "";
  std::string_view replaced_by = redis != nullptr ? redis->replaced_by : "";
  bool has_history = redis != nullptr && !redis->history.empty();
  KeyIndexing keys;
  const std::vector<ArgDoc>* args = &s.arguments;
  if (redis != nullptr) {
    args = &redis->arguments;
    keys.explicit_indices = true;
  }
  keys.spec_count = !HasKeys(s) ? 0 : std::max<int>(1, static_cast<int>(s.key_specs.size()));
  bool has_args = !args->empty();
  r.MapHeader(1 + !s.summary.empty() + !since.empty() + !complexity.empty() + (doc_flags != 0) +
              !deprecated_since.empty() + !replaced_by.empty() + has_history + has_args +
              !s.subcommands.empty());
  if (!s.summary.empty()) {
    r.Bulk("summary");
    r.Bulk(s.summary);
  }
  if (!since.empty()) {
    r.Bulk("since");
    r.Bulk(since);
  }
  r.Bulk("group");
  r.Bulk(s.group);
  if (!complexity.empty()) {
    r.Bulk("complexity");
    r.Bulk(complexity);
  }
  if (doc_flags != 0) {
    r.Bulk("doc_flags");
    ReplyFlagSet(r, doc_flags, kDocFlags);
  }
  if (!deprecated_since.empty()) {
    r.Bulk("deprecated_since");
    r.Bulk(deprecated_since);
  }
  if (!replaced_by.empty()) {
    r.Bulk("replaced_by");
    r.Bulk(replaced_by);
  }
  if (has_history) {
    r.Bulk("history");
    r.SetHeader(redis->history.size());
    for (const auto& [version, change] : redis->history) {
      r.ArrayHeader(2);
      r.Bulk(version);
      r.Bulk(change);
    }
  }
  if (has_args) {
    r.Bulk("arguments");
    ReplyArgDocs(r, *args, &keys);
  }
  if (!s.subcommands.empty()) {
    r.Bulk("subcommands");
    r.MapHeader(s.subcommands.size());
    for (const CommandSpec& sub : s.subcommands) {
      r.Bulk(sub.full_name);
      ReplyCommandDocs(r, sub);
    }
  }
}

void GetKeys(CommandContext& ctx, bool with_flags) {
  ArgList argv = ctx.args.subspan(2);
  const CommandTable& table = ctx.server.commands();
  const CommandSpec* spec = table.Find(argv[0]);
  if (spec != nullptr && !spec->subcommands.empty() && argv.size() >= 2) {
    spec = CommandTable::FindSub(*spec, argv[1]);
  }
  if (spec == nullptr) return ctx.reply.Error(errors::kGetKeysInvalidCommand);
  if (!HasKeys(*spec)) return ctx.reply.Error(errors::kGetKeysNoKeys);
  size_t argc = argv.size();
  if ((spec->arity > 0 && argc != static_cast<size_t>(spec->arity)) ||
      argc < static_cast<size_t>(std::abs(spec->arity))) {
    return ctx.reply.Error(errors::kGetKeysWrongArity);
  }
  std::vector<int> positions;
  if (!ExtractKeys(*spec, argv, &positions) || positions.empty()) {
    // Scripts and functions may name no key: a numkeys that does not fit the arguments gives
    // no keys rather than an error.
    if ((spec->flags & kNoMandatoryKeys) != 0) return ctx.reply.EmptyArray();
    return ctx.reply.Error(errors::kGetKeysInvalidArgs);
  }
  ctx.reply.ArrayHeader(positions.size());
  for (int pos : positions) {
    if (!with_flags) {
      ctx.reply.Bulk(argv[pos]);
      continue;
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(argv[pos]);
    ReplyFlagSet(ctx.reply, KeyFlagsAt(*spec, pos, argv), kKeyFlags);
  }
}

}  // namespace

void CommandCommand(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  size_t header = ctx.reply.StartDeferred();
  size_t n = 0;
  for (const CommandSpec& s : table.top_level()) {
    if (!table.Listed(s)) continue;  // disabled by rename-command
    ReplyCommandInfo(ctx.reply, &s);
    ++n;
  }
  ctx.reply.EndDeferred(header, 'A', n);
}

void CommandCountCommand(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  int64_t n = 0;
  for (const CommandSpec& s : table.top_level()) n += table.Listed(s) ? 1 : 0;
  ctx.reply.Integer(n);
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
void CommandListCommand(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view filter_arg;
  for (size_t i = 2; i < ctx.args.size(); i += 3) {
    // FILTERBY must be followed by exactly its type and argument, as in Redis.
    if (!EqualsNoCase(ctx.args[i], "filterby") || ctx.args.size() - 1 - i != 2) {
      return ctx.reply.Error(errors::kSyntax);
    }
    std::string_view type = ctx.args[i + 1];
    if (EqualsNoCase(type, "module")) {
      filter = Filter::kModule;
    } else if (EqualsNoCase(type, "aclcat")) {
      filter = Filter::kAclCat;
    } else if (EqualsNoCase(type, "pattern")) {
      filter = Filter::kPattern;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
    filter_arg = ctx.args[i + 2];
  }
  uint64_t category = filter == Filter::kAclCat ? AclCategoryByName(filter_arg) : 0;
  size_t header = ctx.reply.StartDeferred();
  size_t n = 0;
  for (const CommandSpec* s : ctx.server.commands().all()) {
    if (!ctx.server.commands().Listed(*s)) continue;
    bool keep = filter == Filter::kNone ||
                (filter == Filter::kAclCat && (s->acl & category) != 0) ||
                (filter == Filter::kPattern && GlobMatch(filter_arg, s->full_name, true));
    // Filter::kModule keeps nothing: there are no modules.
    if (!keep) continue;
    ctx.reply.Bulk(s->full_name);
    ++n;
  }
  ctx.reply.EndDeferred(header, 'A', n);
}

void CommandInfoCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) return CommandCommand(ctx);
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ReplyCommandInfo(ctx.reply, ctx.server.commands().FindFullName(ctx.args[i]));
  }
}

void CommandDocsCommand(CommandContext& ctx) {
  std::vector<const CommandSpec*> found;
  if (ctx.args.size() == 2) {
    for (const CommandSpec& s : ctx.server.commands().top_level()) {
      if (ctx.server.commands().Listed(s)) found.push_back(&s);
    }
  }
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const CommandSpec* s = ctx.server.commands().FindFullName(ctx.args[i]);
    if (s != nullptr) found.push_back(s);  // unknown names are skipped, as in Redis
  }
  ctx.reply.MapHeader(found.size());
  for (const CommandSpec* s : found) {
    ctx.reply.Bulk(s->full_name);
    ReplyCommandDocs(ctx.reply, *s);
  }
}

void CommandGetKeysCommand(CommandContext& ctx) { GetKeys(ctx, false); }
void CommandGetKeysAndFlagsCommand(CommandContext& ctx) { GetKeys(ctx, true); }

void CommandHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "(no subcommand)",
                     "    Describe every command of this server.",
                     "COUNT",
                     "    Number of commands this server knows.",
                     "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
                     "    Names of all commands and subcommands, optionally filtered.",
                     "INFO [<command-name> ...]",
                     "    Describe the given commands (all of them when none is given).",
                     "DOCS [<command-name> ...]",
                     "    Documentation of the given commands (all of them when none is given).",
                     "GETKEYS <full-command>",
                     "    The key names in a complete command line.",
                     "GETKEYSANDFLAGS <full-command>",
                     "    The key names in a complete command line, with their access flags.",
                 });
}

}  // namespace tessera::server
