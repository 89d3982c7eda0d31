#include "server/commands/oom_check.h"

#include "core/base/ascii.h"
#include "server/client_state.h"
#include "server/commands/errors.h"
#include "server/scripting/script_registry.h"
#include "server/server.h"

namespace tessera::server {

namespace {

thread_local bool pre_command_oom = false;

// Script flags without a shebang's say: the command's own flags decide.
constexpr uint32_t kUnknownScriptFlags = scripting::kScriptEvalCompat;

// The flags of the script EVAL, EVALSHA or FCALL would run (kScriptEvalCompat if it has none,
// or if it cannot be found: the command then fails on its own).
uint32_t ScriptFlagsOf(Server& server, const CommandSpec& spec, ArgList args) {
  if (args.size() < 2) return kUnknownScriptFlags;
  if (spec.name == "eval") {
    uint32_t flags = kUnknownScriptFlags;
    size_t shebang_len = 0;
    std::string error;
    if (!scripting::ParseEvalShebang(args[1], &flags, &shebang_len, &error)) {
      return kUnknownScriptFlags;
    }
    return flags;
  }
  if (spec.name == "evalsha") {
    if (args[1].size() != 40) return kUnknownScriptFlags;
    auto script = server.scripts().FindScript(AsciiLower(args[1]));
    return script ? script->flags : kUnknownScriptFlags;
  }
  if (spec.name == "fcall") {
    auto found = server.scripts().FindFunction(std::string(args[1]));
    return found ? found->second.flags : kUnknownScriptFlags;
  }
  return kUnknownScriptFlags;
}

bool IsDenyOom(Server& server, const CommandSpec& spec, ArgList args) {
  if (spec.parent == nullptr &&
      (spec.name == "eval" || spec.name == "evalsha" || spec.name == "fcall")) {
    uint32_t flags = ScriptFlagsOf(server, spec, args);
    if ((flags & scripting::kScriptEvalCompat) == 0) {
      return (flags & (scripting::kScriptAllowOom | scripting::kScriptNoWrites)) == 0;
    }
  }
  return (spec.flags & kDenyOom) != 0;
}

bool QueuedDenyOom(Server& server, const ClientState& client) {
  std::vector<std::string_view> argv;
  for (const auto& queued : client.queued) {
    if (queued.empty()) continue;
    const CommandSpec* spec = server.commands().Find(queued[0]);
    if (spec == nullptr) continue;
    if (!spec->subcommands.empty() && queued.size() > 1) {
      const CommandSpec* sub = CommandTable::FindSub(*spec, queued[1]);
      if (sub != nullptr) spec = sub;
    }
    argv.assign(queued.begin(), queued.end());
    if (IsDenyOom(server, *spec, argv)) return true;
  }
  return false;
}

bool IsOneOf(const CommandSpec& spec, std::initializer_list<std::string_view> names) {
  if (spec.parent != nullptr) return false;
  for (std::string_view n : names) {
    if (spec.name == n) return true;
  }
  return false;
}

}  // namespace

std::string_view CheckMaxmemory(Server& server, ClientState& client, const CommandSpec& spec,
                                ArgList args, int64_t now_ms) {
  if (client.in_exec || client.in_script || client.aof_loader || client.master) return {};
  if (server.config().maxmemory.load(std::memory_order_relaxed) == 0 || !server.MayEvict()) {
    pre_command_oom = false;
    return {};
  }
  bool oom = server.evictor().PerformEvictions(now_ms, -1, &client) == Evictor::Result::kFail;
  pre_command_oom = oom;
  if (!oom) return {};
  bool reject;
  if (IsOneOf(spec, {"exec"})) {
    reject = client.in_multi && QueuedDenyOom(server, client);
  } else {
    reject = IsDenyOom(server, spec, args) ||
             (client.in_multi && !IsOneOf(spec, {"discard", "quit", "reset"}));
  }
  return reject ? errors::kOom : std::string_view();
}

bool PreCommandOom() { return pre_command_oom; }

}  // namespace tessera::server
