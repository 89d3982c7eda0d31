#include "server/server.h"

#include "server/persistence.h"
#include "server/replication/primary.h"
#include "server/replication/replica.h"

#include <time.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "server/memory_stats.h"
#include "server/open_files.h"

namespace tessera::server {

namespace {

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static const char kHex[] = "0123456789abcdef";
  std::string s(n, '0');
  for (char& c : s) c = kHex[gen() & 15];
  return s;
}

unsigned DefaultShardCount(int io_threads) {
  // Several shards per worker keep lock contention low; 16 at least so tables stay small.
  unsigned want = static_cast<unsigned>(std::max(io_threads, 1)) * 8;
  unsigned n = 16;
  while (n < want && n < 256) n <<= 1;
  return n;
}

// Redis's ACLLoadUsersAtStartup, plus the config hooks that keep the ACL in step with
// requirepass, acl-pubsub-default and acllog-max-len.
std::string LoadAclAtStartup(acl::AclRegistry& acl, ConfigRegistry& registry) {
  const ServerConfig& config = registry.values();
  acl.set_channels_default_all(config.acl_pubsub_default.load() == 1);
  std::string password = config.requirepass.Get();
  if (!password.empty()) acl.SetDefaultPassword(password);
  registry.OnApply("requirepass", [&acl, &config](std::string*) {
    acl.SetDefaultPassword(config.requirepass.Get());
    return true;
  });
  registry.OnApply("acl-pubsub-default", [&acl, &config](std::string*) {
    acl.set_channels_default_all(config.acl_pubsub_default.load() == 1);
    return true;
  });
  registry.OnApply("acllog-max-len", [&acl, &config](std::string*) {
    acl.TrimLog(config.acllog_max_len.load());
    return true;
  });
  for (const auto& line : config.user_lines) {
    std::vector<std::string_view> argv(line.begin(), line.end());
    std::string error = acl.AddConfiguredUser(argv);
    if (!error.empty()) return error;
  }
  if (!config.aclfile.empty() && acl.has_configured_users()) {
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
           "file path is invalid. This setup is very likely to lead to configuration errors and "
           "security holes, please define either an ACL file or declare users directly in your "
           "redis.conf, but not both.";
  }
  std::string error = acl.LoadConfiguredUsers();
  if (!error.empty()) return error;
  if (config.aclfile.empty()) return "";
  std::string text;
  if (!ReadAclFile(config.aclfile, &text, &error)) {
    return "Aborting Redis startup because of ACL errors: " + error;
  }
  error = acl.LoadFileText(text, config.aclfile);
  if (!error.empty()) return "Aborting Redis startup because of ACL errors: " + error;
  return "";
}

}  // namespace

bool ReadAclFile(const std::string& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format("Error loading ACLs, opening file '{}': {}", path, std::strerror(errno));
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

Server::Server(ConfigRegistry* registry, unsigned shard_count) : config_registry_(registry) {
  const ServerConfig& config = registry->values();
  io_threads_ = config.io_threads;
  if (shard_count == 0) shard_count = DefaultShardCount(io_threads_);
  keyspace_ = std::make_unique<keyspace::Keyspace>(config.databases,
                                                   shard_count);
  tracking_.set_clients(&clients_);
  RegisterAllFamilies(&commands_);
  commands_.Finalize();
  for (const auto& [name, new_name] : config.command_renames) {
    commands_.Rename(name, new_name);  // the loader checked each one
  }
  acl_ = std::make_unique<acl::AclRegistry>(&commands_);
  acl_startup_error_ = LoadAclAtStartup(*acl_, *registry);
  start_time_ms_ = RealNowMs();
  run_id_ = RandomHex(40);
  persistence_ = std::make_unique<Persistence>(*this);
  replication_ = std::make_unique<ReplicationPrimary>(*this);
  replica_link_ = std::make_unique<ReplicationReplica>(*this);
  evictor_ = std::make_unique<Evictor>(*this);
  memory_meter_.Recalibrate();
  // oom-score-adj: applied now, whenever either directive changes and when the role does
  // (there is no child process: snapshots are threads).
  auto apply_oom_score = [this](std::string* err) { return ApplyOomScore(err); };
  if (config.oom_score_adj.load() != 0) {
    std::string err;
    if (!apply_oom_score(&err)) Log(LogLevel::kWarning, "{}", err);
  }
  registry->OnApply("oom-score-adj", apply_oom_score);
  registry->OnApply("oom-score-adj-values", apply_oom_score);
  ApplyMaxclientsOnConfigSet(*registry);
  registry->OnApply("maxmemory", [this](std::string*) {
    uint64_t limit = this->config().maxmemory.load(std::memory_order_relaxed);
    uint64_t used = memory_meter_.Recalibrate();
    if (limit != 0 && limit < used) {
      Log(LogLevel::kWarning,
          "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current "
          "memory usage ({}). This will result in key eviction and/or the inability to accept "
          "new write commands depending on the maxmemory-policy.",
          limit, used);
    }
    return true;
  });
}

// A background save still running uses the rest of the server: it goes first.
Server::~Server() {
  replica_link_.reset();  // its thread loads into the keyspace and saves through persistence
  persistence_.reset();
}

bool Server::MayEvict() {
  return !replica_link_->is_replica() ||
         !config().replica_ignore_maxmemory.load(std::memory_order_relaxed);
}

bool Server::ApplyOomScore(std::string* err) {
  const ServerConfig& c = config();
  const bool replica = replica_link_ != nullptr && replica_link_->is_replica();
  return oom_score_.Apply(c.oom_score_adj.load(), c.oom_score_adj_values[replica ? 1 : 0].load(),
                          err);
}

WorkerStats* Server::AddWorkerStats() {
  worker_stats_.push_back(std::make_unique<WorkerStats>(commands_.size()));
  return worker_stats_.back().get();
}

int64_t Server::RealNowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t Server::RealNowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t Server::MonotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

Server::AllShardsLock::AllShardsLock(Server& s) : s_(s) {
  for (unsigned i = 0; i < s_.keyspace().shard_count(); ++i) s_.keyspace().shard(i).mutex().lock();
}

Server::AllShardsLock::~AllShardsLock() {
  for (unsigned i = s_.keyspace().shard_count(); i > 0; --i) {
    s_.keyspace().shard(i - 1).mutex().unlock();
  }
}

uint64_t Server::Dirty() const {
  uint64_t n = 0;
  for (const auto& w : worker_stats_) n += w->dirty.Get();
  return n;
}

uint64_t Server::ExpiredKeys() {
  uint64_t total = 0;
  for (unsigned i = 0; i < keyspace_->shard_count(); ++i) {
    keyspace::Shard& shard = keyspace_->shard(i);
    keyspace::ShardReadLock lock(shard.mutex());
    total += shard.expired_keys;
  }
  return total;
}

void Server::SampleMetrics(int64_t now_ms) {
  uint64_t totals[InstantMetrics::kNumMetrics] = {};
  ForEachWorkerStats([&](const WorkerStats& w) {
    totals[InstantMetrics::kCommands] += w.total_commands.Get();
    totals[InstantMetrics::kNetInput] += w.net_input_bytes.Get();
    totals[InstantMetrics::kNetOutput] += w.net_output_bytes.Get();
    totals[InstantMetrics::kEventLoopCycles] += w.eventloop_cycles.Get();
    totals[InstantMetrics::kEventLoopBusyUs] += w.eventloop_busy_us.Get();
  });
  // Reading jemalloc's counters takes its lock: only as often as a sample is recorded.
  if (metrics_.Sample(now_ms, totals)) metrics_.UpdatePeakMemory(ReadAllocatedBytes());
}

}  // namespace tessera::server
