#include "server/tracking.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "core/base/hash.h"
#include "server/client_registry.h"
#include "server/client_state.h"
#include "server/pubsub.h"

namespace tessera::server {

namespace {

void AppendBulk(std::string* out, std::string_view s) {
  fmt::format_to(std::back_inserter(*out), "${}\r\n", s.size());
  out->append(s);
  out->append("\r\n");
}

// The array of `changed` keys, less those last written by `exclude` (0: none); null if
// that leaves nothing.
std::shared_ptr<const std::string> BroadcastBody(const std::map<std::string, uint64_t>& changed,
                                                 uint64_t exclude) {
  size_t count = 0;
  for (const auto& [key, writer] : changed) count += (exclude == 0 || writer != exclude);
  if (count == 0) return nullptr;
  auto body = std::make_shared<std::string>();
  fmt::format_to(std::back_inserter(*body), "*{}\r\n", count);
  for (const auto& [key, writer] : changed) {
    if (exclude == 0 || writer != exclude) AppendBulk(body.get(), key);
  }
  return body;
}

constexpr std::string_view kInvalidate = "$10\r\ninvalidate\r\n";
constexpr std::string_view kInvalidateChannel = "$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";

// A Lua client stands for the client whose script it runs.
ClientState* Caller(ClientState* c) {
  return c != nullptr && c->script_caller != nullptr ? c->script_caller : c;
}

}  // namespace

TrackingRegistry::Stripe& TrackingRegistry::StripeOf(std::string_view key) {
  return stripes_[HashBytes(key) % kStripes];
}

void TrackingRegistry::Enable(ClientState& client, TrackingOptions options) {
  uint32_t old = client.tracking_flags.load(std::memory_order_relaxed);
  uint32_t flags = kTrackingOn | (old & kTrackingCaching);
  if (options.bcast) flags |= kTrackingBcast;
  if (options.optin) flags |= kTrackingOptIn;
  if (options.optout) flags |= kTrackingOptOut;
  if (options.noloop) flags |= kTrackingNoLoop;
  if (options.bcast && options.prefixes.empty()) options.prefixes.emplace_back();
  std::lock_guard<std::mutex> lock(mu_);
  if ((old & kTrackingOn) == 0) {
    tracked_[client.id] = Tracked{&client, client.owner};
    tracking_clients_.fetch_add(1, std::memory_order_relaxed);
  }
  client.tracking_redirect.store(options.redirect, std::memory_order_relaxed);
  client.tracking_flags.store(flags, std::memory_order_relaxed);
  for (std::string& prefix : options.prefixes) {
    auto mine =
        std::lower_bound(client.tracking_prefixes.begin(), client.tracking_prefixes.end(), prefix);
    if (mine != client.tracking_prefixes.end() && *mine == prefix) continue;
    auto [it, inserted] = prefixes_.try_emplace(prefix);
    if (inserted) prefix_count_.fetch_add(1, std::memory_order_relaxed);
    it->second.clients.push_back(BcastClient{client.id, client.owner, options.noloop});
    client.tracking_prefixes.insert(mine, std::move(prefix));
  }
  // Enabling again may change NOLOOP for the prefixes the client already had.
  for (const std::string& prefix : client.tracking_prefixes) {
    for (BcastClient& b : prefixes_[prefix].clients) {
      if (b.id == client.id) b.noloop = options.noloop;
    }
  }
}

void TrackingRegistry::Disable(ClientState& client) {
  if ((client.tracking_flags.load(std::memory_order_relaxed) & kTrackingOn) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  tracked_.erase(client.id);
  for (const std::string& prefix : client.tracking_prefixes) {
    auto it = prefixes_.find(prefix);
    if (it == prefixes_.end()) continue;
    auto& clients = it->second.clients;
    clients.erase(std::remove_if(clients.begin(), clients.end(),
                                 [&](const BcastClient& b) { return b.id == client.id; }),
                  clients.end());
    if (clients.empty()) {
      prefixes_.erase(it);
      prefix_count_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  client.tracking_prefixes.clear();
  client.tracking_flags.store(0, std::memory_order_relaxed);
  tracking_clients_.fetch_sub(1, std::memory_order_relaxed);
}

void TrackingRegistry::RememberKeys(uint64_t client_id, std::span<const std::string_view> args,
                                    const std::vector<int>& positions) {
  for (int pos : positions) {
    std::string_view key = args[static_cast<size_t>(pos)];
    Stripe& stripe = StripeOf(key);
    std::lock_guard<std::mutex> lock(stripe.mu);
    auto [it, inserted] = stripe.keys.try_emplace(std::string(key));
    if (inserted) total_keys_.fetch_add(1, std::memory_order_relaxed);
    std::vector<uint64_t>& ids = it->second;
    if (std::find(ids.begin(), ids.end(), client_id) == ids.end()) {
      ids.push_back(client_id);
      total_items_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

bool TrackingRegistry::TakeKey(Stripe& stripe, std::string_view key, uint64_t origin,
                               std::vector<Item>* items) {
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(stripe.mu);
    auto it = stripe.keys.find(std::string(key));
    if (it == stripe.keys.end()) return false;
    ids = std::move(it->second);
    stripe.keys.erase(it);
    total_keys_.fetch_sub(1, std::memory_order_relaxed);
    total_items_.fetch_sub(ids.size(), std::memory_order_relaxed);
  }
  auto body = std::make_shared<std::string>("*1\r\n");
  AppendBulk(body.get(), key);
  for (uint64_t id : ids) items->push_back(Item{id, origin, Kind::kKeys, body});
  return true;
}

void TrackingRegistry::NoteBroadcastKey(std::string_view key, uint64_t origin) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [prefix, state] : prefixes_) {
    if (key.substr(0, prefix.size()) != prefix) continue;
    state.changed[std::string(key)] = origin;
    broadcasts_pending_.store(true, std::memory_order_relaxed);
  }
}

void TrackingRegistry::InvalidateKeySlow(std::string_view key, ClientState* client,
                                         bool client_wrote, bool before_reply) {
  client = Caller(client);
  // As Redis: NOLOOP hides a key-table invalidation from the client running the command,
  // and a broadcast key from the client that changed it.
  uint64_t current = client != nullptr ? client->id : 0;
  if (prefix_count_.load(std::memory_order_relaxed) > 0) {
    NoteBroadcastKey(key, client_wrote ? current : 0);
  }
  if (total_keys_.load(std::memory_order_relaxed) == 0) return;
  std::vector<Item> items;
  if (!TakeKey(StripeOf(key), key, current, &items)) return;
  Send(std::move(items), client, before_reply ? Mode::kNow : Mode::kAfterReply);
}

void TrackingRegistry::InvalidateAllSlow(ClientState* client) {
  client = Caller(client);
  std::vector<Item> items;
  {
    std::lock_guard<std::mutex> lock(mu_);
    items.reserve(tracked_.size());
    for (const auto& [id, t] : tracked_) items.push_back(Item{id, 0, Kind::kFlush, nullptr});
  }
  for (Stripe& stripe : stripes_) {
    std::unordered_map<std::string, std::vector<uint64_t>> gone;
    {
      std::lock_guard<std::mutex> lock(stripe.mu);
      if (stripe.keys.empty()) continue;
      gone.swap(stripe.keys);
      size_t n = 0;
      for (const auto& [key, ids] : gone) n += ids.size();
      total_keys_.fetch_sub(gone.size(), std::memory_order_relaxed);
      total_items_.fetch_sub(n, std::memory_order_relaxed);
    }
  }  // freed outside the stripe lock
  if (!items.empty()) Send(std::move(items), client, Mode::kAfterReply);
}

void TrackingRegistry::EnforceLimit(size_t max_keys, ClientState* current) {
  // Runs before every command while anyone tracks: below the limit it only reads atomics.
  if (max_keys == 0 || total_keys_.load(std::memory_order_relaxed) <= max_keys) {
    if (evict_rounds_.load(std::memory_order_relaxed) != 0) {
      evict_rounds_.store(0, std::memory_order_relaxed);
    }
    return;
  }
  std::unique_lock<std::mutex> limit_lock(limit_mu_, std::try_to_lock);
  if (!limit_lock.owns_lock()) return;  // another thread is at it
  int effort = 100 * static_cast<int>(evict_rounds_.load(std::memory_order_relaxed) + 1);
  thread_local uint64_t seed = 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(&seed);
  auto next = [] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  std::vector<Item> items;
  bool under = false;
  while (effort-- > 0 && !under) {
    // A random key: a random stripe holding keys, then a random bucket of its table.
    size_t first = next() % kStripes;
    bool found = false;
    for (size_t i = 0; i < kStripes && !found; ++i) {
      Stripe& stripe = stripes_[(first + i) % kStripes];
      std::string key;
      {
        std::lock_guard<std::mutex> lock(stripe.mu);
        if (stripe.keys.empty()) continue;
        size_t buckets = stripe.keys.bucket_count();
        size_t b = next() % buckets;
        while (stripe.keys.bucket_size(b) == 0) b = (b + 1) % buckets;
        key = stripe.keys.begin(b)->first;
      }
      found = TakeKey(stripe, key, 0, &items);
    }
    if (!found) break;
    under = total_keys_.load(std::memory_order_relaxed) <= max_keys;
  }
  if (under) {
    evict_rounds_.store(0, std::memory_order_relaxed);
  } else {
    evict_rounds_.fetch_add(1, std::memory_order_relaxed);
  }
  limit_lock.unlock();
  if (!items.empty()) Send(std::move(items), current, Mode::kNow);
}

void TrackingRegistry::FlushBroadcastsSlow() {
  std::vector<std::vector<Item>> per_owner;
  {
    std::lock_guard<std::mutex> lock(mu_);
    broadcasts_pending_.store(false, std::memory_order_relaxed);
    for (auto& [prefix, state] : prefixes_) {
      if (state.changed.empty()) continue;
      std::shared_ptr<const std::string> all = BroadcastBody(state.changed, 0);
      for (const BcastClient& b : state.clients) {
        std::shared_ptr<const std::string> body =
            b.noloop ? BroadcastBody(state.changed, b.id) : all;
        if (body == nullptr) continue;
        if (static_cast<size_t>(b.owner) >= per_owner.size()) per_owner.resize(b.owner + 1);
        per_owner[b.owner].push_back(Item{b.id, 0, Kind::kBroadcast, std::move(body)});
      }
      state.changed.clear();
    }
  }
  Post(per_owner);
}

void TrackingRegistry::Send(std::vector<Item> items, ClientState* current, Mode mode) {
  std::vector<std::vector<Item>> per_owner;
  std::vector<Item> mine;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Item& item : items) {
      auto it = tracked_.find(item.client_id);
      if (it == tracked_.end()) continue;  // stopped tracking or gone
      // The client running the command (not a stand-in without a connection, such as the
      // one serving a blocked client's command elsewhere).
      if (current != nullptr && current->push != nullptr && item.client_id == current->id) {
        mine.push_back(std::move(item));
        continue;
      }
      int owner = it->second.owner;
      if (static_cast<size_t>(owner) >= per_owner.size()) per_owner.resize(owner + 1);
      per_owner[owner].push_back(std::move(item));
    }
  }
  for (const Item& item : mine) DeliverToTracker(*current, item, mode);
  if (hold_ != nullptr && &hold_->registry_ == this) {
    std::vector<std::vector<Item>>& held = hold_->per_owner_;
    if (held.size() < per_owner.size()) held.resize(per_owner.size());
    for (size_t owner = 0; owner < per_owner.size(); ++owner) {
      for (Item& item : per_owner[owner]) held[owner].push_back(std::move(item));
    }
    return;
  }
  Post(per_owner);
}

void TrackingRegistry::Post(std::vector<std::vector<Item>>& per_owner) {
  for (size_t owner = 0; owner < per_owner.size(); ++owner) {
    if (per_owner[owner].empty()) continue;
    if (post_) {
      // Each item becomes a push of its body to one client (bodies are shared until then).
      int64_t bytes = 0;
      for (const Item& item : per_owner[owner]) {
        bytes += static_cast<int64_t>(sizeof(Item) + kInvalidate.size() +
                                      (item.body != nullptr ? item.body->size() : 0));
      }
      in_transit_bytes_.fetch_add(bytes, std::memory_order_relaxed);
      post_(static_cast<int>(owner), [this, bytes, batch = std::move(per_owner[owner])] {
        DeliverOnOwner(batch);
        in_transit_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
      });
    } else {
      DeliverOnOwner(per_owner[owner]);
    }
  }
}

TrackingRegistry::Hold::Hold(TrackingRegistry& registry) : registry_(registry), previous_(hold_) {
  hold_ = this;
}

void TrackingRegistry::Hold::Release() {
  if (!active_) return;
  active_ = false;
  hold_ = previous_;
  registry_.Post(per_owner_);
  per_owner_.clear();
}

void TrackingRegistry::DeliverOnOwner(const std::vector<Item>& items) {
  std::vector<ClientState*> receivers;
  for (const Item& item : items) {
    ClientState* c = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = tracked_.find(item.client_id);
      if (it != tracked_.end()) c = it->second.client;
    }
    // Safe after unlocking: only this (the owner's) thread removes the client.
    if (c == nullptr) continue;
    DeliverToTracker(*c, item, Mode::kPosted);
    if (receivers.empty() || receivers.back() != c) receivers.push_back(c);
  }
  // Closing a client (past its output limit) clears its push target, not the state itself,
  // which lives until the close callback, after this task.
  std::sort(receivers.begin(), receivers.end());
  receivers.erase(std::unique(receivers.begin(), receivers.end()), receivers.end());
  for (ClientState* c : receivers) {
    if (c->push != nullptr) c->push->WriteNow();
  }
}

void TrackingRegistry::DeliverToTracker(ClientState& tracker, const Item& item, Mode mode) {
  uint32_t flags = tracker.tracking_flags.load(std::memory_order_relaxed);
  if ((flags & kTrackingOn) == 0) return;
  switch (item.kind) {
    case Kind::kKeys:
      // Keys read before switching to BCAST are not reported any more (as Redis).
      if ((flags & kTrackingBcast) != 0) return;
      if ((flags & kTrackingNoLoop) != 0 && item.origin_id == tracker.id) return;
      break;
    case Kind::kBroadcast:
      if ((flags & kTrackingBcast) == 0) return;
      break;
    case Kind::kFlush:
      break;
  }
  // A flush is a null in the tracking client's protocol, wherever it is sent (as Redis).
  std::string body = item.body != nullptr ? *item.body : tracker.resp >= 3 ? "_\r\n" : "$-1\r\n";
  uint64_t redirect = tracker.tracking_redirect.load(std::memory_order_relaxed);
  if (redirect == 0) {
    if (tracker.resp >= 3) Emit(tracker, ">2\r\n", std::string(kInvalidate) + body, mode);
    return;
  }
  bool found = clients_registry_ != nullptr &&
               clients_registry_->RunOnOwner(redirect, [body = std::move(body)](ClientState* t) {
                 DeliverRedirected(*t, body);
               });
  if (found) return;
  tracker.tracking_flags.fetch_or(kTrackingBrokenRedir, std::memory_order_relaxed);
  if (tracker.resp >= 3) {
    std::string broken;
    AppendBulk(&broken, "tracking-redir-broken");
    fmt::format_to(std::back_inserter(broken), ":{}\r\n", redirect);
    Emit(tracker, ">2\r\n", broken, mode);
  }
}

void TrackingRegistry::DeliverRedirected(ClientState& target, const std::string& body) {
  if (target.push == nullptr) return;
  if (target.resp >= 3) {
    target.push->Push(">2\r\n", std::string(kInvalidate) + body);
  } else if (target.in_pubsub) {
    // RESP2 has no push: a subscribed client gets a Pub/Sub message instead.
    target.push->Push("*3\r\n", std::string(kInvalidateChannel) + body);
  }
}

void TrackingRegistry::Emit(ClientState& c, std::string_view header, std::string_view body,
                            Mode mode) {
  if (mode == Mode::kAfterReply) {
    c.pending_pushes.append(header);
    c.pending_pushes.append(body);
  } else if (c.push != nullptr) {
    c.push->Push(header, body);
  }
}

}  // namespace tessera::server
