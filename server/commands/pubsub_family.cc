// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, the sharded
// SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB.  The registry and delivery across workers live
// in server/pubsub.h; this file parses arguments and writes Redis's replies.
//
// The (un)subscribe commands answer with one push per channel ("subscribe", name, count),
// which Redis sends even under CLIENT REPLY OFF: they set ClientState::reply_is_push.  With
// no sharding across nodes, a shard channel is just a channel of its own namespace: SPUBLISH
// reaches SSUBSCRIBE subscribers only, and patterns never match it.
#include <fmt/format.h>

#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace tessera::server {

namespace {

struct KindNames {
  std::string_view subscribe;
  std::string_view unsubscribe;
};

KindNames NamesOf(PubSubKind kind) {
  switch (kind) {
    case PubSubKind::kChannel:
      return {"subscribe", "unsubscribe"};
    case PubSubKind::kPattern:
      return {"psubscribe", "punsubscribe"};
    case PubSubKind::kShardChannel:
      break;
  }
  return {"ssubscribe", "sunsubscribe"};
}

// The count each confirmation carries: channels plus patterns, or shard channels alone.
int64_t SubscriptionCount(const ClientState& c, PubSubKind kind) {
  if (kind == PubSubKind::kShardChannel) return c.ssub_count.load(std::memory_order_relaxed);
  return c.sub_count.load(std::memory_order_relaxed) + c.psub_count.load(std::memory_order_relaxed);
}

void Confirm(CommandContext& ctx, std::string_view what, const std::string_view* name,
             PubSubKind kind) {
  ctx.reply.PushHeader(3);
  ctx.reply.Bulk(what);
  if (name != nullptr) {
    ctx.reply.Bulk(*name);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(SubscriptionCount(ctx.client, kind));
}

void SubscribeGeneric(CommandContext& ctx, PubSubKind kind) {
  // Redis refuses SSUBSCRIBE to clients that expect one reply per command (EXEC, scripts),
  // but lets SUBSCRIBE and PSUBSCRIBE through inside MULTI for backward compatibility.
  if (kind == PubSubKind::kShardChannel && ctx.client.in_exec) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kDenyBlockingSubscribeFmt), "SSUBSCRIBE"));
    return;
  }
  KindNames names = NamesOf(kind);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.server.pubsub().Subscribe(ctx.client, kind, ctx.args[i]);
    Confirm(ctx, names.subscribe, &ctx.args[i], kind);
  }
  ctx.client.in_pubsub = true;
  ctx.client.reply_is_push = true;
}

void UnsubscribeGeneric(CommandContext& ctx, PubSubKind kind) {
  KindNames names = NamesOf(kind);
  PubSubRegistry& registry = ctx.server.pubsub();
  if (ctx.args.size() == 1) {
    std::vector<std::string> all = PubSubRegistry::Names(ctx.client, kind);
    for (const std::string& name : all) {
      registry.Unsubscribe(ctx.client, kind, name);
      std::string_view view = name;
      Confirm(ctx, names.unsubscribe, &view, kind);
    }
    // Subscribed to nothing: one confirmation all the same, with a null name.
    if (all.empty()) Confirm(ctx, names.unsubscribe, nullptr, kind);
  } else {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      registry.Unsubscribe(ctx.client, kind, ctx.args[i]);
      Confirm(ctx, names.unsubscribe, &ctx.args[i], kind);
    }
  }
  if (!ctx.client.HasSubscriptions()) ctx.client.in_pubsub = false;
  ctx.client.reply_is_push = true;
}

void Subscribe(CommandContext& ctx) { SubscribeGeneric(ctx, PubSubKind::kChannel); }
void Unsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSubKind::kChannel); }
void PSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, PubSubKind::kPattern); }
void PUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSubKind::kPattern); }
void SSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, PubSubKind::kShardChannel); }
void SUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSubKind::kShardChannel); }

// Messages posted to a subscriber's worker and not delivered yet are capped at its class's
// hard output limit, as its output buffer is.
void PublishGeneric(CommandContext& ctx, bool sharded) {
  size_t limit = static_cast<size_t>(
      ctx.server.config().client_obuf_hard[kClientPubSub].load(std::memory_order_relaxed));
  ctx.reply.Integer(
      ctx.server.pubsub().Publish(ctx.args[1], ctx.args[2], sharded, limit, &ctx.client));
  // As Redis without cluster mode (we never are a cluster node): the message goes to the
  // replicas, whose subscribers get it too; never to the AOF.
  ctx.force_replicas = true;
}

void Publish(CommandContext& ctx) { PublishGeneric(ctx, /*sharded=*/false); }
void SPublish(CommandContext& ctx) { PublishGeneric(ctx, /*sharded=*/true); }

// PUBSUB CHANNELS|SHARDCHANNELS [pattern]
void ChannelsGeneric(CommandContext& ctx, PubSubKind kind) {
  if (ctx.args.size() > 3) return ReplySubcommandSyntaxError(ctx);
  std::string pattern;
  if (ctx.args.size() == 3) pattern = ctx.args[2];
  std::vector<std::string> names =
      ctx.server.pubsub().ChannelNames(kind, ctx.args.size() == 3 ? &pattern : nullptr);
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& n : names) ctx.reply.Bulk(n);
}

// PUBSUB NUMSUB|SHARDNUMSUB [channel ...]: pairs of (channel, subscribers), patterns excluded.
void NumSubGeneric(CommandContext& ctx, PubSubKind kind) {
  ctx.reply.ArrayHeader((ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().Subscribers(kind, ctx.args[i])));
  }
}

void PubSubChannels(CommandContext& ctx) { ChannelsGeneric(ctx, PubSubKind::kChannel); }
void PubSubShardChannels(CommandContext& ctx) { ChannelsGeneric(ctx, PubSubKind::kShardChannel); }
void PubSubNumSub(CommandContext& ctx) { NumSubGeneric(ctx, PubSubKind::kChannel); }
void PubSubShardNumSub(CommandContext& ctx) { NumSubGeneric(ctx, PubSubKind::kShardChannel); }

void PubSubNumPat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().Count(PubSubKind::kPattern)));
}

void PubSubHelp(CommandContext& ctx) {
  ReplyHelp(ctx,
            {
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "SHARDCHANNELS [<pattern>]",
                "    Return the currently active shard level channels matching a <pattern> "
                "(default: '*').",
                "SHARDNUMSUB [<shardchannel> ...]",
                "    Return the number of subscribers for the specified shard level "
                "channel(s)",
            });
}

using argdoc::Pattern;
using argdoc::Str;

// The flags every (un)subscribe command has; kPubSubContext lets a RESP2 subscriber run it.
constexpr uint32_t kSubscribeFlags = kPubSub | kNoScript | kLoading | kStale | kPubSubContext;

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler h,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  uint64_t acl = kAclPubSub | ((flags & kFast) != 0 ? kAclFast : kAclSlow);
  return MakeSpec(std::move(name), arity, flags, keys, acl, h, "pubsub", since, complexity, summary,
                  std::move(arguments));
}

CommandSpec Sub(std::string name, int arity, uint32_t flags, Handler h, std::string_view since,
                std::string_view complexity, std::string_view summary,
                std::vector<ArgDoc> arguments = {}) {
  CommandSpec s = Spec(std::move(name), arity, flags, KeySpec{}, h, since, complexity, summary,
                       std::move(arguments));
  if ((flags & kPubSub) == 0) s.acl = kAclSlow;  // PUBSUB HELP is not a pubsub command
  return s;
}

}  // namespace

void RegisterPubSubFamily(CommandTable* table) {
  // SPUBLISH and the shard (un)subscribe commands name their channels in a key spec (not_key),
  // as cluster clients route them by it; the dispatcher locks no shard for such names.
  const KeySpec one_channel{1, 1, 1, kKeyNotKey};
  const KeySpec channels{1, -1, 1, kKeyNotKey};
  table->Add(Spec("subscribe", -2, kSubscribeFlags | kSentinel, {}, Subscribe, "2.0.0",
                  "O(N) for N channels.", "Receives the messages published on channels.",
                  {Str("channel").Multi()}));
  table->Add(Spec("unsubscribe", -1, kSubscribeFlags | kSentinel, {}, Unsubscribe, "2.0.0",
                  "O(N) for N channels.", "Stops listening to channels, or to all of them.",
                  {Str("channel").Opt().Multi()}));
  table->Add(Spec("psubscribe", -2, kSubscribeFlags | kSentinel, {}, PSubscribe, "2.0.0",
                  "O(N) for N patterns.",
                  "Listens for messages published to channels whose names match patterns.",
                  {Pattern("pattern").Multi()}));
  table->Add(Spec("punsubscribe", -1, kSubscribeFlags | kSentinel, {}, PUnsubscribe, "2.0.0",
                  "O(N) for N patterns.", "Stops listening to channel patterns, or to all of them.",
                  {Pattern("pattern").Opt().Multi()}));
  table->Add(Spec("publish", 3, kPubSub | kLoading | kStale | kFast | kMayReplicate | kSentinel, {},
                  Publish, "2.0.0",
                  "O(N+M): N subscribers of the channel, M patterns matched against it.",
                  "Sends a message to a channel and returns how many subscribers received it.",
                  {Str("channel"), Str("message")}));
  table->Add(Spec("ssubscribe", -2, kSubscribeFlags, channels, SSubscribe, "7.0.0",
                  "O(N) for N shard channels.",
                  "Receives the messages published on shard channels.",
                  {Str("shardchannel").Multi()}));
  table->Add(Spec("sunsubscribe", -1, kSubscribeFlags, channels, SUnsubscribe, "7.0.0",
                  "O(N) for N shard channels.",
                  "Stops listening to shard channels, or to all of them.",
                  {Str("shardchannel").Opt().Multi()}));
  table->Add(Spec("spublish", 3, kPubSub | kLoading | kStale | kFast | kMayReplicate, one_channel,
                  SPublish, "7.0.0", "O(N) for the N subscribers of the shard channel.",
                  "Sends a message to a shard channel and returns how many subscribers received "
                  "it.",
                  {Str("shardchannel"), Str("message")}));

  CommandSpec pubsub = MakeContainerSpec("pubsub", "pubsub", "2.8.0",
                                         "A container for Pub/Sub introspection commands.");
  constexpr uint32_t kIntrospect = kPubSub | kLoading | kStale;
  pubsub.subcommands = {
      Sub("channels", -2, kIntrospect, PubSubChannels, "2.8.0",
          "O(N) over the N channels with subscribers, each matched against the pattern.",
          "Lists the channels that have subscribers, optionally those matching a pattern.",
          {Pattern("pattern").Opt()}),
      Sub("numsub", -2, kIntrospect, PubSubNumSub, "2.8.0", "O(N) for N channels named.",
          "Counts the subscribers of channels, pattern subscriptions left out.",
          {Str("channel").Opt().Multi()}),
      Sub("numpat", 2, kIntrospect, PubSubNumPat, "2.8.0", "O(1)",
          "Counts the distinct patterns clients are subscribed to."),
      Sub("shardchannels", -2, kIntrospect, PubSubShardChannels, "7.0.0",
          "O(N) over the N shard channels with subscribers, each matched against the pattern.",
          "Lists the shard channels that have subscribers, optionally those matching a pattern.",
          {Pattern("pattern").Opt()}),
      Sub("shardnumsub", -2, kIntrospect, PubSubShardNumSub, "7.0.0",
          "O(N) for N shard channels named.", "Counts the subscribers of shard channels.",
          {Str("shardchannel").Opt().Multi()}),
      Sub("help", 2, kLoading | kStale, PubSubHelp, "6.2.0", "O(1)",
          "Lists the PUBSUB subcommands."),
  };
  table->Add(std::move(pubsub));
}

}  // namespace tessera::server
