// Pub/Sub: who listens to which channel, pattern or shard channel, and delivery of published
// messages to every subscriber on every worker (DESIGN 2).
//
// Approach: one registry shared by every worker, behind a reader-writer lock.  PUBLISH takes
// it shared, collects the matching subscriptions, encodes each message body once, releases
// the lock and posts one batch per worker that owns a receiver to that worker's inbox; the
// owner appends the bytes to its own connection (a worker never touches another worker's
// connection).  (UN)SUBSCRIBE take it exclusive.  Rejected: one inbox message per receiver
// (a publish to 500 subscribers on 4 workers costs 4 posts, not 500).  A message to the
// publishing client itself goes to its `pending_pushes`, which its connection appends right
// after the command's reply (after EXEC's, inside a transaction), where Redis 7.2 puts it.
//
// A Subscription is shared by the registry, the client's own table and the deliveries in
// flight.  Only the subscribing client's worker reads or writes its `active` flag and its
// client pointer, so a delivery that arrives after UNSUBSCRIBE, RESET or a disconnect is
// dropped on the owner's thread without any lock: no message ever follows the confirmation
// that ended its subscription.  Messages from one publisher reach each worker in publish
// order because each worker's inbox is FIFO.
//
// Memory: bytes posted to a worker but not yet handed to the connection count against the
// subscription (`in_flight`).  Past the pubsub class's hard output limit, the publisher
// stops posting messages for it and posts a close instead, so a subscriber whose worker is
// stalled cannot make inboxes grow without bound; once messages reach the connection, its
// own output-buffer limits apply.
//
// Nobody pays for Pub/Sub who does not use it: clients that never subscribed carry a null
// pointer, and the dispatcher's RESP2 context check reads a plain bool of its own client.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::server {

struct ClientState;

enum class PubSubKind : uint8_t { kChannel, kPattern, kShardChannel };

// Receives pushed messages on the owner's thread (the net Connection; the command tester).
class PushTarget {
 public:
  virtual ~PushTarget() = default;
  // Appends one complete message, `header` ("*3\r\n" or ">3\r\n") then `body`.
  virtual void Push(std::string_view header, std::string_view body) = 0;
  // More was published for this client than its output-buffer limit allows: close it as
  // Redis does a client past its limit.
  virtual void CloseForOutputLimit() = 0;
  // Writes what was pushed now rather than at the end of the loop iteration (tracking
  // invalidations: tracking.h, in_transit_bytes).  Not while the client runs a command.
  virtual void WriteNow() {}
};

struct Subscription {
  int owner = 0;                  // worker of the client; immutable
  ClientState* client = nullptr;  // owner thread only; valid while `active`
  bool active = true;             // owner thread only
  // Bytes posted to the owner and not delivered yet; set past the limit (any thread).
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> overflowed{false};
};
using SubscriptionRef = std::shared_ptr<Subscription>;

// A client's own subscriptions, by PubSubKind; owner thread only.  UNSUBSCRIBE without
// arguments confirms in this table's order, which is arbitrary, as Redis's dict order is.
struct ClientPubSub {
  std::unordered_map<std::string, SubscriptionRef> lists[3];
};

class PubSubRegistry {
 public:
  // `post` runs a function on worker `owner`'s thread (set by the net layer).  Without it
  // (in-process tests) deliveries run at once on the publishing thread.
  using PostFn = std::function<void(int owner, std::function<void()>)>;
  void set_post(PostFn post) { post_ = std::move(post); }

  // Owner thread of `client`.  Returns true iff the client was not subscribed to `name` yet.
  // REQUIRES: client.push is set.
  bool Subscribe(ClientState& client, PubSubKind kind, std::string_view name);
  // Returns true iff the client was subscribed to `name`.
  bool Unsubscribe(ClientState& client, PubSubKind kind, std::string_view name);
  // The names `client` is subscribed to.
  static std::vector<std::string> Names(const ClientState& client, PubSubKind kind);
  // Ends every subscription without replying (disconnect, RESET).  Owner thread.
  void UnsubscribeAll(ClientState& client);

  // Delivers `message` to every subscriber of `channel` (and, unless sharded, of every
  // matching pattern).  Returns the number of receivers as Redis counts them: one per
  // channel subscription plus one per matching pattern subscription.  `in_flight_limit`
  // (0 = none) caps each subscription's undelivered bytes (see above).  `publisher` (may be
  // null) is the client running the command, on its own thread.
  int64_t Publish(std::string_view channel, std::string_view message, bool sharded,
                  size_t in_flight_limit = 0, ClientState* publisher = nullptr);

  // Introspection (PUBSUB, INFO).
  std::vector<std::string> ChannelNames(PubSubKind kind, const std::string* pattern) const;
  size_t Subscribers(PubSubKind kind, std::string_view name) const;
  size_t Count(PubSubKind kind) const {
    return counts_[static_cast<int>(kind)].load(std::memory_order_relaxed);
  }

 private:
  using Index = std::unordered_map<std::string, std::vector<SubscriptionRef>>;
  // The encoded bodies of one publish are owned by the batch's task (one reference per
  // batch, not per receiver); deliveries point into them.
  struct Delivery {
    SubscriptionRef sub;
    const std::string* body;  // null: close the client (over its limit)
    bool pattern;             // a "pmessage" of four elements
  };
  // `counted`: the batch's bytes were added to the subscriptions' in_flight.
  static void Deliver(const std::vector<Delivery>& batch, bool counted);
  Index& index(PubSubKind kind) { return indexes_[static_cast<int>(kind)]; }
  void RemoveLocked(PubSubKind kind, const std::string& name, const Subscription* sub);

  mutable std::shared_mutex mu_;
  Index indexes_[3];                    // GUARDED_BY(mu_)
  std::atomic<size_t> counts_[3] = {};  // distinct names per kind, for INFO and fast checks
  PostFn post_;
};

}  // namespace tessera::server
