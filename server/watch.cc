#include "server/watch.h"

#include <algorithm>

namespace tessera::server {

void WatchRegistry::Watch(uint64_t client_id, int db, std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  KeyRef ref{db, std::string(key)};
  auto& mine = keys_of_[client_id];
  if (std::find(mine.begin(), mine.end(), ref) != mine.end()) return;
  mine.push_back(ref);
  auto& set = watchers_[ref];
  if (set.empty()) watched_.fetch_add(1, std::memory_order_relaxed);
  set.insert(client_id);
}

void WatchRegistry::UnwatchAll(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  dirty_.erase(client_id);
  auto it = keys_of_.find(client_id);
  if (it == keys_of_.end()) return;
  for (const KeyRef& ref : it->second) {
    auto w = watchers_.find(ref);
    if (w == watchers_.end()) continue;
    w->second.erase(client_id);
    if (w->second.empty()) {
      watchers_.erase(w);
      watched_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  keys_of_.erase(it);
}

void WatchRegistry::Touch(int db, std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watchers_.find(KeyRef{db, std::string(key)});
  if (it == watchers_.end()) return;
  dirty_.insert(it->second.begin(), it->second.end());
}

void WatchRegistry::TouchDbIf(int db, const std::function<bool(int, std::string_view)>& changed) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [ref, clients] : watchers_) {
    if ((db < 0 || ref.first == db) && changed(ref.first, ref.second)) {
      dirty_.insert(clients.begin(), clients.end());
    }
  }
}

bool WatchRegistry::IsDirty(uint64_t client_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return dirty_.count(client_id) != 0;
}

std::vector<std::pair<int, std::string>> WatchRegistry::KeysOf(uint64_t client_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_of_.find(client_id);
  if (it == keys_of_.end()) return {};
  return it->second;
}

size_t WatchRegistry::BytesOf(uint64_t client_id) const {
  // Per key: its entry in the client's list, and a node in the key's set of watchers and,
  // shared with other watchers of the key, in the map (counted whole: an estimate).
  constexpr size_t kPerKey = 2 * sizeof(KeyRef) + 4 * sizeof(void*) + sizeof(std::set<uint64_t>);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_of_.find(client_id);
  if (it == keys_of_.end()) return 0;
  size_t bytes = 0;
  for (const KeyRef& k : it->second) bytes += kPerKey + k.second.size();
  return bytes;
}

void WatchRegistry::MarkDirty(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  dirty_.insert(client_id);
}

}  // namespace tessera::server
