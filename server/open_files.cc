#include "server/open_files.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "server/config/config.h"
#include "server/log.h"

namespace tessera::server {

OpenFilesResult AdjustOpenFilesLimit(uint64_t maxclients) {
  OpenFilesResult r;
  r.maxclients = maxclients;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    r.os_error = std::strerror(errno);
    return r;  // nothing known: leave maxclients as asked
  }
  const uint64_t wanted = maxclients + kReservedFds;
  r.old_limit = r.new_limit = limit.rlim_cur;
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return r;
  // Try the full amount, then less in steps of 16, down to the limit we already have.
  uint64_t best = wanted;
  int error = 0;
  const rlim_t hard = limit.rlim_max;
  while (best > limit.rlim_cur) {
    // Keep the hard limit when it allows `best`; asking more of it needs privileges.
    rlim_t max = hard == RLIM_INFINITY || hard >= best ? hard : static_cast<rlim_t>(best);
    rlimit attempt{static_cast<rlim_t>(best), max};
    if (setrlimit(RLIMIT_NOFILE, &attempt) == 0) break;
    error = errno;
    best = best > 16 ? best - 16 : 0;
  }
  if (best < limit.rlim_cur) best = limit.rlim_cur;
  r.new_limit = best;
  if (error != 0) r.os_error = std::strerror(error);
  if (best < wanted) r.maxclients = best > kReservedFds ? best - kReservedFds : 1;
  return r;
}

void LogOpenFiles(const OpenFilesResult& r, uint64_t requested) {
  if (r.new_limit == r.old_limit && r.maxclients == requested) return;
  if (r.maxclients < requested) {
    Log(LogLevel::kWarning,
        "maxclients {} needs at least {} open files, but the limit could only be raised to {} "
        "({}): maxclients is now {}. Raise 'ulimit -n' (the hard limit) to allow more.",
        requested, requested + kReservedFds, r.new_limit,
        r.os_error.empty() ? "no error reported" : r.os_error, r.maxclients);
  } else {
    Log(LogLevel::kNotice, "Raised the open files limit from {} to {} for maxclients {}.",
        r.old_limit, r.new_limit, requested);
  }
}

void ApplyMaxclientsOnConfigSet(ConfigRegistry& registry) {
  registry.OnApply("maxclients", [&registry](std::string* err) {
    uint64_t requested = registry.values().maxclients.load(std::memory_order_relaxed);
    OpenFilesResult r = AdjustOpenFilesLimit(requested);
    LogOpenFiles(r, requested);
    if (r.maxclients >= requested) return true;
    *err = fmt::format(
        "The operating system is not able to handle the specified number of clients, try with "
        "{}",
        r.maxclients);
    return false;
  });
}

}  // namespace tessera::server
