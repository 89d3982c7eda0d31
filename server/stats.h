// Server statistics for INFO.
//
// Per-command counters are kept per worker (WorkerStats): only the owning worker writes its
// block, with relaxed atomic stores, so counting costs no locked instruction on the command
// path; INFO sums the blocks.  Rare events (error replies by code) go to a mutex-protected
// map.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tessera::server {

// A counter written by one thread and read by others.
class OwnedCounter {
 public:
  void Add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }
  void Reset() { v_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct CommandStats {
  OwnedCounter calls, usec, rejected_calls, failed_calls;
};

struct WorkerStats {
  explicit WorkerStats(size_t num_commands) : commands(num_commands) {}
  std::vector<CommandStats> commands;  // indexed by CommandSpec::id
  OwnedCounter total_commands;
  OwnedCounter keyspace_hits, keyspace_misses;
  OwnedCounter net_input_bytes, net_output_bytes;
  OwnedCounter total_connections;
  OwnedCounter rejected_connections;
};

class ErrorStats {
 public:
  // Counts one error reply; `message` is the text after '-'.
  void Count(std::string_view message);
  std::map<std::string, uint64_t> Snapshot() const;
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  void Reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> by_code_;
  std::atomic<uint64_t> total_{0};
};

}  // namespace tessera::server
