#include <cstdio>
#include <cstring>

#include "server/version.h"

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::printf("Tessera server v=%s redis_compat=%s\n", tessera::server::TesseraVersion(),
                tessera::server::kRedisCompatVersion);
    return 0;
  }
  std::fprintf(stderr, "tessera-server: not wired yet\n");
  return 1;
}
