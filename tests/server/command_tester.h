// Tier-2 test harness (STYLE 13): drives the real dispatcher in-process, with a fake clock.
//
//   CommandTester t;
//   CHECK(t.Run({"SET", "k", "v"}) == "+OK\r\n");
//   t.AdvanceTime(1500);
//
// Run() returns the raw RESP bytes the client would receive.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/client_state.h"
#include "server/server.h"

namespace tessera::server {

class CommandTester {
 public:
  // `overrides` are config directives as on the command line, e.g. {"databases", "4"}.
  explicit CommandTester(std::vector<std::pair<std::string, std::string>> overrides = {});
  ~CommandTester();

  std::string Run(std::initializer_list<std::string_view> args);
  std::string Run(const std::vector<std::string>& args);

  void AdvanceTime(int64_t ms) { now_ms_ += ms; }
  int64_t now_ms() const { return now_ms_; }
  void set_protocol(int resp) { client_.resp = resp; }

  Server& server() { return *server_; }
  ClientState& client() { return client_; }

 private:
  std::unique_ptr<ConfigRegistry> registry_;
  std::unique_ptr<Server> server_;
  WorkerStats* stats_ = nullptr;
  ClientState client_;
  int64_t now_ms_ = 1700000000000;  // a fixed, realistic Unix time
};

}  // namespace tessera::server
