// The process's open-file limit against `maxclients` (Redis's adjustOpenFilesLimit).
//
// Every client is a descriptor, and the server keeps some of its own (listeners, the loops'
// epoll and wake-up descriptors, log, RDB and AOF files): maxclients clients need
// maxclients + kReservedFds descriptors.  At start-up the soft RLIMIT_NOFILE is raised to
// that; when the hard limit (or the system) refuses, the highest limit accepted is kept and
// maxclients is lowered to what it allows, with log lines saying so.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::server {

class ConfigRegistry;

inline constexpr uint64_t kReservedFds = 32;

struct OpenFilesResult {
  uint64_t maxclients = 0;  // what the server can honour (the request, or less)
  uint64_t old_limit = 0;   // soft limit found
  uint64_t new_limit = 0;   // soft limit now
  std::string os_error;     // why a higher limit was refused ("" when none was)
};

// Raises the soft limit toward `maxclients + kReservedFds`.  Logs nothing; see LogOpenFiles.
OpenFilesResult AdjustOpenFilesLimit(uint64_t maxclients);

// The log lines for `r` given the requested maxclients (nothing when the limit sufficed as
// it was).
void LogOpenFiles(const OpenFilesResult& r, uint64_t requested);

// CONFIG SET maxclients raises the limit as at start-up (Redis's updateMaxclients); when the
// system cannot give enough descriptors the change fails with Redis's error, naming the
// maxclients it could honour, and the old value stays.
void ApplyMaxclientsOnConfigSet(ConfigRegistry& registry);

}  // namespace tessera::server
