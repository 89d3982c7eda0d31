// redis.conf as text, apart from the directive table: redis-server's command line, reading
// files (with include globs), the fatal-error text and value quoting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::server {

inline constexpr int kMaxIncludeDepth = 16;

// redis-server's argv turned into config text, as Redis's main() does it.
struct CommandLine {
  std::string config_file;  // as given; "" if none
  bool from_stdin = false;  // "-" as the first or last argument
  std::string options;      // "name value ..." lines, values quoted for SplitArgs
};
CommandLine ParseCommandLine(int argc, char** argv);

// Appends the content of `path` to *out, or of every file matching it if it contains glob
// characters (no match is fine: conf.d directories may be empty).  Returns false with Redis's
// "Fatal error, can't open config file ..." text if a file cannot be read.
bool ReadConfigFiles(const std::string& path, std::string* out, std::string* error);

// The text redis-server prints before exiting on a bad config.  line_number 0 = no line.
std::string FatalConfigError(int line_number, std::string_view line, std::string_view reason);

// Redis's sdscatrepr: a double-quoted string SplitArgs reads back as `s`.
std::string QuoteForConfig(std::string_view s);

// `path` joined to the working directory unless absolute, with leading "../" folded in.
std::string AbsolutePath(std::string_view path);

// The process working directory; "" if it cannot be read.
std::string CurrentDirectory();

}  // namespace tessera::server
