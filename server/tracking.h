// Client-side caching (CLIENT TRACKING): which clients may hold which keys, and the
// invalidation messages sent when those keys change (Redis 7.2's tracking.c semantics).
//
// Two tables, shared by every worker:
// - the key table: key name -> ids of the clients that read it while tracking (default
//   mode).  Like Redis's it ignores the DB.  A key's entry goes as soon as it is invalidated,
//   so the table holds only keys read since their last change, and tracking-table-max-keys
//   bounds it (EnforceLimit evicts random keys, invalidating them as if they changed).  It is
//   striped by key hash, one mutex per stripe, so readers on several workers rarely meet.
// - the prefix table (BCAST mode): prefix -> subscribed clients and the keys under it
//   changed since the last broadcast.  Broadcasts go out once per loop iteration of the
//   worker that changed the keys (FlushBroadcasts, from the worker's before-sleep step), so
//   one message carries every key one command or transaction changed, as in Redis.
// Ids of clients that stopped tracking or disconnected stay in the key table until their key
// is invalidated or evicted (as in Redis: removing them eagerly would cost a walk of the table).
//
// Delivery (DESIGN 2): an invalidation becomes one task per worker owning a receiver, posted
// to its inbox; on that thread the tracking client's own state (mode, RESP version, redirect)
// decides what is sent.  A REDIRECT target is reached through ClientRegistry::RunOnOwner; a
// target that is gone marks the redirect broken and sends `tracking-redir-broken` (RESP3).  A
// message to the client running the command goes to its `pending_pushes`, which its
// connection appends after the command's reply (after EXEC's inside a transaction).
//
// Cost when nobody tracks: every entry point is an inline check of two relaxed atomics
// (`armed()`), false unless some client tracks or the key table holds keys.
//
// Locks: a stripe mutex and `mu_` are never held together, and nothing else is locked or
// posted while one is held; callers may hold shard locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::server {

struct ClientState;
class ClientRegistry;

// Bits of ClientState::tracking_flags.
enum TrackingFlag : uint32_t {
  kTrackingOn = 1u << 0,
  kTrackingBcast = 1u << 1,
  kTrackingOptIn = 1u << 2,
  kTrackingOptOut = 1u << 3,
  kTrackingNoLoop = 1u << 4,
  kTrackingCaching = 1u << 5,      // CLIENT CACHING given for the next command
  kTrackingBrokenRedir = 1u << 6,  // the REDIRECT target was found gone
};

struct TrackingOptions {
  uint64_t redirect = 0;
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  std::vector<std::string> prefixes;
};

class TrackingRegistry {
 public:
  using PostFn = std::function<void(int owner, std::function<void()>)>;
  // `post` runs a function on worker `owner`'s thread; without it (in-process tests)
  // deliveries run at once on the calling thread.
  void set_post(PostFn post) { post_ = std::move(post); }
  // The registry of connected clients, to reach REDIRECT targets.  Set once at start.
  void set_clients(ClientRegistry* clients) { clients_registry_ = clients; }

  // True iff some client tracks or the key table holds keys: when false, nothing below
  // has anything to do.
  bool armed() const {
    return tracking_clients_.load(std::memory_order_relaxed) != 0 ||
           total_keys_.load(std::memory_order_relaxed) != 0;
  }
  size_t tracking_clients() const { return tracking_clients_.load(std::memory_order_relaxed); }
  size_t total_keys() const { return total_keys_.load(std::memory_order_relaxed); }
  size_t total_items() const { return total_items_.load(std::memory_order_relaxed); }
  size_t total_prefixes() const { return prefix_count_.load(std::memory_order_relaxed); }

  // CLIENT TRACKING ON / OFF, on the owner's thread.  Enable REQUIRES options checked as
  // Redis checks them (client_tracking.cc).  Disable also runs at disconnect and RESET.
  void Enable(ClientState& client, TrackingOptions options);
  void Disable(ClientState& client);

  // The arguments of `args` at `positions` are keys read by the client `client_id`
  // (tracking, not BCAST).
  void RememberKeys(uint64_t client_id, std::span<const std::string_view> args,
                    const std::vector<int>& positions);

  // `key` of `db` changed.  `client` runs the command that changed it (null outside a
  // command: active expiry); `client_wrote` is false when the change is not the client's own
  // (a key it found expired), so NOLOOP does not hide it.  A Lua client stands for its caller.
  // `before_reply`: the client's own message goes out at once, ahead of its command's reply
  // (keys evicted to make room for the command, as Redis).
  void InvalidateKey(int db, std::string_view key, ClientState* client, bool client_wrote = true,
                     bool before_reply = false) {
    if (armed()) InvalidateKeySlow(key, client, client_wrote, before_reply);
  }
  // A DB (db >= 0) or every DB (db < 0) was flushed: every tracking client gets a null
  // invalidation, and the key table is emptied (Redis does both for FLUSHDB too).
  void InvalidateAll(int db, ClientState* client) {
    if (armed()) InvalidateAllSlow(client);
  }

  // Evicts keys from the key table while it holds more than `max_keys` (0: no limit), each
  // invalidated as if it changed; the effort grows with every call that could not reach the
  // limit, as Redis's trackingLimitUsedSlots.  `current`: the client about to run a command
  // (its messages are written at once, before the command's reply), or null.
  void EnforceLimit(size_t max_keys, ClientState* current);

  // While a Hold is alive, the invalidations its thread sends to clients other than the one
  // running the command wait, and go out at Release() or its end: a blocked client served by
  // another client's command gets its reply first and its invalidations after (as Redis).
  class Hold;

  // Bytes of invalidations posted to tracking clients' workers and not yet handed to their
  // sockets.  Redis writes a command's invalidations out before it runs another command, so
  // its eviction never counts them; here they wait in an inbox, or in an output buffer until
  // the delivery writes it, while other workers run commands: the evictor leaves them out of
  // used memory (Evictor::NotCountedBytes), or every eviction's messages would make the next
  // command evict more.  What a client's socket does not take stays in its output buffer
  // and counts from then on, as in Redis.  Messages to a REDIRECT target, which take one
  // more hop, are not included.
  uint64_t in_transit_bytes() const {
    int64_t bytes = in_transit_bytes_.load(std::memory_order_relaxed);
    return bytes > 0 ? static_cast<uint64_t>(bytes) : 0;
  }

  // Sends the broadcasts gathered since the last call.  Any thread; cheap when none are
  // pending.
  void FlushBroadcasts() {
    if (broadcasts_pending_.load(std::memory_order_relaxed)) FlushBroadcastsSlow();
  }

 private:
  enum class Kind : uint8_t { kKeys, kFlush, kBroadcast };
  struct Item {
    uint64_t client_id;
    uint64_t origin_id;  // who changed the keys (NOLOOP); 0: nobody's own change
    Kind kind;
    std::shared_ptr<const std::string> body;  // RESP array of keys; null for kFlush
  };
  // How a message reaches the client running the command: after its reply, or at once.
  enum class Mode : uint8_t { kAfterReply, kNow, kPosted };

  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<uint64_t>> keys;  // GUARDED_BY(mu)
  };
  struct BcastClient {
    uint64_t id;
    int owner;
    bool noloop;
  };
  struct PrefixState {
    std::vector<BcastClient> clients;
    std::map<std::string, uint64_t> changed;  // key -> id of its last writer (0: none)
  };
  struct Tracked {
    ClientState* client;  // dereferenced on its owner's thread only
    int owner;
  };
  static constexpr size_t kStripes = 64;

  Stripe& StripeOf(std::string_view key);
  void InvalidateKeySlow(std::string_view key, ClientState* client, bool client_wrote,
                         bool before_reply);
  void InvalidateAllSlow(ClientState* client);
  void FlushBroadcastsSlow();
  // Removes `key`'s entry and queues an item for each id in it.  Returns false if absent.
  bool TakeKey(Stripe& stripe, std::string_view key, uint64_t origin, std::vector<Item>* items);
  void NoteBroadcastKey(std::string_view key, uint64_t origin);
  // Routes items to their owners; those for `current` are delivered here in `mode`.
  void Send(std::vector<Item> items, ClientState* current, Mode mode);
  void Post(std::vector<std::vector<Item>>& per_owner);
  inline static thread_local Hold* hold_ = nullptr;
  // On the tracking client's own thread.
  void DeliverToTracker(ClientState& tracker, const Item& item, Mode mode);
  // Delivers `items` and writes what they pushed to their clients' sockets at once.
  void DeliverOnOwner(const std::vector<Item>& items);
  static void DeliverRedirected(ClientState& target, const std::string& body);
  static void Emit(ClientState& c, std::string_view header, std::string_view body, Mode mode);

  std::atomic<size_t> tracking_clients_{0};
  std::atomic<size_t> total_keys_{0};
  std::atomic<size_t> total_items_{0};
  std::atomic<size_t> prefix_count_{0};
  std::atomic<bool> broadcasts_pending_{false};
  std::atomic<int64_t> in_transit_bytes_{0};
  Stripe stripes_[kStripes];

  std::mutex mu_;
  std::unordered_map<uint64_t, Tracked> tracked_;  // GUARDED_BY(mu_); tracking clients
  std::map<std::string, PrefixState> prefixes_;    // GUARDED_BY(mu_)
  // Calls of EnforceLimit in a row that could not reach the limit (Redis's timeout_counter).
  std::atomic<unsigned> evict_rounds_{0};
  // One EnforceLimit at a time (others skip): two workers evicting at once would go below
  // the limit.  Taken before any other lock, never while holding one.
  std::mutex limit_mu_;

  PostFn post_;
  ClientRegistry* clients_registry_ = nullptr;
};

class TrackingRegistry::Hold {
 public:
  explicit Hold(TrackingRegistry& registry);
  ~Hold() { Release(); }
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  // Sends what was held; the Hold ends.
  void Release();

 private:
  friend class TrackingRegistry;
  TrackingRegistry& registry_;
  Hold* previous_;
  bool active_ = true;
  std::vector<std::vector<Item>> per_owner_;
};

}  // namespace tessera::server
