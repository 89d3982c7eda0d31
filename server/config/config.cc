#include "server/config/config.h"

#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/base/ascii.h"
#include "core/base/glob.h"
#include "core/base/numbers.h"
#include "core/base/split_args.h"
#include "server/config/config_file.h"
#include "server/config/config_table.h"

namespace tessera::server {

namespace {

using Entry = ConfigRegistry::Entry;

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Redis's numericParseString: which syntaxes a number accepts depends on its format.
bool ParseNumber(const Entry& e, const std::string& v, int64_t* out, std::string* err) {
  switch (e.format) {
    case NumFormat::kMemory: {
      uint64_t bytes;
      if (ParseMemorySize(v, &bytes)) {
        *out = static_cast<int64_t>(bytes);  // huge values wrap negative and fail the bounds
        return true;
      }
      *err = "argument must be a memory value";
      return false;
    }
    case NumFormat::kOctal: {
      char* end;
      errno = 0;
      long long parsed = std::strtoll(v.c_str(), &end, 8);
      if (errno == 0 && *end == '\0') {
        *out = parsed;
        return true;
      }
      *err = "argument couldn't be parsed as an octal number";
      return false;
    }
    case NumFormat::kInteger:
      if (ParseInt64(v, out)) return true;
      *err = "argument couldn't be parsed into an integer";
      return false;
  }
  return false;
}

// Signed comparison is enough: no bound of ours exceeds INT64_MAX, where Redis's unsigned and
// signed checks would differ.
bool CheckBounds(const Entry& e, int64_t v, std::string* err) {
  if (v >= e.min && v <= e.max) return true;
  char buf[128];
  if (e.format == NumFormat::kOctal) {
    std::snprintf(buf, sizeof(buf), "argument must be between %llo and %llo inclusive",
                  static_cast<unsigned long long>(e.min), static_cast<unsigned long long>(e.max));
  } else {
    std::snprintf(buf, sizeof(buf), "argument must be between %lld and %lld inclusive",
                  static_cast<long long>(e.min), static_cast<long long>(e.max));
  }
  *err = buf;
  return false;
}

std::string EnumError(const Entry& e) {
  std::string err = "argument(s) must be one of the following: ";
  for (size_t i = 0; i < e.enum_names.size(); ++i) {
    if (i > 0) err += ", ";
    err += e.enum_names[i];
  }
  return err;
}

std::string RenderNumber(const Entry& e, int64_t v) {
  char buf[32];
  switch (e.format) {
    case NumFormat::kMemory:
      std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(v));
      break;
    case NumFormat::kOctal:
      std::snprintf(buf, sizeof(buf), "%llo", static_cast<unsigned long long>(v));
      break;
    case NumFormat::kInteger:
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
      break;
  }
  return buf;
}

// CONFIG SET's split of a multi-argument value (Redis's sdssplitlen on " "): every space
// separates, so "a  b" has an empty middle word, and "" has no words at all.
std::vector<std::string> SplitOnSpaces(std::string_view value) {
  std::vector<std::string> words;
  if (value.empty()) return words;
  size_t start = 0;
  while (true) {
    size_t space = value.find(' ', start);
    words.emplace_back(value.substr(start, space - start));
    if (space == std::string_view::npos) return words;
    start = space + 1;
  }
}

std::vector<std::string> DefaultArgs(const Entry& e) {
  std::vector<std::string> args;
  if (!(e.flags & kMultiArg)) return {std::string(e.default_value)};
  SplitArgs(e.default_value, &args);
  return args;
}

}  // namespace

// ---- Registry: lookup and typed access ----

ConfigRegistry::ConfigRegistry() : defaults_(ConfigTable().size()), hooks_(ConfigTable().size()) {
  umask_ = ::umask(0);
  ::umask(umask_);
  for (size_t i = 0; i < ConfigTable().size(); ++i) {
    bool changed;
    std::string err;
    if (ConfigTable()[i].flags & kNoDefault) {
      values_.dir.Set(CurrentDirectory());
    } else if (!SetFromArgs(i, DefaultArgs(ConfigTable()[i]), &changed, &err)) {
      std::fprintf(stderr, "config table: bad default for %s: %s\n", ConfigTable()[i].name.data(),
                   err.c_str());
      std::abort();
    }
    defaults_[i] = Render(i);
  }
}

bool ConfigRegistry::Find(std::string_view name, Match* match) {
  // A linear scan: some 40 rows, and only CONFIG commands and the loader look names up.
  for (size_t i = 0; i < ConfigTable().size(); ++i) {
    if (EqualsNoCase(ConfigTable()[i].name, name)) {
      *match = {i, false};
      return true;
    }
    if (!ConfigTable()[i].alias.empty() && EqualsNoCase(ConfigTable()[i].alias, name)) {
      *match = {i, true};
      return true;
    }
  }
  return false;
}

std::string_view ConfigRegistry::DisplayName(Match m) {
  return m.is_alias ? ConfigTable()[m.index].alias : ConfigTable()[m.index].name;
}

std::vector<std::string_view> ConfigRegistry::Names() {
  std::vector<std::string_view> names;
  for (const Entry& e : ConfigTable()) names.push_back(e.name);
  return names;
}

bool ConfigRegistry::IsSensitive(std::string_view name) const {
  Match m;
  return Find(name, &m) && (ConfigTable()[m.index].flags & kSensitive);
}

std::string ConfigRegistry::Render(size_t index) const {
  const Entry& e = ConfigTable()[index];
  switch (e.kind) {
    case ConfigKind::kBool:
      return e.load(values_) ? "yes" : "no";
    case ConfigKind::kNumeric:
      return RenderNumber(e, e.load(values_));
    case ConfigKind::kEnum:
      return std::string(e.enum_names[e.load(values_)]);
    case ConfigKind::kString:
      return e.load_string(values_);
    case ConfigKind::kSpecial:
      return e.get(values_);
  }
  return "";
}

bool ConfigRegistry::SetFromArgs(size_t index, std::vector<std::string> args, bool* changed,
                                 std::string* err) {
  const Entry& e = ConfigTable()[index];
  *changed = false;
  if (e.kind == ConfigKind::kSpecial) {
    SetContext ctx{&values_, reading_file_, &save_reset_done_};
    return e.set(ctx, args, changed, err);
  }
  const std::string& v = args.at(0);  // callers pass exactly one word to plain directives
  if (e.kind == ConfigKind::kString) {
    if (e.check_string != nullptr) {
      if (const char* bad = e.check_string(values_, v)) return (*err = bad, false);
    }
    *changed = e.load_string(values_) != v;
    if (*changed) e.store_string(values_, v);
    return true;
  }
  int64_t number = -1;
  if (e.kind == ConfigKind::kBool) {
    if (EqualsNoCase(v, "yes")) number = 1;
    if (EqualsNoCase(v, "no")) number = 0;
    if (number < 0) return (*err = "argument must be 'yes' or 'no'", false);
  } else if (e.kind == ConfigKind::kEnum) {
    for (size_t i = 0; i < e.enum_names.size(); ++i) {
      if (EqualsNoCase(v, e.enum_names[i])) number = static_cast<int64_t>(i);
    }
    if (number < 0) return (*err = EnumError(e), false);
  } else {
    if (!ParseNumber(e, v, &number, err) || !CheckBounds(e, number, err)) return false;
    if (e.normalize != nullptr) number = e.normalize(number);
  }
  if (e.check_number != nullptr) {
    if (const char* bad = e.check_number(number)) return (*err = bad, false);
  }
  *changed = e.load(values_) != number;
  if (*changed) e.store(values_, number);
  return true;
}

bool ConfigRegistry::SetFromString(size_t index, std::string_view value, bool* changed,
                                   std::string* err) {
  std::vector<std::string> args;
  if (ConfigTable()[index].flags & kMultiArg) {
    args = SplitOnSpaces(value);
  } else {
    args.emplace_back(value);
  }
  return SetFromArgs(index, std::move(args), changed, err);
}

bool ConfigRegistry::SetDefault(std::string_view name, std::string_view value, std::string* error) {
  std::lock_guard lock(mu_);
  Match m;
  if (!Find(name, &m)) {
    *error = "Unknown config " + std::string(name);
    return false;
  }
  std::vector<std::string> args;
  if (ConfigTable()[m.index].flags & kMultiArg) {
    SplitArgs(value, &args);
  } else {
    args.emplace_back(value);
  }
  bool changed;
  if (!SetFromArgs(m.index, std::move(args), &changed, error)) return false;
  defaults_[m.index] = Render(m.index);
  return true;
}

std::string ConfigRegistry::config_file() const {
  std::lock_guard lock(mu_);
  return config_file_;
}

void ConfigRegistry::OnApply(std::string_view name, std::function<bool(std::string* err)> hook) {
  std::lock_guard lock(mu_);
  Match m;
  if (!Find(name, &m)) {
    std::fprintf(stderr, "OnApply: unknown config %.*s\n", static_cast<int>(name.size()),
                 name.data());
    std::abort();
  }
  hooks_[m.index].push_back(std::move(hook));
}

// rename-command: checked here, with Redis's errors, against the command names as the earlier
// rename-command lines left them; applied by the server to its command table.
bool ConfigRegistry::LoadRenameCommand(const std::string& name, const std::string& new_name,
                                       std::string* reason) {
  auto lower = [](std::string_view word) {
    std::string out(word);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::vector<std::string> names = TopLevelCommandNames();
  for (const auto& [from, to] : values_.command_renames) {
    std::erase(names, lower(from));
    if (!to.empty()) names.push_back(lower(to));
  }
  auto it = std::find(names.begin(), names.end(), lower(name));
  if (it == names.end()) {
    *reason = "No such command in rename-command";
    return false;
  }
  names.erase(it);
  if (!new_name.empty() && std::find(names.begin(), names.end(), lower(new_name)) != names.end()) {
    *reason = "Target command name already exists";
    return false;
  }
  values_.command_renames.emplace_back(name, new_name);
  return true;
}

// One config line whose first word (lowercased) is not `include`.
bool ConfigRegistry::LoadDirective(const std::vector<std::string>& argv, std::string* reason) {
  // ACL users: kept as written; server/acl checks and applies them once the command table
  // exists (Redis also checks them late, against its command table).
  if (EqualsNoCase(argv[0], "user") && argv.size() >= 2) {
    values_.user_lines.emplace_back(argv.begin() + 1, argv.end());
    return true;
  }
  if (argv[0] == "rename-command" && argv.size() == 3) {
    return LoadRenameCommand(argv[1], argv[2], reason);
  }
  Match m;
  if (Find(argv[0], &m)) {
    const Entry& e = ConfigTable()[m.index];
    if (!(e.flags & kMultiArg) && argv.size() != 2) {
      *reason = "wrong number of arguments";
      return false;
    }
    std::vector<std::string> args;
    if ((e.flags & kMultiArg) && argv.size() == 2 && !argv[1].empty()) {
      // One quoted word holds them all, as in --bind "127.0.0.1 ::1".
      if (!SplitArgs(argv[1], &args)) args.clear();
    } else {
      args.assign(argv.begin() + 1, argv.end());
    }
    bool changed;
    return SetFromArgs(m.index, std::move(args), &changed, reason);
  }
  // Accepted and ignored, as in Redis 7.2.
  for (std::string_view deprecated :
       {"list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"}) {
    if (argv[0] == deprecated && argv.size() == 2) return true;
  }
  *reason = "Bad directive or wrong number of arguments";
  return false;
}

// ---- CONFIG GET ----

std::vector<std::pair<std::string, std::string>> ConfigRegistry::Get(
    std::span<const std::string_view> patterns) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, size_t>> matches;  // reply name, table row
  auto seen = [&](std::string_view name) {
    for (const auto& [listed, index] : matches) {
      if (EqualsNoCase(listed, name)) return true;
    }
    return false;
  };
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      Match m;
      if (!seen(pattern) && Find(pattern, &m)) matches.emplace_back(pattern, m.index);
      continue;
    }
    for (size_t i = 0; i < ConfigTable().size(); ++i) {
      if (ConfigTable()[i].flags & kHidden) continue;  // only by its exact name
      for (std::string_view name : {ConfigTable()[i].name, ConfigTable()[i].alias}) {
        if (name.empty() || seen(name)) continue;
        if (GlobMatch(pattern, name, /*nocase=*/true)) matches.emplace_back(name, i);
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> reply;
  reply.reserve(matches.size());
  for (auto& [name, index] : matches) reply.emplace_back(std::move(name), Render(index));
  return reply;
}

// ---- CONFIG SET ----

void ConfigRegistry::RestoreValues(std::span<const Match> matches,
                                   std::span<const std::string> old_values) {
  for (size_t i = 0; i < old_values.size(); ++i) {
    bool changed;
    std::string ignored;  // an old value was valid when it was stored
    SetFromString(matches[i].index, old_values[i], &changed, &ignored);
  }
}

namespace {

std::string SetFailure(std::string_view name, const std::string& err) {
  std::string reply = "ERR CONFIG SET failed (possibly related to argument '";
  reply += name;
  reply += "')";
  if (!err.empty()) reply += " - " + err;
  return reply;
}

}  // namespace

std::string ConfigRegistry::MatchSetNames(
    std::span<const std::pair<std::string_view, std::string_view>> pairs,
    std::vector<Match>* matches, bool allow_protected) {
  for (const auto& [name, value] : pairs) {
    Match m;
    if (!Find(name, &m)) {
      return "ERR Unknown option or number of arguments for CONFIG SET - '" +
             std::string(CStringPrefix(name)) + "'";
    }
    uint32_t flags = ConfigTable()[m.index].flags;
    std::string refusal;
    if (flags & kImmutable) {
      refusal = "can't set immutable config";
    } else if ((flags & kProtected) && !allow_protected) {
      refusal = "can't set protected config";
    } else {
      for (const Match& earlier : *matches) {
        // As in Redis, a directive and its alias count as different parameters.
        if (earlier.index == m.index && earlier.is_alias == m.is_alias) {
          refusal = "duplicate parameter";
        }
      }
    }
    if (!refusal.empty()) return SetFailure(name, refusal);  // the name as the caller spelled it
    matches->push_back(m);
  }
  return "";
}

bool ConfigRegistry::RunHooks(std::span<const size_t> rows, size_t* failed_row, std::string* err) {
  for (size_t row : rows) {
    for (auto& hook : hooks_[row]) {
      if (!hook(err)) {
        *failed_row = row;
        return false;
      }
    }
  }
  return true;
}

std::string ConfigRegistry::Set(
    std::span<const std::pair<std::string_view, std::string_view>> pairs, bool allow_protected) {
  std::lock_guard lock(mu_);
  std::vector<Match> matches;
  if (std::string error = MatchSetNames(pairs, &matches, allow_protected); !error.empty()) {
    return error;
  }

  std::vector<std::string> old_values;
  for (const Match& m : matches) old_values.push_back(Render(m.index));

  std::vector<size_t> changed_rows;  // in order, each once: the rows whose hooks run
  for (size_t i = 0; i < matches.size(); ++i) {
    bool changed;
    std::string err;
    if (!SetFromString(matches[i].index, pairs[i].second, &changed, &err)) {
      RestoreValues(matches, std::span(old_values).first(i + 1));
      return SetFailure(DisplayName(matches[i]), err);
    }
    size_t row = matches[i].index;
    if (changed && std::find(changed_rows.begin(), changed_rows.end(), row) == changed_rows.end()) {
      changed_rows.push_back(row);
    }
  }

  size_t failed_row;
  std::string err;
  if (RunHooks(changed_rows, &failed_row, &err)) return "";
  RestoreValues(matches, old_values);
  std::string ignored;  // nothing better to do than carry on, as Redis does
  RunHooks(changed_rows, &failed_row, &ignored);
  auto first = std::find_if(matches.begin(), matches.end(),
                            [&](const Match& m) { return m.index == failed_row; });
  return SetFailure(DisplayName(*first), err);
}

// ---- CONFIG REWRITE (one row; the file handling is in config_file.cc) ----

void ConfigRegistry::RewriteEntry(size_t index, ConfigRewriter* rw) const {
  const Entry& e = ConfigTable()[index];
  std::string name(e.name);
  bool differs = Render(index) != defaults_[index];
  switch (e.kind) {
    case ConfigKind::kBool:
    case ConfigKind::kEnum:
      rw->RewriteLine(name, name + " " + Render(index), differs);
      return;
    case ConfigKind::kNumeric: {
      int64_t v = e.load(values_);
      std::string text =
          e.format == NumFormat::kMemory ? FormatMemoryForConfig(v) : RenderNumber(e, v);
      rw->RewriteLine(name, name + " " + text, differs);
      return;
    }
    case ConfigKind::kString: {
      std::string v = e.load_string(values_);
      if (v.empty() && (e.flags & kEmptyIsNull)) {
        rw->MarkProcessed(name);
      } else {
        rw->RewriteLine(name, name + " " + QuoteArg(v), differs);
      }
      return;
    }
    case ConfigKind::kSpecial:
      if (e.rewrite == nullptr) {
        rw->RewriteLine(name, name + " " + Render(index), differs);
      } else {
        e.rewrite(e, values_, defaults_[index], rw);
      }
      return;
  }
}

}  // namespace tessera::server
