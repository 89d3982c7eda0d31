// Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//
// Queueing and EXEC live in the dispatcher (dispatcher.cc), which sees every command: inside
// MULTI it queues what is not one of these commands, and it runs EXEC's queued commands
// holding every shard's lock, so the transaction is one atomic step for every other client.
// WATCH's bookkeeping is server/watch.h.
#include "core/keyspace/keyspace.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/dispatcher.h"
#include "server/commands/errors.h"
#include "server/server.h"

namespace tessera::server {

namespace {

void MultiCommand(CommandContext& ctx) {
  if (ctx.client.in_multi) return ctx.reply.Error(errors::kMultiNested);
  ctx.client.in_multi = true;
  ctx.client.multi_dirty = false;
  ctx.client.queued.clear();
  ctx.client.NoteMulti(true);
  ctx.reply.Ok();
}

void ForgetWatches(CommandContext& ctx) {
  ctx.client.watch_expiries.clear();
  ctx.server.watches().UnwatchAll(ctx.client.id);
}

void DiscardCommand(CommandContext& ctx) {
  if (!ctx.client.in_multi) return ctx.reply.Error(errors::kDiscardWithoutMulti);
  ctx.client.in_multi = false;
  ctx.client.multi_dirty = false;
  ctx.client.queued.clear();
  ctx.client.NoteMulti(false);
  ForgetWatches(ctx);
  ctx.reply.Ok();
}

void WatchCommand(CommandContext& ctx) {
  if (ctx.client.in_multi) return ctx.reply.Error(errors::kWatchInMulti);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.server.watches().Watch(ctx.client.id, ctx.db.db(), ctx.args[i]);
    // A key that expires after WATCH makes EXEC fail, as if it had been deleted.
    const keyspace::Entry* e = ctx.db.Find(ctx.args[i], /*touch=*/false);
    if (e != nullptr && e->has_expiry()) ctx.client.watch_expiries.push_back(e->expire_at());
  }
  ctx.reply.Ok();
}

void UnwatchCommand(CommandContext& ctx) {
  ForgetWatches(ctx);
  ctx.reply.Ok();
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, uint64_t acl,
                 Handler handler, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments = {}) {
  return MakeSpec(std::move(name), arity, flags, keys, acl | kAclTransaction, handler,
                  "transactions", "", complexity, summary, std::move(arguments));
}

}  // namespace

void RegisterTransactionFamily(CommandTable* table) {
  using namespace argdoc;
  constexpr uint32_t kBase = kNoScript | kLoading | kStale;
  auto since = [](CommandSpec spec, std::string_view v) {
    spec.since = v;
    return spec;
  };
  table->Add(since(Spec("multi", 1, kBase | kFast | kAllowBusy, {}, kAclFast, MultiCommand, "O(1)",
                        "Opens a transaction: later commands queue until EXEC."),
                   "1.2.0"));
  table->Add(since(Spec("exec", 1, kBase | kSkipSlowlog, {}, kAclSlow, ExecCommand,
                        "The sum of the queued commands.",
                        "Runs the queued commands of a transaction, atomically."),
                   "1.2.0"));
  table->Add(since(Spec("discard", 1, kBase | kFast | kAllowBusy, {}, kAclFast, DiscardCommand,
                        "O(N) for the N commands queued.",
                        "Drops the queued commands and leaves the transaction."),
                   "2.0.0"));
  table->Add(since(
      Spec("watch", -2, kBase | kFast | kAllowBusy, KeySpec{1, -1, 1, kKeyRO}, kAclFast,
           WatchCommand, "O(1) per key watched.",
           "Makes the next EXEC fail if any of these keys changes first.", {Key("key").Multi()}),
      "2.2.0"));
  table->Add(since(Spec("unwatch", 1, kBase | kFast | kAllowBusy, {}, kAclFast, UnwatchCommand,
                        "O(N)", "Stops watching every key this connection watches."),
                   "2.2.0"));
}

}  // namespace tessera::server
