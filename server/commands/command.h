// The declarative command table (DESIGN 5, STYLE 3).
//
// Each family file (string_family.cc, keys_family.cc, ...) describes its commands as
// CommandSpec values and adds them in its Register() function.  The dispatcher alone enforces
// arity, flags and authentication, and locks the shards of the keys named by the key spec
// before the handler runs; COMMAND, COMMAND INFO/DOCS/GETKEYS/LIST are generated from the same
// specs.  A flag with no check behind it is a bug.
//
// Handler shape: read ctx.args, run core operations through ctx.db, write ctx.reply.
// A handler never touches a socket and never locks a shard its key spec named (the dispatcher
// did).  Commands flagged kAllShards name no keys for locking and lock shards themselves, one
// at a time, through Server helpers (KEYS, SCAN, DBSIZE, FLUSHDB...).
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/keyspace/keyspace.h"
#include "core/resp/reply_builder.h"
#include "server/commands/command_name_index.h"
#include "server/notify.h"

namespace tessera::server {

class Server;
struct ClientState;
struct WorkerStats;
struct CommandSpec;

// Command flags, with Redis's names (COMMAND INFO prints them).
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,          // "write": modifies the keyspace
  kReadOnly = 1u << 1,       // "readonly"
  kDenyOom = 1u << 2,        // "denyoom"
  kAdmin = 1u << 3,          // "admin"
  kPubSub = 1u << 4,         // "pubsub"
  kNoScript = 1u << 5,       // "noscript"
  kBlocking = 1u << 6,       // "blocking"
  kLoading = 1u << 7,        // "loading": allowed while loading
  kStale = 1u << 8,          // "stale": allowed on a stale replica
  kSkipMonitor = 1u << 9,    // "skip_monitor"
  kSkipSlowlog = 1u << 10,   // "skip_slowlog"
  kFast = 1u << 11,          // "fast"
  kNoAuth = 1u << 12,        // "no_auth": allowed before authentication
  kMayReplicate = 1u << 13,  // "may_replicate"
  kNoMulti = 1u << 14,       // "no_multi"
  kAllowBusy = 1u << 15,     // "allow_busy"
  kProtected = 1u << 16,     // needs enable-debug-command (DEBUG); not a Redis COMMAND flag
  kAllShards = 1u << 17,     // handler locks shards itself; not a Redis COMMAND flag
  kSentinel = 1u << 18,      // "sentinel"
  // Allowed to a RESP2 client with subscriptions (the (un)subscribe commands, PING, QUIT,
  // RESET); not a Redis COMMAND flag.
  kPubSubContext = 1u << 19,
  kNoMandatoryKeys = 1u << 20,  // "no_mandatory_keys": may name no key (scripts, functions)
  // "no_async_loading": refused while a replica loads asynchronously (Redis's
  // repl-diskless-load swapdb); shown by COMMAND INFO.
  kNoAsyncLoading = 1u << 21,
};

// ACL categories (bit per category, Redis's names without '@').
enum AclCategory : uint64_t {
  kAclKeyspace = 1ull << 0,
  kAclRead = 1ull << 1,
  kAclWrite = 1ull << 2,
  kAclSet = 1ull << 3,
  kAclSortedSet = 1ull << 4,
  kAclList = 1ull << 5,
  kAclHash = 1ull << 6,
  kAclString = 1ull << 7,
  kAclBitmap = 1ull << 8,
  kAclHyperLogLog = 1ull << 9,
  kAclGeo = 1ull << 10,
  kAclStream = 1ull << 11,
  kAclPubSub = 1ull << 12,
  kAclAdmin = 1ull << 13,
  kAclFast = 1ull << 14,
  kAclSlow = 1ull << 15,
  kAclBlocking = 1ull << 16,
  kAclDangerous = 1ull << 17,
  kAclConnection = 1ull << 18,
  kAclTransaction = 1ull << 19,
  kAclScripting = 1ull << 20,
};

// Redis's category names in its order (ACL CAT, COMMAND INFO, ACL rules' +@name).
struct AclCategoryName {
  uint64_t bit;
  std::string_view name;
};
inline constexpr AclCategoryName kAclCategoryNames[] = {
    {kAclKeyspace, "keyspace"},
    {kAclRead, "read"},
    {kAclWrite, "write"},
    {kAclSet, "set"},
    {kAclSortedSet, "sortedset"},
    {kAclList, "list"},
    {kAclHash, "hash"},
    {kAclString, "string"},
    {kAclBitmap, "bitmap"},
    {kAclHyperLogLog, "hyperloglog"},
    {kAclGeo, "geo"},
    {kAclStream, "stream"},
    {kAclPubSub, "pubsub"},
    {kAclAdmin, "admin"},
    {kAclFast, "fast"},
    {kAclSlow, "slow"},
    {kAclBlocking, "blocking"},
    {kAclDangerous, "dangerous"},
    {kAclConnection, "connection"},
    {kAclTransaction, "transaction"},
    {kAclScripting, "scripting"},
};
// The bit of the category `name` (any case, without '@'); 0 if there is none.
uint64_t AclCategoryByName(std::string_view name);

// Redis's key-spec flags (COMMAND INFO key specs, COMMAND GETKEYSANDFLAGS, and later ACL key
// permissions): how the command uses each key.
enum KeyFlag : uint32_t {
  kKeyRO = 1u << 0,              // "RO": reads the value
  kKeyRW = 1u << 1,              // "RW": reads and modifies the value
  kKeyOW = 1u << 2,              // "OW": overwrites the value without reading it
  kKeyRM = 1u << 3,              // "RM": deletes the key
  kKeyAccess = 1u << 4,          // "access": returns (part of) the value
  kKeyUpdate = 1u << 5,          // "update": changes data in place
  kKeyInsert = 1u << 6,          // "insert": only adds data
  kKeyDelete = 1u << 7,          // "delete": only removes data
  kKeyNotKey = 1u << 8,          // "not_key": a key name that is not accessed
  kKeyIncomplete = 1u << 9,      // "incomplete": the spec may miss keys
  kKeyVariableFlags = 1u << 10,  // "variable_flags": flags depend on other arguments
};

// Legacy key positions (Redis's first/last/step): last < 0 counts from the end (-1 = last
// argument).  first == 0 means the command takes no keys.  `flags` 0 means "derive from the
// command flags": RO|access for a read-only command, RW|access|update for a write command.
struct KeySpec {
  int first = 0;
  int last = 0;
  int step = 0;
  uint32_t flags = 0;  // KeyFlag bits
  // Non-empty for a Redis "keyword" key spec, only in CommandSpec::key_specs: the keys follow
  // the `keyword` (any case) searched from argument `first` on, or, when `first` is negative,
  // from argument argc+first backwards (Redis's startfrom), e.g. GEORADIUS's STORE key.
  // `last` is then Redis's lastkey, relative to the keyword: 0 for the one argument after
  // it, -1 for every argument to the end.
  std::string_view keyword;
  // In `key_specs` only: Redis's "keynum" spec (LMPOP, ZUNION, EVAL...).  The argument at
  // `first` counts the keys, which follow it every `step` arguments; `last` is unused.  The
  // command's key_extractor finds the keys for locking and GETKEYS.
  bool keynum = false;
  // A Redis key spec whose begin_search and find_keys are "unknown" (SORT's STORE key, which
  // may appear anywhere): first/last/step are unused and the key extractor finds the keys.
  bool unknown = false;
  std::string_view notes;  // Redis's "notes" of the key spec, shown by COMMAND INFO
  // Redis's range "limit": the keys found are divided by it (XREAD's STREAMS k1 k2 id1 id2
  // has limit 2: half of what follows the keyword are keys).  0 for none.
  int limit = 0;
};

// COMMAND DOCS argument descriptions, in Redis's model: each argument has a name and a type;
// a token is the literal word that introduces it ("EX" before seconds); oneof and block
// arguments hold children.  redis-cli builds its command-line hints from these.
enum class ArgType : uint8_t {
  kString, kInteger, kDouble, kKey, kPattern, kUnixTime, kPureToken, kOneOf, kBlock
};
enum ArgDocFlag : uint32_t {
  kArgOptional = 1u << 0,       // "optional"
  kArgMultiple = 1u << 1,       // "multiple": may repeat
  kArgMultipleToken = 1u << 2,  // "multiple_token": the token repeats with each value
};

struct ArgDoc {
  std::string_view name;
  ArgType type = ArgType::kString;
  std::string_view token;    // "" when the argument has none
  std::string_view display;  // "" means the name
  uint32_t flags = 0;        // ArgDocFlag bits
  std::vector<ArgDoc> args;  // children of kOneOf and kBlock
  std::string_view since;    // version that added the argument; "" when it came first
  std::string_view deprecated_since;  // "" unless the argument is deprecated
  // The key spec this argument belongs to, as Redis numbers them, in the generated tables of
  // command_docs_data.h (-1: none).  The families' tables leave it -1 and COMMAND DOCS numbers
  // their key arguments in order.
  int key_spec_index = -1;

  // Builders for readable tables: Int("seconds").Tok("EX").Opt().
  ArgDoc Tok(std::string_view t) const { return With([&](ArgDoc& a) { a.token = t; }); }
  ArgDoc Display(std::string_view d) const { return With([&](ArgDoc& a) { a.display = d; }); }
  ArgDoc Opt() const { return With([](ArgDoc& a) { a.flags |= kArgOptional; }); }
  ArgDoc Multi() const { return With([](ArgDoc& a) { a.flags |= kArgMultiple; }); }
  ArgDoc MultiToken() const { return With([](ArgDoc& a) { a.flags |= kArgMultipleToken; }); }
  ArgDoc Since(std::string_view v) const {
    return With([&](ArgDoc& a) { a.since = v; });
  }
  ArgDoc DeprecatedSince(std::string_view v) const {
    return With([&](ArgDoc& a) { a.deprecated_since = v; });
  }
  ArgDoc KeySpecIndex(int i) const {
    return With([&](ArgDoc& a) { a.key_spec_index = i; });
  }

 private:
  template <class Fn>
  ArgDoc With(Fn&& fn) const {
    ArgDoc a = *this;
    fn(a);
    return a;
  }
};

namespace argdoc {
inline ArgDoc Make(std::string_view name, ArgType type, std::string_view token = {},
                   std::vector<ArgDoc> children = {}) {
  ArgDoc a;
  a.name = name;
  a.type = type;
  a.token = token;
  a.args = std::move(children);
  return a;
}
inline ArgDoc Str(std::string_view n) { return Make(n, ArgType::kString); }
inline ArgDoc Int(std::string_view n) { return Make(n, ArgType::kInteger); }
inline ArgDoc Dbl(std::string_view n) { return Make(n, ArgType::kDouble); }
inline ArgDoc Key(std::string_view n) { return Make(n, ArgType::kKey); }
inline ArgDoc Pattern(std::string_view n) { return Make(n, ArgType::kPattern); }
inline ArgDoc UnixTime(std::string_view n) { return Make(n, ArgType::kUnixTime); }
inline ArgDoc PureToken(std::string_view n, std::string_view token) {
  return Make(n, ArgType::kPureToken, token);
}
inline ArgDoc OneOf(std::string_view n, std::vector<ArgDoc> children) {
  return Make(n, ArgType::kOneOf, {}, std::move(children));
}
inline ArgDoc Block(std::string_view n, std::vector<ArgDoc> children) {
  return Make(n, ArgType::kBlock, {}, std::move(children));
}
}  // namespace argdoc

using ArgList = std::span<const std::string_view>;

// What a blocking command asks for when it finds nothing to serve (see CommandContext::BlockOn).
struct BlockRequest {
  std::vector<std::string> keys;  // keys to wait on, in the command's order
  int64_t deadline_ms = 0;        // absolute Unix ms; 0 waits forever
  keyspace::ValueType type = keyspace::ValueType::kList;  // only a key of this type wakes it
  // The arguments to run again when woken, when they differ from those sent: XREAD's `$`
  // becomes the stream's last ID at the time it blocked.  Empty: the command as sent.
  std::vector<std::string> args;
  // Run again also when the key is deleted or changes type (XREADGROUP, whose group went
  // with the key, then replies with the error).
  bool wake_on_missing = false;
};

struct CommandContext {
  Server& server;
  ClientState& client;
  resp::ReplyBuilder& reply;
  ArgList args;  // args[0] is the command name as sent
  keyspace::DbAccess& db;
  const CommandSpec& spec;
  // The statistics of the worker running the command (EVAL dispatches its script's calls
  // with it); null where no worker runs it.
  WorkerStats* stats = nullptr;
  // Indices of arguments SLOWLOG and MONITOR must show as "(redacted)" (a password given to
  // CONFIG SET), like Redis's redactClientCommandArgument().  The handler appends; the
  // dispatcher applies them when it logs the command.
  std::vector<int> redacted_args;
  // Set by a handler that counted its reply's errors itself (EVAL and FCALL, whose reply may
  // carry an error counted already where a redis.call met it): the dispatcher then leaves
  // INFO errorstats and failed_calls to it instead of judging the reply's first byte.
  bool reply_errors_counted = false;

  // Blocking commands (BLPOP, BZPOPMIN, ...).  A handler that finds nothing to serve and
  // `may_block` calls BlockOn() and writes no reply; the dispatcher parks the client, and when
  // one of the keys is created with the wanted type the same handler runs again with the same
  // arguments (possibly on another worker's thread, with the locks of its keys held).  When
  // `may_block` is false (inside MULTI or a script, once those exist) the handler replies as
  // on a timeout instead.  Keys becoming ready need no call: DbAccess notes every list or
  // sorted set it inserts while clients are blocked.
  bool may_block = true;
  std::optional<BlockRequest> block;
  void BlockOn(BlockRequest request) { block = std::move(request); }
  // WAIT: the client waits for replicas' acknowledgements (ReplicationPrimary::AddWaiter)
  // until this deadline (Unix ms; 0 forever).  -1: no such wait.
  int64_t ack_wait_deadline_ms = -1;

  // The write log (DESIGN 6).  A write handler counts the changes it made in `dirty`, as
  // Redis's commands add to server.dirty (SADD adds the members it added): a command that
  // changed nothing leaves it 0, and the dispatcher then logs nothing.  Otherwise the
  // dispatcher logs the command as sent, unless the handler described its effect with
  // Propagate(): one call per command to log, in order, in a deterministic form (SPOP becomes
  // SREM, a relative expiry an absolute one).  `logging` says whether anyone reads the log;
  // when false a handler may skip building effects (dirty still counts: save points use it).
  int64_t dirty = 0;
  bool logging = false;
  std::vector<std::vector<std::string>> effects;
  void Propagate(std::vector<std::string> argv) { effects.push_back(std::move(argv)); }
  void Propagate(std::initializer_list<std::string_view> argv) {
    effects.emplace_back(argv.begin(), argv.end());
  }
  // The arguments as sent, minus those at `skip` (SET ... GET logs without GET).
  void PropagateArgsExcept(const std::vector<size_t>& skip);
  // Logs nothing even though `dirty` counts changes (a command whose effect reaches the log
  // another way).
  bool suppress_log = false;
  // Logs what Propagate() recorded and never the command as sent, whatever `dirty` counts
  // (Redis's preventCommandPropagation after alsoPropagate: XREADGROUP, XCLAIM, XAUTOCLAIM).
  bool effects_only = false;
  // Logs the command as sent for the replicas only, though it changed nothing (Redis's
  // forceCommandPropagation(c, PROPAGATE_REPL): PUBLISH, SPUBLISH).
  bool force_replicas = false;

  // Keyspace events and modified keys.  A write handler calls Notify for each event Redis's
  // command emits, with Redis's class and event name (server/notify.h), and KeyModified for
  // each key whose value it changed (Redis's signalModifiedKey: WATCH marks the key's watchers
  // dirty); Changed() does both.  A handler that counted changes in `dirty` without calling
  // KeyModified gets every key it names treated as modified by the dispatcher, so a handler
  // that forgets can cost a retried transaction, never a lost update.  Both are an inline
  // test of a flag when nobody subscribes or watches.
  void Notify(uint32_t type, std::string_view event, std::string_view key) {
    if ((notify_flags & type) != 0) NotifySlow(type, event, key, db.db());
  }
  void NotifyInDb(uint32_t type, std::string_view event, std::string_view key, int db_index) {
    if ((notify_flags & type) != 0) NotifySlow(type, event, key, db_index);
  }
  void KeyModified(std::string_view key) { KeyModifiedInDb(key, db.db()); }
  void KeyModifiedInDb(std::string_view key, int db_index) {
    keys_signalled = true;
    if (key_watchers) KeyModifiedSlow(key, db_index);
  }
  void Changed(uint32_t type, std::string_view event, std::string_view key) {
    KeyModified(key);
    Notify(type, event, key);
  }
  void ChangedInDb(uint32_t type, std::string_view event, std::string_view key, int db_index) {
    KeyModifiedInDb(key, db_index);
    NotifyInDb(type, event, key, db_index);
  }
  // A change Redis does not signal as a modification of its key (consumer-group bookkeeping:
  // XREADGROUP, XACK, XCLAIM, XGROUP SETID...): WATCH and tracking stay untouched, and the
  // dispatcher's safety net above is told the handler did not forget.
  void ChangedUnsignalled() { keys_signalled = true; }
  // Set by the dispatcher before the handler runs: notify-keyspace-events, and whether anyone
  // watches keys or tracks them (client-side caching).
  uint32_t notify_flags = 0;
  bool key_watchers = false;
  bool keys_signalled = false;
  // While key-ttl-policy is set, a write command's signalled keys (db, name) are gathered
  // here for the policy (server/key_ttl_policy.h); nullptr otherwise.
  std::vector<std::pair<int, std::string>>* modified_keys = nullptr;

 private:
  void NotifySlow(uint32_t type, std::string_view event, std::string_view key, int db_index);
  void KeyModifiedSlow(std::string_view key, int db_index);
};

using Handler = void (*)(CommandContext& ctx);

// Key positions for commands whose keys the legacy triple cannot describe (e.g. a numkeys
// argument).  Appends argument indices to *out; returns false if the arguments are malformed
// (the handler will report the error).
using KeyExtractor = bool (*)(ArgList args, std::vector<int>* out);

struct CommandSpec {
  std::string name;  // lower case; "client|kill" style for subcommands is built from parent
  int arity = 0;     // Redis convention: N exact, -N at least N (counting the name)
  uint32_t flags = 0;
  KeySpec keys;
  // Redis's key specs, for a command whose keys need different flags (BITOP: the destination
  // is OW, the sources RO).  Each is an index/range spec written like `keys` (or an unknown
  // one, for keys only the key extractor finds); COMMAND INFO,
  // GETKEYSANDFLAGS and the key_spec_index of COMMAND DOCS use them.  Empty: `keys` is the one
  // spec.  Locking and COMMAND GETKEYS still use `keys`, which must cover every one of them.
  std::vector<KeySpec> key_specs;
  uint64_t acl = 0;
  Handler handler = nullptr;
  KeyExtractor key_extractor = nullptr;
  // For a command that may read keys no argument names (SORT's BY and GET patterns build key
  // names from the values it sorts): returns true iff these arguments need that, and the
  // dispatcher then locks every shard, in ascending order, instead of the key shards, so the
  // command stays atomic.  nullptr: the key shards always suffice.
  bool (*locks_all_shards)(ArgList args) = nullptr;
  // Redis's internal TOUCHES_ARBITRARY_KEYS (SCAN, RANDOMKEY): run by a client directly, the
  // keys it finds expired are logged as separate DELs, not as one MULTI ... EXEC block.
  bool touches_arbitrary_keys = false;
  // For a command whose key flags depend on its arguments (Redis's "variable_flags": SET with
  // or without GET, BITFIELD of GETs only): the flags of its one key for `args`.  KeyFlagsAt
  // (ACL checks, COMMAND GETKEYSANDFLAGS) uses it; COMMAND INFO shows the declared flags.
  uint32_t (*key_flags_for_args)(ArgList args) = nullptr;
  // Documentation served by COMMAND DOCS.
  std::string_view summary;
  std::string_view since;
  std::string_view group;       // "string", "generic", "connection", "server", ...
  std::string_view complexity;
  // (COMMAND INFO's tips come from 7.2.4's table, command_docs_data.h.)
  // COMMAND DOCS "arguments"; empty means undocumented (see command_docs.cc for a fallback).
  std::vector<ArgDoc> arguments;
  std::vector<CommandSpec> subcommands;  // non-empty for container commands (CLIENT, CONFIG)

  // Filled in by the table.
  std::string full_name;  // "client|kill"
  int id = -1;            // dense index for statistics
  const CommandSpec* parent = nullptr;
};

// A CommandSpec with the fields most registrations set.  Families wrap it to add their group
// and ACL category, so each registration line states only what is particular to the command.
CommandSpec MakeSpec(std::string name, int arity, uint32_t flags, KeySpec keys, uint64_t acl,
                     Handler handler, std::string_view group, std::string_view since,
                     std::string_view complexity, std::string_view summary,
                     std::vector<ArgDoc> arguments = {});

// A container command (CLIENT, XGROUP...): arity -2, @slow, complexity "Depends on
// subcommand."; the caller adds the subcommands (and any flags).
CommandSpec MakeContainerSpec(std::string name, std::string_view group, std::string_view since,
                              std::string_view summary);

// Appends the argument indices of the keys of `args` for `spec`.  Returns false iff a key
// extractor reported malformed arguments.
bool ExtractKeys(const CommandSpec& spec, ArgList args, std::vector<int>* out);

// The KeyFlag bits of the key at argument `pos` of `args` (a position ExtractKeys returned):
// those of the first declared key spec that covers it; else, for a key only the key extractor
// finds, those of the last declared spec (SORT's STORE key); else the command's (`keys.flags`,
// or derived from the command flags when 0).  ACL key checks and COMMAND GETKEYSANDFLAGS.
uint32_t KeyFlagsAt(const CommandSpec& spec, int pos, ArgList args);
// The flags of one key spec of `spec` (its own, or the command's when 0).
uint32_t KeyFlagsOf(const CommandSpec& spec, const KeySpec& k);
uint32_t KeyFlagsOf(const CommandSpec& spec);

class CommandTable {
 public:
  void Add(CommandSpec spec);
  // Assigns ids and parent links; call once after every family registered.
  void Finalize();

  // Case-insensitive lookup of a top-level command.
  const CommandSpec* Find(std::string_view name) const;
  // Case-insensitive lookup of a subcommand of `parent`.
  static const CommandSpec* FindSub(const CommandSpec& parent, std::string_view name);
  // Redis's lookupCommandBySds(): "name" or "container|sub"; nullptr for anything else,
  // including "name|x" when name has no subcommand x (COMMAND INFO, ACL rules).
  const CommandSpec* FindFullName(std::string_view name) const;
  // The same by the names the commands were registered with, whatever rename-command did:
  // ACL rules name commands this way, as Redis's look in its original command table.
  const CommandSpec* FindOriginalFullName(std::string_view name) const;

  // rename-command (config file, before the server runs): the top-level command now called
  // `name` answers to `new_name` instead ("" disables it), for clients, scripts, COMMAND INFO
  // and DOCS, and ACL DRYRUN.  Its spec keeps its own name, which replies, INFO and ACL show;
  // ACL rules and ACL CAT still use the original names, as in Redis.  Returns false, changing
  // nothing, if no command is called `name` or a command already answers to `new_name`.
  bool Rename(std::string_view name, std::string_view new_name);
  // False for a command that rename-command disabled (or a subcommand of one): COMMAND,
  // COMMAND COUNT/LIST/DOCS leave it out, as Redis lists its command dictionary.
  bool Listed(const CommandSpec& spec) const;

  const std::vector<const CommandSpec*>& all() const { return by_id_; }  // incl. subcommands
  const std::vector<CommandSpec>& top_level() const { return commands_; }
  size_t size() const { return by_id_.size(); }

 private:
  using Index = CommandNameIndex;
  const CommandSpec* FindIn(const Index& index, std::string_view name) const;
  const CommandSpec* FindFullNameIn(const Index& index, std::string_view name) const;

  std::vector<CommandSpec> commands_;
  std::vector<const CommandSpec*> by_id_;
  // Lower-case name -> index in commands_; the views point into commands_' names, which do
  // not move after Finalize().
  Index index_;
  Index original_index_;  // index_ before any rename
  // Names given by rename-command (lower case; index_ points into them) and, per entry of
  // commands_, whether any name reaches it.
  std::deque<std::string> renamed_;
  std::vector<bool> listed_;
};

// Every family's registration function; server/commands/registry.cc calls them all.
void RegisterAllFamilies(CommandTable* table);

}  // namespace tessera::server
