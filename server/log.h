// The server log, in Redis's format: "pid:M 22 Nov 2026 15:36:37.123 * message".
// Configured once at start-up (loglevel and logfile may change later through CONFIG SET; the
// level is an atomic, the file is reopened under the logger's mutex).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::server {

enum class LogLevel : uint8_t { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3, kNothing = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// "" logs to standard output.  Returns false if the file cannot be opened.
bool SetLogFile(const std::string& path);
void LogRaw(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogRaw(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace tessera::server
