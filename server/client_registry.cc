#include "server/client_registry.h"

#include <chrono>
#include <future>
#include <memory>

namespace tessera::server {

void ClientRegistry::Add(ClientState* c, int owner) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_[c->id] = {c, owner};
  count_.store(clients_.size(), std::memory_order_relaxed);
}

void ClientRegistry::Remove(ClientState* c) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_.erase(c->id);
  count_.store(clients_.size(), std::memory_order_relaxed);
}

bool ClientRegistry::Contains(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return clients_.count(id) != 0;
}

void ClientRegistry::SetName(ClientState* c, std::string name) {
  std::lock_guard<std::mutex> lock(mu_);
  c->name = std::move(name);
}

void ClientRegistry::SetUserName(ClientState* c, std::string user) {
  std::lock_guard<std::mutex> lock(mu_);
  c->user_name = std::move(user);
}

void ClientRegistry::SetLibInfo(ClientState* c, std::string* lib_name, std::string* lib_ver) {
  std::lock_guard<std::mutex> lock(mu_);
  if (lib_name) c->lib_name = std::move(*lib_name);
  if (lib_ver) c->lib_ver = std::move(*lib_ver);
}

void ClientRegistry::ForEach(const std::function<void(const ClientState&, int)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, entry] : clients_) fn(*entry.first, entry.second);
}

bool ClientRegistry::SyncOtherWorkers(int caller_worker, int workers, int timeout_ms) {
  if (workers <= 1 || !post_) return false;
  auto left = std::make_shared<std::atomic<int>>(workers - 1);
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> all_done = done->get_future();
  for (int w = 0; w < workers; ++w) {
    if (w == caller_worker) continue;
    post_(w, [left, done] {
      if (left->fetch_sub(1) == 1) done->set_value();
    });
  }
  all_done.wait_for(std::chrono::milliseconds(timeout_ms));
  return true;
}

bool ClientRegistry::WithClient(uint64_t id, const std::function<bool(ClientState&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(id);
  return it != clients_.end() && fn(*it->second.first);
}

bool ClientRegistry::RunOnOwner(uint64_t id, std::function<void(ClientState*)> fn) {
  int owner;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(id);
    if (it == clients_.end()) return false;
    owner = it->second.second;
  }
  auto task = [this, id, fn = std::move(fn)] {
    ClientState* c = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = clients_.find(id);
      if (it != clients_.end()) c = it->second.first;
    }
    // Safe after unlocking: only this (the owner) thread can remove the client.
    if (c != nullptr) fn(c);
  };
  if (post_) {
    post_(owner, std::move(task));
  } else {
    task();
  }
  return true;
}

void ClientRegistry::RunOnOwnerAndWait(uint64_t id, int caller_worker,
                                       std::function<void(ClientState*)> fn, int timeout_ms) {
  ClientState* here = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    if (it->second.second == caller_worker || !post_) here = it->second.first;
  }
  if (here != nullptr) {
    fn(here);  // the caller's own thread owns it: nothing can remove it meanwhile
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  RunOnOwner(id, [fn = std::move(fn), done](ClientState* c) {
    fn(c);
    done->set_value();
  });
  finished.wait_for(std::chrono::milliseconds(timeout_ms));
}

}  // namespace tessera::server
