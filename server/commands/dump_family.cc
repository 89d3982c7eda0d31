// DUMP and RESTORE: a key's value as Redis's serialized payload (RDB value + version + CRC64),
// and back.  The codec is persistence/rdb_*; this file reads the arguments, checks them in
// Redis's order, and swaps the key.
#include <climits>
#include <string>
#include <vector>

#include "core/keyspace/entry.h"
#include "core/keyspace/object.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/log.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::Entry;
namespace rdb = persistence::rdb;

void DumpCommand(CommandContext& ctx) {
  Entry* e = ctx.db.Find(ctx.args[1]);
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(rdb::DumpPayload(*e));
}

struct RestoreArgs {
  bool replace = false;
  bool absttl = false;
  int64_t idle = -1;  // IDLETIME seconds, -1 when not given
  int64_t freq = -1;  // FREQ, -1 when not given (used under an LFU policy)
  int64_t ttl = 0;
};

// Options first, then the key's existence, then the TTL, as Redis's restoreCommand.
bool ParseRestoreOptionsOrReply(CommandContext& ctx, RestoreArgs* a) {
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    const bool has_value = i + 1 < ctx.args.size();
    if (EqualsNoCase(ctx.args[i], "replace")) {
      a->replace = true;
    } else if (EqualsNoCase(ctx.args[i], "absttl")) {
      a->absttl = true;
    } else if (EqualsNoCase(ctx.args[i], "idletime") && has_value && a->freq == -1) {
      if (!ParseIntArgOrReply(ctx, ctx.args[++i], &a->idle)) return false;
      if (a->idle < 0) {
        ctx.reply.Error(errors::kInvalidIdletime);
        return false;
      }
    } else if (EqualsNoCase(ctx.args[i], "freq") && has_value && a->idle == -1) {
      if (!ParseIntArgOrReply(ctx, ctx.args[++i], &a->freq)) return false;
      if (a->freq < 0 || a->freq > 255) {
        ctx.reply.Error(errors::kInvalidFreq);
        return false;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

rdb::LoadOptions LoadOptionsOf(const CommandContext& ctx) {
  rdb::LoadOptions o;
  o.check_crc = !ctx.server.skip_checksum_validation.load(std::memory_order_relaxed);
  o.now_ms = ctx.db.now_ms();
  o.clock = ctx.db.clock();
  o.list = ListLimitsOf(ctx);
  o.hash = HashLimitsOf(ctx);
  o.set = SetLimitsOf(ctx);
  o.zset = ZSetLimitsOf(ctx);
  return o;
}

void RestoreCommand(CommandContext& ctx) {
  RestoreArgs a;
  if (!ParseRestoreOptionsOrReply(ctx, &a)) return;
  const std::string_view key = ctx.args[1];
  if (!a.replace && ctx.db.Find(key, false) != nullptr) return ctx.reply.Error(errors::kBusyKey);
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &a.ttl)) return;
  if (a.ttl < 0) return ctx.reply.Error(errors::kInvalidTtl);

  auto parsed = rdb::ParseDumpPayload(key, ctx.args[3], LoadOptionsOf(ctx));
  if (!parsed.ok()) {
    const bool footer = parsed.status().code() == persistence::Status::Code::kBadFooter;
    // As Redis reports a corrupt payload in its log (rdbReportCorruptRDB), with the reason.
    if (parsed.status().code() == persistence::Status::Code::kCorrupt) {
      Log(LogLevel::kWarning, "{}", parsed.status().message());
    }
    return ctx.reply.Error(footer ? errors::kBadDumpFooter : errors::kBadDumpData);
  }
  Entry* e = *parsed;
  const bool deleted = a.replace && ctx.db.Delete(key);
  int64_t expire = keyspace::kNoExpiry;
  if (a.ttl != 0) {
    expire = a.ttl;
    if (!a.absttl) expire = a.ttl > INT64_MAX - ctx.db.now_ms() ? -1 : a.ttl + ctx.db.now_ms();
    // A time already past: the key is not created, and REPLACE's deletion is what is logged.
    if (expire <= ctx.db.now_ms()) {
      Entry::Free(e);
      if (deleted) {
        ctx.dirty++;
        ctx.Changed(kNotifyGeneric, "del", key);
        ctx.Propagate({ServerDeleteCommand(ctx.server.config()), key});
      }
      return ctx.reply.Ok();
    }
    Entry* with = Entry::WithExpiry(e, expire);
    if (with != e) Entry::FreeShell(e);
    e = with;
  }
  // As Redis's objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME otherwise.
  if (ctx.db.lfu()) {
    if (a.freq >= 0) e->set_clock((ctx.db.lfu_minutes() << 8) | static_cast<uint32_t>(a.freq));
  } else if (a.idle >= 0) {
    e->set_clock(static_cast<uint32_t>(ctx.db.lru_clock() - a.idle) & 0xFFFFFF);
  }
  ctx.db.Insert(e);
  if (keyspace::HasExpiringParts(*e)) ctx.db.NoteFieldExpiry(key);  // for active expiry
  ctx.dirty++;
  ctx.Changed(kNotifyGeneric, "restore", key);
  if (a.ttl != 0 && !a.absttl) {
    // Logged with the absolute time, as Redis propagates it.
    std::vector<std::string> argv(ctx.args.begin(), ctx.args.end());
    argv[2] = std::to_string(expire);
    argv.push_back("ABSTTL");
    ctx.Propagate(std::move(argv));
  }
  ctx.reply.Ok();
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, uint64_t acl, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary) {
  return MakeSpec(std::move(name), arity, flags, KeySpec{1, 1, 1}, acl, handler, "generic", since,
                  complexity, summary);
}

}  // namespace

void RegisterDumpFamily(CommandTable* table) {
  table->Add(Spec("dump", 2, kReadOnly, kAclKeyspace | kAclRead | kAclSlow, DumpCommand, "2.6.0",
                  "O(1) to find the key, O(N*M) to serialize a value of N elements of M bytes",
                  "Serializes a key's value into the portable payload RESTORE reads."));
  CommandSpec restore =
      Spec("restore", -4, kWrite | kDenyOom, kAclKeyspace | kAclWrite | kAclSlow | kAclDangerous,
           RestoreCommand, "2.6.0",
           "O(1) to create the key, O(N*M) to rebuild a value of N elements of M bytes",
           "Creates a key from a payload DUMP produced, checking it in depth first.");
  restore.keys.flags = kKeyOW | kKeyUpdate;  // Redis's: the key is overwritten, never read
  table->Add(std::move(restore));
}

}  // namespace tessera::server
