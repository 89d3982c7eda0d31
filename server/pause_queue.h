// CLIENT PAUSE's held clients, in the order their commands were held, so that they resume in
// that order, as Redis's (it keeps them in one list and unblocks it front to back).
//
// Each held connection takes a ticket when its command is first held and keeps it until that
// command has run (or the client leaves).  Once the pause is over, only the oldest ticket's
// command may run; when it has, the next ticket's connection is woken on its own worker (a
// message through the client registry), and so on down the queue.  Cross-worker order thus
// costs one inbox message per held client, paid only when a pause ends.  The alternative, every
// worker resuming its own clients at once, is faster but resumes clients of different workers
// in any order.  Thread-safe: every member locks `mu_`.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>

namespace tessera::server {

class ClientRegistry;

class PauseQueue {
 public:
  explicit PauseQueue(ClientRegistry* clients) : clients_(clients) {}

  // A client's command was held: returns its ticket (never 0).
  uint64_t Enter(uint64_t client_id);
  // True iff `ticket` is the oldest held: its command may run once the pause is over.
  bool IsHead(uint64_t ticket) const;
  // The held command of `ticket` ran, or its client left: wakes the next one if `ticket` was
  // the head.
  void Leave(uint64_t ticket);
  // Wakes the head's connection (CLIENT UNPAUSE), instead of leaving it to its retry timer.
  void WakeHead();
  size_t size() const;

 private:
  // Runs ResumeHeld on the connection of `client_id`, on its worker.  REQUIRES: mu_ not held.
  void Wake(uint64_t client_id);

  ClientRegistry* clients_;
  mutable std::mutex mu_;
  std::map<uint64_t, uint64_t> held_;  // GUARDED_BY(mu_): ticket -> client id
  uint64_t next_ticket_ = 1;           // GUARDED_BY(mu_)
};

}  // namespace tessera::server
