// Fuzz target: SplitArgs (core/base), the inline-command and redis.conf splitter.
//
// The whole input is one line.  Checks: both overloads and the model of sdssplitargs() agree
// on whether the line is well formed and on every argument; there are no more arguments, and
// no more argument bytes, than the line has bytes.  Then the input, cut into arguments at each
// 0x01 byte, is quoted and split again: SplitArgs must give back exactly those arguments,
// NUL bytes and all.
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/split_args.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/redis_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);

  tessera::ArgBuffer packed;
  std::vector<std::string> vec;
  bool ok_packed = tessera::SplitArgs(line, &packed);
  bool ok_vec = tessera::SplitArgs(line, &vec);
  std::optional<std::vector<std::string>> model = tessera::fuzz::ModelSplitArgs(line);
  FUZZ_CHECK(ok_packed == ok_vec && ok_vec == model.has_value());
  if (ok_vec) {
    FUZZ_CHECK(vec == *model, "%zu arguments, model %zu", vec.size(), model->size());
    FUZZ_CHECK(packed.size() == vec.size());
    size_t bytes = 0;
    for (size_t i = 0; i < vec.size(); ++i) {
      FUZZ_CHECK(packed[i] == vec[i]);
      bytes += vec[i].size();
    }
    FUZZ_CHECK(vec.size() <= size && bytes <= size);
  }

  std::vector<std::string> args(1);
  for (char c : line) {
    if (c == '\x01') {
      args.emplace_back();
    } else {
      args.back() += c;
    }
  }
  std::string quoted;
  for (const std::string& a : args) quoted += tessera::fuzz::ModelQuote(a) + " ";
  std::vector<std::string> back;
  FUZZ_CHECK(tessera::SplitArgs(quoted, &back));
  FUZZ_CHECK(back == args, "round trip gave %zu arguments for %zu", back.size(), args.size());
  return 0;
}
