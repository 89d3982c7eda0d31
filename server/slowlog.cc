#include "server/slowlog.h"

#include <fmt/format.h>

namespace tessera::server {

namespace {
constexpr size_t kMaxArgs = 32;        // Redis SLOWLOG_ENTRY_MAX_ARGC
constexpr size_t kMaxArgBytes = 128;   // Redis SLOWLOG_ENTRY_MAX_STRING
}  // namespace

void Slowlog::Add(std::span<const std::string_view> args, int64_t unix_seconds,
                  int64_t duration_us, std::string client_addr, std::string client_name,
                  size_t max_len) {
  SlowlogEntry e;
  e.unix_seconds = unix_seconds;
  e.duration_us = duration_us;
  e.client_addr = std::move(client_addr);
  e.client_name = std::move(client_name);
  size_t n = std::min(args.size(), kMaxArgs);
  for (size_t i = 0; i < n; ++i) {
    if (n == kMaxArgs && i == kMaxArgs - 1 && args.size() > kMaxArgs) {
      e.args.push_back(fmt::format("... ({} more arguments)", args.size() - kMaxArgs + 1));
      break;
    }
    std::string_view a = args[i];
    if (a.size() > kMaxArgBytes) {
      e.args.push_back(fmt::format("{}... ({} more bytes)", a.substr(0, kMaxArgBytes),
                                   a.size() - kMaxArgBytes));
    } else {
      e.args.emplace_back(a);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowlogEntry> Slowlog::Get(size_t count) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = std::min(count, entries_.size());
  return {entries_.begin(), entries_.begin() + static_cast<long>(n)};
}

size_t Slowlog::Length() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void Slowlog::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

}  // namespace tessera::server
