#include "tests/server/command_tester.h"

#include <stdexcept>

#include "server/commands/dispatcher.h"

namespace tessera::server {

CommandTester::CommandTester(std::vector<std::pair<std::string, std::string>> overrides) {
  registry_ = std::make_unique<ConfigRegistry>();
  std::string text;
  for (const auto& [name, value] : overrides) text += name + " \"" + value + "\"\n";
  std::string error;
  if (!text.empty() && !registry_->LoadFromString(text, &error)) {
    throw std::runtime_error("CommandTester config: " + error);
  }
  server_ = std::make_unique<Server>(registry_.get());
  server_->SetClockForTesting([this] { return now_ms_; });
  stats_ = server_->AddWorkerStats();
  client_.id = server_->clients().NextId();
  client_.authenticated = registry_->values().requirepass.Get().empty();
  client_.addr = "127.0.0.1:50000";
  client_.laddr = "127.0.0.1:6379";
  client_.created_ms = now_ms_;
}

CommandTester::~CommandTester() = default;

std::string CommandTester::Run(std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> argv(args);
  std::string out;
  resp::ReplyBuilder reply(&out, client_.resp);
  int64_t clock_us = Server::RealNowUs();
  Dispatch(*server_, client_, *stats_, argv, reply, clock_us);
  return out;
}

std::string CommandTester::Run(const std::vector<std::string>& args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  std::string out;
  resp::ReplyBuilder reply(&out, client_.resp);
  int64_t clock_us = Server::RealNowUs();
  Dispatch(*server_, client_, *stats_, argv, reply, clock_us);
  return out;
}

}  // namespace tessera::server
