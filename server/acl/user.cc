#include "server/acl/user.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/base/ascii.h"
#include "core/base/glob.h"
#include "core/base/sha256.h"
#include "core/base/split_args.h"

namespace tessera::server::acl {

namespace {

constexpr size_t kHashLen = 64;

bool IsPasswordHash(std::string_view h) {
  if (h.size() != kHashLen) return false;
  return std::all_of(h.begin(), h.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void AppendPattern(std::string* out, const KeyPattern& p) {
  if (p.perms == kPermAll) {
    *out += "~";
  } else if (p.perms == kPermRead) {
    *out += "%R~";
  } else {
    *out += "%W~";
  }
  *out += p.pattern;
}

// How a command names channels (Redis's commands_with_channels table).
enum class ChannelUse { kNone, kPublish, kSubscribe, kPatternSubscribe };

ChannelUse ChannelUseOf(const CommandSpec& spec) {
  if (spec.parent != nullptr) return ChannelUse::kNone;
  const std::string& n = spec.name;
  if (n == "publish" || n == "spublish") return ChannelUse::kPublish;
  if (n == "subscribe" || n == "ssubscribe") return ChannelUse::kSubscribe;
  if (n == "psubscribe") return ChannelUse::kPatternSubscribe;
  return ChannelUse::kNone;  // the unsubscribe commands name channels but are never denied
}

bool HasKeySpecs(const CommandSpec& spec) {
  return spec.keys.first > 0 || spec.key_extractor != nullptr || !spec.key_specs.empty();
}

// Permissions a key spec's flags ask for (Redis's ACLSelectorCheckKey).
uint8_t NeededPerms(uint32_t key_flags) {
  uint8_t need = 0;
  if (key_flags & kKeyAccess) need |= kPermRead;
  if (key_flags & (kKeyInsert | kKeyDelete | kKeyUpdate)) need |= kPermWrite;
  return need;
}

}  // namespace

std::string_view RuleErrorText(RuleError e) {
  switch (e) {
    case RuleError::kNone:
      return "";
    case RuleError::kSyntax:
      return "Syntax error";
    case RuleError::kUnknownName:
      return "Unknown command or category name in ACL";
    case RuleError::kKeyAfterAll:
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
             "does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case RuleError::kChannelAfterAll:
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    case RuleError::kNoSuchPassword:
      return "The password you are trying to remove from the user does not exist";
    case RuleError::kBadHash:
      return "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters";
    case RuleError::kDuplicateUser:
      return "Duplicate user found. A user can only be defined once in config files";
    case RuleError::kSubcommandArg:
      return "Allowing first-arg of a subcommand is not supported";
  }
  return "Wrong format";
}

bool HasSpaces(std::string_view s) {
  return s.find(' ') != std::string_view::npos || s.find('\0') != std::string_view::npos;
}

// ---- Selector ----

Selector::Selector(const RuleContext& ctx, bool root)
    : root_(root), allchannels_(ctx.channels_default_all) {
  future_bit_ = static_cast<int>(ctx.table->size());
  allowed_.assign(static_cast<size_t>(future_bit_) / 64 + 1, 0);
}

bool Selector::CommandBit(int id) const {
  if (id < 0 || id > future_bit_) return false;
  return (allowed_[static_cast<size_t>(id) / 64] >> (id % 64)) & 1;
}

void Selector::SetCommandBit(int id, bool allow) {
  if (id < 0 || id > future_bit_) return;
  uint64_t bit = uint64_t{1} << (id % 64);
  if (allow) {
    allowed_[static_cast<size_t>(id) / 64] |= bit;
  } else {
    allowed_[static_cast<size_t>(id) / 64] &= ~bit;
    allcommands_ = false;
  }
}

void Selector::ChangeCommand(const CommandSpec& spec, bool allow) {
  SetCommandBit(spec.id, allow);
  first_args_.erase(spec.id);
  for (const CommandSpec& sub : spec.subcommands) SetCommandBit(sub.id, allow);
}

void Selector::SetCategory(const CommandTable& table, uint64_t category, bool allow) {
  for (const CommandSpec& c : table.top_level()) {
    if (c.acl & category) ChangeCommand(c, allow);
    for (const CommandSpec& sub : c.subcommands) {
      if (sub.acl & category) ChangeCommand(sub, allow);
    }
  }
}

// Keeps the rules in the order given, dropping earlier rules about the same command (and,
// for a whole command, about its subcommands or first arguments), as Redis 7.2 does.
void Selector::RecordRule(std::string_view rule, bool allow) {
  std::string lower = AsciiLower(rule);
  std::erase_if(command_rules_, [&](const std::string& r) {
    std::string_view body = std::string_view(r).substr(1);
    if (body == lower) return true;
    return body.size() > lower.size() && body.starts_with(lower) && body[lower.size()] == '|';
  });
  command_rules_.push_back((allow ? "+" : "-") + lower);
}

void Selector::AddFirstArg(int id, std::string_view arg) {
  std::vector<std::string>& args = first_args_[id];
  for (const std::string& a : args) {
    if (EqualsIgnoreCase(a, arg)) return;
  }
  args.emplace_back(arg);
}

RuleError Selector::ApplyKeyPattern(std::string_view op) {
  if (allkeys_) return RuleError::kKeyAfterAll;
  uint8_t perms = 0;
  size_t offset = 1;
  if (op[0] == '%') {
    bool ok = true;
    for (; offset < op.size(); ++offset) {
      char c = AsciiToUpper(op[offset]);
      if (c == 'R' && !(perms & kPermRead)) {
        perms |= kPermRead;
      } else if (c == 'W' && !(perms & kPermWrite)) {
        perms |= kPermWrite;
      } else if (op[offset] == '~') {
        ++offset;
        break;
      } else {
        ok = false;
        break;
      }
    }
    // "%" with no permission crashed Redis before 7.2.7 (CVE-2024-51741): refused here.
    if (!ok || perms == 0) return RuleError::kSyntax;
  } else {
    perms = kPermAll;
  }
  std::string_view pattern = op.substr(std::min(offset, op.size()));
  if (HasSpaces(pattern)) return RuleError::kSyntax;
  auto it = std::find_if(keys_.begin(), keys_.end(),
                         [&](const KeyPattern& k) { return k.pattern == pattern; });
  if (it == keys_.end()) {
    keys_.push_back({std::string(pattern), perms});
  } else {
    it->perms |= perms;
  }
  allkeys_ = false;
  return RuleError::kNone;
}

RuleError Selector::ApplyCommandRule(const RuleContext& ctx, std::string_view op) {
  const CommandTable& table = *ctx.table;
  std::string_view name = op.substr(1);
  bool allow = op[0] == '+';
  if (name.starts_with('@')) {
    uint64_t category = AclCategoryByName(name.substr(1));
    if (category == 0) return RuleError::kUnknownName;
    RecordRule(name, allow);
    SetCategory(table, category, allow);
    return RuleError::kNone;
  }
  size_t bar = name.rfind('|');
  if (!allow || bar == std::string_view::npos) {
    const CommandSpec* spec = table.FindOriginalFullName(name);
    if (spec == nullptr) return RuleError::kUnknownName;
    ChangeCommand(*spec, allow);
    RecordRule(spec->full_name, allow);
    return RuleError::kNone;
  }
  // +command|subcommand, or +command|first-arg for a command without subcommands.
  const CommandSpec* spec = table.FindOriginalFullName(name.substr(0, bar));
  if (spec == nullptr) return RuleError::kUnknownName;
  if (spec->parent != nullptr) return RuleError::kSubcommandArg;
  std::string_view sub = name.substr(bar + 1);
  if (sub.empty()) return RuleError::kSyntax;
  if (!spec->subcommands.empty()) {
    const CommandSpec* subspec = table.FindOriginalFullName(name);
    if (subspec == nullptr) return RuleError::kUnknownName;
    ChangeCommand(*subspec, true);
  } else {
    AddFirstArg(spec->id, sub);
  }
  RecordRule(name, true);
  return RuleError::kNone;
}

RuleError Selector::Apply(const RuleContext& ctx, std::string_view op) {
  if (op.empty()) return RuleError::kSyntax;
  if (EqualsIgnoreCase(op, "allkeys") || EqualsIgnoreCase(op, "~*")) {
    allkeys_ = true;
    keys_.clear();
  } else if (EqualsIgnoreCase(op, "resetkeys")) {
    allkeys_ = false;
    keys_.clear();
  } else if (EqualsIgnoreCase(op, "allchannels") || EqualsIgnoreCase(op, "&*")) {
    allchannels_ = true;
    channels_.clear();
  } else if (EqualsIgnoreCase(op, "resetchannels")) {
    allchannels_ = false;
    channels_.clear();
  } else if (EqualsIgnoreCase(op, "allcommands") || EqualsIgnoreCase(op, "+@all")) {
    std::fill(allowed_.begin(), allowed_.end(), ~uint64_t{0});
    allcommands_ = true;
    command_rules_.clear();
    first_args_.clear();
  } else if (EqualsIgnoreCase(op, "nocommands") || EqualsIgnoreCase(op, "-@all")) {
    std::fill(allowed_.begin(), allowed_.end(), 0);
    allcommands_ = false;
    command_rules_.clear();
    first_args_.clear();
  } else if (op[0] == '~' || op[0] == '%') {
    return ApplyKeyPattern(op);
  } else if (op[0] == '&') {
    if (allchannels_) return RuleError::kChannelAfterAll;
    std::string_view pattern = op.substr(1);
    if (HasSpaces(pattern)) return RuleError::kSyntax;
    if (std::find(channels_.begin(), channels_.end(), pattern) == channels_.end()) {
      channels_.emplace_back(pattern);
    }
    allchannels_ = false;
  } else if (op[0] == '+' || op[0] == '-') {
    return ApplyCommandRule(ctx, op);
  } else {
    return RuleError::kSyntax;
  }
  return RuleError::kNone;
}

std::string Selector::DescribeCommands() const {
  std::string out = CommandBit(future_bit_) ? "+@all" : "-@all";
  for (const std::string& r : command_rules_) {
    out += ' ';
    out += r;
  }
  return out;
}

std::string Selector::DescribeKeys() const {
  if (allkeys_) return "~*";
  std::string out;
  for (const KeyPattern& k : keys_) {
    if (!out.empty()) out += ' ';
    AppendPattern(&out, k);
  }
  return out;
}

std::string Selector::DescribeChannels() const {
  if (allchannels_) return "&*";
  std::string out;
  for (const std::string& c : channels_) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += c;
  }
  return out;
}

std::string Selector::Describe() const {
  std::string out;
  if (allkeys_) {
    out += "~* ";
  } else {
    for (const KeyPattern& k : keys_) {
      AppendPattern(&out, k);
      out += ' ';
    }
  }
  if (allchannels_) {
    out += "&* ";
  } else {
    out += "resetchannels ";
    for (const std::string& c : channels_) {
      out += '&';
      out += c;
      out += ' ';
    }
  }
  out += DescribeCommands();
  return out;
}

Denial Selector::CheckCommand(const CommandSpec& spec, ArgList args) const {
  if (allcommands_ || (spec.flags & kNoAuth) || CommandBit(spec.id)) return Denial::kNone;
  auto it = first_args_.find(spec.id);
  size_t idx = spec.parent != nullptr ? 2 : 1;
  if (it == first_args_.end() || args.size() <= idx) return Denial::kCommand;
  for (const std::string& a : it->second) {
    if (EqualsIgnoreCase(a, args[idx])) return Denial::kNone;
  }
  return Denial::kCommand;
}

bool Selector::KeyAllowed(std::string_view key, uint32_t key_flags) const {
  if (allkeys_) return true;
  uint8_t need = NeededPerms(key_flags);
  for (const KeyPattern& k : keys_) {
    if ((k.perms & need) != need) continue;
    if (GlobMatch(k.pattern, key)) return true;
  }
  return false;
}

bool Selector::ChannelAllowed(std::string_view channel, bool is_pattern) const {
  if (allchannels_) return true;
  for (const std::string& c : channels_) {
    if (is_pattern ? c == channel : GlobMatch(c, channel)) return true;
  }
  return false;
}

// ---- User ----

User::User(const RuleContext& ctx, std::string name) : name_(std::move(name)) {
  selectors_.emplace_back(ctx, true);
}

RuleError User::Apply(const RuleContext& ctx, std::string_view op) {
  if (op.empty()) return RuleError::kNone;
  if (EqualsIgnoreCase(op, "on")) {
    enabled_ = true;
  } else if (EqualsIgnoreCase(op, "off")) {
    enabled_ = false;
  } else if (EqualsIgnoreCase(op, "skip-sanitize-payload")) {
    skip_sanitize_ = true;
  } else if (EqualsIgnoreCase(op, "sanitize-payload")) {
    skip_sanitize_ = false;
  } else if (EqualsIgnoreCase(op, "nopass")) {
    nopass_ = true;
    passwords_.clear();
  } else if (EqualsIgnoreCase(op, "resetpass")) {
    nopass_ = false;
    passwords_.clear();
  } else if (op[0] == '>' || op[0] == '#') {
    std::string hash;
    if (op[0] == '>') {
      hash = Sha256Hex(op.substr(1));
    } else {
      if (!IsPasswordHash(op.substr(1))) return RuleError::kBadHash;
      hash = std::string(op.substr(1));
    }
    if (std::find(passwords_.begin(), passwords_.end(), hash) == passwords_.end()) {
      passwords_.push_back(std::move(hash));
    }
    nopass_ = false;
  } else if (op[0] == '<' || op[0] == '!') {
    std::string hash;
    if (op[0] == '<') {
      hash = Sha256Hex(op.substr(1));
    } else {
      if (!IsPasswordHash(op.substr(1))) return RuleError::kBadHash;
      hash = std::string(op.substr(1));
    }
    auto it = std::find(passwords_.begin(), passwords_.end(), hash);
    if (it == passwords_.end()) return RuleError::kNoSuchPassword;
    passwords_.erase(it);
  } else if (op[0] == '(' && op.back() == ')') {
    Selector selector(ctx, false);
    std::vector<std::string> ops;
    // Unbalanced quotes leave the selector empty, as Redis's sdssplitargs() failure does.
    if (!SplitArgs(op.substr(1, op.size() - 2), &ops)) ops.clear();
    for (const std::string& o : ops) {
      RuleError e = selector.Apply(ctx, o);
      if (e != RuleError::kNone) return e;
    }
    selectors_.push_back(std::move(selector));
  } else if (EqualsIgnoreCase(op, "clearselectors")) {
    selectors_.resize(1);
  } else if (EqualsIgnoreCase(op, "reset")) {
    for (std::string_view o : {"resetpass", "resetkeys", "resetchannels"}) Apply(ctx, o);
    if (ctx.channels_default_all) Apply(ctx, "allchannels");
    for (std::string_view o : {"off", "sanitize-payload", "clearselectors", "-@all"}) {
      Apply(ctx, o);
    }
  } else {
    return selectors_[0].Apply(ctx, op);
  }
  return RuleError::kNone;
}

std::string User::Describe() const {
  std::string out;
  out += enabled_ ? "on " : "off ";
  if (nopass_) out += "nopass ";
  out += skip_sanitize_ ? "skip-sanitize-payload " : "sanitize-payload ";
  for (const std::string& p : passwords_) {
    out += '#';
    out += p;
    out += ' ';
  }
  for (const Selector& s : selectors_) {
    if (s.root()) {
      out += s.Describe();
    } else {
      out += " (";
      out += s.Describe();
      out += ')';
    }
  }
  return out;
}

void User::Finish() {
  unrestricted_ = std::any_of(selectors_.begin(), selectors_.end(),
                              [](const Selector& s) { return s.Unrestricted(); });
}

bool User::PasswordMatches(std::string_view password) const {
  if (!enabled_) return false;
  if (nopass_) return true;
  std::string hash = Sha256Hex(password);
  bool match = false;
  // Every stored hash is compared, so the time does not tell which one matched.
  for (const std::string& p : passwords_) match |= ConstantTimeEquals(hash, p);
  return match;
}

Denial User::Check(const CommandSpec& spec, ArgList args, int* arg_index) const {
  *arg_index = 0;
  if (unrestricted_) return Denial::kNone;
  Denial relevant = Denial::kCommand;
  int relevant_index = 0;
  // Key positions and flags, found once for all selectors, in buffers reused across calls
  // (Check never calls itself).
  bool keys_found = false;
  thread_local std::vector<int> positions;
  thread_local std::vector<uint32_t> flags;
  positions.clear();
  flags.clear();
  ChannelUse channel_use = ChannelUseOf(spec);
  for (const Selector& s : selectors_) {
    Denial d = s.CheckCommand(spec, args);
    int index = 0;
    if (d == Denial::kNone && !s.allkeys() && HasKeySpecs(spec)) {
      if (!keys_found) {
        ExtractKeys(spec, args, &positions);
        for (int pos : positions) flags.push_back(KeyFlagsAt(spec, pos, args));
        keys_found = true;
      }
      for (size_t i = 0; i < positions.size(); ++i) {
        if (flags[i] & kKeyNotKey) continue;
        if (!s.KeyAllowed(args[positions[i]], flags[i])) {
          d = Denial::kKey;
          index = positions[i];
          break;
        }
      }
    }
    if (d == Denial::kNone && !s.allchannels() && channel_use != ChannelUse::kNone) {
      size_t end =
          channel_use == ChannelUse::kPublish ? std::min<size_t>(2, args.size()) : args.size();
      for (size_t i = 1; i < end; ++i) {
        if (!s.ChannelAllowed(args[i], channel_use == ChannelUse::kPatternSubscribe)) {
          d = Denial::kChannel;
          index = static_cast<int>(i);
          break;
        }
      }
    }
    if (d == Denial::kNone) return Denial::kNone;
    if (d > relevant || (d == relevant && index > relevant_index)) {
      relevant = d;
      relevant_index = index;
    }
  }
  *arg_index = relevant_index;
  return relevant;
}

bool User::CanReadAnyKey(const CommandSpec& spec, ArgList args) const {
  if (unrestricted_) return true;
  std::vector<int> positions;
  ExtractKeys(spec, args, &positions);
  for (const Selector& s : selectors_) {
    if (s.CheckCommand(spec, args) != Denial::kNone) continue;
    bool keys_ok = std::all_of(positions.begin(), positions.end(), [&](int pos) {
      uint32_t flags = KeyFlagsAt(spec, pos, args);
      return (flags & kKeyNotKey) || s.KeyAllowed(args[pos], flags);
    });
    if (!keys_ok) continue;
    if (s.allkeys()) return true;
    for (const KeyPattern& k : s.keys()) {
      if (k.pattern == "*" && (k.perms & kPermRead)) return true;
    }
  }
  return false;
}

bool User::ChannelAllowed(std::string_view channel, bool is_pattern) const {
  return std::any_of(selectors_.begin(), selectors_.end(),
                     [&](const Selector& s) { return s.ChannelAllowed(channel, is_pattern); });
}

// ---- Rule lists ----

bool MergeSelectorArguments(std::span<const std::string_view> args, std::vector<std::string>* out,
                            size_t* bad_index) {
  out->clear();
  bool open = false;
  size_t open_at = 0;
  std::string selector;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view op = args[i];
    if (!open && op.starts_with('(') && op.back() != ')') {
      open = true;
      open_at = i;
      selector.assign(op);
      continue;
    }
    if (open) {
      selector += ' ';
      selector += op;
      if (!op.empty() && op.back() == ')') {
        open = false;
        out->push_back(std::move(selector));
        selector.clear();
      }
      continue;
    }
    out->emplace_back(op);
  }
  if (open) {
    *bad_index = open_at;
    return false;
  }
  return true;
}

std::string ApplyRules(const RuleContext& ctx, const User* base, std::string_view name,
                       std::span<const std::string_view> rules, User* out) {
  std::vector<std::string> merged;
  size_t bad = 0;
  if (!MergeSelectorArguments(rules, &merged, &bad)) {
    return fmt::format("Unmatched parenthesis in acl selector starting at '{}'.",
                       CStringPrefix(rules[bad]));
  }
  User staged = base != nullptr ? *base : User(ctx, std::string(name));
  for (const std::string& op : merged) {
    RuleError e = staged.Apply(ctx, op);
    if (e != RuleError::kNone) {
      return fmt::format("Error in ACL SETUSER modifier '{}': {}", CStringPrefix(op),
                         RuleErrorText(e));
    }
  }
  staged.Finish();
  *out = std::move(staged);
  return "";
}

}  // namespace tessera::server::acl
