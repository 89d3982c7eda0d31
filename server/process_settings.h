// Directives that act on the whole process rather than on the server's data, applied as Redis
// 7.2 applies them:
//
// - disable-thp: at start-up, if the kernel's transparent huge pages are "always", turn them
//   off for this process (prctl PR_SET_THP_DISABLE, inherited by every thread); with "madvise"
//   or "never" nothing is done, as Redis does nothing.  A warning is logged when they stay on.
// - jemalloc-bg-thread: jemalloc's background purging thread (mallctl "background_thread"),
//   at start-up and on CONFIG SET.
// - server_cpulist, bio_cpulist, aof_rewrite_cpulist, bgsave_cpulist: each thread's CPU
//   affinity (PinThread), set where the thread starts: the main thread at start-up, before
//   the workers, which inherit it; the AOF writer and the lazy-free thread; the thread of each
//   AOF rewrite and background save.
// - locale-collate: setlocale(LC_COLLATE) at start-up (an unknown name stops the server) and
//   on CONFIG SET (an unknown name fails it).  SORT ... ALPHA compares with strcoll() under it
//   (server/commands/sort_family.cc), as does Lua's string comparison.
//
// Threads: start-up calls run before the workers exist; the hooks run under the config
// registry's mutex.  glibc keeps the data of a locale once loaded, so a worker in strcoll()
// while CONFIG SET changes the locale collates under the old or the new one.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

#include "server/config/config.h"

namespace tessera::server {

// True iff the text of /sys/kernel/mm/transparent_hugepage/enabled selects "always".
bool ThpAlwaysEnabled(std::string_view sysfs_text);

// disable-thp at start-up.  Returns the warning to log, "" if none: THP is "always" and stays
// on (disable-thp no, or prctl failed).  `sysfs_path` is a parameter for tests.
std::string ApplyDisableThp(
    bool disable, const std::string& sysfs_path = "/sys/kernel/mm/transparent_hugepage/enabled");

// jemalloc's background thread on or off.  Errors are ignored, as Redis ignores them.
void SetAllocatorBackgroundThread(bool enable);

// Restricts `thread` to the CPUs `cpulist` names (Redis's syntax).  Nothing happens for "",
// for a list Redis would not parse, or when the kernel refuses the set (Redis ignores those
// too).
void PinThread(pthread_t thread, const std::string& cpulist);

// The CPUs `thread` may run on, as a cpulist ("0,1,4"); "" if unknown.
std::string CpuListOf(pthread_t thread);

// setlocale(LC_COLLATE, name); false iff the locale is unknown (nothing changes then).
bool SetCollateLocale(const std::string& name);

// The CONFIG SET hooks of jemalloc-bg-thread and locale-collate.
void RegisterProcessSettingHooks(ConfigRegistry& registry);

}  // namespace tessera::server
