#include "server/blocking.h"

#include <algorithm>

#include "core/resp/reply_builder.h"
#include "server/client_state.h"
#include "server/server.h"

namespace tessera::server {

void BlockingRegistry::Block(const ClientState& client, const CommandSpec& spec, ArgList args,
                             BlockRequest request) {
  auto w = std::make_shared<Waiter>();
  w->client_id = client.id;
  w->db = client.db;
  w->resp = client.resp;
  w->no_touch = client.no_touch;
  w->spec = &spec;
  w->user = client.user;
  if (request.args.empty()) {
    w->args.assign(args.begin(), args.end());
  } else {
    w->args = std::move(request.args);
  }
  w->request = std::move(request);
  w->deliver = client.deliver_blocked_reply;
  std::lock_guard<std::mutex> lock(mu_);
  // BLPOP k k waits once on k.
  std::vector<std::string> seen;
  for (const std::string& key : w->request.keys) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    by_key_[KeyRef{w->db, key}].push_back(w);
  }
  by_client_[w->client_id] = w;
  blocked_.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<Waiter> BlockingRegistry::Claim(int db, const std::string& key,
                                                const std::vector<Waiter*>& skip) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(KeyRef{db, key});
  if (it == by_key_.end()) return nullptr;
  for (const std::shared_ptr<Waiter>& w : it->second) {
    if (w->serving || w->cancel != Waiter::Cancel::kNone) continue;
    if (std::find(skip.begin(), skip.end(), w.get()) != skip.end()) continue;
    w->serving = true;
    return w;
  }
  return nullptr;
}

void BlockingRegistry::Release(const std::shared_ptr<Waiter>& w, std::string* reply,
                               uint64_t logged_mark) {
  BlockedEnd end;
  {
    std::lock_guard<std::mutex> lock(mu_);
    w->serving = false;
    if (reply != nullptr) {
      end.reply = std::move(*reply);
      end.ran = true;
      end.logged_mark = logged_mark;
    } else if (w->cancel != Waiter::Cancel::kNone) {
      end.reply = CancelReply(*w);
    } else {
      return;  // still waiting
    }
    RemoveLocked(w);
  }
  if (!end.reply.empty() && w->deliver) w->deliver(std::move(end));
}

bool BlockingRegistry::Cancel(uint64_t client_id, bool disconnect) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_client_.find(client_id);
  if (it == by_client_.end()) return false;
  std::shared_ptr<Waiter> w = it->second;
  if (w->serving) {
    w->cancel = disconnect ? Waiter::Cancel::kDisconnect : Waiter::Cancel::kTimeout;
    return false;
  }
  RemoveLocked(w);
  return true;
}

bool BlockingRegistry::Unblock(uint64_t client_id, bool error, bool* served_now) {
  std::shared_ptr<Waiter> w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_client_.find(client_id);
    if (it == by_client_.end() || it->second->cancel != Waiter::Cancel::kNone) return false;
    w = it->second;
    w->cancel = error ? Waiter::Cancel::kUnblockError : Waiter::Cancel::kUnblockTimeout;
    // A serving thread delivers the cancellation reply if its command finds nothing.
    if (served_now != nullptr) *served_now = w->serving;
    if (w->serving) return true;
    RemoveLocked(w);
  }
  if (w->deliver) w->deliver({CancelReply(*w)});
  return true;
}

std::vector<std::pair<int, std::string>> BlockingRegistry::KeysInDbs(int db1, int db2) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<int, std::string>> out;
  for (const auto& [ref, waiters] : by_key_) {
    if (ref.db == db1 || ref.db == db2) out.emplace_back(ref.db, ref.key);
  }
  return out;
}

bool BlockingRegistry::IsBlocked(uint64_t client_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_client_.count(client_id) != 0;
}

size_t BlockingRegistry::blocking_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.size();
}

size_t BlockingRegistry::blocking_keys_on_nokey() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [ref, waiters] : by_key_) {
    for (const std::shared_ptr<Waiter>& w : waiters) {
      if (w->request.wake_on_missing) {
        ++n;
        break;
      }
    }
  }
  return n;
}

void BlockingRegistry::RemoveLocked(const std::shared_ptr<Waiter>& w) {
  auto it = by_client_.find(w->client_id);
  if (it == by_client_.end() || it->second != w) return;
  by_client_.erase(it);
  for (const std::string& key : w->request.keys) {
    auto kit = by_key_.find(KeyRef{w->db, key});
    if (kit == by_key_.end()) continue;
    auto& list = kit->second;
    list.erase(std::remove(list.begin(), list.end(), w), list.end());
    if (list.empty()) by_key_.erase(kit);
  }
  blocked_.fetch_sub(1, std::memory_order_relaxed);
}

std::vector<uint64_t> BlockingRegistry::UnblockAllForRoleChange() {
  std::vector<std::shared_ptr<Waiter>> now;
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, w] : by_client_) {
      if (w->cancel != Waiter::Cancel::kNone) continue;
      w->cancel = Waiter::Cancel::kRoleChange;
      ids.push_back(id);
      if (!w->serving) now.push_back(w);  // else its serving thread answers
    }
    for (const auto& w : now) RemoveLocked(w);
  }
  for (const auto& w : now) {
    if (w->deliver) w->deliver({CancelReply(*w)});
  }
  return ids;
}

std::string BlockingRegistry::CancelReply(const Waiter& w) {
  std::string out;
  resp::ReplyBuilder reply(&out, w.resp);
  switch (w.cancel) {
    case Waiter::Cancel::kUnblockError:
      reply.Error(kClientUnblocked);
      break;
    case Waiter::Cancel::kRoleChange:
      reply.Error(kRoleChangeUnblocked);
      break;
    case Waiter::Cancel::kTimeout:
    case Waiter::Cancel::kUnblockTimeout:
      reply.NullArray();
      break;
    case Waiter::Cancel::kDisconnect:
    case Waiter::Cancel::kNone:
      break;
  }
  return out;
}

namespace {
thread_local std::vector<keyspace::DbAccess::ReadyKey> removed_by_server;
}  // namespace

void NoteRemovedByServer(Server& server, int db, std::string_view key) {
  if (server.blocking().key_blocked_clients() > 0) {
    removed_by_server.push_back({db, std::string(key)});
  }
}

std::vector<keyspace::DbAccess::ReadyKey>& KeysRemovedByServer() { return removed_by_server; }

}  // namespace tessera::server
