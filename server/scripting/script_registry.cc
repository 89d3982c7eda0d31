#include "server/scripting/script_registry.h"

#include <algorithm>
#include <cctype>

#include "core/base/ascii.h"

#include "core/base/split_args.h"
#include "core/keyspace/lazy_free.h"
#include "server/lazy_free.h"

namespace tessera::server::scripting {

namespace {

struct FlagName {
  uint32_t flag;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kScriptNoWrites, "no-writes"},
    {kScriptAllowOom, "allow-oom"},
    {kScriptAllowStale, "allow-stale"},
    {kScriptNoCluster, "no-cluster"},
    {kScriptAllowCrossSlot, "allow-cross-slot-keys"},
};

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::atomic<uint64_t> next_registry_id{1};

}  // namespace

uint32_t ScriptFlagFromName(std::string_view name, bool ignore_case) {
  for (const FlagName& f : kFlagNames) {
    if (ignore_case ? EqualsNoCase(f.name, name) : f.name == name) return f.flag;
  }
  return 0;
}

std::vector<std::string_view> ScriptFlagNames(uint32_t flags) {
  std::vector<std::string_view> names;
  for (const FlagName& f : kFlagNames) {
    if ((flags & f.flag) != 0) names.push_back(f.name);
  }
  return names;
}

bool ParseEvalShebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                      std::string* error) {
  *flags = kScriptEvalCompat;
  *shebang_len = 0;
  if (body.substr(0, 2) != "#!") return true;
  size_t end = body.find('\n');
  if (end == std::string_view::npos) {
    *error = "ERR Invalid script shebang";
    return false;
  }
  // Redis reads the line as a C string: it ends at a NUL.
  std::string_view line = body.substr(0, end);
  line = line.substr(0, line.find('\0'));
  std::vector<std::string> parts;
  if (!SplitArgs(line, &parts) || parts.empty()) {
    *error = "ERR Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *error = "ERR Unexpected engine in script shebang: " + parts[0];
    return false;
  }
  *flags = 0;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (part.substr(0, 6) != "flags=") {
      *error = "ERR Unknown lua shebang option: " + parts[i];
      return false;
    }
    part.remove_prefix(6);
    // Redis splits on ',' keeping empty pieces ("flags=" is no flag at all).
    if (part.empty()) continue;
    size_t start = 0;
    while (start <= part.size()) {
      size_t comma = part.find(',', start);
      if (comma == std::string_view::npos) comma = part.size();
      std::string_view name = part.substr(start, comma - start);
      uint32_t flag = ScriptFlagFromName(name, /*ignore_case=*/false);
      if (flag == 0) {
        *error = "ERR Unexpected flag in script shebang: " + std::string(name);
        return false;
      }
      *flags |= flag;
      start = comma + 1;
    }
  }
  *shebang_len = end;
  return true;
}

std::string_view ScriptSource(std::string_view body, size_t shebang_len) {
  return body.substr(shebang_len);
}

ScriptRegistry::ScriptRegistry() : id_(next_registry_id.fetch_add(1)) {}

std::optional<CachedScript> ScriptRegistry::FindScript(const std::string& sha) const {
  std::lock_guard lock(mu_);
  auto it = scripts_.find(sha);
  if (it == scripts_.end()) return std::nullopt;
  return it->second;
}

bool ScriptRegistry::HasScript(const std::string& sha) const {
  std::lock_guard lock(mu_);
  return scripts_.count(sha) != 0;
}

void ScriptRegistry::AddScript(const std::string& sha, std::string body, uint32_t flags) {
  std::lock_guard lock(mu_);
  size_t size = body.size();
  if (scripts_.emplace(sha, CachedScript{std::move(body), flags}).second) {
    scripts_bytes_ += size + sha.size();
  }
}

size_t ScriptRegistry::script_count() const {
  std::lock_guard lock(mu_);
  return scripts_.size();
}

size_t ScriptRegistry::scripts_bytes() const {
  std::lock_guard lock(mu_);
  return scripts_bytes_;
}

namespace {

// Frees `old` on the lazy-free thread when it holds more than the threshold's `count` objects
// (Redis's freeLuaScriptsAsync / freeFunctionsAsync); else it is freed here, by the caller.
template <class T>
void MaybeFreeLater(LazyFreer* lazy, T&& old, size_t count) {
  if (lazy == nullptr || count <= keyspace::kLazyFreeThreshold) return;
  auto held = std::make_shared<std::decay_t<T>>(std::move(old));
  lazy->FreeLater([held]() mutable { held.reset(); }, count);
}

}  // namespace

void ScriptRegistry::FlushScripts(LazyFreer* lazy) {
  std::unordered_map<std::string, CachedScript> old;
  {
    std::lock_guard lock(mu_);
    old.swap(scripts_);
    scripts_bytes_ = 0;
    generation_.fetch_add(1);
    ForgetEscalated();
  }
  const size_t count = old.size();
  MaybeFreeLater(lazy, std::move(old), count);
}

std::optional<std::pair<Library, FunctionInfo>> ScriptRegistry::FindFunction(
    const std::string& name) const {
  std::lock_guard lock(mu_);
  std::string key = AsciiLower(name);
  auto it = function_to_library_.find(key);
  if (it == function_to_library_.end()) return std::nullopt;
  const Library& lib = libraries_.at(it->second);
  for (const FunctionInfo& f : lib.functions) {
    if (AsciiLower(f.name) == key) return std::make_pair(lib, f);
  }
  return std::nullopt;
}

std::vector<Library> ScriptRegistry::Libraries() const {
  std::lock_guard lock(mu_);
  std::vector<Library> libs;
  for (const auto& [name, lib] : libraries_) libs.push_back(lib);
  return libs;
}

bool ScriptRegistry::HasLibrary(const std::string& name) const {
  std::lock_guard lock(mu_);
  return libraries_.count(name) != 0;
}

bool ScriptRegistry::PutLibrary(Library lib, bool replace, std::string* error) {
  std::lock_guard lock(mu_);
  if (libraries_.count(lib.name) != 0 && !replace) {
    *error = "ERR Library '" + lib.name + "' already exists";
    return false;
  }
  for (const FunctionInfo& f : lib.functions) {
    auto it = function_to_library_.find(AsciiLower(f.name));
    if (it != function_to_library_.end() && it->second != lib.name) {
      *error = "ERR Function " + f.name + " already exists";
      return false;
    }
  }
  auto old = libraries_.find(lib.name);
  if (old != libraries_.end()) {
    for (const FunctionInfo& f : old->second.functions) {
      function_to_library_.erase(AsciiLower(f.name));
    }
  }
  for (const FunctionInfo& f : lib.functions) function_to_library_[AsciiLower(f.name)] = lib.name;
  std::string name = lib.name;
  libraries_[name] = std::move(lib);
  generation_.fetch_add(1);
  return true;
}

bool ScriptRegistry::DeleteLibrary(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  for (const FunctionInfo& f : it->second.functions) function_to_library_.erase(AsciiLower(f.name));
  libraries_.erase(it);
  generation_.fetch_add(1);
  return true;
}

void ScriptRegistry::FlushLibraries(LazyFreer* lazy) {
  std::map<std::string, Library> old;
  size_t functions = 0;
  {
    std::lock_guard lock(mu_);
    old.swap(libraries_);
    functions = function_to_library_.size();
    function_to_library_.clear();
    generation_.fetch_add(1);
    ForgetEscalated();
  }
  MaybeFreeLater(lazy, std::move(old), functions);
}

void ScriptRegistry::SetLibraries(std::vector<Library> libs) {
  std::lock_guard lock(mu_);
  libraries_.clear();
  function_to_library_.clear();
  for (Library& lib : libs) {
    for (const FunctionInfo& f : lib.functions) {
      function_to_library_[AsciiLower(f.name)] = lib.name;
    }
    std::string name = lib.name;
    libraries_[name] = std::move(lib);
  }
  generation_.fetch_add(1);
}

namespace {
struct ThreadEngine {
  uint64_t registry = 0;
  uint64_t generation = 0;
  std::unique_ptr<LuaEngine> engine;
};
thread_local ThreadEngine this_thread_engine;
}  // namespace

size_t ScriptRegistry::ThisThreadEngineBytes() const {
  const ThreadEngine& mine = this_thread_engine;
  if (mine.engine == nullptr || mine.registry != id_) return 0;
  return mine.engine->MemoryBytes();
}

size_t ScriptRegistry::function_count() const {
  std::lock_guard lock(mu_);
  return function_to_library_.size();
}

size_t ScriptRegistry::library_count() const {
  std::lock_guard lock(mu_);
  return libraries_.size();
}

bool ScriptRegistry::JoinLibraries(std::vector<Library> libs, bool replace, std::string* error) {
  std::lock_guard lock(mu_);
  std::map<std::string, Library> result = libraries_;
  for (Library& lib : libs) {
    if (result.count(lib.name) != 0 && !replace) {
      *error = "ERR Library " + lib.name + " already exists";
      return false;
    }
    std::string name = lib.name;
    result[name] = std::move(lib);
  }
  std::unordered_map<std::string, std::string> functions;
  for (const auto& [name, lib] : result) {
    for (const FunctionInfo& f : lib.functions) {
      if (!functions.emplace(AsciiLower(f.name), name).second) {
        *error = "ERR Function " + f.name + " already exists";
        return false;
      }
    }
  }
  libraries_ = std::move(result);
  function_to_library_ = std::move(functions);
  generation_.fetch_add(1);
  return true;
}

LuaEngine& ScriptRegistry::EngineForThisThread() {
  ThreadEngine& mine = this_thread_engine;
  uint64_t generation = generation_.load();
  if (mine.engine == nullptr || mine.registry != id_ || mine.generation != generation) {
    mine.engine = std::make_unique<LuaEngine>();
    mine.registry = id_;
    mine.generation = generation;
    for (const Library& lib : Libraries()) {
      std::vector<FunctionInfo> functions;
      std::string error;
      // The code past its "#!lua name=..." line (kept, so line numbers stay right).
      std::string_view code = lib.code;
      size_t shebang_end = code.find('\n');
      code = shebang_end == std::string_view::npos ? std::string_view() : code.substr(shebang_end);
      mine.engine->LoadLibrary(code, /*install=*/true, &functions, &error);
    }
  }
  return *mine.engine;
}

ScriptRegistry::Run& ScriptRegistry::ThisThreadRun() {
  thread_local Run run;
  return run;
}

void ScriptRegistry::BeginRun(bool eval_mode, std::string_view name, ArgSpan command,
                              int64_t now_us) {
  Run& run = ThisThreadRun();
  run.eval_mode = eval_mode;
  run.name = name;
  run.command = command;
  run.start_us = now_us;
  run.wrote.store(false, std::memory_order_relaxed);
  run.kill.store(false, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  runs_.push_back(&run);
  UpdateOldestLocked();
  running_.fetch_add(1, std::memory_order_release);
}

void ScriptRegistry::EndRun() {
  Run& run = ThisThreadRun();
  std::lock_guard lock(mu_);
  runs_.erase(std::find(runs_.begin(), runs_.end(), &run));
  UpdateOldestLocked();
  running_.fetch_sub(1, std::memory_order_release);
  run.kill.store(false, std::memory_order_relaxed);
}

void ScriptRegistry::UpdateOldestLocked() {
  if (runs_.empty()) return;
  eval_mode_.store(runs_.front()->eval_mode, std::memory_order_relaxed);
  start_us_.store(runs_.front()->start_us, std::memory_order_relaxed);
}

void ScriptRegistry::NoteWrite() { ThisThreadRun().wrote.store(true, std::memory_order_relaxed); }

bool ScriptRegistry::running_wrote() const {
  std::lock_guard lock(mu_);
  return std::any_of(runs_.begin(), runs_.end(),
                     [](const Run* r) { return r->wrote.load(std::memory_order_relaxed); });
}

bool ScriptRegistry::kill_requested() const {
  return ThisThreadRun().kill.load(std::memory_order_relaxed) ||
         abort_.load(std::memory_order_relaxed);
}

bool ScriptRegistry::ThisThreadTimedOut(int64_t now_us, int64_t threshold_ms) const {
  if (threshold_ms <= 0) return false;
  return now_us - ThisThreadRun().start_us >= threshold_ms * 1000;
}

bool ScriptRegistry::TimedOut(int64_t now_us, int64_t threshold_ms) const {
  if (!running() || threshold_ms <= 0) return false;
  return now_us - start_us_.load(std::memory_order_relaxed) >= threshold_ms * 1000;
}

// With one run this is Redis's order of checks: not busy, has written, wrong kind.  With
// several, every run of the asked kind that has not written is stopped.
ScriptRegistry::KillResult ScriptRegistry::RequestKill(bool eval) {
  std::lock_guard lock(mu_);
  if (runs_.empty()) return KillResult::kNotBusy;
  bool any_wrote = false;
  std::vector<Run*> killable;
  for (Run* r : runs_) {
    bool wrote = r->wrote.load(std::memory_order_relaxed);
    any_wrote |= wrote;
    if (r->eval_mode == eval && !wrote) killable.push_back(r);
  }
  if (killable.empty()) return any_wrote ? KillResult::kUnkillable : KillResult::kWrongKind;
  for (Run* r : killable) r->kill.store(true, std::memory_order_relaxed);
  return KillResult::kOk;
}

std::vector<std::string> ScriptRegistry::running_command() const {
  std::lock_guard lock(mu_);
  if (runs_.empty()) return {};
  ArgSpan command = runs_.front()->command;
  return std::vector<std::string>(command.begin(), command.end());
}

std::string ScriptRegistry::running_name() const {
  std::lock_guard lock(mu_);
  return runs_.empty() ? std::string() : std::string(runs_.front()->name);
}

bool ScriptRegistry::NeedsAllShards(std::string_view name) const {
  if (escalated_count_.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard lock(escalated_mu_);
  return escalated_.count(std::string(name)) != 0;
}

void ScriptRegistry::NoteNeedsAllShards(std::string_view name) {
  std::lock_guard lock(escalated_mu_);
  if (escalated_.size() >= kMaxEscalated) escalated_.clear();
  escalated_.emplace(std::string(name), true);
  escalated_count_.store(escalated_.size(), std::memory_order_relaxed);
}

void ScriptRegistry::ForgetEscalated() {
  std::lock_guard lock(escalated_mu_);
  escalated_.clear();
  escalated_count_.store(0, std::memory_order_relaxed);
}

bool ScriptRegistry::TakeForcedAcquisitionFailure() {
  int n = fail_acquisitions_.load(std::memory_order_relaxed);
  while (n > 0) {
    if (fail_acquisitions_.compare_exchange_weak(n, n - 1)) return true;
  }
  return false;
}

}  // namespace tessera::server::scripting
