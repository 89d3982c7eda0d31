// Tier-2 test harness (STYLE 13): drives the real dispatcher in-process, with a fake clock.
//
//   CommandTester t;
//   CHECK(t.Run({"SET", "k", "v"}) == "+OK\r\n");
//   t.AdvanceTime(1500);
//
// Run() returns the raw RESP bytes the client would receive.  Blocking commands: a command
// that blocks returns "" from Run(); what is delivered to a blocked client later (it was
// served, or CLIENT UNBLOCK) is read with TakeDelivered().  Extra clients for such tests come
// from AddClient() and run commands with RunAs().  Pub/Sub: messages pushed to a client (PUBLISH
// delivers at once in-process, there are no workers) are read with TakeDelivered() too, except
// those a client publishes to itself, which follow the reply in Run()'s result, as on a socket.
// Client tracking: invalidations reach TakeDelivered() the same way, and after each command
// the broadcasts of BCAST mode go out, as a worker sends them at the end of a loop iteration.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/client_state.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace tessera::server {

class CommandTester {
 public:
  // `overrides` are config directives as on the command line, e.g. {"databases", "4"}.
  explicit CommandTester(std::vector<std::pair<std::string, std::string>> overrides = {});
  ~CommandTester();

  std::string Run(std::initializer_list<std::string_view> args);
  std::string Run(const std::vector<std::string>& args);
  // Run() as a connection does it, with the request's bytes offered to the write log
  // (VerbatimRequestScope): `bytes` stands for the arguments' RESP encoding.
  std::string RunWithRequestBytes(const std::vector<std::string>& args, std::string_view bytes);

  // Another client of the same server; returns its index for RunAs (0 is client()).
  int AddClient();
  std::string RunAs(int client, std::initializer_list<std::string_view> args);
  std::string RunAs(int client, const std::vector<std::string>& args);
  // Bytes delivered to `client` since the last call (replies of blocked commands).
  std::string TakeDelivered(int client = 0);
  // What a connection does when it closes: ends its subscriptions, watches and tracking and
  // leaves the client registry.  The client must not run commands afterwards.
  void Disconnect(int client);
  // What a connection does when its blocked command's deadline passes: the null reply, if
  // the command was still blocked.  Returns that reply, or "" if it was not blocked.
  std::string TimeOut(int client = 0);
  ClientState& client(int i) { return *clients_[static_cast<size_t>(i)]; }

  void AdvanceTime(int64_t ms) { now_ms_ += ms; }
  int64_t now_ms() const { return now_ms_; }
  void set_protocol(int resp) { client().resp = resp; }

  Server& server() { return *server_; }
  ClientState& client() { return *clients_[0]; }

 private:
  std::unique_ptr<ConfigRegistry> registry_;
  std::unique_ptr<Server> server_;
  WorkerStats* stats_ = nullptr;
  // What is delivered to one client outside its own replies: blocked replies and pushes.
  class Inbox : public PushTarget {
   public:
    void Push(std::string_view header, std::string_view body) override {
      bytes.append(header);
      bytes.append(body);
    }
    void CloseForOutputLimit() override { bytes += "<closed for output limit>"; }
    std::string bytes;
  };
  std::vector<std::unique_ptr<ClientState>> clients_;
  std::vector<std::unique_ptr<Inbox>> delivered_;
  int64_t now_ms_ = 1700000000000;  // a fixed, realistic Unix time
};

}  // namespace tessera::server
