#include "server/commands/script_locks.h"

#include "core/base/hash.h"
#include "core/keyspace/object.h"
#include "server/scripting/script_registry.h"
#include "server/server.h"

namespace tessera::server {

ScriptShards::ScriptShards(Server& server, ArgList declared_keys)
    : server_(server), ks_(server.keyspace()) {
  for (std::string_view key : declared_keys) declared_.set(ks_.ShardOf(key));
  held_ = declared_;
}

ScriptShards::~ScriptShards() {
  if (held_ == declared_) return;  // the common case: nothing taken beyond the declared keys
  for (unsigned i = ks_.shard_count(); i > 0; --i) {
    if (held_.test(i - 1) && !declared_.test(i - 1)) ks_.shard(i - 1).mutex().unlock_raw();
  }
}

bool ScriptShards::NeedsEveryShard(const CommandSpec& spec, ArgList args,
                                   const std::vector<int>& key_positions) {
  if ((spec.flags & kAllShards) != 0) return true;
  if (spec.locks_all_shards != nullptr && spec.locks_all_shards(args)) return true;
  // MOVE and COPY write into another DB than the script's (its before-images are of the
  // script's DB); MIGRATE's effect on another server cannot be undone.
  const std::string& top = spec.parent != nullptr ? spec.parent->name : spec.name;
  if (top == "move" || top == "copy" || top == "migrate") return true;
  for (const KeySpec& ks : spec.key_specs) {
    if ((ks.flags & kKeyIncomplete) != 0) return true;
  }
  if (!key_positions.empty()) return false;
  // No key: harmless unless it reaches the keyspace (KEYS, SCAN, DBSIZE, FLUSHALL, SWAPDB,
  // INFO keyspace...) or other clients (PUBLISH, CLIENT KILL...).  TIME, PING, ECHO, SELECT
  // and the like run on the shards held.
  constexpr uint64_t kReaches =
      kAclKeyspace | kAclRead | kAclWrite | kAclAdmin | kAclDangerous | kAclPubSub;
  return (spec.acl & kReaches) != 0;
}

bool ScriptShards::TakeShard(unsigned shard) {
  if (held_.test(shard)) return true;
  if (server_.scripts().TakeForcedAcquisitionFailure()) return false;
  if (!ks_.shard(shard).mutex().try_lock_raw()) return false;
  held_.set(shard);
  return true;
}

namespace {

uint64_t ImageHash(int db, std::string_view key) {
  return HashBytes(key) ^ (static_cast<uint64_t>(db) * 0x9E3779B97F4A7C15ull);
}

}  // namespace

bool ScriptShards::Imaged(int db, std::string_view key) {
  if (images_.size() <= kScanImages) {
    for (const keyspace::KeyImage& image : images_) {
      if (image.db() == db && image.key() == key) return true;
    }
    return false;
  }
  if (image_index_.empty()) {
    for (size_t i = 0; i < images_.size(); ++i) {
      image_index_.emplace(ImageHash(images_[i].db(), images_[i].key()), i);
    }
  }
  auto [first, last] = image_index_.equal_range(ImageHash(db, key));
  for (auto it = first; it != last; ++it) {
    const keyspace::KeyImage& image = images_[it->second];
    if (image.db() == db && image.key() == key) return true;
  }
  return false;
}

void ScriptShards::NoteImage(int db, std::string_view key, const keyspace::Entry* now) {
  images_.emplace_back(db, key, now);
  if (!image_index_.empty()) image_index_.emplace(ImageHash(db, key), images_.size() - 1);
}

namespace {

// A value cheap enough to copy before a write: a string up to kImageMaxBytes or an
// aggregate still in its packed encoding (small by the *-max-listpack-* thresholds).
bool CheapToImage(const keyspace::Entry& e) {
  if (!e.is_object()) return e.StringLength() <= ScriptShards::kImageMaxBytes;
  std::string_view encoding = keyspace::EncodingName(e);
  return encoding == "listpack" || encoding == "intset";
}

}  // namespace

bool ScriptShards::TakeEveryShard() {
  for (unsigned i = 0; i < ks_.shard_count(); ++i) {
    if (!TakeShard(i)) return false;
  }
  all_ = true;
  all_mark_.emplace();
  return true;
}

bool ScriptShards::Admit(const CommandSpec& spec, ArgList args, int db) {
  if (all_) return !undo_only_ || AdmitForUndo(spec, args, db);
  positions_.clear();
  ExtractKeys(spec, args, &positions_);
  if ((spec.keys.flags & kKeyNotKey) != 0) positions_.clear();
  if (NeedsEveryShard(spec, args, positions_)) return TakeEveryShard();
  for (int pos : positions_) {
    if (!TakeShard(ks_.ShardOf(args[pos]))) return false;
  }
  // Before-images: each key a write command may change, and a key any command may change by
  // itself (an expired key is deleted on access; a hash's expired fields are purged).  A
  // value too big to copy is not imaged: the script takes every shard first, and once it
  // holds them all nothing will be rolled back.
  const bool writes = (spec.flags & kWrite) != 0;
  for (int pos : positions_) {
    std::string_view key = args[pos];
    const keyspace::Entry* e = keyspace::PeekEntry(ks_, db, key);
    const bool changes = MayChange(spec, pos, args, writes, e);
    if (!changes || Imaged(db, key)) continue;
    if (e != nullptr && !CheapToImage(*e)) return TakeEveryShard();
    NoteImage(db, key, e);
  }
  return true;
}

bool ScriptShards::MayChange(const CommandSpec& spec, int pos, ArgList args, bool writes,
                             const keyspace::Entry* e) const {
  if (writes && (KeyFlagsAt(spec, pos, args) & kKeyRO) == 0) return true;
  return e != nullptr && (e->IsExpired(server_.NowMs()) || keyspace::HasExpiringParts(*e));
}

bool ScriptShards::AdmitForUndo(const CommandSpec& spec, ArgList args, int db) {
  positions_.clear();
  ExtractKeys(spec, args, &positions_);
  if ((spec.keys.flags & kKeyNotKey) != 0) positions_.clear();
  if (NeedsEveryShard(spec, args, positions_)) {
    // Reading the whole keyspace is harmless; changing it, or reaching other clients, is not.
    return (spec.flags & kWrite) == 0 && (spec.acl & (kAclPubSub | kAclAdmin)) == 0;
  }
  const bool writes = (spec.flags & kWrite) != 0;
  for (int pos : positions_) {
    std::string_view key = args[pos];
    const keyspace::Entry* e = keyspace::PeekEntry(ks_, db, key);
    const bool changes = MayChange(spec, pos, args, writes, e);
    if (changes && !Imaged(db, key)) NoteImage(db, key, e);
  }
  return true;
}

void ScriptShards::RollBack(int64_t now_ms) {
  for (auto it = images_.rbegin(); it != images_.rend(); ++it) it->Restore(ks_, now_ms);
  images_.clear();
  image_index_.clear();
}

void ScriptShards::EscalateToAll() {
  for (unsigned i = ks_.shard_count(); i > 0; --i) {
    if (held_.test(i - 1)) ks_.shard(i - 1).mutex().unlock_raw();
  }
  for (unsigned i = 0; i < ks_.shard_count(); ++i) ks_.shard(i).mutex().lock_raw();
  held_.reset();
  for (unsigned i = 0; i < ks_.shard_count(); ++i) held_.set(i);
  all_ = true;
}

}  // namespace tessera::server
