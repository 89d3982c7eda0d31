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
#include "server/replication/primary.h"
#include "server/replication/replica.h"
#include "server/scripting/lua_convert.h"
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
  // `shards`: the script's shards when it may need more (null: it holds every shard), or
  // the before-images of a SCRIPT DEBUG YES session (ScriptShards::UndoOnly).
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
    // A script replayed from the AOF runs its commands as the loader does (-LOADING is for
    // the other clients).
    client_.aof_loader = ctx.client.aof_loader;
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
    if (spec == nullptr) return Refuse(nullptr, std::string(errors::kScriptUnknownCommand), error);
    if (!ArityOk(*spec, args.size())) {
      return Refuse(spec, std::string(errors::kScriptWrongArity), error);
    }
    // Scripting commands stay refused even under DEBUG SET-DISABLE-DENY-SCRIPTS: they would
    // rebuild or reuse this thread's engine while it runs the script.
    bool noscript = (spec->flags & kNoScript) != 0;
    if (noscript && (!server.scripts().deny_script_disabled() || spec->group == "scripting")) {
      return Refuse(spec, std::string(errors::kScriptNoScriptCommand), error);
    }
    if (!client_.user->unrestricted()) {
      std::string denied =
          CheckAclAndLog(server, *client_.user, ctx_.client, *spec, args, acl::LogContext::kLua);
      if (!denied.empty()) return Refuse(spec, "ACL failure in script: " + denied, error);
    }
    if (read_only_ && (spec->flags & (kWrite | kMayReplicate)) != 0) {
      return Refuse(spec, std::string(errors::kScriptWriteInReadOnly), error);
    }
    // Over maxmemory at the script's start, a deny-oom command fails unless the script
    // already changed something (it cannot stop half-way then).  Redis's scriptVerifyOOM.
    if (!allow_oom_ && !dirty_ && (spec->flags & kDenyOom) != 0 && PreCommandOom() &&
        server.config().maxmemory.load(std::memory_order_relaxed) != 0) {
      // The OOM code survives, as in Redis.
      return Refuse(spec, "-" + std::string(errors::kOom), error);
    }
    // The replica and min-replicas rules, for writes until the script changed something
    // (Redis's scriptVerifyWriteCommandAllow and scriptVerifyAllowStale).
    const ReplicationReplica& link = server.replica_link();
    if ((spec->flags & kWrite) != 0 && !dirty_) {
      const bool obey = ctx_.client.aof_loader || ctx_.client.master;
      if (link.is_replica() && !obey &&
          server.config().replica_read_only.load(std::memory_order_relaxed)) {
        return Refuse(spec, "-" + std::string(errors::kReadOnlyReplica), error);
      }
      if (!link.is_replica() && !server.replication().EnoughGoodReplicas(server.NowMs())) {
        return Refuse(spec, "-" + std::string(errors::kNoReplicas), error);
      }
    }
    if (link.is_replica() && !link.link_up() && (spec->flags & kStale) == 0 &&
        !server.config().replica_serve_stale_data.load(std::memory_order_relaxed)) {
      return Refuse(spec, "Can not execute the command on a stale replica", error);
    }
    if (shards_ != nullptr && !shards_->Admit(*spec, args, client_.db)) {
      if (shards_->undo_only()) {
        return Refuse(spec, std::string(errors::kScriptDebugCannotUndo), error);
      }
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
  // A call refused before it ran is counted as Redis's scriptCall counts it: one error reply
  // (by its code: "-CODE ..." keeps it, any other text is ERR) and a rejected call of the
  // command, if it names one.  The script's reply that may carry the error again does not
  // count it again (ReplyErrors).
  void Refuse(const CommandSpec* spec, std::string message, std::string* error) {
    std::string_view text = message;
    ctx_.server.error_stats().Count(text.substr(0, 1) == "-" ? text.substr(1) : "ERR");
    if (spec != nullptr) ctx_.stats->commands[spec->id].rejected_calls.Add(1);
    *error = std::move(message);
  }

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

namespace {

// The script command's own error statistics (CommandContext::reply_errors_counted): errors
// counted already (a redis.call's, carried by the reply) count only as failed calls, one
// each, as Redis's afterErrorReply does with ERR_REPLY_FLAG_NO_STATS_UPDATE; the others
// are counted, and the command failed once more if there were any (Redis's call() sees the
// error count grow).
void CountReplyErrors(CommandContext& ctx, const scripting::ReplyErrors& errors) {
  for (const std::string& message : errors.uncounted) ctx.server.error_stats().Count(message);
  uint64_t failed = errors.counted + (errors.uncounted.empty() ? 0 : 1);
  if (failed != 0 && ctx.stats != nullptr) {
    ctx.stats->commands[ctx.spec.id].failed_calls.Add(failed);
  }
  ctx.reply_errors_counted = true;
}

}  // namespace

namespace {

// A script in a debugging session (script_debug.h): it holds every shard while the session
// lasts, as Redis's synchronous session holds the whole server, so it never restarts (a
// rerun would replay the session).  SCRIPT DEBUG YES: its writes are undone at the end, from
// before-images taken as it goes, with its write-log records, ready keys and held events.
void RunDebugged(CommandContext& ctx, const ScriptRun& run, bool read_only, bool allow_oom) {
  Server& server = ctx.server;
  const bool undo = ctx.client.lua_debug == ClientState::LuaDebug::kYes;
  const bool held_all = keyspace::ShardMutex::HeldAll() || LocksAllShards(ctx.args);
  ScriptShards shards(server, held_all ? scripting::ArgSpan() : run.keys);
  if (!held_all) shards.EscalateToAll();
  if (undo) shards.UndoOnly();
  const EffectsMark effects_mark = MarkEffects();
  HeldSignals signals(undo);
  Host host(ctx, read_only, allow_oom, undo ? &shards : nullptr);
  scripting::ReplyErrors errors;
  scripting::LuaEngine& engine = server.scripts().EngineForThisThread();
  {
    keyspace::ShardMutex::ScopedAllShardsHeld all;
    server.scripts().BeginRun(run.eval_mode, run.name, ctx.args, server.ScriptClockUs());
    engine.RunDebugged(run.name, run.eval_mode, run.keys, run.argv, host, ctx.reply, run.eval_ref,
                       &errors, run.debugger);
    server.scripts().EndRun();
  }
  if (undo) {
    shards.RollBack(server.NowMs());
    RollBackEffects(effects_mark);
    signals.Discard();
  } else {
    signals.Release();
  }
  CountReplyErrors(ctx, errors);
}

}  // namespace

std::string_view BusyScriptError(Server& server) {
  return server.scripts().running_eval() ? errors::kBusyScript : errors::kBusyFunction;
}

void RunScript(CommandContext& ctx, const ScriptRun& run) {
  bool compat = (run.flags & scripting::kScriptEvalCompat) != 0;
  bool no_writes = (run.flags & scripting::kScriptNoWrites) != 0;
  // Redis's scriptPrepareForRun: a stale replica, a read-only replica, min-replicas-to-write
  // (the dispatcher judged EVAL itself, which is no write command).
  const ReplicationReplica& link = ctx.server.replica_link();
  const bool obey = ctx.client.aof_loader || ctx.client.master;
  const bool stale = link.is_replica() && !link.link_up() &&
                     !ctx.server.config().replica_serve_stale_data.load(std::memory_order_relaxed);
  if (compat) {
    if (stale) return ctx.reply.Error(errors::kMasterDown);
  } else {
    if (stale && (run.flags & scripting::kScriptAllowStale) == 0) {
      return ctx.reply.Error(
          "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and "
          "'allow-stale' flag is not set on the script.");
    }
    if (!no_writes && link.is_replica() && !obey &&
        ctx.server.config().replica_read_only.load(std::memory_order_relaxed)) {
      return ctx.reply.Error("READONLY Can not run script with write flag on readonly replica");
    }
  }
  if (!compat && !no_writes && run.read_only) {
    return ctx.reply.Error(errors::kScriptWriteFlagRo);
  }
  if (!compat && !no_writes && !link.is_replica() &&
      !ctx.server.replication().EnoughGoodReplicas(ctx.server.NowMs())) {
    return ctx.reply.Error(errors::kNoReplicas);
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
  if (run.debugger != nullptr) return RunDebugged(ctx, run, read_only, allow_oom);
  scripting::LuaEngine& engine = server.scripts().EngineForThisThread();
  bool hook = server.config().busy_reply_threshold.load(std::memory_order_relaxed) > 0;
  if (keyspace::ShardMutex::HeldAll() || LocksAllShards(ctx.args)) {
    // Every shard is held already: inside EXEC, or no key was declared and the dispatcher
    // locked them all (script_locks.h).
    Host host(ctx, read_only, allow_oom, nullptr);
    keyspace::ShardMutex::ScopedAllShardsHeld held;
    scripting::ReplyErrors errors;
    server.scripts().BeginRun(run.eval_mode, run.name, ctx.args, server.ScriptClockUs());
    engine.Run(run.name, run.eval_mode, run.keys, run.argv, host, hook, ctx.reply, run.eval_ref,
               &errors);
    server.scripts().EndRun();
    CountReplyErrors(ctx, errors);
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
    scripting::ReplyErrors errors;
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
      engine.Run(run.name, run.eval_mode, run.keys, run.argv, host, hook || partial, ctx.reply,
                 run.eval_ref, &errors);
      server.scripts().EndRun();
      shards.EndAttempt();
    }
    if (!host.abandoned()) {
      signals.Release();  // the host's client is still alive: held events may name it
      CountReplyErrors(ctx, errors);
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
