#include <algorithm>

#include "core/base/ascii.h"
#include "server/commands/command.h"

namespace tessera::server {

namespace {


// Redis's setImplicitACLCategories(): some flags imply a category, and a command that is not
// @fast is @slow.  Done once here so COMMAND INFO and ACL see the same categories.
uint64_t WithImplicitCategories(uint32_t flags, uint64_t acl) {
  if (flags & kWrite) acl |= kAclWrite;
  if ((flags & kReadOnly) && !(acl & kAclScripting)) acl |= kAclRead;
  if (flags & kAdmin) acl |= kAclAdmin | kAclDangerous;
  if (flags & kPubSub) acl |= kAclPubSub;
  if (flags & kFast) acl |= kAclFast;
  if (flags & kBlocking) acl |= kAclBlocking;
  if (!(acl & kAclFast)) acl |= kAclSlow;
  return acl;
}

// True iff the keyword spec `k` finds its key at argument `pos` of argv: Redis searches from
// `first` up to the next-to-last argument for the keyword and takes the argument after it.
bool KeywordSpecCovers(const KeySpec& k, int pos, ArgList argv) {
  const int argc = static_cast<int>(argv.size());
  const int from = k.first >= 0 ? std::max(k.first, 1) : argc + k.first;
  const int step = k.first >= 0 ? 1 : -1;
  for (int i = from; i >= 1 && i + 1 < argc; i += step) {
    if (!EqualsIgnoreCase(argv[i], k.keyword)) continue;
    const int last = k.last >= 0 ? i + 1 + k.last : argc + k.last;
    return pos > i && pos <= last;
  }
  return false;
}

}  // namespace

uint32_t KeyFlagsOf(const CommandSpec& s) {
  if (s.keys.flags != 0) return s.keys.flags;
  if (s.flags & kWrite) return kKeyRW | kKeyAccess | kKeyUpdate;
  return kKeyRO | kKeyAccess;
}

uint32_t KeyFlagsOf(const CommandSpec& s, const KeySpec& k) {
  return k.flags != 0 ? k.flags : KeyFlagsOf(s);
}

uint32_t KeyFlagsAt(const CommandSpec& s, int pos, ArgList argv) {
  if (s.key_flags_for_args != nullptr) return s.key_flags_for_args(argv);
  const int argc = static_cast<int>(argv.size());
  for (const KeySpec& k : s.key_specs) {
    if (k.unknown) continue;
    if (!k.keyword.empty()) {
      if (KeywordSpecCovers(k, pos, argv)) return KeyFlagsOf(s, k);
      continue;
    }
    if (k.keynum) {
      if (pos > k.first) return KeyFlagsOf(s, k);
      continue;
    }
    int last = k.last >= 0 ? k.last : argc + k.last;
    int step = std::max(k.step, 1);
    if (pos >= k.first && pos <= last && (pos - k.first) % step == 0) return KeyFlagsOf(s, k);
  }
  if (s.key_extractor != nullptr && !s.key_specs.empty()) return KeyFlagsOf(s, s.key_specs.back());
  return KeyFlagsOf(s);
}

uint64_t AclCategoryByName(std::string_view name) {
  for (const AclCategoryName& c : kAclCategoryNames) {
    if (EqualsIgnoreCase(name, c.name)) return c.bit;
  }
  return 0;
}

bool ExtractKeys(const CommandSpec& spec, ArgList args, std::vector<int>* out) {
  if (spec.key_extractor != nullptr) return spec.key_extractor(args, out);
  if (spec.keys.first <= 0) return true;
  int argc = static_cast<int>(args.size());
  int last = spec.keys.last >= 0 ? spec.keys.last : argc + spec.keys.last;
  int step = spec.keys.step > 0 ? spec.keys.step : 1;
  for (int i = spec.keys.first; i <= last && i < argc; i += step) out->push_back(i);
  return true;
}

CommandSpec MakeContainerSpec(std::string name, std::string_view group, std::string_view since,
                              std::string_view summary) {
  CommandSpec spec;
  spec.name = std::move(name);
  spec.arity = -2;
  spec.acl = kAclSlow;
  spec.summary = summary;
  spec.since = since;
  spec.group = group;
  spec.complexity = "Depends on subcommand.";
  return spec;
}

void CommandContext::PropagateArgsExcept(const std::vector<size_t>& skip) {
  std::vector<std::string> argv;
  for (size_t i = 0; i < args.size(); ++i) {
    if (std::find(skip.begin(), skip.end(), i) == skip.end()) argv.emplace_back(args[i]);
  }
  effects.push_back(std::move(argv));
}

const CommandSpec* CommandTable::FindFullName(std::string_view name) const {
  return FindFullNameIn(index_, name);
}

const CommandSpec* CommandTable::FindOriginalFullName(std::string_view name) const {
  return FindFullNameIn(original_index_, name);
}

const CommandSpec* CommandTable::FindIn(const Index& index, std::string_view name) const {
  const size_t i = index.Find(name);
  return i == Index::kNone ? nullptr : &commands_[i];
}

const CommandSpec* CommandTable::FindFullNameIn(const Index& index, std::string_view name) const {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return FindIn(index, name);
  std::string_view sub = name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos) return nullptr;
  const CommandSpec* parent = FindIn(index, name.substr(0, bar));
  if (parent == nullptr || parent->subcommands.empty()) return nullptr;
  return FindSub(*parent, sub);
}

CommandSpec MakeSpec(std::string name, int arity, uint32_t flags, KeySpec keys, uint64_t acl,
                     Handler handler, std::string_view group, std::string_view since,
                     std::string_view complexity, std::string_view summary,
                     std::vector<ArgDoc> arguments) {
  CommandSpec spec;
  spec.name = std::move(name);
  spec.arity = arity;
  spec.flags = flags;
  spec.keys = keys;
  spec.acl = acl;
  spec.handler = handler;
  spec.group = group;
  spec.since = since;
  spec.complexity = complexity;
  spec.summary = summary;
  spec.arguments = std::move(arguments);
  return spec;
}

void CommandTable::Add(CommandSpec spec) { commands_.push_back(std::move(spec)); }

void CommandTable::Finalize() {
  std::sort(commands_.begin(), commands_.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  by_id_.clear();
  index_.Clear();
  original_index_.Clear();
  listed_.clear();
  for (size_t i = 0; i < commands_.size(); ++i) {
    CommandSpec& c = commands_[i];
    c.full_name = c.name;
    c.acl = WithImplicitCategories(c.flags, c.acl);
    c.id = static_cast<int>(by_id_.size());
    by_id_.push_back(&c);
    index_.Insert(c.name, i);
    original_index_.Insert(c.name, i);
    listed_.push_back(true);
    for (CommandSpec& sub : c.subcommands) {
      sub.full_name = c.name + "|" + sub.name;
      sub.parent = &c;
      sub.acl = WithImplicitCategories(sub.flags, sub.acl);
      sub.id = static_cast<int>(by_id_.size());
      by_id_.push_back(&sub);
    }
  }
}

const CommandSpec* CommandTable::Find(std::string_view name) const { return FindIn(index_, name); }

bool CommandTable::Rename(std::string_view name, std::string_view new_name) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = AsciiToLower(c);
    return out;
  };
  const std::string from = lower(name);
  const std::string to = lower(new_name);
  const size_t target = index_.Find(from);
  if (target == Index::kNone) return false;
  if (!to.empty() && to != from && index_.Contains(to)) return false;
  index_.Erase(from);
  if (!to.empty()) index_.Insert(renamed_.emplace_back(to), target);
  listed_[target] = false;
  index_.ForEach([&](std::string_view, size_t value) {
    if (value == target) listed_[target] = true;
  });
  return true;
}

bool CommandTable::Listed(const CommandSpec& spec) const {
  const CommandSpec& top = spec.parent != nullptr ? *spec.parent : spec;
  return listed_[static_cast<size_t>(&top - commands_.data())];
}

const CommandSpec* CommandTable::FindSub(const CommandSpec& parent, std::string_view name) {
  for (const CommandSpec& sub : parent.subcommands) {
    if (EqualsIgnoreCase(name, sub.name)) return &sub;
  }
  return nullptr;
}

}  // namespace tessera::server
