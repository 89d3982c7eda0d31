#include "server/commands/script_runner.h"

#include <optional>

#include "core/base/numbers.h"
#include "server/acl/acl_check.h"
#include "server/client_state.h"
#include "server/commands/dispatcher.h"
#include "server/commands/errors.h"
#include "server/commands/oom_check.h"
#include "server/commands/script_locks.h"
#include "server/commands/script_signals.h"
#include "server/log.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using scripting::ArgSpan;

// Redis's lookupCommand: a container's subcommand when there is one to look for.
const CommandSpec* LookupForScript(const Server& server, ArgSpan args) {
  const CommandSpec* spec = server.commands().Find(args[0]);
  if (spec != nullptr && !spec->subcommands.empty() && args.size() >= 2) {
    spec = CommandTable::FindSub(*spec, args[1]);
  }
  return spec;
}

bool ArityOk(const CommandSpec& spec, size_t argc) {
  return spec.arity > 0 ? argc == static_cast<size_t>(spec.arity)
                        : argc >= static_cast<size_t>(-spec.arity);
}

// What redis.call runs as: Redis's lua client.  Its commands go through Dispatch() like a
// connection's; `in_exec` (no pause, no blocking, blocked clients served after the script)
// and `in_script` (never BUSY) make them part of the script's atomic step.
class Host : public scripting::ScriptHost {
 public:
  // `shards`: the script's shards when it may need more (null: it holds every shard).
  Host(CommandContext& ctx, bool read_only, bool allow_oom, ScriptShards* shards)
      : ctx_(ctx), read_only_(read_only), allow_oom_(allow_oom), shards_(shards) {
    client_.id = ctx.client.id;
    client_.db = ctx.client.db;
    client_.authenticated = true;
    client_.in_exec = true;
    client_.in_script = true;
    client_.addr = "lua";
    client_.script_time_us = start_us_;
    client_.is_local = ctx.client.is_local;
    client_.no_touch = ctx.client.no_touch;
    client_.script_caller = &ctx.client;
    // The script runs as its caller's user (Redis's lua client takes the caller's user).
    NeedsAclCheck(ctx.server, ctx.client);
    client_.user = ctx.client.user;
    client_.user_name = ctx.client.user_name;
    client_.acl_epoch = ctx.client.acl_epoch;
  }

  void Call(ArgSpan args, int resp, std::string* reply, std::string* error) override {
    Server& server = ctx_.server;
    if (abandoned_) {
      *error = kAbandoned;
      return;
    }
    const CommandSpec* spec = LookupForScript(server, args);
    if (spec == nullptr || !ArityOk(*spec, args.size())) {
      *error = spec == nullptr ? errors::kScriptUnknownCommand : errors::kScriptWrongArity;
      return;
    }
    // Scripting commands stay refused even under DEBUG SET-DISABLE-DENY-SCRIPTS: they would
    // rebuild or reuse this thread's engine while it runs the script.
    bool noscript = (spec->flags & kNoScript) != 0;
    if (noscript && (!server.scripts().deny_script_disabled() || spec->group == "scripting")) {
      *error = errors::kScriptNoScriptCommand;
      return;
    }
    if (!client_.user->unrestricted()) {
      std::string denied =
          CheckAclAndLog(server, *client_.user, ctx_.client, *spec, args, acl::LogContext::kLua);
      if (!denied.empty()) {
        *error = "ACL failure in script: " + denied;
        return;
      }
    }
    if (read_only_ && (spec->flags & (kWrite | kMayReplicate)) != 0) {
      *error = errors::kScriptWriteInReadOnly;
      return;
    }
    // Over maxmemory at the script's start, a deny-oom command fails unless the script
    // already changed something (it cannot stop half-way then).  Redis's scriptVerifyOOM.
    if (!allow_oom_ && !dirty_ && (spec->flags & kDenyOom) != 0 && PreCommandOom() &&
        server.config().maxmemory.load(std::memory_order_relaxed) != 0) {
      *error = "-" + std::string(errors::kOom);  // the OOM code survives, as in Redis
      return;
    }
    if (shards_ != nullptr && !shards_->Admit(*spec, args, client_.db)) {
      abandoned_ = true;  // RunScript rolls the attempt back and runs it again
      *error = kAbandoned;
      return;
    }
    if ((spec->flags & kWrite) != 0) server.scripts().NoteWrite();
    client_.resp = resp;
    resp::ReplyBuilder builder(reply, resp);
    // Time stands still while a script runs (as in Redis): every command sees its start.
    int64_t clock_us = start_us_;
    uint64_t dirty_before = ctx_.stats->dirty.Get();
    Dispatch(server, client_, *ctx_.stats, args, builder, clock_us);
    if (ctx_.stats->dirty.Get() != dirty_before) dirty_ = true;
  }

  AclVerdict CheckAcl(ArgSpan args) override {
    const CommandSpec* spec = LookupForScript(ctx_.server, args);
    if (spec == nullptr) return AclVerdict::kUnknown;
    int index = 0;
    return client_.user->Check(*spec, args, &index) == acl::Denial::kNone ? AclVerdict::kAllowed
                                                                          : AclVerdict::kDenied;
  }

  // Every 100000 instructions.  Past busy-reply-threshold this script is "timed out" (as
  // Redis says): the worker's other clients are served from here, each time, until it ends.
  // Several scripts may run at once (script_locks.h): each is judged by its own start.
  bool Interrupted() override {
    if (abandoned_) return true;
    Server& server = ctx_.server;
    scripting::ScriptRegistry& scripts = server.scripts();
    if (!timed_out_) {
      int64_t threshold_ms = server.config().busy_reply_threshold.load(std::memory_order_relaxed);
      if (!scripts.ThisThreadTimedOut(server.ScriptClockUs(), threshold_ms)) {
        return scripts.kill_requested();
      }
      timed_out_ = true;
      int64_t elapsed_ms = (server.ScriptClockUs() - scripts.this_thread_start_us()) / 1000;
      bool eval = scripts.this_thread_eval();
      // Redis names an EVAL script by its Lua function, f_<sha>.
      Log(LogLevel::kWarning,
          "Slow script detected: still in execution after {} milliseconds. You can try killing "
          "the script using the {} command. Script name is: {}{}.",
          elapsed_ms, eval ? "SCRIPT KILL" : "FUNCTION KILL", eval ? "f_" : "",
          scripts.this_thread_name());
    }
    if (ctx_.client.control != nullptr) ctx_.client.control->ServeOthersWhileScriptBusy();
    return scripts.kill_requested();
  }

  // The script needed a shard it could not take: this attempt is to be undone.
  bool abandoned() const { return abandoned_; }

 private:
  // What the script's redis.call gets once its attempt is abandoned (nobody sees it: the
  // attempt's reply is discarded).
  static constexpr std::string_view kAbandoned = "ERR script restarts holding every shard";
  CommandContext& ctx_;
  bool read_only_;
  bool allow_oom_;
  bool dirty_ = false;      // a command of the script changed the keyspace
  ScriptShards* shards_;
  bool abandoned_ = false;
  bool timed_out_ = false;  // past busy-reply-threshold: other clients are being served
  ClientState client_;
  int64_t start_us_ = Server::RealNowUs();
};

}  // namespace

void SetScriptKeys(CommandSpec* spec, bool ro) {
  const uint32_t key_flags = ro ? (kKeyRO | kKeyAccess) : (kKeyRW | kKeyAccess | kKeyUpdate);
  KeySpec keys{2, 0, 1, key_flags, {}, /*keynum=*/true};
  keys.notes = ro ? "A script may do anything a read-only command may with its keys: RO and "
                    "ACCESS are assumed"
                  : "A script may do anything with its keys: the widest flags, RW and UPDATE, are "
                    "assumed";
  spec->flags |= kNoMandatoryKeys;
  spec->keys.flags = key_flags;
  spec->key_specs = {keys};
  spec->key_extractor = ScriptKeys;
  spec->locks_all_shards = LocksAllShards;
}

bool ScriptKeys(ArgList args, std::vector<int>* out) {
  int64_t numkeys = 0;
  if (args.size() < 3 || !ParseInt64(args[2], &numkeys) || numkeys < 0 ||
      numkeys > static_cast<int64_t>(args.size()) - 3) {
    return false;
  }
  for (int64_t i = 0; i < numkeys; ++i) out->push_back(static_cast<int>(3 + i));
  return true;
}

// The dispatcher locks the declared keys' shards; every shard for a script that declares
// none (script_locks.h, step 1).
bool LocksAllShards(ArgList args) {
  int64_t numkeys = 0;
  return args.size() < 3 || !ParseInt64(args[2], &numkeys) || numkeys <= 0;
}

bool IsScriptCommand(const CommandSpec& spec) { return spec.key_extractor == ScriptKeys; }

bool ScriptTimedOut(Server& server) {
  int64_t threshold_ms = server.config().busy_reply_threshold.load(std::memory_order_relaxed);
  return server.scripts().running() &&
         server.scripts().TimedOut(server.ScriptClockUs(), threshold_ms);
}

std::string_view BusyScriptError(Server& server) {
  return server.scripts().running_eval() ? errors::kBusyScript : errors::kBusyFunction;
}

void RunScript(CommandContext& ctx, const ScriptRun& run) {
  bool compat = (run.flags & scripting::kScriptEvalCompat) != 0;
  bool no_writes = (run.flags & scripting::kScriptNoWrites) != 0;
  if (!compat && !no_writes && run.read_only) {
    return ctx.reply.Error(errors::kScriptWriteFlagRo);
  }
  bool read_only = run.read_only || (!compat && no_writes);
  Server& server = ctx.server;
  // Scripts that declare flags need allow-oom (or no-writes) to start over maxmemory; the
  // AOF loader's scripts always run (Redis's scriptPrepareForRun).
  bool allow_oom =
      ctx.client.aof_loader || (!compat && (run.flags & scripting::kScriptAllowOom) != 0);
  if (!compat && !allow_oom && !no_writes && PreCommandOom() &&
      server.config().maxmemory.load(std::memory_order_relaxed) != 0) {
    return ctx.reply.Error(errors::kScriptOom);
  }
  scripting::LuaEngine& engine = server.scripts().EngineForThisThread();
  bool hook = server.config().busy_reply_threshold.load(std::memory_order_relaxed) > 0;
  if (keyspace::ShardMutex::HeldAll() || LocksAllShards(ctx.args)) {
    // Every shard is held already: inside EXEC, or no key was declared and the dispatcher
    // locked them all (script_locks.h).
    Host host(ctx, read_only, allow_oom, nullptr);
    keyspace::ShardMutex::ScopedAllShardsHeld held;
    server.scripts().BeginRun(run.eval_mode, run.name, ctx.args, server.ScriptClockUs());
    engine.Run(run.name, run.eval_mode, run.keys, run.argv, host, hook, ctx.reply);
    server.scripts().EndRun();
    return;
  }
  ScriptShards shards(server, run.keys);
  if (server.scripts().NeedsAllShards(run.name)) shards.EscalateToAll();
  const size_t reply_mark = ctx.reply.buffer()->size();
  const EffectsMark effects_mark = MarkEffects();
  for (;;) {
    const bool partial = !shards.all();
    HeldSignals signals(partial);
    Host host(ctx, read_only, allow_oom, partial ? &shards : nullptr);
    {
      std::optional<keyspace::ShardMutex::ScopedShardsHeld> some;
      std::optional<keyspace::ShardMutex::ScopedAllShardsHeld> all;
      if (partial) {
        some.emplace(shards.held());
      } else {
        all.emplace();
      }
      server.scripts().BeginRun(run.eval_mode, run.name, ctx.args, server.ScriptClockUs());
      // With part of the shards the hook also stops an abandoned attempt quickly.
      engine.Run(run.name, run.eval_mode, run.keys, run.argv, host, hook || partial, ctx.reply);
      server.scripts().EndRun();
      shards.EndAttempt();
    }
    if (!host.abandoned()) {
      signals.Release();  // the host's client is still alive: held events may name it
      return;
    }
    // Undo the attempt (script_locks.h, step 3), then run again holding every shard.
    shards.RollBack(server.NowMs());
    RollBackEffects(effects_mark);
    signals.Discard();
    ctx.reply.buffer()->resize(reply_mark);
    server.scripts().NoteNeedsAllShards(run.name);
    server.scripts().CountRestart();
    Log(LogLevel::kVerbose,
        "Script {} needed a busy shard it did not declare: undone, rerun holding every shard",
        run.name);
    shards.EscalateToAll();
  }
}

}  // namespace tessera::server
