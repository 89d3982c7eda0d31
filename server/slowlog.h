// SLOWLOG: the last slowlog-max-len commands that ran longer than slowlog-log-slower-than.
// Any worker may add or read; one mutex guards the list (adds are rare by construction).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::server {

struct SlowlogEntry {
  uint64_t id;
  int64_t unix_seconds;
  int64_t duration_us;
  std::vector<std::string> args;  // truncated as Redis does (32 args, 128 bytes each)
  std::string client_addr;
  std::string client_name;
};

class Slowlog {
 public:
  void Add(std::span<const std::string_view> args, int64_t unix_seconds, int64_t duration_us,
           std::string client_addr, std::string client_name, size_t max_len);
  std::vector<SlowlogEntry> Get(size_t count) const;  // newest first
  size_t Length() const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<SlowlogEntry> entries_;  // newest at the front
  uint64_t next_id_ = 0;
};

}  // namespace tessera::server
