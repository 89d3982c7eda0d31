// PubSubRegistry alone: posting to owners' inboxes, dropping deliveries that arrive after the
// subscription ended, and the cap on bytes waiting in a stalled worker's inbox.  The "workers"
// here are queues of tasks the test runs when it wants to.
#include "server/pubsub.h"

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/client_state.h"

namespace tessera::server {
namespace {

struct Recorder : PushTarget {
  void Push(std::string_view header, std::string_view body) override {
    bytes.append(header);
    bytes.append(body);
    ++messages;
  }
  void CloseForOutputLimit() override { ++closes; }
  std::string bytes;
  int messages = 0;
  int closes = 0;
};

struct FakeWorkers {
  explicit FakeWorkers(PubSubRegistry* registry) : inboxes(2) {
    registry->set_post([this](int owner, std::function<void()> fn) {
      inboxes[static_cast<size_t>(owner)].push_back(std::move(fn));
    });
  }
  void Drain(int owner) {
    std::vector<std::function<void()>> tasks;
    tasks.swap(inboxes[static_cast<size_t>(owner)]);
    for (auto& t : tasks) t();
  }
  std::vector<std::vector<std::function<void()>>> inboxes;
};

struct Client {
  Client(uint64_t id, int owner) {
    state.id = id;
    state.owner = owner;
    state.push = &recorder;
  }
  ClientState state;
  Recorder recorder;
};

TEST_CASE("Deliveries go to the owner's inbox, one batch per worker", "[pubsub]") {
  PubSubRegistry registry;
  FakeWorkers workers(&registry);
  Client a(1, 0), b(2, 1), c(3, 1);
  registry.Subscribe(a.state, PubSubKind::kChannel, "ch");
  registry.Subscribe(b.state, PubSubKind::kChannel, "ch");
  registry.Subscribe(c.state, PubSubKind::kPattern, "c*");
  CHECK(registry.Publish("ch", "m1", false) == 3);
  CHECK(registry.Publish("ch", "m2", false) == 3);
  CHECK(workers.inboxes[0].size() == 2);
  CHECK(workers.inboxes[1].size() == 2);  // b and c share each publish's batch
  CHECK(a.recorder.messages == 0);        // nothing before the owner runs its inbox
  workers.Drain(0);
  workers.Drain(1);
  CHECK(a.recorder.bytes ==
        "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$"
        "2\r\nm2\r\n");
  CHECK(b.recorder.messages == 2);
  CHECK(
      c.recorder.bytes.starts_with("*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nm1\r\n"));
  registry.UnsubscribeAll(a.state);
  registry.UnsubscribeAll(b.state);
  registry.UnsubscribeAll(c.state);
}

TEST_CASE("A delivery that arrives after UNSUBSCRIBE is dropped", "[pubsub]") {
  PubSubRegistry registry;
  FakeWorkers workers(&registry);
  Client a(1, 1);
  a.state.resp = 3;
  registry.Subscribe(a.state, PubSubKind::kChannel, "ch");
  CHECK(registry.Publish("ch", "late", false) == 1);
  CHECK(registry.Unsubscribe(a.state, PubSubKind::kChannel, "ch"));
  CHECK_FALSE(registry.Unsubscribe(a.state, PubSubKind::kChannel, "ch"));
  workers.Drain(1);
  CHECK(a.recorder.messages == 0);
  CHECK(registry.Count(PubSubKind::kChannel) == 0);
  CHECK(registry.Publish("ch", "x", false) == 0);
  CHECK(workers.inboxes[1].empty());
  // Resubscribed: pushes in RESP3.
  registry.Subscribe(a.state, PubSubKind::kChannel, "ch");
  registry.Publish("ch", "y", false);
  workers.Drain(1);
  CHECK(a.recorder.bytes == ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\ny\r\n");
  registry.UnsubscribeAll(a.state);
}

TEST_CASE("Bytes waiting for a stalled worker are capped per subscription", "[pubsub]") {
  PubSubRegistry registry;
  FakeWorkers workers(&registry);
  Client slow(1, 1), fast(2, 0);
  registry.Subscribe(slow.state, PubSubKind::kChannel, "ch");
  registry.Subscribe(fast.state, PubSubKind::kChannel, "ch");
  const std::string payload(1000, 'x');
  const size_t limit = 10 * 1024;
  // Worker 1 never runs: each message body is 1030 bytes ("message", the channel, the
  // payload), so nine fit under 10 KiB; the tenth becomes a close, and nothing follows it.
  for (int i = 0; i < 100; ++i) {
    CHECK(registry.Publish("ch", payload, false, limit) == 2);
    workers.Drain(0);  // the healthy worker keeps up
  }
  CHECK(fast.recorder.messages == 100);
  CHECK(workers.inboxes[1].size() == 10);
  workers.Drain(1);
  CHECK(slow.recorder.messages == 9);
  CHECK(slow.recorder.closes == 1);
  // Delivered bytes no longer count: the subscriber whose worker keeps up never hits the cap.
  CHECK(fast.recorder.closes == 0);
  registry.UnsubscribeAll(slow.state);
  registry.UnsubscribeAll(fast.state);
}

// Four threads act as workers, each with its own clients and a locked inbox: they subscribe,
// unsubscribe, disconnect and publish at random while draining their inboxes.  (Also built
// with -fsanitize=thread by hand: no report.)
TEST_CASE("Concurrent subscribers and publishers leave the registry consistent", "[pubsub]") {
  constexpr int kWorkers = 4;
  struct Inbox {
    std::mutex mu;
    std::deque<std::function<void()>> tasks;
    void Drain() {
      std::deque<std::function<void()>> batch;
      {
        std::lock_guard lock(mu);
        batch.swap(tasks);
      }
      for (auto& t : batch) t();
    }
  };
  PubSubRegistry registry;
  Inbox inboxes[kWorkers];
  registry.set_post([&](int owner, std::function<void()> fn) {
    std::lock_guard lock(inboxes[owner].mu);
    inboxes[owner].tasks.push_back(std::move(fn));
  });
  std::atomic<int> running{kWorkers};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      std::vector<std::unique_ptr<Client>> clients;
      for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<Client>(w * 100 + i, w));
      unsigned seed = static_cast<unsigned>(w) + 1;
      for (int iter = 0; iter < 5000; ++iter) {
        seed = seed * 1103515245 + 12345;
        ClientState& c = clients[(seed >> 8) % clients.size()]->state;
        std::string channel = "ch" + std::to_string(seed % 3);
        switch ((seed >> 16) % 6) {
          case 0:
            registry.Subscribe(c, PubSubKind::kChannel, channel);
            break;
          case 1:
            registry.Subscribe(c, PubSubKind::kPattern, "ch*");
            break;
          case 2:
            registry.Unsubscribe(c, PubSubKind::kChannel, channel);
            break;
          case 3:
            registry.UnsubscribeAll(c);
            break;
          default:
            registry.Publish(channel, "payload", seed % 5 == 0, 1000);
        }
        inboxes[w].Drain();
      }
      // Keep draining until every thread is done publishing, then leave.
      running.fetch_sub(1);
      while (running.load() > 0) inboxes[w].Drain();
      for (auto& c : clients) registry.UnsubscribeAll(c->state);
      inboxes[w].Drain();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(registry.Count(PubSubKind::kChannel) == 0);
  CHECK(registry.Count(PubSubKind::kPattern) == 0);
  CHECK(registry.Count(PubSubKind::kShardChannel) == 0);
  CHECK(registry.ChannelNames(PubSubKind::kChannel, nullptr).empty());
}

}  // namespace
}  // namespace tessera::server
