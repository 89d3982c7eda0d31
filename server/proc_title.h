// The process title `ps` shows: set-proc-title and proc-title-template (Redis 7.2).
//
// Linux has no setproctitle(): /proc/PID/cmdline is read from the memory the kernel placed
// the arguments in, followed (when a title overflows that memory) by the environment strings.
// So, as Redis does on Linux, the title is written over that memory: at start-up ProcTitle
// moves every argument and environment string it spans to the heap (argv[] and environ then
// point at the copies, so the program reads them as before), and from then on owns the bytes
// from argv[0] to the end of the last string that follows contiguously.  A title is written
// there, truncated to 255 bytes (Redis's limit) and to that space, and the rest zeroed: the
// kernel then shows the title alone.  Rejected: prctl(PR_SET_NAME), which only sets the
// 15-byte thread name (`ps -o comm`), not the command line Redis's users look at.
//
// Threads: construct first in main, before any thread starts and before anything keeps a
// pointer into argv's strings or the environment.  Set runs at start-up and from config
// hooks (serialized by the config registry's mutex).
#pragma once

#include <string>
#include <string_view>

#include "server/config/config.h"

namespace tessera::server {

class ProcTitle {
 public:
  ProcTitle(int argc, char** argv);
  ProcTitle(const ProcTitle&) = delete;
  ProcTitle& operator=(const ProcTitle&) = delete;

  // Writes `title` as the command line `ps` shows; nothing if there was no argv to take.
  void Set(std::string_view title);
  // argv[0] as the process was started: the template's {title}.
  const std::string& arg0() const { return arg0_; }

 private:
  char* base_ = nullptr;  // argv[0]'s original memory
  size_t size_ = 0;       // bytes owned from base_
  std::string arg0_;
};

// Sets the title proc-title-template gives under `config`; false iff the template does not
// expand (it was validated when set, so only by a bug).
bool UpdateProcTitle(ProcTitle& title, const ServerConfig& config, const std::string& config_file);

// Sets the title now when set-proc-title is on, and registers the CONFIG SET hooks that keep
// it current: proc-title-template (whatever set-proc-title says, as Redis), and port,
// tls-port and bind (with set-proc-title), whose values it shows.  `config_file` is the
// absolute path ("" none).  Register after the listeners' hooks, so a failed relisten leaves
// the title alone.
void StartProcTitle(ProcTitle& title, ConfigRegistry& registry, const std::string& config_file);

}  // namespace tessera::server
