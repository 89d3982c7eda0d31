// rdb-tool: the RDB codec from the command line, for the interop tests
// (tests/integration/test_rdb_interop.py).
//
//   rdb-tool load FILE                 one JSON line per key (tests/persistence/describe.h),
//                                      or "ERROR: <message>" and exit status 1
//   rdb-tool write FILE [VERSION]      writes tests/persistence/samples.h's keys as RDB
//                                      VERSION (default 11) and prints their JSON lines; below
//                                      11 it leaves out the keys whose types that version
//                                      lacks (set listpack 20, stream listpacks 3, 7.4 hashes)
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "core/base/crc64.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"
#include "tests/persistence/describe.h"
#include "tests/persistence/samples.h"

using namespace tessera;
namespace rdb = persistence::rdb;

namespace {

int Load(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  rdb::FileSource src(fd);
  rdb::LoadOptions opts;
  opts.skip_expired = false;
  rdb::LoadCallbacks cb;
  cb.on_key = [](int db, keyspace::Entry* e) {
    std::printf("%s\n", testing::Describe(db, *e).c_str());
    keyspace::Entry::Free(e);
  };
  persistence::Status st = rdb::Load(src, opts, cb);
  close(fd);
  if (!st.ok()) {
    std::printf("ERROR: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}

int Write(const char* path, int version) {
  auto samples = testing::SampleEntries();
  std::string f;
  rdb::WriteHeader(&f, version);
  rdb::WriteAux(&f, "redis-ver", "7.2.4");
  rdb::WriteAux(&f, "redis-bits", "64");
  rdb::WriteSelectDb(&f, 0);
  rdb::WriteResizeDb(&f, samples.size(), 0);
  for (auto& s : samples) {
    std::string one;
    rdb::WriteKey(&one, *s.entry, {});
    // The type byte follows an optional 9-byte EXPIRETIME_MS.
    const uint8_t type = static_cast<uint8_t>(one[one[0] == char(rdb::kOpExpireTimeMs) ? 9 : 0]);
    const bool known =
        version >= 11 ? type <= rdb::kTypeStreamListpacks3 : type <= rdb::kTypeStreamListpacks2;
    if (known || version >= 12) {
      f += one;
      std::printf("%s\n", testing::Describe(0, *s.entry).c_str());
    }
    keyspace::Entry::Free(s.entry);
  }
  rdb::WriteEof(&f);
  rdb::AppendChecksum(&f, Crc64(0, f));
  FILE* out = std::fopen(path, "wb");
  if (out == nullptr || std::fwrite(f.data(), 1, f.size(), out) != f.size() ||
      std::fclose(out) != 0) {
    std::perror(path);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "load") == 0) return Load(argv[2]);
  if (argc >= 3 && std::strcmp(argv[1], "write") == 0) {
    return Write(argv[2], argc >= 4 ? std::atoi(argv[3]) : 11);
  }
  std::fprintf(stderr, "usage: rdb-tool load FILE | write FILE [VERSION]\n");
  return 2;
}
