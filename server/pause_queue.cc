#include "server/pause_queue.h"

#include "server/client_registry.h"

namespace tessera::server {

uint64_t PauseQueue::Enter(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t ticket = next_ticket_++;
  held_.emplace(ticket, client_id);
  return ticket;
}

bool PauseQueue::IsHead(uint64_t ticket) const {
  std::lock_guard<std::mutex> lock(mu_);
  return !held_.empty() && held_.begin()->first == ticket;
}

void PauseQueue::Leave(uint64_t ticket) {
  uint64_t next = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = held_.find(ticket);
    if (it == held_.end()) return;
    bool was_head = it == held_.begin();
    held_.erase(it);
    if (was_head && !held_.empty()) next = held_.begin()->second;
  }
  if (next != 0) Wake(next);
}

void PauseQueue::WakeHead() {
  uint64_t head = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!held_.empty()) head = held_.begin()->second;
  }
  if (head != 0) Wake(head);
}

size_t PauseQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void PauseQueue::Wake(uint64_t client_id) {
  // Posted to the owner even when that is this thread: the caller may be inside the
  // connection's own Process.  A client gone meanwhile has left the queue through its Close.
  clients_->RunOnOwner(client_id, [](ClientState* c) {
    if (c->control != nullptr) c->control->ResumeHeld();
  });
}

}  // namespace tessera::server
