// Keyspace notifications (Redis's notify-keyspace-events): commands that change a key, and
// the expiry and eviction that remove one, publish an event on two Pub/Sub channels,
// `__keyspace@<db>__:<key>` (message: the event name) and `__keyevent@<db>__:<event>`
// (message: the key), for the classes the directive enables.
//
// Approach: the event is published where it happens (a handler through CommandContext::Notify,
// DbAccess's table operations through a KeyEventHook, the active expiry cycle), on the thread
// that caused it, while that thread still holds the key's shard lock: a subscriber sees events
// in the order the changes were made, and the publisher's own RESP3 pushes follow its reply as
// Redis's do.  Publishing takes only the Pub/Sub registry's lock, never a shard lock, so it
// cannot deadlock with the caller's locks.  The check for an enabled class is one relaxed
// atomic load: nobody pays for notifications who does not turn them on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::server {

class Server;
struct ClientState;

// Redis's NOTIFY_* bits (their values are Redis's too, so the classes print in its order).
enum NotifyClass : uint32_t {
  kNotifyKeyspace = 1u << 0,  // K
  kNotifyKeyevent = 1u << 1,  // E
  kNotifyGeneric = 1u << 2,   // g
  kNotifyString = 1u << 3,    // $
  kNotifyList = 1u << 4,      // l
  kNotifySet = 1u << 5,       // s
  kNotifyHash = 1u << 6,      // h
  kNotifyZSet = 1u << 7,      // z
  kNotifyExpired = 1u << 8,   // x
  kNotifyEvicted = 1u << 9,   // e
  kNotifyStream = 1u << 10,   // t
  kNotifyKeyMiss = 1u << 11,  // m (not part of A)
  kNotifyModule = 1u << 13,   // d
  kNotifyNew = 1u << 14,      // n (not part of A)
};
inline constexpr uint32_t kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList |
                                       kNotifySet | kNotifyHash | kNotifyZSet | kNotifyExpired |
                                       kNotifyEvicted | kNotifyStream | kNotifyModule;

// "KEA"-style class letters to bits; nullopt if a character names no class.
std::optional<uint32_t> ParseNotifyClasses(std::string_view classes);
// The bits as CONFIG GET prints them ("AKE", "gKE", "$lshzxeKE").
std::string FormatNotifyClasses(uint32_t flags);

// Whether events of class `type` are published at all.
bool NotifyEnabled(const Server& server, uint32_t type);

// Publishes `event` for `key` of `db` if its class is enabled.  `publisher` (may be null) is
// the client whose command caused it, on its own thread: a message to itself follows its reply.
void NotifyKeyspaceEvent(Server& server, uint32_t type, std::string_view event,
                         std::string_view key, int db, ClientState* publisher = nullptr);

// A key the server removed by itself (found expired, evicted) rather than a command: WATCH
// (for evictions; expiry reaches it through the times recorded at WATCH), client tracking (as a
// change no client made, so NOLOOP does not hide it) and the keyspace event `event` of class `type`
// hear of it, in one place for every such path.  `current` is the client whose command met the key,
// or null (the active cycle); `before_reply`: that client's own tracking message goes out ahead of
// its reply (eviction making room for it).
void KeyRemovedByServer(Server& server, int db, std::string_view key, uint32_t type,
                        std::string_view event, ClientState* current = nullptr,
                        bool before_reply = false);

}  // namespace tessera::server
