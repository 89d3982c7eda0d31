// ACL users and selectors (Redis 7.2's model): what a user may run, which keys and channels it
// may name, and how its rules read back (ACL LIST, ACL GETUSER, the ACL file).
//
// A User is a value: rules are applied to a copy, and the registry (acl_registry.h) swaps the
// finished copy in, so a SETUSER that fails part-way changes nothing and readers on other
// threads keep a consistent snapshot through their shared_ptr<const User>.
//
// A selector holds one bit per command id of the CommandTable (subcommands have ids of their
// own), plus one last bit Redis uses to remember "+@all" (commands added later are allowed).
// Its command rules are also kept as the ordered list the operator wrote, minus the rules a
// later one overrode, because Redis 7.2 prints them back in that order rather than
// recomputing a minimal set.  Keys and channels are glob patterns (core/base/glob.h, bounded);
// a pattern given to PSUBSCRIBE is compared literally, as in Redis.
//
// Rejected: one rule string re-parsed at every check (slow), and a bitmap alone (Redis's
// canonical ACL LIST output depends on the order of the rules).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command.h"

namespace tessera::server::acl {

// Key pattern permissions (%R~, %W~, %RW~; ~ is both).
enum KeyPerm : uint8_t { kPermRead = 1, kPermWrite = 2, kPermAll = 3 };

struct KeyPattern {
  std::string pattern;
  uint8_t perms = kPermAll;
};

// Why a rule was refused; Text() gives Redis's wording.
enum class RuleError {
  kNone,
  kSyntax,           // EINVAL
  kUnknownName,      // ENOENT: command or category
  kKeyAfterAll,      // EEXIST
  kChannelAfterAll,  // EISDIR
  kNoSuchPassword,   // ENODEV
  kBadHash,          // EBADMSG
  kDuplicateUser,    // EALREADY
  kSubcommandArg,    // ECHILD
};
std::string_view RuleErrorText(RuleError e);

// What a permission check found, in Redis's ACL_DENIED_* order: when no selector allows a
// command, the "largest" reason is reported.
enum class Denial : uint8_t { kNone = 0, kCommand = 1, kKey = 2, kAuth = 3, kChannel = 4 };

// What rule application needs to know of the server.
struct RuleContext {
  const CommandTable* table = nullptr;
  // acl-pubsub-default allchannels: new selectors and `reset` start with every channel.
  bool channels_default_all = false;
};

class Selector {
 public:
  Selector() = default;
  Selector(const RuleContext& ctx, bool root);

  // Applies one selector rule (keys, channels, commands).  Returns kNone on success.
  RuleError Apply(const RuleContext& ctx, std::string_view op);

  // "~* &* +@all" style text: the body of ACL LIST (and of a "(...)" selector).
  std::string Describe() const;
  // The command part: "+@all" or "-@all" then the retained rules.
  std::string DescribeCommands() const;
  // GETUSER's "keys" and "channels" strings.
  std::string DescribeKeys() const;
  std::string DescribeChannels() const;

  bool root() const { return root_; }
  bool allkeys() const { return allkeys_; }
  bool allchannels() const { return allchannels_; }
  bool allcommands() const { return allcommands_; }
  const std::vector<KeyPattern>& keys() const { return keys_; }
  const std::vector<std::string>& channels() const { return channels_; }
  bool Unrestricted() const { return allkeys_ && allchannels_ && allcommands_; }

  // The checks, each for one selector (see User::Check for the whole user).  `arg_index` is
  // set to the argument that failed.
  Denial CheckCommand(const CommandSpec& spec, ArgList args) const;
  bool KeyAllowed(std::string_view key, uint32_t key_flags) const;
  bool ChannelAllowed(std::string_view channel, bool is_pattern) const;

 private:
  bool CommandBit(int id) const;
  void SetCommandBit(int id, bool allow);
  void ChangeCommand(const CommandSpec& spec, bool allow);
  void SetCategory(const CommandTable& table, uint64_t category, bool allow);
  void RecordRule(std::string_view rule, bool allow);
  void AddFirstArg(int id, std::string_view arg);
  RuleError ApplyKeyPattern(std::string_view op);
  RuleError ApplyCommandRule(const RuleContext& ctx, std::string_view op);

  bool root_ = false;
  bool allkeys_ = false;
  bool allchannels_ = false;
  bool allcommands_ = false;
  std::vector<uint64_t> allowed_;  // bit per command id; bit `future_bit_` is "+@all"
  int future_bit_ = 0;
  std::map<int, std::vector<std::string>> first_args_;  // id -> allowed argv[1] (lower case)
  std::vector<KeyPattern> keys_;
  std::vector<std::string> channels_;
  std::vector<std::string> command_rules_;  // "+get", "-@write", ... (lower case)
};

class User {
 public:
  User(const RuleContext& ctx, std::string name);

  // Applies one user rule (on, off, >pass, (selector), reset, ...), or a selector rule to the
  // root selector.  Returns kNone on success; on failure the user may be half-changed, which
  // is why callers apply rules to a copy.
  RuleError Apply(const RuleContext& ctx, std::string_view op);

  // ACL LIST's description after "user <name> ".
  std::string Describe() const;

  // Whether `spec` with `args` may run: kNone, or the denial Redis reports and in *arg_index
  // the argument responsible (0 for the command itself).
  Denial Check(const CommandSpec& spec, ArgList args, int* arg_index) const;
  bool ChannelAllowed(std::string_view channel, bool is_pattern) const;
  // True iff one selector lets the user run `spec` with `args` and read every key (SORT's BY
  // and GET patterns need it: Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess).
  bool CanReadAnyKey(const CommandSpec& spec, ArgList args) const;

  // True iff `password` opens this user (enabled, and nopass or a matching hash).
  bool PasswordMatches(std::string_view password) const;

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  bool skip_sanitize_payload() const { return skip_sanitize_; }
  const std::vector<std::string>& passwords() const { return passwords_; }
  const std::vector<Selector>& selectors() const { return selectors_; }
  // True iff the user may run every command on every key and channel: the dispatcher's fast
  // path skips the check.  Computed by Finish().
  bool unrestricted() const { return unrestricted_; }
  // Identity across modifications: SETUSER keeps it, a deleted and re-created user gets a
  // new one (clients of the old one are disconnected).
  uint64_t uid() const { return uid_; }
  void set_uid(uint64_t uid) { uid_ = uid; }
  void set_name(std::string name) { name_ = std::move(name); }

  // Recomputes the cached fields after rules changed.
  void Finish();

 private:
  std::string name_;
  uint64_t uid_ = 0;
  bool enabled_ = false;
  bool nopass_ = false;
  bool skip_sanitize_ = false;
  bool unrestricted_ = false;
  std::vector<std::string> passwords_;  // SHA-256 hex, in insertion order
  std::vector<Selector> selectors_;     // [0] is the root selector
};

// Redis's ACLMergeSelectorArguments: a selector may span several arguments ("(~x" "+get)").
// Returns false, with the index of the argument that opened it in *bad_index, when a
// parenthesis is left open.
bool MergeSelectorArguments(std::span<const std::string_view> args, std::vector<std::string>* out,
                            size_t* bad_index);

// Applies `rules` to a copy of `base`: "" on success (with the result in *out), else the
// error reply text (without "ERR ") that ACL SETUSER gives.  `base` null starts from a new
// user named `name`.
std::string ApplyRules(const RuleContext& ctx, const User* base, std::string_view name,
                       std::span<const std::string_view> rules, User* out);

// True iff `s` holds a space or a NUL (forbidden in user names and patterns).
bool HasSpaces(std::string_view s);

}  // namespace tessera::server::acl
