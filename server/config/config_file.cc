#include "server/config/config_file.h"

#include <glob.h>
#include <strings.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "core/base/split_args.h"
#include "server/config/config.h"
#include "server/version.h"

namespace tessera::server {

namespace {

bool StartsWithDashes(const char* arg) { return arg[0] == '-' && arg[1] == '-'; }

std::string Trim(std::string_view s, std::string_view chars) {
  size_t begin = s.find_first_not_of(chars);
  if (begin == std::string_view::npos) return "";
  size_t end = s.find_last_not_of(chars);
  return std::string(s.substr(begin, end - begin + 1));
}

// Splits on '\n' as Redis's sdssplitlen does: "a\n" is {"a", ""}.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    if (nl == std::string_view::npos) return lines;
    start = nl + 1;
  }
}

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  FILE* fp = std::fopen(path.c_str(), "r");
  if (fp == nullptr) {
    *error = "Fatal error, can't open config file '" + path + "': " + std::strerror(errno);
    return false;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), fp)) > 0) out->append(buf, n);
  std::fclose(fp);
  return true;
}

}  // namespace

// ---- Text helpers ----

CommandLine ParseCommandLine(int argc, char** argv) {
  CommandLine cl;
  if (argc < 2) return cl;
  int j = 1;
  if (argv[1][0] != '-') {
    cl.config_file = argv[1];
    j = 2;
  }
  // False right after a bare "--name": the next word is its value even if it starts with "--".
  bool handled_last_name = true;
  for (; j < argc; ++j) {
    const char* arg = argv[j];
    bool last = j == argc - 1;
    if (std::strcmp(arg, "-") == 0 && (j == 1 || last)) {
      cl.from_stdin = true;
    } else if (handled_last_name && StartsWithDashes(arg)) {
      if (!cl.options.empty()) cl.options += '\n';
      cl.options += arg + 2;
      cl.options += ' ';
      std::vector<std::string> words;
      size_t count = SplitArgs(arg, &words) ? words.size() : 0;
      handled_last_name = count != 1;
      if (count == 1) {
        // As in Redis: "--save" with no value means save "" (also before another option);
        // "--sentinel" never takes one.
        bool next_is_name = !last && StartsWithDashes(argv[j + 1]);
        if (strcasecmp(arg, "--save") == 0 && (next_is_name || last)) {
          cl.options += "\"\"";
          handled_last_name = true;
        } else if (strcasecmp(arg, "--sentinel") == 0 && next_is_name) {
          handled_last_name = true;
        }
      }
    } else {
      cl.options += QuoteForConfig(arg);
      cl.options += ' ';
      handled_last_name = true;
    }
  }
  return cl;
}

bool ReadConfigFiles(const std::string& path, std::string* out, std::string* error) {
  if (path.find_first_of("*?[") == std::string::npos) return ReadWholeFile(path, out, error);
  glob_t matches;
  if (::glob(path.c_str(), 0, nullptr, &matches) != 0) return true;  // nothing matched
  bool ok = true;
  for (size_t i = 0; ok && i < matches.gl_pathc; ++i) {
    ok = ReadWholeFile(matches.gl_pathv[i], out, error);
  }
  ::globfree(&matches);
  return ok;
}

std::string FatalConfigError(int line_number, std::string_view line, std::string_view reason) {
  std::string out = "\n*** FATAL CONFIG FILE ERROR (Redis ";
  out += kRedisCompatVersion;
  out += ") ***\n";
  if (line_number > 0) {
    out += "Reading the configuration file, at line " + std::to_string(line_number) + "\n";
    out += ">>> '";
    out += line;
    out += "'\n";
  }
  out += reason;
  out += '\n';
  return out;
}

std::string QuoteForConfig(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out += c;
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
          out += hex;
        }
    }
  }
  out += '"';
  return out;
}

std::string CurrentDirectory() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : std::string();
}

std::string AbsolutePath(std::string_view path) {
  std::string rel = Trim(path, " \r\n\t");
  if (!rel.empty() && rel[0] == '/') return rel;
  std::string abs = CurrentDirectory();
  if (abs.empty() || abs.back() != '/') abs += '/';
  while (rel.compare(0, 3, "../") == 0) {
    rel.erase(0, 3);
    if (abs.size() > 1) {  // drop the last component, keeping its trailing '/'
      size_t slash = abs.rfind('/', abs.size() - 2);
      abs.erase(slash + 1);
    }
  }
  return abs + rel;
}

// ---- ConfigRegistry: loading ----

bool ConfigRegistry::LoadFromCommandLine(int argc, char** argv, std::string* error) {
  if (argc < 2) return true;  // defaults only, as redis-server without arguments
  CommandLine cl = ParseCommandLine(argc, argv);
  std::string text;
  std::lock_guard lock(mu_);
  if (!cl.config_file.empty()) {
    config_file_ = AbsolutePath(cl.config_file);
    if (!ReadConfigFiles(config_file_, &text, error)) return false;
  }
  if (cl.from_stdin) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), stdin)) > 0) text.append(buf, n);
  }
  text += '\n';
  text += cl.options;
  reading_file_ = true;
  bool ok = LoadText(text, 0, error);
  reading_file_ = false;
  return ok;
}

bool ConfigRegistry::LoadFromString(std::string_view text, std::string* error) {
  std::lock_guard lock(mu_);
  reading_file_ = true;
  bool ok = LoadText(text, 0, error);
  reading_file_ = false;
  return ok;
}

bool ConfigRegistry::LoadText(std::string_view text, int depth, std::string* error) {
  std::vector<std::string_view> lines = SplitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = Trim(lines[i], " \t\r\n");
    if (line.empty() || line[0] == '#') continue;
    int line_number = static_cast<int>(i + 1);
    std::vector<std::string> argv;
    if (!SplitArgs(line, &argv)) {
      *error = FatalConfigError(line_number, line, "Unbalanced quotes in configuration line");
      return false;
    }
    if (argv.empty()) continue;
    for (char& c : argv[0]) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (argv[0] == "include" && argv.size() == 2) {
      if (depth + 1 >= kMaxIncludeDepth) {
        *error = FatalConfigError(
            line_number, line,
            "include nesting is deeper than " + std::to_string(kMaxIncludeDepth) + " files");
        return false;
      }
      std::string included;
      if (!ReadConfigFiles(argv[1], &included, error)) return false;
      if (!LoadText(included, depth + 1, error)) return false;
      continue;
    }
    std::string reason;
    if (!LoadDirective(argv, &reason)) {
      *error = FatalConfigError(line_number, line, reason);
      return false;
    }
  }
  // Redis checks the log file once the text is read, so a bad path fails at start-up.
  if (!values_.logfile.empty()) {
    FILE* fp = std::fopen(values_.logfile.c_str(), "a");
    if (fp == nullptr) {
      *error =
          FatalConfigError(0, "", std::string("Can't open the log file: ") + std::strerror(errno));
      return false;
    }
    std::fclose(fp);
  }
  return true;
}

}  // namespace tessera::server
