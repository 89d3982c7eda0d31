// Server commands: CONFIG, SLOWLOG, TIME, LASTSAVE, DEBUG, MEMORY, and the registration of the
// whole server family (INFO lives in info.cc, COMMAND in command_docs.cc).
//
// DEBUG is one command with Redis's shape (arity -2, no key spec) rather than a container, so
// COMMAND INFO DEBUG and its "unknown subcommand or wrong number of arguments" error match
// Redis.  Its subcommands that read keys (OBJECT, DIGEST-VALUE, DIGEST) therefore lock shards
// themselves (kAllShards): one key's shard at a time, or every shard for DIGEST.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <time.h>

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/hash.h"
#include "core/base/sha1.h"
#include "core/keyspace/eviction.h"
#include "core/keyspace/object.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"
#include "server/aof.h"
#include "server/commands/args.h"
#include "server/commands/server_family.h"
#include "server/keyspace_ops.h"
#include "server/log.h"
#include "server/memory_report.h"
#include "server/memory_stats.h"
#include "server/persistence.h"
#include "server/server.h"

namespace tessera::server {

namespace {

// ---- CONFIG ----

void ConfigGet(CommandContext& ctx) {
  auto pairs = ctx.server.config_registry().Get(ctx.args.subspan(2));
  ctx.reply.MapHeader(pairs.size());
  for (const auto& [name, value] : pairs) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

void ConfigSet(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 0) return ctx.reply.Error(errors::kSyntax);
  ConfigRegistry& registry = ctx.server.config_registry();
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    pairs.emplace_back(ctx.args[i], ctx.args[i + 1]);
    // Passwords never reach SLOWLOG, even when the CONFIG SET fails.
    if (registry.IsSensitive(ctx.args[i])) ctx.redacted_args.push_back(static_cast<int>(i + 1));
  }
  const ProtectedAction mode = ctx.server.config().enable_protected_configs;
  const bool allow_protected =
      mode == ProtectedAction::kYes || (mode == ProtectedAction::kLocal && ctx.client.is_local);
  std::string error = registry.Set(pairs, allow_protected);
  if (error.empty()) return ctx.reply.Ok();
  ctx.reply.Error(error);
}

// What CONFIG RESETSTAT clears (Redis's resetServerStats, command and error tables): every
// counter INFO shows, but not the slowlog.  Another worker may be adding to its counters at
// the same moment; such an increment can survive the reset (counters are single-writer, so
// resetting from here is a race by nature, harmless for statistics).
void ResetStats(Server& server) {
  server.ForEachWorkerStats([](WorkerStats& w) {
    for (CommandStats& c : w.commands) {
      c.calls.Reset();
      c.usec.Reset();
      c.rejected_calls.Reset();
      c.failed_calls.Reset();
      c.latency.Reset();
    }
    for (OwnedCounter* c :
         {&w.total_commands, &w.keyspace_hits, &w.keyspace_misses, &w.net_input_bytes,
          &w.net_output_bytes, &w.total_connections, &w.rejected_connections, &w.reads_processed,
          &w.writes_processed, &w.reply_buffer_shrinks, &w.reply_buffer_expands,
          &w.eventloop_cycles, &w.eventloop_busy_us, &w.cron_us, &w.aof_wait_us, &w.loop_max_us,
          &w.commands_per_cycle_max}) {
      c->Reset();
    }
  });
  server.error_stats().Reset();
  server.acl().ResetCounters();
  server.metrics().Reset();
  server.evictor().ResetStats();
  server.lazy_free().ResetStats();
  server.expire_stats().Reset();
  server.client_eviction().ResetStats();
  keyspace::Keyspace& ks = server.keyspace();
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    std::lock_guard<keyspace::ShardMutex> lock(ks.shard(i).mutex());
    ks.shard(i).expired_keys = 0;
  }
}

void ConfigResetStat(CommandContext& ctx) {
  ResetStats(ctx.server);
  ctx.reply.Ok();
}

void ConfigRewrite(CommandContext& ctx) {
  // The users are written as `user` lines, unless they live in an ACL file (Redis's
  // rewriteConfigUserOption).
  std::vector<std::string> users;
  if (ctx.server.config().aclfile.empty()) {
    for (const auto& u : ctx.server.acl().Users()) {
      users.push_back(fmt::format("user {} {}", u->name(), u->Describe()));
    }
  }
  std::string error = ctx.server.config_registry().Rewrite(&users);
  if (!error.empty()) {
    Log(LogLevel::kWarning, "CONFIG REWRITE failed: {}", error);
    return ctx.reply.Error(error);
  }
  Log(LogLevel::kNotice, "CONFIG REWRITE executed with success.");
  ctx.reply.Ok();
}

void ConfigHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "GET <pattern> [<pattern> ...]",
                     "    Parameters matching any glob-style <pattern>, with their values.",
                     "SET <directive> <value> [<directive> <value> ...]",
                     "    Change directives at run time; all of them or none.",
                     "RESETSTAT",
                     "    Zero the statistics INFO reports.",
                     "REWRITE",
                     "    Write the running configuration back to the config file.",
                 });
}

// ---- SLOWLOG ----

void SlowlogGet(CommandContext& ctx) {
  size_t count = 10;
  if (ctx.args.size() == 3) {
    int64_t n;
    if (!ParseInt64(ctx.args[2], &n) || n < -1) return ctx.reply.Error(errors::kSlowlogCount);
    count = n == -1 ? SIZE_MAX : static_cast<size_t>(n);
  }
  std::vector<SlowlogEntry> entries = ctx.server.slowlog().Get(count);
  ctx.reply.ArrayHeader(entries.size());
  for (const SlowlogEntry& e : entries) {
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.unix_seconds);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.args.size());
    for (const std::string& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog().Length()));
}

void SlowlogReset(CommandContext& ctx) {
  ctx.server.slowlog().Reset();
  ctx.reply.Ok();
}

void SlowlogHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "GET [<count>]",
                     "    The newest <count> entries (default 10; -1 for all). Each entry is:",
                     "    id, unix time, duration in microseconds, arguments, client address,",
                     "    client name.",
                     "LEN",
                     "    Number of entries.",
                     "RESET",
                     "    Remove every entry.",
                 });
}

// ---- TIME, LASTSAVE ----

// The wall clock with microseconds, as Redis: clients use TIME for sub-millisecond timing, so
// this reads the real clock rather than the millisecond command clock.
void Time(CommandContext& ctx) {
  int64_t sec;
  int64_t usec;
  if (ctx.client.in_script) {  // time stands still while a script runs
    sec = ctx.client.script_time_us / 1000000;
    usec = ctx.client.script_time_us % 1000000;
  } else {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sec = ts.tv_sec;
    usec = ts.tv_nsec / 1000;
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(sec));
  ctx.reply.Bulk(std::to_string(usec));
}

// Nothing is ever saved (no persistence yet), so the last save is the start time, which is
// also what Redis reports before its first save when it started without a dump file.
void LastSave(CommandContext& ctx) { ctx.reply.Integer(ctx.server.persistence().lastsave_s()); }

void Save(CommandContext& ctx) {
  std::string err = ctx.server.persistence().Save();
  if (!err.empty()) return ctx.reply.Error(err);
  ctx.reply.Ok();
}

// BGSAVE [SCHEDULE]
void BgSave(CommandContext& ctx) {
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "schedule"))) {
    return ctx.reply.Error(errors::kSyntax);
  }
  std::string err;
  if (!ctx.server.persistence().BackgroundSave(&err, ctx.args.size() == 2)) {
    if (err.empty()) return ctx.reply.SimpleString("Background saving scheduled");
    return ctx.reply.Error(err);
  }
  ctx.reply.SimpleString("Background saving started");
}

void BgRewriteAof(CommandContext& ctx) {
  std::string err;
  bool scheduled = false;
  if (!ctx.server.persistence().aof().StartRewrite(&err, &scheduled, ctx.client.in_exec)) {
    return ctx.reply.Error(err);
  }
  ctx.reply.SimpleString(scheduled ? "Background append only file rewriting scheduled"
                                   : "Background append only file rewriting started");
}

// DEBUG POPULATE count [prefix] [size]: creates string keys <prefix>:0..count-1 (prefix
// "key") valued "value:<n>", or that text cut or zero-padded to `size` bytes; keys that exist
// are left alone.  A test helper, as in Redis: not logged, not counted as changes.
void DebugPopulate(CommandContext& ctx) {
  int64_t count, size = 0;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &count)) return;
  if (count < 0) return ctx.reply.Error("ERR count should be greater than or equal to 0");
  const std::string prefix = ctx.args.size() > 3 ? std::string(ctx.args[3]) : "key";
  if (ctx.args.size() > 4) {
    if (!ParseIntArgOrReply(ctx, ctx.args[4], &size)) return;
    if (size < 0) return ctx.reply.Error("ERR size should be greater than or equal to 0");
  }
  keyspace::Keyspace& ks = ctx.server.keyspace();
  const int64_t now = ctx.db.now_ms();
  for (int64_t j = 0; j < count; ++j) {
    std::string key = prefix + ":" + std::to_string(j);
    std::string value = "value:" + std::to_string(j);
    if (size > 0) value.resize(static_cast<size_t>(size), '\0');
    std::lock_guard<keyspace::ShardMutex> lock(ks.shard(ks.ShardOf(key)).mutex());
    keyspace::DbAccess db(&ks, ctx.client.db, now, ctx.db.clock());
    if (db.Find(key, false) != nullptr) continue;
    db.Insert(
        keyspace::Entry::NewStringAutoEncoded(key, value, keyspace::kNoExpiry, ctx.db.clock()));
  }
  ctx.reply.Ok();
}

// DEBUG LOADAOF: empties the dataset and loads it back from the AOF files.
void DebugLoadAof(CommandContext& ctx) {
  // Each table is sized up front for the keys it held (as an RDB's RESIZEDB hints do): a base
  // this process rewrote lists its keys in this process's hash order, and inserted in that
  // order into a table that grows as they come they would all land in its first slots
  // (homes are the hash's high bits), making every insert probe a long run.
  keyspace::Keyspace& ks = ctx.server.keyspace();
  std::vector<size_t> sizes(static_cast<size_t>(ks.shard_count()) * ks.num_dbs());
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    std::lock_guard<keyspace::ShardMutex> lock(ks.shard(i).mutex());
    for (int d = 0; d < ks.num_dbs(); ++d)
      sizes[i * ks.num_dbs() + d] = ks.shard(i).db(d).table.size();
  }
  FlushDb(ctx.server, -1);
  for (unsigned i = 0; i < ks.shard_count(); ++i) {
    std::lock_guard<keyspace::ShardMutex> lock(ks.shard(i).mutex());
    for (int d = 0; d < ks.num_dbs(); ++d) {
      const size_t n = sizes[i * ks.num_dbs() + d];
      if (n > 0 && ks.shard(i).db(d).table.empty()) ks.shard(i).db(d).table.Reserve(n);
    }
  }
  ctx.server.scripts().FlushLibraries();
  std::string err;
  if (!ctx.server.persistence().aof().LoadForDebug(ctx.stats, &err, ctx.client.control)) {
    Log(LogLevel::kWarning, "{}", err);
    return ctx.reply.Error("ERR Error loading the AOF, check server logs.");
  }
  Log(LogLevel::kNotice, "Append Only File loaded by DEBUG LOADAOF");
  ctx.reply.Ok();
}

// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset (keys and functions), load
// the file back.
void DebugReload(CommandContext& ctx) {
  bool flush = true, save = true, merge = false;
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "merge")) {
      merge = true;  // keys and libraries of the file replace those that exist
    } else if (EqualsIgnoreCase(ctx.args[j], "noflush")) {
      flush = false;
    } else if (EqualsIgnoreCase(ctx.args[j], "nosave")) {
      save = false;
    } else {
      return ctx.reply.Error(
          "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
    }
  }
  Persistence& p = ctx.server.persistence();
  if (save) {
    std::string err = p.Save();
    if (!err.empty()) return ctx.reply.Error(err);
  }
  if (flush) {
    FlushDb(ctx.server, -1);
    ctx.server.scripts().FlushLibraries();
  }
  std::string err;
  if (!p.LoadRdbFile(ctx.server.config().dbfilename.Get(), &err, nullptr, merge)) {
    Log(LogLevel::kWarning, "{}", err);
    return ctx.reply.Error("ERR Error trying to load the RDB dump, check server logs.");
  }
  Log(LogLevel::kNotice, "DB reloaded by DEBUG RELOAD");
  ctx.reply.Ok();
}

// ---- DEBUG ----

// The entry for `key` in the client's DB, expired or not (DEBUG looks at the table as it is,
// like Redis's dictFind).  REQUIRES: the key's shard is locked.
keyspace::Entry* PeekEntry(Server& server, int db, std::string_view key) {
  uint64_t hash = HashBytes(key);
  keyspace::Keyspace& ks = server.keyspace();
  return ks.shard(ks.ShardOfHash(hash)).db(db).table.Find(key, hash);
}

keyspace::ShardMutex& ShardMutexOf(Server& server, std::string_view key) {
  keyspace::Keyspace& ks = server.keyspace();
  return ks.shard(ks.ShardOf(key)).mutex();
}

// Bytes of Redis's RDB length prefix (rdbSaveLen).
size_t RdbLenBytes(uint64_t len) {
  if (len < (1u << 6)) return 1;
  if (len < (1u << 14)) return 2;
  return len <= UINT32_MAX ? 5 : 9;
}

// Bytes Redis's RDB would use for a string value (DEBUG OBJECT serializedlength): small
// integers in 2/3/5 bytes, anything else as length + bytes.  Redis would LZF-compress strings
// longer than 20 bytes when that is shorter; that is not modelled.
size_t RdbStringLength(const keyspace::Entry& e) {
  char buf[32];
  std::string_view s = e.StringValue(buf);
  int64_t v;
  if (s.size() <= 11 && ParseInt64(s, &v)) {
    if (v >= -(1 << 7) && v < (1 << 7)) return 2;
    if (v >= -(1 << 15) && v < (1 << 15)) return 3;
    if (v >= INT32_MIN && v <= INT32_MAX) return 5;
  }
  return RdbLenBytes(s.size()) + s.size();
}

void DebugObject(CommandContext& ctx) {
  std::lock_guard<keyspace::ShardMutex> lock(ShardMutexOf(ctx.server, ctx.args[2]));
  const keyspace::Entry* e = PeekEntry(ctx.server, ctx.client.db, ctx.args[2]);
  if (e == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
  uint64_t idle = keyspace::LruIdleSeconds(e->clock(), ctx.db.lru_clock());
  size_t serialized = e->type() == keyspace::ValueType::kString ? RdbStringLength(*e) : 0;
  // Redis shares the integers 0..9999 and reports them with refcount INT_MAX (as OBJECT
  // REFCOUNT does here too); every other value has one owner.
  bool shared_int = e->type() == keyspace::ValueType::kString && e->is_int() &&
                    e->int_value() >= 0 && e->int_value() < 10000;
  std::string extra;
  if (e->type() == keyspace::ValueType::kList &&
      !e->object_as<types::ListValue>()->is_listpack()) {
    // Redis's quicklist fields; nodes are never compressed here.
    const auto* list = e->object_as<types::ListValue>();
    types::ListValue::QuicklistInfo ql = list->quicklist_info();
    extra = fmt::format(" ql_nodes:{} ql_avg_node:{:.2f} ql_listpack_max:{} ql_compressed:0 "
                        "ql_uncompressed_size:{}",
                        ql.nodes, double(list->Length()) / double(ql.nodes), ql.fill,
                        ql.total_bytes);
  }
  ctx.reply.SimpleString(fmt::format(
      "Value at:{} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
      static_cast<const void*>(e), shared_int ? INT_MAX : 1, keyspace::EncodingName(*e), serialized,
      e->clock(), idle, extra));
}

// DEBUG LISTPACK <key> / DEBUG QUICKLIST <key> [<0|1>]: Redis prints the structure on its
// stdout; here the layout summary goes to the log.
void DebugListLayout(CommandContext& ctx, bool quicklist) {
  std::lock_guard<keyspace::ShardMutex> lock(ShardMutexOf(ctx.server, ctx.args[2]));
  const keyspace::Entry* e = PeekEntry(ctx.server, ctx.client.db, ctx.args[2]);
  if (e == nullptr) return ctx.reply.Error(errors::kNoSuchKey);
  bool is_listpack = e->type() == keyspace::ValueType::kList &&
                     e->object_as<types::ListValue>()->is_listpack();
  bool is_quicklist = e->type() == keyspace::ValueType::kList && !is_listpack;
  if (!quicklist && !is_listpack) return ctx.reply.Error(errors::kNotListpack);
  if (quicklist && !is_quicklist) return ctx.reply.Error(errors::kNotQuicklist);
  const auto* list = e->object_as<types::ListValue>();
  types::ListValue::QuicklistInfo ql = list->quicklist_info();
  Log(LogLevel::kNotice, "DEBUG {} {}: {} elements, {} nodes ({} plain), {} bytes",
      quicklist ? "QUICKLIST" : "LISTPACK", ctx.args[2], list->Length(), ql.nodes,
      ql.plain_nodes, ql.total_bytes);
  ctx.reply.SimpleString(quicklist ? "Quicklist structure printed on stdout"
                                   : "Listpack structure printed on stdout");
}

// DEBUG QUICKLIST-PACKED-THRESHOLD <size>: 0 restores the default (1 GB); at most 4 GB - 1 MB.
void DebugPackedThreshold(CommandContext& ctx) {
  uint64_t size;
  if (!ParseMemorySize(ctx.args[2], &size) || size > (uint64_t{1} << 32) - (1 << 20)) {
    return ctx.reply.Error(errors::kPackedThreshold);
  }
  if (size == 0) size = uint64_t{1} << 30;
  ctx.server.list_packed_threshold.store(size, std::memory_order_relaxed);
  ctx.reply.Ok();
}

using Digest = Sha1::Digest;

// Redis's xorDigest: digest ^= SHA1(data).
void XorDigest(Digest& d, std::string_view data) {
  Digest h = Sha1::Of(data);
  for (size_t i = 0; i < d.size(); ++i) d[i] ^= h[i];
}

// Redis's mixDigest: xor in SHA1(data), then replace the digest by its own SHA1, so the order
// of mixed items matters (unlike xor).
void MixDigest(Digest& d, std::string_view data) {
  XorDigest(d, data);
  d = Sha1::Of(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string_view BigEndian32(uint32_t v, char (&buf)[4]) {
  uint32_t be = htonl(v);
  std::memcpy(buf, &be, 4);
  return std::string_view(buf, 4);
}

// Redis's xorObjectDigest for one value: type, value, and whether it has an expiry, computed
// the same way so digests of equal datasets agree with Redis's.  Returns false for value types
// that cannot be digested yet.
bool MixValueDigest(Digest& d, const keyspace::Entry& e) {
  char buf[4];
  // Our ValueType numbers are Redis's OBJ_* type numbers, except the stream's (Redis's 6:
  // 5 is its module type).
  const uint32_t redis_type =
      e.type() == keyspace::ValueType::kStream ? 6 : static_cast<uint32_t>(e.type());
  MixDigest(d, BigEndian32(redis_type, buf));
  if (e.type() == keyspace::ValueType::kString) {
    char value_buf[32];
    MixDigest(d, e.StringValue(value_buf));
  } else if (e.type() == keyspace::ValueType::kList) {
    // Every element, head to tail.
    char value_buf[32];
    const auto* list = e.object_as<types::ListValue>();
    for (types::ListValue::Cursor c = list->At(0); c.Valid(); c.Next()) {
      MixDigest(d, c.Get(value_buf));
    }
  } else if (e.type() == keyspace::ValueType::kHash) {
    // Each field-value pair mixed on its own, xor-ed in: independent of the order.
    e.object_as<types::HashValue>()->ForEach([&](std::string_view f, std::string_view v) {
      Digest pair{};
      MixDigest(pair, f);
      MixDigest(pair, v);
      XorDigest(d, std::string_view(reinterpret_cast<const char*>(pair.data()), pair.size()));
    });
  } else if (e.type() == keyspace::ValueType::kSet) {
    // Members xor-ed in: independent of the order.
    e.object_as<types::SetValue>()->ForEach([&](const types::SetMember& m) {
      char member_buf[24];
      XorDigest(d, m.View(member_buf));
    });
  } else if (e.type() == keyspace::ValueType::kZSet) {
    // Each member-score pair mixed on its own (the score as fpconv_dtoa prints it), xor-ed in.
    const auto* z = e.object_as<types::ZSetValue>();
    for (auto it = z->IterateFrom(0, false); it.valid(); it.Next()) {
      Digest pair{};
      char score_buf[32];
      MixDigest(pair, it.member());
      MixDigest(pair, std::string_view(score_buf, FormatDouble(it.score(), score_buf)));
      XorDigest(d, std::string_view(reinterpret_cast<const char*>(pair.data()), pair.size()));
    }
  } else if (e.type() == keyspace::ValueType::kStream) {
    // Each entry in order: "<ms>.<seq>", then its fields and values, all mixed in.
    const auto* s = e.object_as<types::StreamValue>();
    types::StreamValue::Iterator it(*s, types::StreamID::Min(), types::StreamID::Max(), false);
    while (it.Next()) {
      MixDigest(d, std::to_string(it.id().ms) + "." + std::to_string(it.id().seq));
      for (size_t i = 0; i < it.num_fields(); ++i) {
        std::string_view field, value;
        it.NextField(&field, &value);
        MixDigest(d, field);
        MixDigest(d, value);
      }
    }
  } else {
    return false;
  }
  if (e.has_expiry()) XorDigest(d, "!!expire!!");
  return true;
}

std::string DigestHex(const Digest& d) { return ToHex(d); }

// DEBUG DIGEST: 40 zeros for an empty keyspace.  Holds every shard lock for a consistent view.
void DebugDigest(CommandContext& ctx) {
  Digest final_digest{};
  Server::AllShardsLock all(ctx.server);
  keyspace::Keyspace& ks = ctx.server.keyspace();
  for (int db = 0; db < ks.num_dbs(); ++db) {
    Digest keys{};  // xor of SHA1(key/value digest) over the keys: order-independent
    size_t count = 0;
    bool supported = true;
    for (unsigned s = 0; s < ks.shard_count() && supported; ++s) {
      ks.shard(s).db(db).table.ForEach([&](const keyspace::Entry* e) {
        Digest kv{};
        MixDigest(kv, e->key());
        supported = supported && MixValueDigest(kv, *e);
        XorDigest(keys, std::string_view(reinterpret_cast<const char*>(kv.data()), kv.size()));
        ++count;
      });
    }
    if (!supported) return ctx.reply.Error(errors::kDigestUnsupportedType);
    if (count == 0) continue;
    char buf[4];
    MixDigest(final_digest, BigEndian32(static_cast<uint32_t>(db), buf));
    for (size_t i = 0; i < keys.size(); ++i) final_digest[i] ^= keys[i];
  }
  ctx.reply.SimpleString(DigestHex(final_digest));
}

// DEBUG DIGEST-VALUE key...: one digest per key (40 zeros for a missing key), each key read
// under its own shard's lock.
void DebugDigestValue(CommandContext& ctx) {
  std::vector<std::string> digests;
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    Digest d{};
    std::lock_guard<keyspace::ShardMutex> lock(ShardMutexOf(ctx.server, ctx.args[j]));
    const keyspace::Entry* e = PeekEntry(ctx.server, ctx.client.db, ctx.args[j]);
    if (e != nullptr && !MixValueDigest(d, *e))
      return ctx.reply.Error(errors::kDigestUnsupportedType);
    digests.push_back(DigestHex(d));
  }
  ctx.reply.ArrayHeader(digests.size());
  for (const std::string& d : digests) ctx.reply.SimpleString(d);
}

// DEBUG PROTOCOL <type>: a sample reply of each RESP type, for client and protocol tests.
void DebugProtocol(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  resp::ReplyBuilder& r = ctx.reply;
  auto is = [&](std::string_view n) { return EqualsNoCase(name, n); };
  if (is("string")) {
    r.Bulk("Hello World");
  } else if (is("integer")) {
    r.Integer(12345);
  } else if (is("double")) {
    r.Double(3.141);
  } else if (is("bignum")) {
    r.BigNumber("1234567999999999999999999999999999999");
  } else if (is("null")) {
    r.Null();
  } else if (is("array") || is("set")) {
    if (is("array"))
      r.ArrayHeader(3);
    else
      r.SetHeader(3);
    for (int j = 0; j < 3; ++j) r.Integer(j);
  } else if (is("map")) {
    r.MapHeader(3);
    for (int j = 0; j < 3; ++j) {
      r.Integer(j);
      r.Bool(j == 1);
    }
  } else if (is("attrib")) {
    if (r.protocol() >= 3) {
      // An attribute ("|1") precedes the real reply; the builder has no attribute type, and
      // nothing else sends one.
      r.buffer()->append("|1\r\n");
      r.Bulk("key-popularity");
      r.ArrayHeader(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    r.Bulk("Some real reply following the attribute");
  } else if (is("push")) {
    if (r.protocol() < 3) return r.Error(errors::kResp2NotSupported);
    r.PushHeader(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    r.Bulk("Some real reply following the push reply");
  } else if (is("true") || is("false")) {
    r.Bool(is("true"));
  } else if (is("verbatim")) {
    r.Verbatim("This is a verbatim\nstring", "txt");
  } else {
    r.Error(errors::kDebugProtocolType);
  }
}

void DebugSleep(CommandContext& ctx) {
  // strtod semantics, as Redis: a non-number sleeps 0 seconds.
  double seconds = std::strtod(std::string(ctx.args[2]).c_str(), nullptr);
  if (seconds > 0 && std::isfinite(seconds)) {
    int64_t us = static_cast<int64_t>(seconds * 1e6);
    timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
    // Redis's DEBUG SLEEP stops the whole server.  Here the sleeping worker holds every shard,
    // so no command on any worker reads or writes a key meanwhile (the suite's MIGRATE
    // timeout test relies on a target that stops answering RESTORE); keyless commands such
    // as PING still answer on the other workers.
    keyspace::Keyspace& ks = ctx.server.keyspace();
    const bool held = keyspace::ShardMutex::HeldAll();
    if (!held) {
      for (unsigned i = 0; i < ks.shard_count(); ++i) ks.shard(i).mutex().lock_raw();
    }
    nanosleep(&ts, nullptr);
    if (!held) {
      for (unsigned i = ks.shard_count(); i > 0; --i) ks.shard(i - 1).mutex().unlock_raw();
    }
  }
  ctx.reply.Ok();
}

// DEBUG REPLYBUFFER PEAK-RESET-TIME <ms|never|reset> | RESIZING <0|1>.
void DebugReplyBuffer(CommandContext& ctx) {
  std::string_view what = ctx.args[2];
  std::string_view value = ctx.args[3];
  if (EqualsNoCase(what, "peak-reset-time")) {
    int64_t ms = 5000;
    if (EqualsNoCase(value, "never")) {
      ms = -1;
    } else if (!EqualsNoCase(value, "reset") && !ParseIntArgOrReply(ctx, value, &ms)) {
      return;
    }
    ctx.server.reply_buffer_peak_reset_ms.store(ms, std::memory_order_relaxed);
  } else if (EqualsNoCase(what, "resizing")) {
    ctx.server.reply_buffer_resizing.store(std::atoi(std::string(value).c_str()) != 0,
                                           std::memory_order_relaxed);
  } else {
    return ReplySubcommandSyntaxError(ctx);
  }
  ctx.reply.Ok();
}

void DebugHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "AOF-FLUSH-SLEEP <microsec>",
                     "    Sleep this long before each write of the AOF (0: never).",
                     "DIGEST",
                     "    A hex signature of the whole dataset (40 zeros when it is empty).",
                     "DIGEST-VALUE <key> [<key> ...]",
                     "    A hex signature of the value of each key.",
                     "ERROR <string>",
                     "    Reply with <string> as an error.",
                     "LOG <message>",
                     "    Write <message> to the server log.",
                     "OBJECT <key>",
                     "    Low-level details of the value stored at <key>.",
                     "LISTPACK <key>",
                     "    Log the layout of a listpack-encoded list.",
                     "QUICKLIST <key> [<0|1>]",
                     "    Log the layout of a quicklist-encoded list.",
                     "QUICKLIST-PACKED-THRESHOLD <size>",
                     "    Elements of at least <size> bytes get a quicklist node of their own.",
                     "PAUSE-CRON <0|1>",
                     "    Stop (1) or resume (0) the timer tasks: expiry, client buffers, saves.",
                     "REPLYBUFFER PEAK-RESET-TIME <ms|never|reset>",
                     "    How often a client's reply buffer peak restarts (reset: 5000 ms).",
                     "REPLYBUFFER RESIZING <0|1>",
                     "    Whether reply buffers grow and shrink with their use.",
                     "PROTOCOL <type>",
                     "    A sample reply of a RESP type: string, integer, double, bignum, null,",
                     "    array, set, map, attrib, push, verbatim, true, false.",
                     "SET-ACTIVE-EXPIRE <0|1>",
                     "    Turn the background deletion of expired keys off (0) or on (1).",
                     "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
                     "    Load RESTORE payloads and RDB files without checking their CRC64 (1).",
                     "SET-DISABLE-DENY-SCRIPTS <0|1>",
                     "    Let scripts call commands flagged noscript (1) or not (0).",
                     "MALLCTL <key> [<val>]",
                     "    Read (and set) a jemalloc mallctl integer.",
                     "MALLCTL-STR <key> [<val>|VOID]",
                     "    Read (and set) a jemalloc mallctl string; VOID calls it with no value.",
                     "SLEEP <seconds>",
                     "    Block the connection's worker for <seconds> (decimals allowed).",
                 });
}

void Debug(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  size_t argc = ctx.args.size();
  auto is = [&](std::string_view name) { return EqualsNoCase(sub, name); };
  if (is("help") && argc == 2) return DebugHelp(ctx);
  if (is("log") && argc == 3) {
    Log(LogLevel::kWarning, "DEBUG LOG: {}", ctx.args[2]);
    return ctx.reply.Ok();
  }
  if (is("sleep") && argc == 3) return DebugSleep(ctx);
  if (is("mallctl") && argc >= 3) return DebugMallctlInt(ctx);
  if (is("mallctl-str") && argc >= 3) return DebugMallctlStr(ctx);
  if (is("set-active-expire") && argc == 3) {
    ctx.server.active_expire_enabled.store(std::atoi(std::string(ctx.args[2]).c_str()) != 0,
                                           std::memory_order_relaxed);
    return ctx.reply.Ok();
  }
  if (is("set-skip-checksum-validation") && argc == 3) {
    ctx.server.skip_checksum_validation.store(std::atoi(std::string(ctx.args[2]).c_str()) != 0,
                                              std::memory_order_relaxed);
    return ctx.reply.Ok();
  }
  if (is("aof-flush-sleep") && argc == 3) {
    int64_t us;
    if (!ParseIntArgOrReply(ctx, ctx.args[2], &us)) return;
    ctx.server.persistence().aof().set_flush_sleep_us(us);
    return ctx.reply.Ok();
  }
  if (is("pause-cron") && argc == 3) {
    ctx.server.cron_paused.store(std::atoi(std::string(ctx.args[2]).c_str()) != 0,
                                 std::memory_order_relaxed);
    return ctx.reply.Ok();
  }
  if (is("lazyfree-pause") && argc == 3) {  // Tessera's test hook: server/lazy_free.h
    ctx.server.lazy_free().SetPausedForTesting(std::atoi(std::string(ctx.args[2]).c_str()) != 0);
    return ctx.reply.Ok();
  }
  if (is("set-disable-deny-scripts") && argc == 3) {
    ctx.server.scripts().set_deny_script_disabled(std::atoi(std::string(ctx.args[2]).c_str()) != 0);
    return ctx.reply.Ok();
  }
  if (is("replybuffer") && argc == 4) return DebugReplyBuffer(ctx);
  if (is("populate") && argc >= 3 && argc <= 5) return DebugPopulate(ctx);
  if (is("object") && argc == 3) return DebugObject(ctx);
  if (is("digest") && argc == 2) return DebugDigest(ctx);
  if (is("digest-value")) return DebugDigestValue(ctx);
  if (is("protocol") && argc == 3) return DebugProtocol(ctx);
  if (is("error") && argc == 3) return ctx.reply.Error(ctx.args[2]);
  if (is("reload")) return DebugReload(ctx);
  if (is("loadaof")) return DebugLoadAof(ctx);
  if (is("quicklist-packed-threshold") && argc == 3) return DebugPackedThreshold(ctx);
  if (is("listpack") && argc == 3) return DebugListLayout(ctx, false);
  if (is("quicklist") && (argc == 3 || argc == 4)) return DebugListLayout(ctx, true);
  ReplySubcommandSyntaxError(ctx);
}

// ---- MEMORY ----

// MEMORY USAGE key [SAMPLES n]: the entry's allocation, its hash-table slot and an aggregate's
// own bytes.  SAMPLES is accepted and has no effect: the value types count their bytes
// exactly instead of sampling as Redis does.
void MemoryUsage(CommandContext& ctx) {
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    if (!EqualsNoCase(ctx.args[i], "samples") || i + 1 >= ctx.args.size()) {
      return ctx.reply.Error(errors::kSyntax);
    }
    int64_t samples;
    if (!ParseIntArgOrReply(ctx, ctx.args[i + 1], &samples)) return;
    if (samples < 0) return ctx.reply.Error(errors::kSyntax);
  }
  const keyspace::Entry* e = ctx.db.Find(ctx.args[2], /*touch=*/false);
  if (e == nullptr) return ctx.reply.Null();
  size_t bytes = e->AllocationSize() + sizeof(uint64_t);
  if (e->is_object()) bytes += keyspace::ObjectAllocationSize(e->type(), e->object());
  ctx.reply.Integer(static_cast<int64_t>(bytes));
}

void MemoryPurge(CommandContext& ctx) {
  if (!PurgeAllocator()) return ctx.reply.Error(errors::kAllocatorRefused);
  ctx.reply.Ok();
}

void MemoryMallocStats(CommandContext& ctx) { ctx.reply.Verbatim(AllocatorStatsText(), "txt"); }

// Redis computes these ratios in float precision; replies carry that float's digits.
double AsFloat(double d) { return static_cast<double>(static_cast<float>(d)); }

// MEMORY STATS: Redis's keys, in its order (memory_report.h computes them).
void MemoryStats(CommandContext& ctx) {
  MemoryReport r = GatherMemoryReport(ctx.server);
  resp::ReplyBuilder& out = ctx.reply;
  out.MapHeader(27 + r.dbs.size());
  auto num = [&](std::string_view name, int64_t v) {
    out.Bulk(name);
    out.Integer(v);
  };
  auto dbl = [&](std::string_view name, double v) {
    out.Bulk(name);
    out.Double(AsFloat(v));
  };
  auto u = [](uint64_t v) { return static_cast<int64_t>(v); };
  num("peak.allocated", u(r.peak_allocated));
  num("total.allocated", u(r.total_allocated));
  num("startup.allocated", u(r.startup_allocated));
  num("replication.backlog", u(r.repl_backlog));
  num("clients.slaves", u(r.clients_slaves));
  num("clients.normal", u(r.clients_normal));
  num("cluster.links", u(r.cluster_links));
  num("aof.buffer", u(r.aof_buffer));
  num("lua.caches", u(r.lua_caches));
  num("functions.caches", u(r.functions_caches));
  for (const MemoryReport::Db& db : r.dbs) {
    out.Bulk(fmt::format("db.{}", db.id));
    out.MapHeader(3);
    num("overhead.hashtable.main", u(db.overhead_main));
    num("overhead.hashtable.expires", u(db.overhead_expires));
    num("overhead.hashtable.slot-to-keys", 0);  // no cluster mode
  }
  num("overhead.total", u(r.overhead_total));
  num("keys.count", u(r.total_keys));
  num("keys.bytes-per-key", u(r.bytes_per_key));
  num("dataset.bytes", u(r.dataset));
  dbl("dataset.percentage", r.dataset_perc);
  dbl("peak.percentage", r.peak_perc);
  num("allocator.allocated", u(r.total_allocated));
  num("allocator.active", u(r.allocator_active));
  num("allocator.resident", u(r.allocator_resident));
  dbl("allocator-fragmentation.ratio", r.allocator_frag);
  num("allocator-fragmentation.bytes", r.allocator_frag_bytes);
  dbl("allocator-rss.ratio", r.allocator_rss);
  num("allocator-rss.bytes", r.allocator_rss_bytes);
  dbl("rss-overhead.ratio", r.rss_extra);
  num("rss-overhead.bytes", r.rss_extra_bytes);
  dbl("fragmentation", r.total_frag);
  num("fragmentation.bytes", r.total_frag_bytes);
}

void MemoryDoctor(CommandContext& ctx) {
  MemoryReport r = GatherMemoryReport(ctx.server);
  ctx.reply.Verbatim(
      MemoryDoctorText(r, ctx.server.clients().Count(), ctx.server.scripts().script_count()),
      "txt");
}

void MemoryHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "DOCTOR",
                     "    A plain-language review of the memory figures, with hints.",
                     "MALLOC-STATS",
                     "    The allocator's own statistics report.",
                     "PURGE",
                     "    Ask the allocator to return unused memory to the system.",
                     "STATS",
                     "    The breakdown of the memory in use: overheads, dataset, allocator.",
                     "USAGE <key> [SAMPLES <count>]",
                     "    Bytes used by <key> and its value (counted exactly; SAMPLES is",
                     "    accepted for compatibility).",
                 });
}

// ---- Registration ----

struct Doc {
  std::string_view summary;
  std::string_view since;
  std::string_view complexity;
};

CommandSpec Spec(std::string name, int arity, uint32_t flags, uint64_t acl, Handler handler,
                 Doc doc, std::vector<ArgDoc> arguments = {}) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = arity;
  s.flags = flags;
  s.acl = acl;
  s.handler = handler;
  s.summary = doc.summary;
  s.since = doc.since;
  s.complexity = doc.complexity;
  s.group = "server";
  s.arguments = std::move(arguments);
  return s;
}

CommandSpec Container(std::string name, int arity, uint32_t flags, uint64_t acl, Handler handler,
                      Doc doc, std::vector<CommandSpec> subcommands) {
  CommandSpec s = Spec(std::move(name), arity, flags, acl, handler, doc);
  s.subcommands = std::move(subcommands);
  return s;
}

CommandSpec ConfigSpec() {
  constexpr uint32_t kAdminFlags = kAdmin | kNoScript | kLoading | kStale;
  using namespace argdoc;
  return Container(
      "config", -2, 0, 0, nullptr,
      {"A container for the runtime configuration commands.", "2.0.0", "Depends on subcommand."},
      {
          Spec("get", -3, kAdminFlags, 0, ConfigGet,
               {"Returns the values of the configuration parameters that match.", "2.0.0",
                "O(N) for N parameters."},
               {Str("parameter").Multi()}),
          Spec("help", 2, kLoading | kStale, 0, ConfigHelp,
               {"Lists the CONFIG subcommands.", "5.0.0", "O(1)"}),
          Spec("resetstat", 2, kAdminFlags, 0, ConfigResetStat,
               {"Zeroes the statistics that INFO reports.", "2.0.0", "O(1)"}),
          Spec("rewrite", 2, kAdminFlags, 0, ConfigRewrite,
               {"Writes the running configuration back to the config file.", "2.8.0", "O(1)"}),
          Spec("set", -4, kAdminFlags, 0, ConfigSet,
               {"Changes configuration parameters at run time, all or none.", "2.0.0",
                "O(N) for N parameters."},
               {Block("data", {Str("parameter"), Str("value")}).Multi()}),
      });
}

CommandSpec CommandSpecOfCommand() {
  constexpr uint32_t kFlags = kLoading | kStale | kSentinel;
  using namespace argdoc;
  auto sub = [&](std::string name, int arity, Handler h, Doc doc, std::vector<ArgDoc> args = {}) {
    return Spec(std::move(name), arity, kFlags, kAclConnection, h, doc, std::move(args));
  };
  return Container(
      "command", -1, kFlags, kAclConnection, CommandCommand,
      {"Describes every command the server knows.", "2.8.13",
       "O(N) over every command of the server."},
      {
          sub("count", 2, CommandCountCommand,
              {"Returns how many commands the server knows.", "2.8.13", "O(1)"}),
          sub("docs", -2, CommandDocsCommand,
              {"Returns the documentation of the given commands, or of all of them.", "7.0.0",
               "O(N) for N commands named."},
              {Str("command-name").Opt().Multi()}),
          sub("getkeys", -3, CommandGetKeysCommand,
              {"Returns the key names in a complete command line.", "2.8.13",
               "O(N) in the command's argument count."},
              {Str("command"), Str("arg").Opt().Multi()}),
          sub("getkeysandflags", -3, CommandGetKeysAndFlagsCommand,
              {"Returns the key names in a complete command line with their access flags.", "7.0.0",
               "O(N) in the command's argument count."},
              {Str("command"), Str("arg").Opt().Multi()}),
          sub("help", 2, CommandHelpCommand, {"Lists the COMMAND subcommands.", "5.0.0", "O(1)"}),
          sub("info", -2, CommandInfoCommand,
              {"Describes the given commands, or all of them.", "2.8.13",
               "O(N) for N commands named."},
              {Str("command-name").Opt().Multi()}),
          sub("list", -2, CommandListCommand,
              {"Returns the names of the commands, optionally filtered.", "7.0.0",
               "O(N) over every command of the server."},
              {OneOf("filterby", {Str("module-name").Tok("MODULE"), Str("category").Tok("ACLCAT"),
                                  Pattern("pattern").Tok("PATTERN")})
                   .Tok("FILTERBY")
                   .Opt()}),
      });
}

CommandSpec SlowlogSpec() {
  constexpr uint32_t kAdminFlags = kAdmin | kLoading | kStale;
  using namespace argdoc;
  return Container("slowlog", -2, 0, 0, nullptr,
                   {"A container for the slow log commands.", "2.2.12", "Depends on subcommand."},
                   {
                       Spec("get", -2, kAdminFlags, 0, SlowlogGet,
                            {"Returns the newest entries of the slow log.", "2.2.12",
                             "O(N) for N entries returned."},
                            {Int("count").Opt()}),
                       Spec("help", 2, kLoading | kStale, 0, SlowlogHelp,
                            {"Lists the SLOWLOG subcommands.", "6.2.0", "O(1)"}),
                       Spec("len", 2, kAdminFlags, 0, SlowlogLen,
                            {"Counts the entries of the slow log.", "2.2.12", "O(1)"}),
                       Spec("reset", 2, kAdminFlags, 0, SlowlogReset,
                            {"Removes every entry from the slow log.", "2.2.12",
                             "O(N) in the slow log's length."}),
                   });
}

CommandSpec MemorySpec() {
  using namespace argdoc;
  CommandSpec usage = Spec("usage", -3, kReadOnly, 0, MemoryUsage,
                           {"Estimates the bytes a key and its value occupy.", "4.0.0",
                            "O(N) in the key's size; SAMPLES is accepted and unused."},
                           {Key("key"), Int("count").Tok("SAMPLES").Opt()});
  usage.keys = {2, 2, 1, kKeyRO};
  return Container(
      "memory", -2, 0, 0, nullptr,
      {"A container for the memory diagnostics commands.", "4.0.0", "Depends on subcommand."},
      {
          Spec("doctor", 2, 0, 0, MemoryDoctor,
               {"Reviews the memory figures and reports problems found.", "4.0.0", "O(1)"}),
          Spec("help", 2, kLoading | kStale, 0, MemoryHelp,
               {"Lists the MEMORY subcommands.", "4.0.0", "O(1)"}),
          Spec("malloc-stats", 2, 0, 0, MemoryMallocStats,
               {"Returns the memory allocator's statistics report.", "4.0.0",
                "In proportion to the memory the allocator has to walk."}),
          Spec("purge", 2, 0, 0, MemoryPurge,
               {"Asks the memory allocator to release unused memory.", "4.0.0",
                "In proportion to the memory the allocator has to walk."}),
          Spec("stats", 2, 0, 0, MemoryStats,
               {"Returns the breakdown of the memory in use.", "4.0.0", "O(1)"}),
          std::move(usage),
      });
}

}  // namespace

void RegisterServerFamily(CommandTable* table) {
  using namespace argdoc;
  table->Add(Spec("info", -1, kLoading | kStale | kSentinel, kAclDangerous, InfoCommand,
                  {"Reports the server's state and counters, by section.", "1.0.0", "O(1)"},
                  {Str("section").Opt().Multi()}));
  table->Add(ConfigSpec());
  table->Add(CommandSpecOfCommand());
  table->Add(SlowlogSpec());
  table->Add(Spec("time", 1, kLoading | kStale | kFast, 0, Time,
                  {"Returns the server's current time.", "2.6.0", "O(1)"}));
  table->Add(Spec("lastsave", 1, kLoading | kStale | kFast, kAclAdmin | kAclDangerous, LastSave,
                  {"Returns the Unix time of the last successful save to disk.", "1.0.0", "O(1)"}));
  table->Add(Spec("save", 1, kAdmin | kNoScript | kNoMulti | kNoAsyncLoading,
                  kAclAdmin | kAclDangerous, Save,
                  {"Writes the dataset to disk now and answers when it is done.", "1.0.0",
                   "O(N) in the number of keys of every database together."}));
  table->Add(Spec("bgsave", -1, kAdmin | kNoScript | kNoAsyncLoading, kAclAdmin | kAclDangerous,
                  BgSave,
                  {"Starts writing the dataset to disk in the background.", "1.0.0", "O(1)"},
                  {PureToken("schedule", "SCHEDULE").Opt()}));
  table->Add(
      Spec("bgrewriteaof", 1, kAdmin | kNoScript | kNoAsyncLoading, kAclAdmin | kAclDangerous,
           BgRewriteAof,
           {"Rewrites the append-only file from a snapshot, in the background.", "1.0.0", "O(1)"}));
  table->Add(
      Spec("debug", -2, kAdmin | kNoScript | kLoading | kStale | kProtected | kAllShards, 0, Debug,
           {"Internal inspection and testing commands.", "1.0.0", "Depends on subcommand."}));
  table->Add(MemorySpec());
}

}  // namespace tessera::server
