#include "server/notify.h"

#include <atomic>
#include <span>

#include "server/config/config.h"
#include "server/server.h"

namespace tessera::server {

namespace {

struct ClassLetter {
  char letter;
  uint32_t bit;
};
// CONFIG GET's order: the type classes (or A), then K, E and m.  Redis prints n among the
// type classes, so it is hidden when A is set; we print what Redis prints.
constexpr ClassLetter kTypeLetters[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString},  {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZSet},    {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule},  {'n', kNotifyNew},
};
constexpr ClassLetter kTailLetters[] = {
    {'K', kNotifyKeyspace}, {'E', kNotifyKeyevent}, {'m', kNotifyKeyMiss}};

}  // namespace

std::optional<uint32_t> ParseNotifyClasses(std::string_view classes) {
  uint32_t flags = 0;
  for (char c : classes) {
    if (c == 'A') {
      flags |= kNotifyAll;
      continue;
    }
    bool known = false;
    for (const auto& set : {std::span<const ClassLetter>(kTypeLetters),
                            std::span<const ClassLetter>(kTailLetters)}) {
      for (const ClassLetter& l : set) {
        if (l.letter == c) {
          flags |= l.bit;
          known = true;
        }
      }
    }
    if (!known) return std::nullopt;
  }
  return flags;
}

std::string FormatNotifyClasses(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    for (const ClassLetter& l : kTypeLetters) {
      if (flags & l.bit) out += l.letter;
    }
  }
  for (const ClassLetter& l : kTailLetters) {
    if (flags & l.bit) out += l.letter;
  }
  return out;
}

bool NotifyEnabled(const Server& server, uint32_t type) {
  return (server.config().notify_keyspace_events.load(std::memory_order_relaxed) & type) != 0;
}

void NotifyKeyspaceEvent(Server& server, uint32_t type, std::string_view event,
                         std::string_view key, int db, ClientState* publisher) {
  uint32_t flags = server.config().notify_keyspace_events.load(std::memory_order_relaxed);
  if ((flags & type) == 0) return;
  size_t limit = static_cast<size_t>(
      server.config().client_obuf_hard[kClientPubSub].load(std::memory_order_relaxed));
  std::string prefix = std::to_string(db) + "__:";
  if (flags & kNotifyKeyspace) {
    std::string channel = "__keyspace@" + prefix;
    channel.append(key);
    server.pubsub().Publish(channel, event, /*sharded=*/false, limit, publisher);
  }
  if (flags & kNotifyKeyevent) {
    std::string channel = "__keyevent@" + prefix;
    channel.append(event);
    server.pubsub().Publish(channel, key, /*sharded=*/false, limit, publisher);
  }
}

void KeyRemovedByServer(Server& server, int db, std::string_view key, uint32_t type,
                        std::string_view event, ClientState* current, bool before_reply) {
  // WATCH learns of expired keys from the expiry times it recorded at WATCH (a key already
  // stale when watched must not fail EXEC): only evictions touch it here.
  if (type != kNotifyExpired && server.watches().watched_keys() > 0) {
    server.watches().Touch(db, key);
  }
  server.tracking().InvalidateKey(db, key, current, /*client_wrote=*/false, before_reply);
  NotifyKeyspaceEvent(server, type, event, key, db, current);
}

}  // namespace tessera::server
