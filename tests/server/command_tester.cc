#include "tests/server/command_tester.h"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

#include "server/commands/dispatcher.h"

namespace tessera::server {

CommandTester::CommandTester(std::vector<std::pair<std::string, std::string>> overrides) {
  registry_ = std::make_unique<ConfigRegistry>();
  // No save points unless a test asks: FLUSHALL and SHUTDOWN would write dump.rdb into the
  // directory the tests run in.
  std::string text = "save \"\"\n";
  for (const auto& [name, value] : overrides) text += name + " \"" + value + "\"\n";
  std::string error;
  if (!text.empty() && !registry_->LoadFromString(text, &error)) {
    throw std::runtime_error("CommandTester config: " + error);
  }
  server_ = std::make_unique<Server>(registry_.get());
  server_->SetClockForTesting([this] { return now_ms_; });
  stats_ = server_->AddWorkerStats();
  AddClient();
}

int CommandTester::AddClient() {
  int index = static_cast<int>(clients_.size());
  auto c = std::make_unique<ClientState>();
  c->id = server_->clients().NextId();
  c->authenticated = !server_->acl().DefaultRequiresAuth();  // as a new connection
  c->addr = fmt::format("127.0.0.1:{}", 50000 + index);
  c->laddr = "127.0.0.1:6379";
  c->created_ms = now_ms_;
  // In-process, a delivery happens on the test's own thread: keep it for TakeDelivered(),
  // counted as a connection counts it.
  auto inbox = std::make_unique<Inbox>();
  Inbox* box = inbox.get();
  c->deliver_blocked_reply = [this, box, state = c.get()](BlockedEnd end) {
    if (end.ran) state->uncounted_block = nullptr;
    CountUnblocked(*server_, *stats_, *state, end.reply);
    box->bytes += end.reply;
  };
  c->push = box;
  server_->clients().Add(c.get(), 0);
  clients_.push_back(std::move(c));
  delivered_.push_back(std::move(inbox));
  return index;
}

std::string CommandTester::RunAs(int client, std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> argv(args);
  ClientState& c = *clients_[static_cast<size_t>(client)];
  std::string out;
  resp::ReplyBuilder reply(&out, c.resp);
  int64_t clock_us = Server::RealNowUs();
  Dispatch(*server_, c, *stats_, argv, reply, clock_us);
  out += std::exchange(c.pending_pushes, std::string());  // as a connection does
  server_->tracking().FlushBroadcasts();                  // as a worker does
  return out;
}

std::string CommandTester::RunAs(int client, const std::vector<std::string>& args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  ClientState& c = *clients_[static_cast<size_t>(client)];
  std::string out;
  resp::ReplyBuilder reply(&out, c.resp);
  int64_t clock_us = Server::RealNowUs();
  Dispatch(*server_, c, *stats_, argv, reply, clock_us);
  out += std::exchange(c.pending_pushes, std::string());
  return out;
}

std::string CommandTester::RunWithRequestBytes(const std::vector<std::string>& args,
                                               std::string_view bytes) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  ClientState& c = client();
  std::string out;
  resp::ReplyBuilder reply(&out, c.resp);
  int64_t clock_us = Server::RealNowUs();
  {
    VerbatimRequestScope verbatim(argv, bytes);
    Dispatch(*server_, c, *stats_, argv, reply, clock_us);
  }
  out += std::exchange(c.pending_pushes, std::string());
  server_->tracking().FlushBroadcasts();
  return out;
}

std::string CommandTester::TakeDelivered(int client) {
  return std::exchange(delivered_[static_cast<size_t>(client)]->bytes, std::string());
}

std::string CommandTester::TimeOut(int client) {
  ClientState& c = *clients_[static_cast<size_t>(client)];
  if (!server_->blocking().Cancel(c.id, /*disconnect=*/false)) return "";
  std::string out;
  resp::ReplyBuilder reply(&out, c.resp);
  reply.NullArray();
  return out;
}

void CommandTester::Disconnect(int client) {
  ClientState& c = *clients_[static_cast<size_t>(client)];
  server_->clients().Remove(&c);
  server_->watches().UnwatchAll(c.id);
  server_->pubsub().UnsubscribeAll(c);
  server_->tracking().Disable(c);
  c.push = nullptr;
}

CommandTester::~CommandTester() {
  // Subscriptions and tracking point at the clients: end them before the clients go.
  for (auto& c : clients_) {
    server_->pubsub().UnsubscribeAll(*c);
    server_->tracking().Disable(*c);
    server_->clients().Remove(c.get());
  }
}

std::string CommandTester::Run(std::initializer_list<std::string_view> args) {
  return RunAs(0, args);
}

std::string CommandTester::Run(const std::vector<std::string>& args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  std::string out;
  resp::ReplyBuilder reply(&out, client().resp);
  int64_t clock_us = Server::RealNowUs();
  Dispatch(*server_, client(), *stats_, argv, reply, clock_us);
  out += std::exchange(client().pending_pushes, std::string());
  server_->tracking().FlushBroadcasts();
  return out;
}

}  // namespace tessera::server
