// Active defragmentation's directives: answered as a Redis 7.2 built without its modified
// jemalloc answers them (server/config/README.md).
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/config/config.h"
#include "tests/server/config/config_test_util.h"

namespace tessera::server {
namespace {

using config_test::GetOne;
using config_test::SetOne;

constexpr std::string_view kRefusal =
    "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
    "modified Jemalloc like the one shipped by default with the Redis source distribution";

TEST_CASE("active-defrag directives: Redis 7.2's names, defaults and bounds") {
  ConfigRegistry r;
  std::string_view pattern[] = {"*defrag*"};
  std::vector<std::pair<std::string, std::string>> expected = {
      {"activedefrag", "no"},
      {"active-defrag-cycle-min", "1"},
      {"active-defrag-cycle-max", "25"},
      {"active-defrag-threshold-lower", "10"},
      {"active-defrag-threshold-upper", "100"},
      {"active-defrag-max-scan-fields", "1000"},
      {"active-defrag-ignore-bytes", "104857600"},
  };
  auto got = r.Get(pattern);
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  CHECK(got == expected);

  CHECK(SetOne(r, "active-defrag-cycle-min", "65") == "");
  CHECK(GetOne(r, "active-defrag-cycle-min") == "65");
  CHECK(SetOne(r, "active-defrag-ignore-bytes", "2mb") == "");
  CHECK(GetOne(r, "active-defrag-ignore-bytes") == "2097152");
  CHECK(SetOne(r, "active-defrag-threshold-lower", "5") == "");
  CHECK(SetOne(r, "active-defrag-max-scan-fields", "9223372036854775807") == "");
  CHECK(SetOne(r, "active-defrag-cycle-max", "100") ==
        "ERR CONFIG SET failed (possibly related to argument 'active-defrag-cycle-max') - "
        "argument must be between 1 and 99 inclusive");
  CHECK(SetOne(r, "active-defrag-threshold-upper", "1001") ==
        "ERR CONFIG SET failed (possibly related to argument 'active-defrag-threshold-upper') - "
        "argument must be between 0 and 1000 inclusive");
  CHECK(SetOne(r, "active-defrag-ignore-bytes", "0") ==
        "ERR CONFIG SET failed (possibly related to argument 'active-defrag-ignore-bytes') - "
        "argument must be between 1 and 9223372036854775807 inclusive");
  CHECK(SetOne(r, "active-defrag-max-scan-fields", "0") ==
        "ERR CONFIG SET failed (possibly related to argument 'active-defrag-max-scan-fields') - "
        "argument must be between 1 and 9223372036854775807 inclusive");
}

TEST_CASE("activedefrag yes is refused with the text of a Redis without defrag support") {
  ConfigRegistry r;
  CHECK(SetOne(r, "activedefrag", "yes") ==
        "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - " +
            std::string(kRefusal));
  CHECK(GetOne(r, "activedefrag") == "no");
  CHECK(SetOne(r, "activedefrag", "no") == "");
  CHECK(SetOne(r, "activedefrag", "maybe") ==
        "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - "
        "argument must be 'yes' or 'no'");
  // All or nothing: the refusal undoes the other directives of the same CONFIG SET.
  std::pair<std::string_view, std::string_view> both[] = {{"active-defrag-cycle-min", "50"},
                                                          {"activedefrag", "yes"}};
  CHECK(r.Set(both) != "");
  CHECK(GetOne(r, "active-defrag-cycle-min") == "1");

  // In a config file it is a fatal error, with the same reason.
  ConfigRegistry from_file;
  std::string err;
  CHECK_FALSE(from_file.LoadFromString("active-defrag-cycle-min 5\nactivedefrag yes\n", &err));
  CHECK(err.find(">>> 'activedefrag yes'\n" + std::string(kRefusal) + "\n") != std::string::npos);
  ConfigRegistry accepted;
  CHECK(
      accepted.LoadFromString("activedefrag no\nactive-defrag-ignore-bytes 1gb\n"
                              "active-defrag-threshold-upper 50\n",
                              &err));
  CHECK(GetOne(accepted, "active-defrag-ignore-bytes") == "1073741824");
  CHECK(GetOne(accepted, "active-defrag-threshold-upper") == "50");
}

TEST_CASE("CONFIG REWRITE writes the active-defrag directives that differ") {
  char tmpl[] = "/tmp/tessera-defrag-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string file = dir + "/r.conf";
  std::ofstream(file) << "active-defrag-cycle-max 30\n";
  std::string cwd = std::filesystem::current_path();
  ConfigRegistry r;
  std::string err;
  std::string arg0 = "tessera-server", arg1 = file;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  REQUIRE(r.LoadFromCommandLine(2, argv, &err));
  CHECK(SetOne(r, "active-defrag-cycle-max", "40") == "");
  CHECK(SetOne(r, "active-defrag-ignore-bytes", "200mb") == "");
  REQUIRE(r.Rewrite() == "");
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  CHECK(text.str().find("active-defrag-cycle-max 40\n") != std::string::npos);
  CHECK(text.str().find("active-defrag-ignore-bytes 200mb\n") != std::string::npos);
  CHECK(text.str().find("activedefrag") == std::string::npos);  // at its default
  std::filesystem::current_path(cwd);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tessera::server
