#include "server/pause_queue.h"

#include <catch2/catch.hpp>

#include "server/client_registry.h"

namespace tessera::server {

TEST_CASE("PauseQueue lets held clients run in the order they were held", "[pause]") {
  ClientRegistry clients;  // no client is registered: waking one posts nothing
  PauseQueue q(&clients);
  uint64_t a = q.Enter(10);
  uint64_t b = q.Enter(11);
  uint64_t c = q.Enter(12);
  CHECK(a < b);
  CHECK(b < c);
  CHECK(q.IsHead(a));
  CHECK_FALSE(q.IsHead(b));
  CHECK_FALSE(q.IsHead(c));
  // A client that leaves from the middle (it closed) does not change who is next.
  q.Leave(b);
  CHECK(q.IsHead(a));
  CHECK_FALSE(q.IsHead(c));
  q.Leave(a);
  CHECK(q.IsHead(c));
  CHECK(q.size() == 1);
  q.Leave(c);
  q.Leave(c);  // twice is harmless
  CHECK(q.size() == 0);
  CHECK_FALSE(q.IsHead(c));
  q.WakeHead();  // nothing held: nothing to wake
}

}  // namespace tessera::server
