#include "server/proc_title.h"

#include <errno.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "server/config/proc_title_template.h"

extern char** environ;

namespace tessera::server {

namespace {

constexpr size_t kMaxTitle = 255;

// The end of `s`'s string, past its NUL.
char* PastEnd(char* s) { return s + std::strlen(s) + 1; }

// Copies every environment string into memory setenv() owns, so the originals are free.
void MoveEnvironment() {
  std::vector<std::string> entries;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) entries.emplace_back(*e);
  ::clearenv();
  for (const std::string& entry : entries) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    ::setenv(entry.substr(0, eq).c_str(), entry.c_str() + eq + 1, 1);
  }
}

}  // namespace

ProcTitle::ProcTitle(int argc, char** argv) {
  if (argc < 1 || argv[0] == nullptr) return;
  arg0_ = argv[0];
  char* end = PastEnd(argv[0]);
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == end) end = PastEnd(argv[i]);
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (*e == end) end = PastEnd(*e);
  }
  base_ = argv[0];
  size_ = static_cast<size_t>(end - base_);
  MoveEnvironment();
  for (int i = 0; i < argc; ++i) argv[i] = ::strdup(argv[i]);
  // glibc's copies of argv[0] for error messages point into the same memory.
  program_invocation_name = ::strdup(program_invocation_name);
  program_invocation_short_name = ::strdup(program_invocation_short_name);
}

void ProcTitle::Set(std::string_view title) {
  if (base_ == nullptr) return;
  const size_t n = std::min({title.size(), kMaxTitle, size_ - 1});
  std::memset(base_, 0, size_);
  std::memcpy(base_, title.data(), n);
}

bool UpdateProcTitle(ProcTitle& title, const ServerConfig& config, const std::string& config_file) {
  std::optional<std::string> text =
      ExpandProcTitleTemplate(config.proc_title_template.Get(), config, title.arg0(), config_file);
  if (!text) return false;
  title.Set(*text);
  return true;
}

void StartProcTitle(ProcTitle& title, ConfigRegistry& registry, const std::string& config_file) {
  const ServerConfig& config = registry.values();
  if (config.set_proc_title) UpdateProcTitle(title, config, config_file);
  registry.OnApply("proc-title-template", [&title, &config, config_file](std::string* err) {
    if (UpdateProcTitle(title, config, config_file)) return true;
    *err = "failed to set process title";
    return false;
  });
  if (!config.set_proc_title) return;
  for (const char* name : {"port", "tls-port", "bind"}) {
    registry.OnApply(name, [&title, &config, config_file](std::string*) {
      UpdateProcTitle(title, config, config_file);
      return true;
    });
  }
}

}  // namespace tessera::server
