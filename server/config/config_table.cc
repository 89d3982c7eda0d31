#include "server/config/config_table.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/base/ascii.h"
#include "core/base/numbers.h"
#include "core/base/split_args.h"
#include "server/config/config_file.h"
#include "server/config/config_observability.h"
#include "server/config/proc_title_template.h"
#include "server/notify.h"

namespace tessera::server {

namespace {

using Entry = ConfigRegistry::Entry;

// ---- Field access: one instantiation per ServerConfig member ----

template <typename T>
struct IsAtomic : std::false_type {};
template <typename T>
struct IsAtomic<std::atomic<T>> : std::true_type {};

template <auto kField>
int64_t LoadNumber(const ServerConfig& c) {
  const auto& field = c.*kField;
  if constexpr (IsAtomic<std::remove_cvref_t<decltype(field)>>::value) {
    return static_cast<int64_t>(field.load(std::memory_order_relaxed));
  } else {
    return static_cast<int64_t>(field);
  }
}

template <auto kField>
void StoreNumber(ServerConfig& c, int64_t v) {
  auto& field = c.*kField;
  using T = std::remove_cvref_t<decltype(field)>;
  if constexpr (IsAtomic<T>::value) {
    field.store(static_cast<typename T::value_type>(v), std::memory_order_relaxed);
  } else {
    field = static_cast<T>(v);
  }
}

template <auto kField>
std::string LoadString(const ServerConfig& c) {
  const auto& field = c.*kField;
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype(field)>, std::string>) {
    return field;
  } else {
    return field.Get();
  }
}

template <auto kField>
void StoreString(ServerConfig& c, std::string v) {
  auto& field = c.*kField;
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype(field)>, std::string>) {
    field = std::move(v);
  } else {
    field.Set(std::move(v));
  }
}

// ---- Row builders ----

template <auto kField>
constexpr Entry Bool(std::string_view name, uint32_t flags, std::string_view def,
                     const char* (*check)(int64_t) = nullptr) {
  Entry e;
  e.name = name;
  e.flags = flags;
  e.kind = ConfigKind::kBool;
  e.default_value = def;
  e.load = &LoadNumber<kField>;
  e.store = &StoreNumber<kField>;
  e.check_number = check;
  return e;
}

template <auto kField>
constexpr Entry Number(std::string_view name, std::string_view alias, uint32_t flags, int64_t min,
                       int64_t max, std::string_view def, NumFormat format = NumFormat::kInteger) {
  Entry e;
  e.name = name;
  e.alias = alias;
  e.flags = flags;
  e.kind = ConfigKind::kNumeric;
  e.default_value = def;
  e.format = format;
  e.min = min;
  e.max = max;
  e.load = &LoadNumber<kField>;
  e.store = &StoreNumber<kField>;
  return e;
}

template <auto kField>
constexpr Entry Enum(std::string_view name, uint32_t flags, std::span<const std::string_view> names,
                     std::string_view def) {
  Entry e;
  e.name = name;
  e.flags = flags;
  e.kind = ConfigKind::kEnum;
  e.default_value = def;
  e.enum_names = names;
  e.load = &LoadNumber<kField>;
  e.store = &StoreNumber<kField>;
  return e;
}

template <auto kField>
constexpr Entry String(std::string_view name, uint32_t flags, std::string_view def,
                       const char* (*check)(const ServerConfig&, std::string_view) = nullptr) {
  Entry e;
  e.name = name;
  e.flags = flags;
  e.kind = ConfigKind::kString;
  e.default_value = def;
  e.load_string = &LoadString<kField>;
  e.store_string = &StoreString<kField>;
  e.check_string = check;
  return e;
}

constexpr Entry Special(std::string_view name, uint32_t flags, std::string_view def,
                        decltype(Entry::set) set, decltype(Entry::get) get,
                        decltype(Entry::rewrite) rewrite) {
  Entry e;
  e.name = name;
  e.flags = flags;
  e.kind = ConfigKind::kSpecial;
  e.default_value = def;
  e.set = set;
  e.get = get;
  e.rewrite = rewrite;
  return e;
}

// ---- Checks ----

int64_t ClampHz(int64_t hz) { return hz < 1 ? 1 : (hz > 500 ? 500 : hz); }

bool IsPath(std::string_view name) {
  return name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos;
}

const char* CheckDbFilename(const ServerConfig&, std::string_view name) {
  return IsPath(name) ? "dbfilename can't be a path, just a filename" : nullptr;
}

const char* CheckAppendFilename(const ServerConfig&, std::string_view name) {
  return IsPath(name) ? "appendfilename can't be a path, just a filename" : nullptr;
}

const char* CheckAppendDirname(const ServerConfig&, std::string_view name) {
  return IsPath(name) ? "appenddirname can't be a path, just a dirname" : nullptr;
}

const char* CheckProcTitleTemplate(const ServerConfig& c, std::string_view tmpl) {
  return IsValidProcTitleTemplate(tmpl, c)
             ? nullptr
             : "template format is invalid or contains unknown variables";
}

// ---- Special directives ----

// shutdown-on-sigterm / -sigint: "default", or any of save, nosave, now, force (save and
// nosave exclusive), as Redis's flag configs.
bool SetShutdownFlags(std::atomic<uint32_t>* field, std::span<const std::string> args,
                      bool* changed, std::string* err) {
  uint32_t flags = 0;
  for (const std::string& a : args) {
    std::string w = a;
    for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (w == "default" && args.size() == 1) continue;
    if (w == "save")
      flags |= kShutdownSave;
    else if (w == "nosave")
      flags |= kShutdownNoSave;
    else if (w == "now")
      flags |= kShutdownNow;
    else if (w == "force")
      flags |= kShutdownForce;
    else {
      *err = "argument(s) must be one of the following: default, save, nosave, now, force";
      return false;
    }
  }
  if ((flags & kShutdownSave) && (flags & kShutdownNoSave)) {
    *err = "argument(s) must be one of the following: default, save, nosave, now, force";
    return false;
  }
  *changed = field->load() != flags;
  field->store(flags);
  return true;
}

std::string GetShutdownFlags(uint32_t flags) {
  if (flags == 0) return "default";
  std::string out;
  for (auto [bit, name] : {std::pair{kShutdownSave, "save"}, std::pair{kShutdownNoSave, "nosave"},
                           std::pair{kShutdownNow, "now"}, std::pair{kShutdownForce, "force"}}) {
    if (flags & bit) {
      if (!out.empty()) out += ' ';
      out += name;
    }
  }
  return out;
}

bool SetShutdownOnSigterm(SetContext& ctx, std::span<const std::string> args, bool* changed,
                          std::string* err) {
  return SetShutdownFlags(&ctx.values->shutdown_on_sigterm, args, changed, err);
}
bool SetShutdownOnSigint(SetContext& ctx, std::span<const std::string> args, bool* changed,
                         std::string* err) {
  return SetShutdownFlags(&ctx.values->shutdown_on_sigint, args, changed, err);
}
std::string GetShutdownOnSigterm(const ServerConfig& c) {
  return GetShutdownFlags(c.shutdown_on_sigterm.load());
}
std::string GetShutdownOnSigint(const ServerConfig& c) {
  return GetShutdownFlags(c.shutdown_on_sigint.load());
}

// replicaof <host> <port> (alias slaveof): the primary to replicate at start-up; "no one" is
// none.  REPLICAOF changes the value at run time (CONFIG GET shows it), not CONFIG SET.
bool SetReplicaOf(SetContext& ctx, std::span<const std::string> args, bool* changed,
                  std::string* err) {
  if (args.empty() || (args.size() == 1 && args[0].empty())) {  // none (the default, GET's "")
    *changed = !ctx.values->replicaof.Get().empty();
    ctx.values->replicaof.Set("");
    return true;
  }
  if (args.size() != 2) {
    *err = "wrong number of arguments";
    return false;
  }
  std::string value;
  if (!EqualsIgnoreCase(args[0], "no") || !EqualsIgnoreCase(args[1], "one")) {
    int64_t port = 0;
    if (!ParseInt64(args[1], &port) || port < 0 || port > 65535) {
      *err = "Invalid master port";
      return false;
    }
    value = args[0] + " " + std::to_string(port);
  }
  *changed = ctx.values->replicaof.Get() != value;
  ctx.values->replicaof.Set(std::move(value));
  return true;
}
std::string GetReplicaOf(const ServerConfig& c) { return c.replicaof.Get(); }
// CONFIG REWRITE: "replicaof <host> <port>" on a replica; on a primary every such line goes.
void RewriteReplicaOf(const Entry& e, const ServerConfig& c, std::string_view, ConfigRewriter* rw) {
  const std::string value = c.replicaof.Get();
  if (value.empty()) {
    rw->MarkProcessed(e.name);
    return;
  }
  // As Redis writes it: the host unquoted.
  rw->RewriteLine(e.name, std::string(e.name) + " " + value, true);
}

// bind: up to 16 addresses; a single "" means none.
bool SetBind(SetContext& ctx, std::span<const std::string> args, bool* changed, std::string* err) {
  if (args.size() > 16) {
    *err = "Too many bind addresses specified.";
    return false;
  }
  std::vector<std::string> addresses(args.begin(), args.end());
  if (addresses.size() == 1 && addresses[0].empty()) addresses.clear();
  *changed = ctx.values->bind.Get() != addresses;
  ctx.values->bind.Set(std::move(addresses));
  return true;
}

std::string JoinBind(const ServerConfig& c) {
  std::string out;
  for (const std::string& address : c.bind.Get()) {
    if (!out.empty()) out += ' ';
    out += address;
  }
  return out;
}

void RewriteBind(const Entry& e, const ServerConfig& c, std::string_view def, ConfigRewriter* rw) {
  std::string value = JoinBind(c);
  if (value == def) {  // Redis drops bind lines that only restate the default
    rw->MarkProcessed(e.name);
    return;
  }
  rw->RewriteLine(e.name, std::string(e.name) + " " + (value.empty() ? "\"\"" : value), true);
}

// save: "<seconds> <changes>" pairs.  In a file, the first save line replaces the default
// schedule and later ones add to it; CONFIG SET replaces the schedule.
bool SetSave(SetContext& ctx, std::span<const std::string> args, bool* changed, std::string* err) {
  // A single "" clears the schedule, also after earlier lines of the same file.
  const bool clear = args.size() == 1 && args[0].empty();
  if (clear) args = {};
  std::vector<int64_t> numbers;
  for (size_t j = 0; j < args.size(); ++j) {
    char* end;
    long long v = std::strtoll(args[j].c_str(), &end, 10);
    if (*end != '\0' || (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0)) {
      *err = "Invalid save parameters";
      return false;
    }
    numbers.push_back(v);
  }
  if (args.size() % 2 != 0) {
    *err = "Invalid save parameters";
    return false;
  }
  std::vector<SaveParam> params;
  if (ctx.reading_file && *ctx.save_reset_done && !clear) params = ctx.values->save.Get();
  if (ctx.reading_file) *ctx.save_reset_done = true;
  for (size_t j = 0; j < numbers.size(); j += 2) {
    params.push_back({numbers[j], numbers[j + 1]});
  }
  *changed = ctx.values->save.Get() != params;
  ctx.values->save.Set(std::move(params));
  return true;
}

std::string GetSave(const ServerConfig& c) {
  std::string out;
  for (const SaveParam& p : c.save.Get()) {
    if (!out.empty()) out += ' ';
    out += std::to_string(p.seconds) + " " + std::to_string(p.changes);
  }
  return out;
}

// Always written, so that the next start does not fall back to a default schedule.
void RewriteSave(const Entry& e, const ServerConfig& c, std::string_view, ConfigRewriter* rw) {
  std::vector<SaveParam> params = c.save.Get();
  if (params.empty()) rw->RewriteLine(e.name, "save \"\"", true);
  for (const SaveParam& p : params) {
    rw->RewriteLine(e.name, "save " + std::to_string(p.seconds) + " " + std::to_string(p.changes),
                    true);
  }
  rw->MarkProcessed(e.name);
}

// dir: changes the process working directory.
bool SetDir(SetContext& ctx, std::span<const std::string> args, bool* changed, std::string* err) {
  if (::chdir(args[0].c_str()) == -1) {
    *err = std::strerror(errno);
    return false;
  }
  ctx.values->dir.Set(CurrentDirectory());
  *changed = true;
  return true;
}

std::string GetDir(const ServerConfig&) { return CurrentDirectory(); }

void RewriteDir(const Entry& e, const ServerConfig&, std::string_view, ConfigRewriter* rw) {
  std::string cwd = CurrentDirectory();
  if (cwd.empty()) {
    rw->MarkProcessed(e.name);
    return;
  }
  rw->RewriteLine(e.name, std::string(e.name) + " " + QuoteArg(cwd), true);
}

// client-output-buffer-limit: groups of "<class> <hard> <soft> <soft-seconds>"; classes not
// named keep their limits.  All groups are checked before any is applied (Redis's
// updateClientOutputBufferLimit), with its error texts.
struct ObufLimit {
  uint64_t hard;
  uint64_t soft;
  int64_t seconds;
};
constexpr ObufLimit kObufDefaults[kClientClasses] = {
    {0, 0, 0}, {256 * 1024 * 1024, 64 * 1024 * 1024, 60}, {32 * 1024 * 1024, 8 * 1024 * 1024, 60}};
constexpr const char* kObufClassNames[kClientClasses] = {"normal", "slave", "pubsub"};

int ObufClassByName(const std::string& name) {
  std::string n = name;
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "normal") return kClientNormal;
  if (n == "slave" || n == "replica") return kClientReplica;
  if (n == "pubsub") return kClientPubSub;
  return -1;  // "master" too: it has no limits of its own
}

bool SetObufLimit(SetContext& ctx, std::span<const std::string> args, bool* changed,
                  std::string* err) {
  if (args.size() % 4 != 0) {
    *err = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  ObufLimit values[kClientClasses];
  bool named[kClientClasses] = {};
  for (size_t j = 0; j < args.size(); j += 4) {
    int cls = ObufClassByName(args[j]);
    if (cls < 0) {
      *err = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    uint64_t hard, soft;
    char* end;
    errno = 0;
    long long seconds = std::strtoll(args[j + 3].c_str(), &end, 10);
    if (!ParseMemorySize(args[j + 1], &hard) || !ParseMemorySize(args[j + 2], &soft) ||
        seconds < 0 || *end != '\0') {
      *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    values[cls] = {hard, soft, seconds};
    named[cls] = true;
  }
  ServerConfig& c = *ctx.values;
  *changed = false;
  for (int k = 0; k < kClientClasses; ++k) {
    if (!named[k]) continue;
    *changed |= c.client_obuf_hard[k].exchange(values[k].hard) != values[k].hard;
    *changed |= c.client_obuf_soft[k].exchange(values[k].soft) != values[k].soft;
    *changed |= c.client_obuf_soft_seconds[k].exchange(values[k].seconds) != values[k].seconds;
  }
  return true;
}

std::string GetObufLimit(const ServerConfig& c) {
  std::string out;
  for (int k = 0; k < kClientClasses; ++k) {
    if (k > 0) out += ' ';
    out += std::string(kObufClassNames[k]) + " " + std::to_string(c.client_obuf_hard[k].load()) +
           " " + std::to_string(c.client_obuf_soft[k].load()) + " " +
           std::to_string(c.client_obuf_soft_seconds[k].load());
  }
  return out;
}

// One line per class, forced only for classes whose limits differ from Redis's defaults.
void RewriteObufLimit(const Entry& e, const ServerConfig& c, std::string_view, ConfigRewriter* rw) {
  for (int k = 0; k < kClientClasses; ++k) {
    ObufLimit now{c.client_obuf_hard[k].load(), c.client_obuf_soft[k].load(),
                  c.client_obuf_soft_seconds[k].load()};
    bool force = now.hard != kObufDefaults[k].hard || now.soft != kObufDefaults[k].soft ||
                 now.seconds != kObufDefaults[k].seconds;
    std::string name = k == kClientReplica ? "replica" : kObufClassNames[k];
    rw->RewriteLine(e.name,
                    std::string(e.name) + " " + name + " " +
                        FormatMemoryForConfig(static_cast<int64_t>(now.hard)) + " " +
                        FormatMemoryForConfig(static_cast<int64_t>(now.soft)) + " " +
                        std::to_string(now.seconds),
                    force);
  }
  rw->MarkProcessed(e.name);
}

// notify-keyspace-events: class letters (server/notify.h).
bool SetNotifyKeyspaceEvents(SetContext& ctx, std::span<const std::string> args, bool* changed,
                             std::string* err) {
  if (args.size() != 1) {
    *err = "wrong number of arguments";
    return false;
  }
  std::optional<uint32_t> flags = ParseNotifyClasses(args[0]);
  if (!flags) {
    *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    return false;
  }
  *changed = ctx.values->notify_keyspace_events.exchange(*flags) != *flags;
  return true;
}

std::string GetNotifyKeyspaceEvents(const ServerConfig& c) {
  return FormatNotifyClasses(c.notify_keyspace_events.load());
}

// Written (quoted) whenever any class is on, as Redis does.
void RewriteNotifyKeyspaceEvents(const Entry& e, const ServerConfig& c, std::string_view,
                                 ConfigRewriter* rw) {
  uint32_t flags = c.notify_keyspace_events.load();
  rw->RewriteLine(e.name, std::string(e.name) + " \"" + FormatNotifyClasses(flags) + "\"",
                  flags != 0);
}

// maxmemory-clients: a memory size, or "N%" of maxmemory (stored as -N), as Redis's
// PERCENT_CONFIG numbers; percentages above 100 are refused.
bool SetMaxmemoryClients(SetContext& ctx, std::span<const std::string> args, bool* changed,
                         std::string* err) {
  if (args.size() != 1) {
    *err = "wrong number of arguments";
    return false;
  }
  const std::string& v = args[0];
  int64_t value = 0;
  uint64_t bytes = 0;
  if (ParseMemorySize(v, &bytes) && bytes <= static_cast<uint64_t>(INT64_MAX)) {
    value = static_cast<int64_t>(bytes);
  } else {
    int64_t percent = 0;
    if (v.size() < 2 || v.back() != '%' ||
        !ParseInt64(std::string_view(v).substr(0, v.size() - 1), &percent) || percent < 0) {
      *err = "argument must be a memory or percent value";
      return false;
    }
    if (percent > 100) {
      *err = "percentage argument must be less or equal to 100";
      return false;
    }
    value = -percent;
  }
  *changed = ctx.values->maxmemory_clients.exchange(value) != value;
  return true;
}

std::string GetMaxmemoryClients(const ServerConfig& c) {
  int64_t v = c.maxmemory_clients.load();
  return v < 0 ? std::to_string(-v) + "%" : std::to_string(v);
}

void RewriteMaxmemoryClients(const Entry& e, const ServerConfig& c, std::string_view,
                             ConfigRewriter* rw) {
  int64_t v = c.maxmemory_clients.load();
  std::string value = v < 0 ? std::to_string(-v) + "%" : FormatMemoryForConfig(v);
  rw->RewriteLine(e.name, std::string(e.name) + " " + value, v != 0);
}

// oom-score-adj: "yes" and "relative" are one mode (CONFIG GET says "yes", as Redis).
constexpr std::string_view kOomModeNames[] = {"no", "yes", "absolute"};

bool SetOomScoreAdj(SetContext& ctx, std::span<const std::string> args, bool* changed,
                    std::string* err) {
  if (args.size() != 1) {
    *err = "wrong number of arguments";
    return false;
  }
  std::string v = args[0];
  for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  int mode;
  if (v == "no") {
    mode = 0;
  } else if (v == "yes" || v == "relative") {
    mode = 1;
  } else if (v == "absolute") {
    mode = 2;
  } else {
    *err = "argument(s) must be one of the following: no, yes, relative, absolute";
    return false;
  }
  *changed = ctx.values->oom_score_adj.exchange(mode) != mode;
  return true;
}

std::string GetOomScoreAdj(const ServerConfig& c) {
  return std::string(kOomModeNames[c.oom_score_adj.load()]);
}

void RewriteOomScoreAdj(const Entry& e, const ServerConfig& c, std::string_view,
                        ConfigRewriter* rw) {
  int mode = c.oom_score_adj.load();
  rw->RewriteLine(e.name, std::string(e.name) + " " + std::string(kOomModeNames[mode]), mode != 0);
}

bool SetOomScoreAdjValues(SetContext& ctx, std::span<const std::string> args, bool* changed,
                          std::string* err) {
  if (args.size() != 3) {
    *err = "wrong number of arguments";
    return false;
  }
  int values[3];
  for (size_t i = 0; i < 3; ++i) {
    int64_t v = 0;
    if (!ParseInt64(args[i], &v) || v < -2000 || v > 2000) {
      *err = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
      return false;
    }
    values[i] = static_cast<int>(v);
  }
  *changed = false;
  for (size_t i = 0; i < 3; ++i) {
    *changed |= ctx.values->oom_score_adj_values[i].exchange(values[i]) != values[i];
  }
  return true;
}

std::string GetOomScoreAdjValues(const ServerConfig& c) {
  return std::to_string(c.oom_score_adj_values[0].load()) + " " +
         std::to_string(c.oom_score_adj_values[1].load()) + " " +
         std::to_string(c.oom_score_adj_values[2].load());
}

void RewriteOomScoreAdjValues(const Entry& e, const ServerConfig& c, std::string_view,
                              ConfigRewriter* rw) {
  std::string values = GetOomScoreAdjValues(c);
  rw->RewriteLine(e.name, std::string(e.name) + " " + values, values != "0 200 800");
}

// activedefrag: Redis defragments only when built with its own modified jemalloc; a Redis
// built on a stock jemalloc (Debian's) refuses to turn it on with these words, and so do we.
const char* RefuseActiveDefrag(int64_t on) {
  return on ? "Active defragmentation cannot be enabled: it requires a Redis server compiled "
              "with a modified Jemalloc like the one shipped by default with the Redis source "
              "distribution"
            : nullptr;
}

// ---- The table ----

constexpr std::string_view kLogLevels[] = {"debug", "verbose", "notice", "warning", "nothing"};
constexpr std::string_view kProtectedActions[] = {"no", "yes", "local"};
constexpr std::string_view kAclPubsubDefaults[] = {"resetchannels", "allchannels"};
constexpr std::string_view kTlsAuthClients[] = {"no", "yes", "optional"};
constexpr std::string_view kAppendFsyncNames[] = {"always", "everysec", "no"};
constexpr std::string_view kSanitizeNames[] = {"no", "yes", "clients"};
constexpr std::string_view kMaxmemoryPolicies[] = {
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru",  "allkeys-lfu",  "allkeys-random",  "noeviction"};
constexpr std::string_view kPropagationErrorNames[] = {"ignore", "panic", "panic-on-replicas"};
constexpr std::string_view kReplDisklessLoadNames[] = {"disabled", "on-empty-db", "swapdb"};

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kIntMin = INT_MIN;
constexpr int64_t kLongMax = LONG_MAX;
constexpr int64_t kMb = 1024 * 1024;
using C = ServerConfig;

constexpr Entry kTable[] = {
    // Network.
    Special("bind", kModifiable | kMultiArg, "* -::*", &SetBind, &JoinBind, &RewriteBind),
    Number<&C::port>("port", "", kModifiable, 0, 65535, "6379"),
    String<&C::unixsocket>("unixsocket", kImmutable | kEmptyIsNull, ""),
    Number<&C::unixsocketperm>("unixsocketperm", "", kImmutable, 0, 0777, "0", NumFormat::kOctal),
    Bool<&C::protected_mode>("protected-mode", kModifiable, "yes"),
    Number<&C::timeout>("timeout", "", kModifiable, 0, kIntMax, "0"),
    Number<&C::tcp_keepalive>("tcp-keepalive", "", kModifiable, 0, kIntMax, "300"),
    Number<&C::tcp_backlog>("tcp-backlog", "", kImmutable, 0, kIntMax, "511"),
    Number<&C::maxclients>("maxclients", "", kModifiable, 1, UINT_MAX, "10000"),
    Number<&C::tracking_table_max_keys>("tracking-table-max-keys", "", kModifiable, 0, kLongMax,
                                        "1000000"),
    String<&C::requirepass>("requirepass", kModifiable | kSensitive | kEmptyIsNull, ""),
    Number<&C::tls_port>("tls-port", "", kModifiable, 0, 65535, "0"),
    String<&C::tls_cert_file>("tls-cert-file", kModifiable, ""),
    String<&C::tls_key_file>("tls-key-file", kModifiable, ""),
    String<&C::tls_key_file_pass>("tls-key-file-pass", kModifiable | kSensitive, ""),
    String<&C::tls_ca_cert_file>("tls-ca-cert-file", kModifiable, ""),
    String<&C::tls_ca_cert_dir>("tls-ca-cert-dir", kModifiable, ""),
    String<&C::tls_client_cert_file>("tls-client-cert-file", kModifiable, ""),
    String<&C::tls_client_key_file>("tls-client-key-file", kModifiable, ""),
    String<&C::tls_client_key_file_pass>("tls-client-key-file-pass", kModifiable | kSensitive, ""),
    String<&C::tls_dh_params_file>("tls-dh-params-file", kModifiable, ""),
    Enum<&C::tls_auth_clients>("tls-auth-clients", kModifiable, kTlsAuthClients, "yes"),
    String<&C::tls_protocols>("tls-protocols", kModifiable, ""),
    String<&C::tls_ciphers>("tls-ciphers", kModifiable, ""),
    String<&C::tls_ciphersuites>("tls-ciphersuites", kModifiable, ""),
    Bool<&C::tls_prefer_server_ciphers>("tls-prefer-server-ciphers", kModifiable, "no"),
    Bool<&C::tls_session_caching>("tls-session-caching", kModifiable, "yes"),
    // Modifiable as in Redis, where they apply to the next replication or cluster-bus link;
    // we have neither link yet, so the values are only kept.
    Bool<&C::tls_replication>("tls-replication", kModifiable, "no"),
    Bool<&C::tls_cluster>("tls-cluster", kModifiable, "no"),
    String<&C::aclfile>("aclfile", kImmutable, ""),
    Number<&C::acllog_max_len>("acllog-max-len", "", kModifiable, 0, kLongMax, "128"),
    Enum<&C::acl_pubsub_default>("acl-pubsub-default", kModifiable, kAclPubsubDefaults,
                                 "resetchannels"),
    // Process.
    Number<&C::io_threads>("io-threads", "", kImmutable, 1, 128, "1"),
    Number<&C::databases>("databases", "", kImmutable, 1, kIntMax, "16"),
    Bool<&C::daemonize>("daemonize", kImmutable, "no"),
    String<&C::pidfile>("pidfile", kImmutable | kEmptyIsNull, ""),
    String<&C::logfile>("logfile", kImmutable, ""),
    Enum<&C::loglevel>("loglevel", kModifiable, kLogLevels, "notice"),
    [] {
      Entry e = Number<&C::hz>("hz", "", kModifiable, 0, kIntMax, "10");
      e.normalize = &ClampHz;
      return e;
    }(),
    Bool<&C::dynamic_hz>("dynamic-hz", kModifiable, "yes"),
    Bool<&C::set_proc_title>("set-proc-title", kImmutable, "yes"),
    String<&C::proc_title_template>("proc-title-template", kModifiable,
                                    "{title} {listen-addr} {server-mode}", &CheckProcTitleTemplate),
    String<&C::locale_collate>("locale-collate", kModifiable, ""),
    Bool<&C::disable_thp>("disable-thp", kImmutable, "yes"),
    String<&C::server_cpulist>("server_cpulist", kImmutable | kEmptyIsNull, ""),
    String<&C::bio_cpulist>("bio_cpulist", kImmutable | kEmptyIsNull, ""),
    String<&C::aof_rewrite_cpulist>("aof_rewrite_cpulist", kImmutable | kEmptyIsNull, ""),
    String<&C::bgsave_cpulist>("bgsave_cpulist", kImmutable | kEmptyIsNull, ""),
    Bool<&C::jemalloc_bg_thread>("jemalloc-bg-thread", kModifiable, "yes"),
    Enum<&C::enable_debug_command>("enable-debug-command", kImmutable, kProtectedActions, "no"),
    Enum<&C::enable_protected_configs>("enable-protected-configs", kImmutable, kProtectedActions,
                                       "no"),
    Enum<&C::enable_module_command>("enable-module-command", kImmutable, kProtectedActions, "no"),
    Bool<&C::always_show_logo>("always-show-logo", kImmutable, "no"),
    Bool<&C::activerehashing>("activerehashing", kModifiable, "yes"),
    Number<&C::latency_monitor_threshold>("latency-monitor-threshold", "", kModifiable, 0,
                                          LLONG_MAX, "0"),
    // The diskless directives: kept, without effect (config/README.md).
    Bool<&C::repl_diskless_sync>("repl-diskless-sync", kModifiable, "yes"),
    Number<&C::repl_diskless_sync_delay>("repl-diskless-sync-delay", "", kModifiable, 0, kIntMax,
                                         "5"),
    Number<&C::repl_diskless_sync_max_replicas>("repl-diskless-sync-max-replicas", "", kModifiable,
                                                0, kIntMax, "0"),
    Enum<&C::repl_diskless_load>("repl-diskless-load", kModifiable, kReplDisklessLoadNames,
                                 "disabled"),
    Bool<&C::repl_disable_tcp_nodelay>("repl-disable-tcp-nodelay", kModifiable, "no"),
    [] {
      Entry e = Bool<&C::replica_lazy_flush>("replica-lazy-flush", kModifiable, "no");
      e.alias = "slave-lazy-flush";
      return e;
    }(),
    [] {
      Entry e = Number<&C::repl_ping_replica_period>("repl-ping-replica-period", "", kModifiable, 1,
                                                     kIntMax, "10");
      e.alias = "repl-ping-slave-period";
      return e;
    }(),
    [] {
      Entry e = Bool<&C::replica_serve_stale_data>("replica-serve-stale-data", kModifiable, "yes");
      e.alias = "slave-serve-stale-data";
      return e;
    }(),
    [] {
      Entry e = Special("replicaof", kImmutable | kMultiArg, "", &SetReplicaOf, &GetReplicaOf,
                        &RewriteReplicaOf);
      e.alias = "slaveof";
      return e;
    }(),
    String<&C::masterauth>("masterauth", kModifiable | kSensitive | kEmptyIsNull, ""),
    String<&C::masteruser>("masteruser", kModifiable | kSensitive | kEmptyIsNull, ""),
    [] {
      Entry e = Bool<&C::replica_read_only>("replica-read-only", kModifiable, "yes");
      e.alias = "slave-read-only";
      return e;
    }(),
    [] {
      Entry e = Bool<&C::replica_ignore_maxmemory>("replica-ignore-maxmemory", kModifiable, "yes");
      e.alias = "slave-ignore-maxmemory";
      return e;
    }(),
    Bool<&C::replica_announced>("replica-announced", kModifiable, "yes"),
    Number<&C::replica_priority>("replica-priority", "slave-priority", kModifiable, 0, kIntMax,
                                 "100"),
    [] {
      Entry e =
          String<&C::replica_announce_ip>("replica-announce-ip", kModifiable | kEmptyIsNull, "");
      e.alias = "slave-announce-ip";
      return e;
    }(),
    Number<&C::replica_announce_port>("replica-announce-port", "slave-announce-port", kModifiable,
                                      0, 65535, "0"),
    Number<&C::repl_timeout>("repl-timeout", "", kModifiable, 1, kIntMax, "60"),
    Number<&C::min_replicas_to_write>("min-replicas-to-write", "min-slaves-to-write", kModifiable,
                                      0, kIntMax, "0"),
    Number<&C::min_replicas_max_lag>("min-replicas-max-lag", "min-slaves-max-lag", kModifiable, 0,
                                     kIntMax, "10"),
    Number<&C::repl_backlog_size>("repl-backlog-size", "", kModifiable, 1, LLONG_MAX, "1mb",
                                  NumFormat::kMemory),
    Number<&C::repl_backlog_ttl>("repl-backlog-ttl", "", kModifiable, 0, kLongMax, "3600"),
    Special("shutdown-on-sigterm", kModifiable | kMultiArg, "default", &SetShutdownOnSigterm,
            &GetShutdownOnSigterm, nullptr),
    Special("shutdown-on-sigint", kModifiable | kMultiArg, "default", &SetShutdownOnSigint,
            &GetShutdownOnSigint, nullptr),
    Number<&C::shutdown_timeout>("shutdown-timeout", "", kModifiable, 0, kIntMax, "10"),
    Enum<&C::propagation_error_behavior>("propagation-error-behavior", kModifiable,
                                         kPropagationErrorNames, "ignore"),
    Special("dir", kModifiable | kProtected | kNoDefault, "", &SetDir, &GetDir, &RewriteDir),
    // After dir, so that CONFIG REWRITE appends these lines in Redis's order.
    Bool<&C::latency_tracking>("latency-tracking", kModifiable, "yes"),
    Special("latency-tracking-info-percentiles", kModifiable | kMultiArg, "50 99 99.9",
            &SetLatencyPercentiles, &GetLatencyPercentiles, &RewriteLatencyPercentiles),
    Special("key-ttl-policy", kModifiable | kMultiArg, "", &SetKeyTtlPolicy, &GetKeyTtlPolicy,
            &RewriteKeyTtlPolicy),
    Number<&C::metrics_port>("metrics-port", "", kModifiable, 0, 65535, "0"),
    // Limits.
    Number<&C::proto_max_bulk_len>("proto-max-bulk-len", "", kModifiable, kMb, kLongMax, "512mb",
                                   NumFormat::kMemory),
    Number<&C::client_query_buffer_limit>("client-query-buffer-limit", "", kModifiable, kMb,
                                          kLongMax, "1gb", NumFormat::kMemory),
    Number<&C::slowlog_log_slower_than>("slowlog-log-slower-than", "", kModifiable, -1, LLONG_MAX,
                                        "10000"),
    Number<&C::slowlog_max_len>("slowlog-max-len", "", kModifiable, 0, kLongMax, "128"),
    Special("client-output-buffer-limit", kModifiable | kMultiArg,
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", &SetObufLimit,
            &GetObufLimit, &RewriteObufLimit),
    Number<&C::busy_reply_threshold>("busy-reply-threshold", "lua-time-limit", kModifiable, 0,
                                     kLongMax, "5000"),
    // Persistence.
    Special("save", kModifiable | kMultiArg, "3600 1 300 100 60 10000", &SetSave, &GetSave,
            &RewriteSave),
    Bool<&C::appendonly>("appendonly", kModifiable, "no"),
    String<&C::dbfilename>("dbfilename", kModifiable | kProtected, "dump.rdb", &CheckDbFilename),
    Enum<&C::appendfsync>("appendfsync", kModifiable, kAppendFsyncNames, "everysec"),
    String<&C::appenddirname>("appenddirname", kImmutable, "appendonlydir", &CheckAppendDirname),
    String<&C::appendfilename>("appendfilename", kImmutable, "appendonly.aof",
                               &CheckAppendFilename),
    Bool<&C::aof_use_rdb_preamble>("aof-use-rdb-preamble", kModifiable, "yes"),
    Bool<&C::aof_load_truncated>("aof-load-truncated", kModifiable, "yes"),
    Bool<&C::aof_timestamp_enabled>("aof-timestamp-enabled", kModifiable, "no"),
    Bool<&C::no_appendfsync_on_rewrite>("no-appendfsync-on-rewrite", kModifiable, "no"),
    Bool<&C::aof_disable_auto_gc>("aof-disable-auto-gc", kHidden, "no"),
    Bool<&C::aof_rewrite_incremental_fsync>("aof-rewrite-incremental-fsync", kModifiable, "yes"),
    Bool<&C::rdb_save_incremental_fsync>("rdb-save-incremental-fsync", kModifiable, "yes"),
    Number<&C::auto_aof_rewrite_percentage>("auto-aof-rewrite-percentage", "", kModifiable, 0,
                                            kIntMax, "100"),
    Number<&C::auto_aof_rewrite_min_size>("auto-aof-rewrite-min-size", "", kModifiable, 0, kLongMax,
                                          "64mb", NumFormat::kMemory),
    Bool<&C::rdbcompression>("rdbcompression", kModifiable, "yes"),
    Bool<&C::rdbchecksum>("rdbchecksum", kImmutable, "yes"),
    Bool<&C::stop_writes_on_bgsave_error>("stop-writes-on-bgsave-error", kModifiable, "yes"),
    Bool<&C::rdb_del_sync_files>("rdb-del-sync-files", kModifiable, "no"),
    Enum<&C::sanitize_dump_payload>("sanitize-dump-payload", kModifiable, kSanitizeNames, "no"),
    Number<&C::rdb_key_save_delay>("rdb-key-save-delay", "", kHidden, INT_MIN, kIntMax, "0"),
    Number<&C::key_load_delay>("key-load-delay", "", kHidden, INT_MIN, kIntMax, "0"),
    Number<&C::loading_process_events_interval_bytes>("loading-process-events-interval-bytes", "",
                                                      kHidden, 1024, kIntMax, "2097152"),
    Bool<&C::lazyfree_lazy_expire>("lazyfree-lazy-expire", kModifiable, "no"),
    Bool<&C::lazyfree_lazy_server_del>("lazyfree-lazy-server-del", kModifiable, "no"),
    Bool<&C::lazyfree_lazy_user_del>("lazyfree-lazy-user-del", kModifiable, "no"),
    Bool<&C::lazyfree_lazy_user_flush>("lazyfree-lazy-user-flush", kModifiable, "no"),
    Bool<&C::crash_memcheck_enabled>("crash-memcheck-enabled", kModifiable, "yes"),
    Bool<&C::use_exit_on_panic>("use-exit-on-panic", kModifiable, "no"),
    // Memory limit and eviction.
    Number<&C::maxmemory>("maxmemory", "", kModifiable, 0, kLongMax, "0", NumFormat::kMemory),
    Enum<&C::maxmemory_policy>("maxmemory-policy", kModifiable, kMaxmemoryPolicies, "noeviction"),
    Number<&C::maxmemory_samples>("maxmemory-samples", "", kModifiable, 1, kIntMax, "5"),
    Number<&C::maxmemory_eviction_tenacity>("maxmemory-eviction-tenacity", "", kModifiable, 0, 100,
                                            "10"),
    Number<&C::lfu_log_factor>("lfu-log-factor", "", kModifiable, 0, kIntMax, "10"),
    Number<&C::lfu_decay_time>("lfu-decay-time", "", kModifiable, 0, kIntMax, "1"),
    Bool<&C::lazyfree_lazy_eviction>("lazyfree-lazy-eviction", kModifiable, "no"),
    Special("maxmemory-clients", kModifiable, "0", &SetMaxmemoryClients, &GetMaxmemoryClients,
            &RewriteMaxmemoryClients),
    // Active defragmentation: accepted and kept, never run (config/README.md).
    Bool<&C::activedefrag>("activedefrag", kModifiable, "no", &RefuseActiveDefrag),
    Number<&C::active_defrag_cycle_min>("active-defrag-cycle-min", "", kModifiable, 1, 99, "1"),
    Number<&C::active_defrag_cycle_max>("active-defrag-cycle-max", "", kModifiable, 1, 99, "25"),
    Number<&C::active_defrag_threshold_lower>("active-defrag-threshold-lower", "", kModifiable, 0,
                                              1000, "10"),
    Number<&C::active_defrag_threshold_upper>("active-defrag-threshold-upper", "", kModifiable, 0,
                                              1000, "100"),
    Number<&C::active_defrag_max_scan_fields>("active-defrag-max-scan-fields", "", kModifiable, 1,
                                              kLongMax, "1000"),
    Number<&C::active_defrag_ignore_bytes>("active-defrag-ignore-bytes", "", kModifiable, 1,
                                           kLongMax, "100mb", NumFormat::kMemory),
    Special("oom-score-adj", kModifiable, "no", &SetOomScoreAdj, &GetOomScoreAdj,
            &RewriteOomScoreAdj),
    Special("oom-score-adj-values", kModifiable | kMultiArg, "0 200 800", &SetOomScoreAdjValues,
            &GetOomScoreAdjValues, &RewriteOomScoreAdjValues),
    Special("notify-keyspace-events", kModifiable, "", &SetNotifyKeyspaceEvents,
            &GetNotifyKeyspaceEvents, &RewriteNotifyKeyspaceEvents),
    // Encoding thresholds.
    Number<&C::hash_max_listpack_entries>("hash-max-listpack-entries", "hash-max-ziplist-entries",
                                          kModifiable, 0, kLongMax, "512"),
    Number<&C::hash_max_listpack_value>("hash-max-listpack-value", "hash-max-ziplist-value",
                                        kModifiable, 0, kLongMax, "64", NumFormat::kMemory),
    Number<&C::set_max_intset_entries>("set-max-intset-entries", "", kModifiable, 0, kLongMax,
                                       "512"),
    Number<&C::set_max_listpack_entries>("set-max-listpack-entries", "", kModifiable, 0, kLongMax,
                                         "128"),
    Number<&C::set_max_listpack_value>("set-max-listpack-value", "", kModifiable, 0, kLongMax,
                                       "64"),
    Number<&C::zset_max_listpack_entries>("zset-max-listpack-entries", "zset-max-ziplist-entries",
                                          kModifiable, 0, kLongMax, "128"),
    Number<&C::zset_max_listpack_value>("zset-max-listpack-value", "zset-max-ziplist-value",
                                        kModifiable, 0, kLongMax, "64", NumFormat::kMemory),
    Number<&C::list_max_listpack_size>("list-max-listpack-size", "list-max-ziplist-size",
                                       kModifiable, kIntMin, kIntMax, "-2"),
    Number<&C::list_compress_depth>("list-compress-depth", "", kModifiable, 0, kIntMax, "0"),
    Number<&C::hll_sparse_max_bytes>("hll-sparse-max-bytes", "", kModifiable, 0, kLongMax, "3000",
                                     NumFormat::kMemory),
    Number<&C::stream_node_max_bytes>("stream-node-max-bytes", "", kModifiable, 0, kLongMax, "4096",
                                      NumFormat::kMemory),
    Number<&C::stream_node_max_entries>("stream-node-max-entries", "", kModifiable, 0, kLongMax,
                                        "100"),
};

}  // namespace

std::span<const ConfigRegistry::Entry> ConfigTable() { return kTable; }

}  // namespace tessera::server
