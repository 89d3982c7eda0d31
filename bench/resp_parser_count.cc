// Parses a fixed number of pipelines, for counting instructions rather than timing them:
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null build/bench/resp_parser_count get
//
// prints a total that is the same on every run of the same binary, so a parser change can be
// measured in instructions per command on a noisy machine.  The pipelines are those of
// resp_parser_bench: 16 `GET key:000123`-style commands, or 16 SETs of 100-byte values.
#include <cstdio>
#include <cstring>
#include <string>

#include "core/resp/request_parser.h"

namespace {

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string Pipeline(bool set) {
  std::string out;
  for (int i = 0; i < 16; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key:%06d", 123 + i);
    out += set ? "*3\r\n" + Bulk("SET") + Bulk(key) + Bulk(std::string(100, 'v'))
               : "*2\r\n" + Bulk("GET") + Bulk(key);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr int kPipelines = 20000;
  const std::string input = Pipeline(argc > 1 && std::strcmp(argv[1], "set") == 0);
  tessera::resp::RequestParser parser;
  tessera::resp::ParserLimits limits;
  size_t arg_bytes = 0;
  for (int n = 0; n < kPipelines; ++n) {
    std::string_view rest = input;
    while (!rest.empty()) {
      size_t consumed = 0;
      if (parser.Parse(rest, limits, &consumed) != tessera::resp::ParseStatus::kCommand) {
        return 1;
      }
      for (size_t i = 0; i < parser.ArgCount(); ++i) arg_bytes += parser.Arg(rest, i).size();
      rest.remove_prefix(consumed);
    }
  }
  std::printf("%d commands, %zu argument bytes\n", kPipelines * 16, arg_bytes);
  return 0;
}
