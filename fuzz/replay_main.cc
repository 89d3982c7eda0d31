// main() for a fuzz target built without libFuzzer (g++, the normal build): runs the target
// once on each file named on the command line (a directory: each file in it), then on
// `--random N` inputs made by a seeded generator from the bytes and words the parsers treat
// specially.  This is how CI replays the corpus and the inputs that once failed.
//
//   request_parser_fuzz [--random N] [--seed S] [FILE|DIR]...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunOne(const std::string& bytes) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string RandomInput(tessera::SplitMix64& rng) {
  static const std::string_view kPieces[] = {"*",          "$",
                                             "\r",         "\n",
                                             "\r\n",       std::string_view("\0", 1),
                                             " ",          "\t",
                                             "\"",         "'",
                                             "\\",         "\\x",
                                             "\\x00",      "0",
                                             "1",          "2",
                                             "3",          "9",
                                             "-1",         "*1\r\n",
                                             "*2\r\n",     "$0\r\n",
                                             "$1\r\n",     "$3\r\n",
                                             "PING",       "SET",
                                             "k",          "v",
                                             "\x01",       "\x16\x03\x01",
                                             "2147483648", "99999999999999999999"};
  std::string out;
  // The option byte and eight seed bytes first, as request_parser_fuzz reads them.
  for (int i = 0; i < 9; ++i) out += static_cast<char>(rng.Next());
  size_t pieces = rng.Below(40);
  for (size_t i = 0; i < pieces; ++i) {
    if (rng.Below(16) == 0) {
      out += static_cast<char>(rng.Next());
    } else {
      out += kPieces[rng.Below(sizeof(kPieces) / sizeof(kPieces[0]))];
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t random_runs = 0;
  uint64_t seed = 1;
  size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--random") == 0 && i + 1 < argc) {
      random_runs = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::filesystem::is_directory(argv[i])) {
      for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
        if (!entry.is_regular_file()) continue;
        RunOne(ReadFile(entry.path()));
        ++files;
      }
    } else {
      RunOne(ReadFile(argv[i]));
      ++files;
    }
  }
  tessera::SplitMix64 rng(seed);
  for (uint64_t i = 0; i < random_runs; ++i) RunOne(RandomInput(rng));
  std::printf("%s: %zu files and %llu random inputs, all checks held\n", argv[0], files,
              static_cast<unsigned long long>(random_runs));
  return 0;
}
