#include "server/process_settings.h"

#include <jemalloc/jemalloc.h>
#include <sys/prctl.h>

#include <sched.h>

#include <clocale>
#include <fstream>

#include "core/base/cpu_list.h"

namespace tessera::server {

bool ThpAlwaysEnabled(std::string_view sysfs_text) {
  return sysfs_text.find("[always]") != std::string_view::npos;
}

std::string ApplyDisableThp(bool disable, const std::string& sysfs_path) {
  std::ifstream in(sysfs_path);
  std::string line;
  if (!in || !std::getline(in, line) || !ThpAlwaysEnabled(line)) return "";
  if (disable && ::prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0) return "";
  return "WARNING You have Transparent Huge Pages (THP) support enabled in your kernel. This "
         "will create latency and memory usage issues with the server. To fix this issue run "
         "the command 'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled' as root, and "
         "add it to your /etc/rc.local in order to retain the setting after a reboot. The "
         "server must be restarted after THP is disabled (set to 'madvise' or 'never').";
}

void SetAllocatorBackgroundThread(bool enable) {
  bool value = enable;
  mallctl("background_thread", nullptr, nullptr, &value, sizeof(value));
}

void PinThread(pthread_t thread, const std::string& cpulist) {
  const std::optional<std::vector<int>> cpus = ParseCpuList(cpulist);
  if (!cpus) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : *cpus) CPU_SET(cpu, &set);
  pthread_setaffinity_np(thread, sizeof(set), &set);
}

std::string CpuListOf(pthread_t thread) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(thread, sizeof(set), &set) != 0) return "";
  std::string out;
  for (int cpu = 0; cpu < kMaxCpu; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    if (!out.empty()) out += ',';
    out += std::to_string(cpu);
  }
  return out;
}

bool SetCollateLocale(const std::string& name) {
  return std::setlocale(LC_COLLATE, name.c_str()) != nullptr;
}

void RegisterProcessSettingHooks(ConfigRegistry& registry) {
  const ServerConfig& config = registry.values();
  registry.OnApply("jemalloc-bg-thread", [&config](std::string*) {
    SetAllocatorBackgroundThread(config.jemalloc_bg_thread.load(std::memory_order_relaxed));
    return true;
  });
  registry.OnApply("locale-collate", [&config](std::string* err) {
    if (SetCollateLocale(config.locale_collate.Get())) return true;
    *err = "Invalid locale name";
    return false;
  });
}

}  // namespace tessera::server
