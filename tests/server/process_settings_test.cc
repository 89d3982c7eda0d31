// disable-thp's decision and the process title's use of argv's memory (server/process_settings.h,
// server/proc_title.h).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "server/proc_title.h"
#include "server/process_settings.h"

namespace tessera::server {
namespace {

TEST_CASE("THP counts as on only in the kernel's 'always' mode") {
  CHECK(ThpAlwaysEnabled("[always] madvise never\n"));
  CHECK_FALSE(ThpAlwaysEnabled("always [madvise] never\n"));
  CHECK_FALSE(ThpAlwaysEnabled("always madvise [never]\n"));
  CHECK_FALSE(ThpAlwaysEnabled(""));
}

TEST_CASE("disable-thp warns only when THP stays 'always'") {
  char dir[] = "/tmp/tessera-thp-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/enabled";
  std::ofstream(path) << "always [madvise] never\n";
  CHECK(ApplyDisableThp(true, path).empty());
  CHECK(ApplyDisableThp(false, path).empty());
  std::ofstream(path) << "[always] madvise never\n";
  CHECK(ApplyDisableThp(false, path).rfind("WARNING You have Transparent Huge Pages (THP)", 0) ==
        0);
  CHECK(ApplyDisableThp(false, path + ".missing").empty());  // no THP in this kernel
  std::filesystem::remove_all(dir);
}

TEST_CASE("ProcTitle writes over the arguments' memory and moves them away") {
  // The arguments as the kernel lays them out: contiguous NUL-terminated strings.
  char area[] = "prog\0--port\0007000";
  char* argv[] = {area, area + 5, area + 12, nullptr};
  ::setenv("TESSERA_TITLE_TEST", "kept", 1);
  ProcTitle title(3, argv);
  CHECK(std::string(std::getenv("TESSERA_TITLE_TEST")) == "kept");  // the environment moved
  CHECK(title.arg0() == "prog");
  // The program still reads its arguments, from their copies.
  CHECK(std::string(argv[0]) == "prog");
  CHECK(std::string(argv[1]) == "--port");
  CHECK(std::string(argv[2]) == "7000");
  CHECK(argv[1] != area + 5);

  title.Set("abc");
  CHECK(std::string(area, sizeof(area)) == "abc" + std::string(14, '\0'));
  // At most the area less its last byte, which stays NUL.
  title.Set("a title longer than the seventeen bytes");
  CHECK(std::string(area, sizeof(area)) == "a title longer t" + std::string(1, '\0'));
  CHECK(std::string(argv[1]) == "--port");
}

}  // namespace
}  // namespace tessera::server
