#include "server/stats.h"

namespace tessera::server {

void ErrorStats::Count(std::string_view message) {
  size_t space = message.find(' ');
  std::string code(message.substr(0, space));
  std::lock_guard<std::mutex> lock(mu_);
  // Redis stops tracking new codes past 128 distinct ones (errors with odd prefixes would
  // otherwise grow the table without bound).
  auto it = by_code_.find(code);
  if (it != by_code_.end()) {
    ++it->second;
  } else if (by_code_.size() < 128) {
    by_code_.emplace(std::move(code), 1);
  }
  total_.fetch_add(1, std::memory_order_relaxed);
}

std::map<std::string, uint64_t> ErrorStats::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_code_;
}

void ErrorStats::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  by_code_.clear();
  total_.store(0, std::memory_order_relaxed);
}

}  // namespace tessera::server
