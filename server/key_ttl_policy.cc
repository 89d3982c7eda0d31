#include "server/key_ttl_policy.h"

#include "core/base/glob.h"
#include "core/keyspace/entry.h"
#include "server/commands/command.h"
#include "server/server.h"

namespace tessera::server {

namespace {

const KeyTtlPolicy* MatchingPolicy(const KeyTtlPolicies& policies, std::string_view key) {
  for (const KeyTtlPolicy& p : policies) {
    if (GlobMatch(p.pattern, key)) return &p;
  }
  return nullptr;
}

// The expiry the policy wants for a key now expiring at `current` (kNoExpiry: none), or
// kNoExpiry if it is fine as it is.
int64_t WantedExpiry(const KeyTtlPolicy& p, int64_t current, int64_t now_ms) {
  const bool persistent = current == keyspace::kNoExpiry;
  if (persistent && p.default_s > 0) return now_ms + p.default_s * 1000;
  if (p.max_s > 0 && (persistent || current - now_ms > p.max_s * 1000)) {
    return now_ms + p.max_s * 1000;
  }
  return keyspace::kNoExpiry;
}

}  // namespace

int ApplyKeyTtlPolicy(CommandContext& ctx, const std::vector<std::pair<int, std::string>>& keys) {
  std::shared_ptr<const KeyTtlPolicies> policies = ctx.server.config().key_ttl_policy.Get();
  if (!policies || policies->empty()) return 0;
  keyspace::DbAccess& db = ctx.db;
  // Lookups here are the policy's, not the command's: no keyspace events, no access time.
  db.set_event_hook(nullptr, false);
  const bool log = ctx.logging && !ctx.suppress_log;
  int changed = 0;
  for (const auto& [db_index, key] : keys) {
    if (db_index != db.db()) continue;
    const KeyTtlPolicy* p = MatchingPolicy(*policies, key);
    if (p == nullptr) continue;
    keyspace::Entry* e = db.Find(key, /*touch=*/false);
    if (e == nullptr) continue;
    const int64_t when = WantedExpiry(*p, e->expire_at_or_none(), db.now_ms());
    if (when == keyspace::kNoExpiry) continue;
    db.Replace(e, keyspace::Entry::WithExpiry(e, when));
    ++changed;
    if (log) {
      // The command's own effect first (as sent, unless it described one), then the TTL.
      if (ctx.effects.empty()) ctx.effects.emplace_back(ctx.args.begin(), ctx.args.end());
      ctx.Propagate({"PEXPIREAT", key, std::to_string(when)});
    }
    ctx.Notify(kNotifyGeneric, "expire", key);
  }
  return changed;
}

}  // namespace tessera::server
