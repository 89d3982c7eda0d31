#include "server/pubsub.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <mutex>

#include "core/base/glob.h"
#include "server/client_state.h"

namespace tessera::server {

namespace {

void AppendBulk(std::string* out, std::string_view s) {
  fmt::format_to(std::back_inserter(*out), "${}\r\n", s.size());
  out->append(s);
  out->append("\r\n");
}

std::string_view MessageHeader(int resp, bool pattern) {
  if (resp == 2) return pattern ? "*4\r\n" : "*3\r\n";
  return pattern ? ">4\r\n" : ">3\r\n";
}

std::atomic<uint32_t>& ClientCount(ClientState& c, PubSubKind kind) {
  switch (kind) {
    case PubSubKind::kChannel:
      return c.sub_count;
    case PubSubKind::kPattern:
      return c.psub_count;
    case PubSubKind::kShardChannel:
      break;
  }
  return c.ssub_count;
}

}  // namespace

bool PubSubRegistry::Subscribe(ClientState& client, PubSubKind kind, std::string_view name) {
  if (client.pubsub == nullptr) client.pubsub = std::make_shared<ClientPubSub>();
  auto [mine, inserted_here] =
      client.pubsub->lists[static_cast<int>(kind)].try_emplace(std::string(name));
  if (!inserted_here) return false;
  auto sub = std::make_shared<Subscription>();
  sub->owner = client.owner;
  sub->client = &client;
  mine->second = sub;
  ClientCount(client, kind).fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(mu_);
  auto [it, inserted] = index(kind).try_emplace(std::string(name));
  it->second.push_back(std::move(sub));
  if (inserted) counts_[static_cast<int>(kind)].fetch_add(1, std::memory_order_relaxed);
  return true;
}

void PubSubRegistry::RemoveLocked(PubSubKind kind, const std::string& name,
                                  const Subscription* sub) {
  Index& idx = index(kind);
  auto it = idx.find(name);
  if (it == idx.end()) return;
  auto& subs = it->second;
  subs.erase(std::remove_if(subs.begin(), subs.end(),
                            [sub](const SubscriptionRef& s) { return s.get() == sub; }),
             subs.end());
  if (subs.empty()) {
    // Empty entries go at once, so creating millions of channels cannot pile up memory.
    idx.erase(it);
    counts_[static_cast<int>(kind)].fetch_sub(1, std::memory_order_relaxed);
  }
}

bool PubSubRegistry::Unsubscribe(ClientState& client, PubSubKind kind, std::string_view name) {
  if (client.pubsub == nullptr) return false;
  auto& mine = client.pubsub->lists[static_cast<int>(kind)];
  auto it = mine.find(std::string(name));
  if (it == mine.end()) return false;
  SubscriptionRef sub = std::move(it->second);
  std::string key = it->first;
  mine.erase(it);
  sub->active = false;
  ClientCount(client, kind).fetch_sub(1, std::memory_order_relaxed);
  std::unique_lock lock(mu_);
  RemoveLocked(kind, key, sub.get());
  return true;
}

std::vector<std::string> PubSubRegistry::Names(const ClientState& client, PubSubKind kind) {
  std::vector<std::string> out;
  if (client.pubsub == nullptr) return out;
  for (const auto& [name, sub] : client.pubsub->lists[static_cast<int>(kind)]) {
    out.push_back(name);
  }
  return out;
}

void PubSubRegistry::UnsubscribeAll(ClientState& client) {
  if (client.pubsub == nullptr) return;
  std::shared_ptr<ClientPubSub> mine = std::move(client.pubsub);
  for (int k = 0; k < 3; ++k) {
    for (auto& [name, sub] : mine->lists[k]) sub->active = false;
    ClientCount(client, static_cast<PubSubKind>(k)).store(0, std::memory_order_relaxed);
  }
  client.in_pubsub = false;
  std::unique_lock lock(mu_);
  for (int k = 0; k < 3; ++k) {
    for (auto& [name, sub] : mine->lists[k]) {
      RemoveLocked(static_cast<PubSubKind>(k), name, sub.get());
    }
  }
}

int64_t PubSubRegistry::Publish(std::string_view channel, std::string_view message, bool sharded,
                                size_t in_flight_limit, ClientState* publisher) {
  PubSubKind kind = sharded ? PubSubKind::kShardChannel : PubSubKind::kChannel;
  bool patterns = !sharded && Count(PubSubKind::kPattern) > 0;
  if (Count(kind) == 0 && !patterns) return 0;
  // One batch per worker that owns a receiver, built under the lock, posted after it.
  std::vector<std::vector<Delivery>> batches;
  std::vector<std::shared_ptr<const std::string>> bodies;
  auto add = [&](const SubscriptionRef& sub, const std::string* body, bool pattern) {
    // The publisher's own subscription: this is its owner's thread, so its state is ours.
    // (`client` never changes after Subscribe, so comparing it needs no synchronization.)
    if (publisher != nullptr && sub->client == publisher) {
      publisher->pending_pushes.append(MessageHeader(publisher->resp, pattern));
      publisher->pending_pushes.append(*body);
      return;
    }
    if (static_cast<size_t>(sub->owner) >= batches.size()) batches.resize(sub->owner + 1);
    if (in_flight_limit != 0) {
      if (sub->overflowed.load(std::memory_order_relaxed)) return;  // its close is on the way
      size_t bytes = body->size();
      if (sub->in_flight.fetch_add(bytes, std::memory_order_relaxed) + bytes > in_flight_limit) {
        sub->in_flight.fetch_sub(bytes, std::memory_order_relaxed);
        sub->overflowed.store(true, std::memory_order_relaxed);
        batches[sub->owner].push_back({sub, nullptr, pattern});
        return;
      }
    }
    batches[sub->owner].push_back({sub, body, pattern});
  };
  int64_t receivers = 0;
  {
    std::shared_lock lock(mu_);
    const Index& channels = indexes_[static_cast<int>(kind)];
    if (auto it = channels.find(std::string(channel)); it != channels.end()) {
      auto body = std::make_shared<std::string>();
      AppendBulk(body.get(), sharded ? "smessage" : "message");
      AppendBulk(body.get(), channel);
      AppendBulk(body.get(), message);
      bodies.push_back(body);
      for (const SubscriptionRef& sub : it->second) add(sub, body.get(), false);
      receivers += static_cast<int64_t>(it->second.size());
    }
    if (patterns) {
      for (const auto& [pattern, subs] : indexes_[static_cast<int>(PubSubKind::kPattern)]) {
        if (!GlobMatch(pattern, channel)) continue;
        auto body = std::make_shared<std::string>();
        AppendBulk(body.get(), "pmessage");
        AppendBulk(body.get(), pattern);
        AppendBulk(body.get(), channel);
        AppendBulk(body.get(), message);
        bodies.push_back(body);
        for (const SubscriptionRef& sub : subs) add(sub, body.get(), true);
        receivers += static_cast<int64_t>(subs.size());
      }
    }
  }
  bool counted = in_flight_limit != 0;
  for (size_t owner = 0; owner < batches.size(); ++owner) {
    if (batches[owner].empty()) continue;
    if (!post_) {
      Deliver(batches[owner], counted);
      continue;
    }
    post_(static_cast<int>(owner),
          [batch = std::move(batches[owner]), bodies, counted] { Deliver(batch, counted); });
  }
  return receivers;
}

void PubSubRegistry::Deliver(const std::vector<Delivery>& batch, bool counted) {
  for (const Delivery& d : batch) {
    Subscription& sub = *d.sub;
    if (counted && d.body != nullptr) {
      sub.in_flight.fetch_sub(d.body->size(), std::memory_order_relaxed);
    }
    if (!sub.active || sub.client->push == nullptr) continue;
    if (d.body == nullptr) {
      sub.client->push->CloseForOutputLimit();
      continue;
    }
    sub.client->push->Push(MessageHeader(sub.client->resp, d.pattern), *d.body);
  }
}

std::vector<std::string> PubSubRegistry::ChannelNames(PubSubKind kind,
                                                      const std::string* pattern) const {
  std::vector<std::string> out;
  std::shared_lock lock(mu_);
  for (const auto& [name, subs] : indexes_[static_cast<int>(kind)]) {
    if (pattern == nullptr || GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubSubRegistry::Subscribers(PubSubKind kind, std::string_view name) const {
  std::shared_lock lock(mu_);
  const Index& idx = indexes_[static_cast<int>(kind)];
  auto it = idx.find(std::string(name));
  return it == idx.end() ? 0 : it->second.size();
}

}  // namespace tessera::server
