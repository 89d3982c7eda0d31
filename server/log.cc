#include "server/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace tessera::server {

namespace {
std::atomic<LogLevel> g_level{LogLevel::kNotice};
std::mutex g_mu;
FILE* g_file = nullptr;  // nullptr = stdout
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }

bool SetLogFile(const std::string& path) {
  FILE* f = nullptr;
  if (!path.empty()) {
    f = std::fopen(path.c_str(), "a");
    if (f == nullptr) return false;
  }
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_file != nullptr) std::fclose(g_file);
  g_file = f;
  return true;
}

void LogRaw(LogLevel level, std::string_view message) {
  static const char kMarks[] = ".-*#";
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm tm_buf;
  localtime_r(&tv.tv_sec, &tm_buf);
  char date[64];
  size_t n = std::strftime(date, sizeof(date), "%d %b %Y %H:%M:%S", &tm_buf);
  std::snprintf(date + n, sizeof(date) - n, ".%03d", static_cast<int>(tv.tv_usec / 1000));
  int idx = static_cast<int>(level);
  char mark = idx < 4 ? kMarks[idx] : '#';
  std::lock_guard<std::mutex> lock(g_mu);
  FILE* out = g_file != nullptr ? g_file : stdout;
  std::fprintf(out, "%d:M %s %c %.*s\n", static_cast<int>(getpid()), date, mark,
               static_cast<int>(message.size()), message.data());
  std::fflush(out);
}

}  // namespace tessera::server
