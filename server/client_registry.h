// The set of connected clients, for CLIENT LIST/KILL/INFO, INFO clients and maxclients.
//
// Workers register a client when they accept it and remove it when they close it.  Readers
// from other workers hold the mutex while they read a client's fields, which is why the owner
// writes the string fields (name, lib-name, lib-ver) under the same mutex (SetName etc.).
// Acting on another worker's client (CLIENT KILL) is a message to that worker (RunOnOwner),
// never a direct call: a worker never touches another worker's connection.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "server/client_state.h"

namespace tessera::server {

class ClientRegistry {
 public:
  // `post` runs a function on worker `owner`'s thread (set by the net layer).
  using PostFn = std::function<void(int owner, std::function<void()>)>;

  uint64_t NextId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  void Add(ClientState* c, int owner);
  void Remove(ClientState* c);
  size_t Count() const { return count_.load(std::memory_order_relaxed); }
  // True iff a client with this id is connected now.
  bool Contains(uint64_t id) const;

  void SetName(ClientState* c, std::string name);
  void SetUserName(ClientState* c, std::string user);
  void SetLibInfo(ClientState* c, std::string* lib_name, std::string* lib_ver);

  // Calls fn(client, owner) for every client, holding the mutex: fn must be quick and must
  // not call back into the registry.
  void ForEach(const std::function<void(const ClientState&, int owner)>& fn) const;
  // Calls fn(client) for client `id` holding the mutex, so it cannot go away meanwhile; fn
  // may change only the client's atomic fields.  Returns fn's result, or false if no client
  // `id` exists now.
  bool WithClient(uint64_t id, const std::function<bool(ClientState&)>& fn);

  void set_post(PostFn post) { post_ = std::move(post); }
  // Runs `fn` on worker `owner`'s thread; false (nothing runs) if no post function is set.
  bool Post(int owner, std::function<void()> fn) {
    if (!post_) return false;
    post_(owner, std::move(fn));
    return true;
  }
  // Waits (at most `timeout_ms`) until each of the `workers` workers but `caller_worker` has
  // run what its loop had pending when called: input that reached another worker's socket
  // before this call is read and accounted for when it returns (CLIENT LIST, client
  // eviction), as Redis's single loop would have.  Bounded, so two workers waiting for each
  // other only lose the timeout.  False iff there is no other worker to wait for.
  bool SyncOtherWorkers(int caller_worker, int workers, int timeout_ms);
  // Runs `fn(ClientState*)` on the owner's thread if the client still exists then.  Returns
  // false iff no client `id` exists now (nothing is posted).
  bool RunOnOwner(uint64_t id, std::function<void(ClientState*)> fn);

  // Like RunOnOwner, but done when it returns (or after `timeout_ms`, if the owner is busy):
  // at once when `caller_worker` owns the client, else posted and waited for.  For changes
  // the caller's next command must observe (ACL SETUSER closing subscribers).
  void RunOnOwnerAndWait(uint64_t id, int caller_worker, std::function<void(ClientState*)> fn,
                         int timeout_ms);

  std::atomic<int> monitors{0};

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, std::pair<ClientState*, int>> clients_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<size_t> count_{0};
  PostFn post_;
};

}  // namespace tessera::server
