#include "server/acl/acl_registry.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/base/ascii.h"

namespace tessera::server::acl {

namespace {

// Entries this close in time (ms) with the same reason, context, object and user are one
// entry with a count, as in Redis; only the newest few are searched.
constexpr int64_t kLogGroupingMs = 60000;
constexpr int kLogGroupingScan = 10;

std::string_view Trim(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

// Redis's sdssplitlen(line, " "): every space separates, so two spaces make an empty word.
std::vector<std::string_view> SplitOnSpaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t sp = line.find(' ', start);
    if (sp == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, sp - start));
    start = sp + 1;
  }
}

}  // namespace

AclRegistry::AclRegistry(const CommandTable* table) {
  ctx_.table = table;
  std::lock_guard lock(mu_);
  auto users = users_;
  users.emplace("default", MakeDefaultUser());
  Publish(std::move(users));
}

AclRegistry::UserPtr AclRegistry::MakeDefaultUser() {
  auto u = std::make_shared<User>(ctx_, "default");
  for (std::string_view op : {"+@all", "~*", "&*", "on", "nopass"}) u->Apply(ctx_, op);
  u->Finish();
  u->set_uid(NextUid());
  return u;
}

void AclRegistry::Publish(std::map<std::string, UserPtr, std::less<>> users) {
  users_ = std::move(users);
  auto it = users_.find("default");
  bool needs_auth = it == users_.end() || !it->second->nopass() || !it->second->enabled();
  default_requires_auth_.store(needs_auth, std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

void AclRegistry::set_channels_default_all(bool all) {
  std::lock_guard lock(mu_);
  ctx_.channels_default_all = all;
}

AclRegistry::UserPtr AclRegistry::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

AclRegistry::UserPtr AclRegistry::Authenticate(std::string_view name,
                                               std::string_view password) const {
  UserPtr u = Find(name);
  if (u == nullptr || !u->PasswordMatches(password)) return nullptr;
  return u;
}

std::string AclRegistry::SetUser(std::string_view name, std::span<const std::string_view> rules,
                                 UserPtr* before) {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  const User* base = it == users_.end() ? nullptr : it->second.get();
  if (before != nullptr) *before = it == users_.end() ? nullptr : it->second;
  auto updated = std::make_shared<User>(ctx_, std::string(name));
  std::string error = ApplyRules(ctx_, base, name, rules, updated.get());
  if (!error.empty()) return error;
  if (base == nullptr) updated->set_uid(NextUid());
  auto users = users_;
  users[std::string(name)] = std::move(updated);
  Publish(std::move(users));
  return "";
}

void AclRegistry::SetDefaultPassword(std::string_view password) {
  std::string op = fmt::format(">{}", password);
  std::string_view rules[] = {"resetpass", password.empty() ? std::string_view("nopass") : op};
  SetUser("default", rules);
}

int AclRegistry::DelUsers(std::span<const std::string_view> names) {
  std::lock_guard lock(mu_);
  auto users = users_;
  int deleted = 0;
  for (std::string_view n : names) {
    auto it = users.find(n);
    if (it == users.end()) continue;
    users.erase(it);
    ++deleted;
  }
  if (deleted > 0) Publish(std::move(users));
  return deleted;
}

std::vector<AclRegistry::UserPtr> AclRegistry::Users() const {
  std::lock_guard lock(mu_);
  std::vector<UserPtr> out;
  out.reserve(users_.size());
  for (const auto& [name, u] : users_) out.push_back(u);
  return out;
}

std::string AclRegistry::AddConfiguredUser(std::span<const std::string_view> argv) {
  // argv: the user name then its rules (the config line without "user").
  for (const auto& c : configured_) {
    if (c[0] == argv[0]) {
      return fmt::format("Error in user declaration '{}': {}", argv[0],
                         RuleErrorText(RuleError::kDuplicateUser));
    }
  }
  std::vector<std::string> merged;
  size_t bad = 0;
  if (!MergeSelectorArguments(argv.subspan(1), &merged, &bad)) {
    return fmt::format("Error in user declaration '{}': {}", argv[bad + 1],
                       RuleErrorText(RuleError::kSyntax));
  }
  User probe(ctx_, std::string(argv[0]));
  for (const std::string& op : merged) {
    RuleError e = probe.Apply(ctx_, op);
    if (e != RuleError::kNone && e != RuleError::kUnknownName) {
      return fmt::format("Error in user declaration '{}': {}", op, RuleErrorText(e));
    }
  }
  std::vector<std::string> entry{std::string(argv[0])};
  entry.insert(entry.end(), merged.begin(), merged.end());
  configured_.push_back(std::move(entry));
  return "";
}

std::string AclRegistry::LoadConfiguredUsers() {
  std::lock_guard lock(mu_);
  auto users = users_;
  for (const auto& entry : configured_) {
    const std::string& name = entry[0];
    if (HasSpaces(name)) return "Spaces not allowed in ACL usernames";
    User u(ctx_, name);
    auto old = users.find(name);
    if (old != users.end()) {
      u = *old->second;  // the default user, reset first as Redis does
      u.Apply(ctx_, "reset");
    } else {
      u.set_uid(NextUid());
    }
    for (size_t j = 1; j < entry.size(); ++j) {
      RuleError e = u.Apply(ctx_, entry[j]);
      if (e != RuleError::kNone) {
        return fmt::format("Error loading ACL rule '{}' for the user named '{}': {}", entry[j],
                           name, RuleErrorText(e));
      }
    }
    u.Finish();
    users[name] = std::make_shared<User>(std::move(u));
  }
  Publish(std::move(users));
  return "";
}

std::string AclRegistry::LoadFileText(std::string_view text, std::string_view file_name) {
  std::lock_guard lock(mu_);
  std::map<std::string, UserPtr, std::less<>> users;
  std::string errors;
  size_t start = 0;
  int line_number = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view raw =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_number;
    std::string_view line = Trim(raw, " \t\r\n");
    if (line.empty()) continue;
    std::vector<std::string_view> argv = SplitOnSpaces(line);
    if (argv[0] != "user" || argv.size() < 2) {
      errors += fmt::format("{}:{} should start with user keyword followed by the username. ",
                            file_name, line_number);
      continue;
    }
    if (HasSpaces(argv[1])) {
      errors += fmt::format("'{}:{}: username '{}' contains invalid characters. ", file_name,
                            line_number, argv[1]);
      continue;
    }
    if (users.contains(argv[1])) {
      errors +=
          fmt::format("WARNING: Duplicate user '{}' found on line {}. ", argv[1], line_number);
      continue;
    }
    User u(ctx_, std::string(argv[1]));
    std::vector<std::string> merged;
    size_t bad = 0;
    if (!MergeSelectorArguments(std::span(argv).subspan(2), &merged, &bad)) {
      errors += fmt::format("{}:{}: Unmatched parenthesis in selector definition.", file_name,
                            line_number);
      merged.clear();
    }
    bool syntax_error = false;
    for (const std::string& op : merged) {
      std::string_view trimmed = Trim(op, "\t\r\n");
      RuleError e = u.Apply(ctx_, trimmed);
      if (e == RuleError::kUnknownName) {
        errors += fmt::format("{}:{}: Error in applying operation '{}': {}. ", file_name,
                              line_number, trimmed, RuleErrorText(e));
      } else if (e != RuleError::kNone && !syntax_error) {
        errors += fmt::format("{}:{}: {}. ", file_name, line_number, RuleErrorText(e));
        syntax_error = true;
      }
    }
    u.Finish();
    users.emplace(std::string(argv[1]), std::make_shared<User>(std::move(u)));
  }
  if (!errors.empty()) {
    errors +=
        "WARNING: ACL errors detected, no change to the previously active ACL rules was "
        "performed";
    return errors;
  }
  // The default user keeps its identity (its clients stay); every other user is new, so the
  // clients of the old users are disconnected, as Redis 7.2 does on ACL LOAD.
  uint64_t default_uid = users_.at("default")->uid();
  for (auto& [name, u] : users) {
    auto copy = std::make_shared<User>(*u);
    copy->set_uid(name == "default" ? default_uid : NextUid());
    u = std::move(copy);
  }
  if (!users.contains("default")) {
    UserPtr d = MakeDefaultUser();
    auto copy = std::make_shared<User>(*d);
    copy->set_uid(default_uid);
    users.emplace("default", std::move(copy));
  }
  Publish(std::move(users));
  return "";
}

std::string AclRegistry::SaveFileText() const {
  std::string out;
  for (const UserPtr& u : Users()) {
    out += fmt::format("user {} {}\n", u->name(), u->Describe());
  }
  return out;
}

// ---- ACL LOG ----

void AclRegistry::AddLogEntry(Denial reason, LogContext context, std::string object,
                              std::string username, std::string client_info, int64_t now_ms,
                              size_t max_len) {
  std::lock_guard lock(mu_);
  switch (reason) {
    case Denial::kAuth:
      ++counters_.auth;
      break;
    case Denial::kCommand:
      ++counters_.command;
      break;
    case Denial::kKey:
      ++counters_.key;
      break;
    case Denial::kChannel:
      ++counters_.channel;
      break;
    case Denial::kNone:
      return;
  }
  int scanned = 0;
  for (auto it = log_.begin(); it != log_.end() && scanned < kLogGroupingScan; ++it, ++scanned) {
    LogEntry& e = *it;
    if (e.reason != reason || e.context != context || e.object != object ||
        e.username != username || std::abs(e.updated_ms - now_ms) > kLogGroupingMs) {
      continue;
    }
    LogEntry updated = std::move(e);
    log_.erase(it);
    updated.count++;
    updated.updated_ms = now_ms;
    updated.client_info = std::move(client_info);
    log_.push_front(std::move(updated));
    return;
  }
  LogEntry e;
  e.reason = reason;
  e.context = context;
  e.object = std::move(object);
  e.username = std::move(username);
  e.updated_ms = now_ms;
  e.created_ms = now_ms;
  e.client_info = std::move(client_info);
  e.entry_id = log_next_id_++;
  log_.push_front(std::move(e));
  while (log_.size() > max_len) log_.pop_back();
}

std::vector<LogEntry> AclRegistry::LogEntries(size_t count) const {
  std::lock_guard lock(mu_);
  count = std::min(count, log_.size());
  return std::vector<LogEntry>(log_.begin(), log_.begin() + static_cast<ptrdiff_t>(count));
}

void AclRegistry::ResetLog() {
  std::lock_guard lock(mu_);
  log_.clear();
}

void AclRegistry::TrimLog(size_t max_len) {
  std::lock_guard lock(mu_);
  while (log_.size() > max_len) log_.pop_back();
}

void AclRegistry::ResetCounters() {
  std::lock_guard lock(mu_);
  counters_ = DenialCounters{};
}

DenialCounters AclRegistry::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

}  // namespace tessera::server::acl
