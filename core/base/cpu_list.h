// Redis's CPU list syntax (server_cpulist, bio_cpulist, aof_rewrite_cpulist, bgsave_cpulist):
// comma-separated items, each a CPU, a range "a-b", or a range with a stride "a-b:s"
// ("0-7:2" is 0, 2, 4, 6).
//
// The parse follows Redis 7.2's setcpuaffinity(), leniencies included, so that a config file
// pins the same CPUs in both servers.  Redis reads each item's numbers and separators and
// ignores other bytes inside an item ("1x,2" is 1 and 2), but the last item must end the
// text; a malformed list leaves the affinity alone (no error, no log line).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace tessera {

// The CPUs `text` lists, in the order listed (repeats kept); nullopt where Redis would leave
// the affinity alone (empty text, an item without a leading digit, a range that runs down, a
// stride of 0, bytes after the last item).  CPUs from kMaxCpu on are left out, as CPU_SET
// ignores them.
std::optional<std::vector<int>> ParseCpuList(std::string_view text);

inline constexpr int kMaxCpu = 1024;  // glibc's CPU_SETSIZE

}  // namespace tessera
