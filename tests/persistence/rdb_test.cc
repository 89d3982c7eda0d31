// Unit tests of the RDB codec (persistence/rdb_*.h): round trips of every type and encoding,
// old encodings built byte by byte (ziplist, zipmap, linked list, textual doubles, RDB 6),
// DUMP payloads, and corruption (truncation at every byte, random flips, forged lengths,
// duplicates) that must give an error and never a crash or a half-built value.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/base/crc64.h"
#include "core/ds/listpack.h"
#include "core/keyspace/object.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"
#include "tests/persistence/describe.h"
#include "tests/persistence/samples.h"

namespace tessera::persistence::rdb {
namespace {

using keyspace::Entry;
using testing::Describe;

struct Loaded {
  Status status;
  std::vector<std::string> keys;  // Describe() of each key, in file order
  std::map<std::string, std::string> aux;
  std::vector<std::string> functions;
};

Loaded LoadBytesWith(std::string_view bytes, LoadOptions opts, size_t file_buffer = 0);

// Every load runs twice, on one thread and with decode threads (persistence/rdb_parallel.h):
// the two must give the same keys, callbacks and status, byte for byte.
Loaded LoadBytes(std::string_view bytes, LoadOptions opts = {}) {
  opts.decode_threads = 0;
  Loaded serial = LoadBytesWith(bytes, opts);
  opts.decode_threads = 2;
  Loaded parallel = LoadBytesWith(bytes, opts);
  CHECK(parallel.status.message() == serial.status.message());
  CHECK(parallel.status.code() == serial.status.code());
  CHECK(parallel.keys == serial.keys);
  CHECK(parallel.aux == serial.aux);
  CHECK(parallel.functions == serial.functions);
  return serial;
}

Loaded LoadBytesWith(std::string_view bytes, LoadOptions opts, size_t file_buffer) {
  Loaded out;
  LoadCallbacks cb;
  cb.on_key = [&](int db, Entry* e) {
    out.keys.push_back(Describe(db, *e));
    Entry::Free(e);
  };
  cb.on_aux = [&](std::string_view k, std::string_view v) { out.aux[std::string(k)] = v; };
  cb.on_function = [&](std::string_view code) { out.functions.emplace_back(code); };
  if (file_buffer == 0) {
    MemorySource src(bytes);
    out.status = Load(src, opts, cb);
    return out;
  }
  char path[] = "/tmp/rdb-test-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::lseek(fd, 0, SEEK_SET);
  FileSource src(fd, file_buffer);
  out.status = Load(src, opts, cb);
  ::close(fd);
  ::unlink(path);
  return out;
}

// The same file read through a FileSource with a `buffer`-byte buffer (values cross its
// refills), serially and with a decode thread: both as LoadBytes gives it.
void CheckFileLoad(std::string_view bytes, LoadOptions opts, size_t buffer) {
  opts.decode_threads = 0;
  const Loaded memory = LoadBytesWith(bytes, opts, 0);
  for (int threads : {0, 1}) {
    INFO("buffer " << buffer << ", decode threads " << threads);
    opts.decode_threads = threads;
    const Loaded file = LoadBytesWith(bytes, opts, buffer);
    CHECK(file.status.message() == memory.status.message());
    CHECK(file.status.code() == memory.status.code());
    CHECK(file.keys == memory.keys);
    CHECK(file.aux == memory.aux);
  }
}

std::string WriteFile(const std::vector<testing::Sample>& samples, bool compress,
                      std::vector<std::string>* described) {
  std::string f;
  WriteHeader(&f);
  WriteAux(&f, "redis-ver", "7.2.4");
  WriteAux(&f, "ctime", "1700000000");
  WriteFunction(&f, "#!lua name=mylib\nredis.register_function('f', function() return 1 end)");
  WriteSelectDb(&f, 0);
  WriteResizeDb(&f, samples.size(), 0);
  WriteOptions opts;
  opts.compress = compress;
  for (const auto& s : samples) {
    WriteKey(&f, *s.entry, opts);
    described->push_back(Describe(0, *s.entry));
  }
  WriteEof(&f);
  AppendChecksum(&f, Crc64(0, f));
  return f;
}

void FreeAll(std::vector<testing::Sample>& samples) {
  for (auto& s : samples) Entry::Free(s.entry);
}

TEST_CASE("RDB round trip keeps contents and encodings of every type", "[rdb]") {
  auto samples = testing::SampleEntries();
  for (const auto& s : samples) {
    INFO(s.entry->key());
    CHECK(keyspace::EncodingName(*s.entry) == s.encoding);
  }
  for (bool compress : {true, false}) {
    std::vector<std::string> expected;
    const std::string file = WriteFile(samples, compress, &expected);
    CHECK(file.substr(0, 9) == "REDIS0011");
    Loaded l = LoadBytes(file);
    REQUIRE(l.status.ok());
    CHECK(l.keys == expected);
    CHECK(l.aux["redis-ver"] == "7.2.4");
    REQUIRE(l.functions.size() == 1);
    CHECK(l.functions[0].find("mylib") != std::string::npos);
  }
  FreeAll(samples);
}

TEST_CASE("RDB compression makes long repetitive strings smaller", "[rdb]") {
  std::string a, b;
  WriteString(&a, std::string(1000, 'z'), true);
  WriteString(&b, std::string(1000, 'z'), false);
  CHECK(a.size() < 50);
  CHECK(b.size() == 1002);  // 14-bit length + bytes
  // Integers up to 32 bits take the integer encoding: 0xC0 + 1 byte for 12.
  std::string c;
  WriteString(&c, "12", true);
  CHECK(c == std::string("\xC0\x0C", 2));
  std::string d;
  WriteString(&d, "012", true);  // not canonical: stays a string
  CHECK(d == std::string("\x03"
                         "012",
                         4));
}

TEST_CASE("RDB conversions on load follow the configured limits", "[rdb]") {
  auto samples = testing::SampleEntries();
  std::vector<std::string> ignored;
  const std::string file = WriteFile(samples, true, &ignored);
  LoadOptions opts;
  opts.hash.max_entries = 1;
  opts.set.max_listpack_entries = 2;
  opts.set.max_intset_entries = 2;
  opts.zset.max_listpack_entries = 2;
  std::map<std::string, std::string> enc;
  LoadCallbacks cb;
  cb.on_key = [&](int, Entry* e) {
    enc[std::string(e->key())] = keyspace::EncodingName(*e);
    Entry::Free(e);
  };
  MemorySource src(file);
  REQUIRE(Load(src, opts, cb).ok());
  CHECK(enc["hash:lp"] == "hashtable");
  CHECK(enc["set:lp"] == "hashtable");
  CHECK(enc["set:intset"] == "hashtable");
  CHECK(enc["zset:lp"] == "skiplist");
  CHECK(enc["list:lp"] == "listpack");
  FreeAll(samples);
}

TEST_CASE("RDB expired keys are skipped and expiry is kept", "[rdb]") {
  std::string f;
  WriteHeader(&f);
  Entry* live = Entry::NewStringAutoEncoded("live", "v", 5000, 0);
  Entry* dead = Entry::NewStringAutoEncoded("dead", "v", 1000, 0);
  WriteKey(&f, *live, {});
  WriteKey(&f, *dead, {});
  WriteEof(&f);
  AppendChecksum(&f, 0);  // rdbchecksum no
  LoadOptions opts;
  opts.now_ms = 2000;
  Loaded l = LoadBytes(f, opts);
  REQUIRE(l.status.ok());
  REQUIRE(l.keys.size() == 1);
  std::vector<std::string> expired;
  LoadCallbacks cb;
  cb.on_key = [](int, Entry* e) { Entry::Free(e); };
  cb.on_expired = [&](int, std::string_view key) { expired.emplace_back(key); };
  MemorySource src(f);
  REQUIRE(Load(src, opts, cb).ok());
  CHECK(expired == std::vector<std::string>{"dead"});
  CHECK(l.keys[0].find("\"key\":\"live\"") != std::string::npos);
  CHECK(l.keys[0].find("\"expire\":5000") != std::string::npos);
  Entry::Free(live);
  Entry::Free(dead);
}

TEST_CASE("DUMP payloads round trip and carry Redis's footer", "[rdb]") {
  auto samples = testing::SampleEntries();
  for (const auto& s : samples) {
    const std::string p = DumpPayload(*s.entry);
    INFO(s.entry->key());
    REQUIRE(p.size() >= 10);
    CHECK(p[p.size() - 10] == 11);
    CHECK(p[p.size() - 9] == 0);
    auto r = ParseDumpPayload("copy", p, {});
    INFO(r.status().message());
    REQUIRE(r.ok());
    Entry* e = *r;
    CHECK(keyspace::EncodingName(*e) == s.encoding);
    CHECK(testing::DescribeValue(*e) == testing::DescribeValue(*s.entry));
    CHECK(e->key() == "copy");
    Entry::Free(e);
  }
  FreeAll(samples);
}

TEST_CASE("DUMP payload footer errors", "[rdb]") {
  Entry* e = Entry::NewStringAutoEncoded("k", "hello world", keyspace::kNoExpiry, 0);
  std::string p = DumpPayload(*e);
  Entry::Free(e);
  std::string bad_crc = p;
  bad_crc.back() ^= 1;
  CHECK(ParseDumpPayload("k", bad_crc, {}).status().code() == Status::Code::kBadFooter);
  std::string v12 = p;
  v12[v12.size() - 10] = 12;
  CHECK(ParseDumpPayload("k", v12, {}).status().code() == Status::Code::kBadFooter);
  CHECK(ParseDumpPayload("k", "short", {}).status().code() == Status::Code::kBadFooter);
  // Without the CRC check the older versions and a body error surface as kCorrupt.
  LoadOptions no_crc;
  no_crc.check_crc = false;
  std::string body = p;
  body[0] = 99;  // not a type
  CHECK(ParseDumpPayload("k", body, no_crc).status().code() == Status::Code::kCorrupt);
}

// ---- Old encodings, built byte by byte ------------------------------------------------------

void Le(std::string* s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A ziplist of short strings (< 64 bytes) and small integers (0..12 immediate, or int16).
std::string Ziplist(const std::vector<std::string>& items) {
  std::string body;
  size_t prev = 0, last = 10;
  for (const std::string& it : items) {
    std::string e;
    e.push_back(static_cast<char>(prev));
    char* end;
    long v = std::strtol(it.c_str(), &end, 10);
    if (!it.empty() && *end == '\0' && v >= 0 && v <= 12) {
      e.push_back(static_cast<char>(0xF1 + v));
    } else if (!it.empty() && *end == '\0' && v > 12 && v < 30000) {
      e.push_back(static_cast<char>(0xC0));
      Le(&e, static_cast<uint64_t>(v), 2);
    } else {
      e.push_back(static_cast<char>(it.size()));
      e += it;
    }
    last = 10 + body.size();
    prev = e.size();
    body += e;
  }
  std::string zl;
  Le(&zl, 10 + body.size() + 1, 4);
  Le(&zl, last, 4);
  Le(&zl, items.size(), 2);
  zl += body;
  zl.push_back('\xFF');
  return zl;
}

std::string Zipmap(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string zm(1, static_cast<char>(pairs.size()));
  for (const auto& [f, v] : pairs) {
    zm.push_back(static_cast<char>(f.size()));
    zm += f;
    zm.push_back(static_cast<char>(v.size()));
    zm.push_back(2);  // free bytes after the value
    zm += v + "..";
  }
  zm.push_back('\xFF');
  return zm;
}

// A version-6 file holding one key of `type` whose value bytes are `value`.
std::string OldFile(uint8_t type, const std::string& key, const std::string& value,
                    int version = 6) {
  std::string f;
  WriteHeader(&f, version);
  f.push_back(static_cast<char>(kOpSelectDb));
  f.push_back(0);
  f.push_back(static_cast<char>(type));
  WriteString(&f, key, false);
  f += value;
  WriteEof(&f);
  if (version >= 5) AppendChecksum(&f, Crc64(0, f));
  return f;
}

std::string Str(const std::string& s) {
  std::string out;
  WriteString(&out, s, false);
  return out;
}

std::string OnlyKey(std::string_view bytes, LoadOptions opts = {}) {
  Loaded l = LoadBytes(bytes, opts);
  INFO(l.status.message());
  REQUIRE(l.status.ok());
  REQUIRE(l.keys.size() == 1);
  return l.keys[0];
}

TEST_CASE("RDB reads Redis 2.x-6.x encodings", "[rdb]") {
  CHECK(
      OnlyKey(OldFile(kTypeListZiplist, "l", Str(Ziplist({"a", "5", "300", "bc"})))) ==
      R"({"db":0,"key":"l","type":"list","encoding":"quicklist","expire":-1,"value":["a","5","300","bc"]})");
  CHECK(
      OnlyKey(OldFile(kTypeHashZipmap, "h", Str(Zipmap({{"f", "v"}, {"g", "12"}})))) ==
      R"({"db":0,"key":"h","type":"hash","encoding":"listpack","expire":-1,"value":{"f":"v","g":"12"}})");
  CHECK(
      OnlyKey(OldFile(kTypeHashZiplist, "h", Str(Ziplist({"f", "v", "n", "7"})))) ==
      R"({"db":0,"key":"h","type":"hash","encoding":"listpack","expire":-1,"value":{"f":"v","n":"7"}})");
  CHECK(
      OnlyKey(OldFile(kTypeZSetZiplist, "z", Str(Ziplist({"a", "2", "b", "1.5"})))) ==
      R"({"db":0,"key":"z","type":"zset","encoding":"listpack","expire":-1,"value":["b","1.5","a","2"]})");
  // Quicklist version 1: ziplist nodes.  Redis keeps the file's nodes, and only a list of
  // one node becomes a listpack.
  std::string ql;
  WriteLength(&ql, 2);
  ql += Str(Ziplist({"x", "y"})) + Str(Ziplist({"1"}));
  CHECK(
      OnlyKey(OldFile(kTypeListQuicklist, "q", ql)) ==
      R"({"db":0,"key":"q","type":"list","encoding":"quicklist","expire":-1,"value":["x","y","1"]})");
  std::string ql1;
  WriteLength(&ql1, 2);
  ql1 += Str(Ziplist({"x", "y", "1"})) + Str(Ziplist({}));  // an empty node is dropped
  CHECK(
      OnlyKey(OldFile(kTypeListQuicklist, "q", ql1)) ==
      R"({"db":0,"key":"q","type":"list","encoding":"listpack","expire":-1,"value":["x","y","1"]})");
  // Linked list, plain set, textual-double zset.
  CHECK(OnlyKey(OldFile(kTypeList, "l", "\x02" + Str("a") + Str("b"))) ==
        R"({"db":0,"key":"l","type":"list","encoding":"listpack","expire":-1,"value":["a","b"]})");
  CHECK(OnlyKey(OldFile(kTypeSet, "s", "\x03" + Str("1") + Str("2") + Str("3"))) ==
        R"({"db":0,"key":"s","type":"set","encoding":"intset","expire":-1,"value":["1","2","3"]})");
  CHECK(
      OnlyKey(OldFile(kTypeZSet, "z",
                      "\x02" + Str("a") +
                          "\x03"
                          "2.5" +
                          Str("b") + "\xFE")) ==
      R"({"db":0,"key":"z","type":"zset","encoding":"listpack","expire":-1,"value":["a","2.5","b","inf"]})");
}

TEST_CASE("RDB 6 files: expiry in seconds, no checksum before version 5", "[rdb]") {
  std::string f;
  WriteHeader(&f, 4);
  f.push_back(static_cast<char>(kOpExpireTime));
  Le(&f, 4102444800, 4);
  f.push_back(kTypeString);
  f += Str("k") + Str("v");
  WriteEof(&f);
  CHECK(
      OnlyKey(f) ==
      R"({"db":0,"key":"k","type":"string","encoding":"embstr","expire":4102444800000,"value":"v"})");
}

TEST_CASE("RDB header and checksum errors", "[rdb]") {
  std::string f;
  WriteHeader(&f, 13);
  WriteEof(&f);
  CHECK(LoadBytes(f).status.message() == "Can't handle RDB format version 13");
  CHECK(LoadBytes("RUBBISH00").status.message() == "Wrong signature trying to load DB from file");
  std::string g;
  WriteHeader(&g);
  WriteEof(&g);
  AppendChecksum(&g, 0x1234);
  CHECK(LoadBytes(g).status.message().rfind("Wrong RDB checksum expected: (1234) got: (", 0) == 0);
  LoadOptions no_crc;
  no_crc.check_crc = false;
  CHECK(LoadBytes(g, no_crc).status.ok());
  std::string h;
  WriteHeader(&h);
  CHECK(LoadBytes(h).status.message() ==
        "Short read or OOM loading DB. Unrecoverable error, aborting now.");
}

TEST_CASE("RDB refuses module values and old function libraries by name", "[rdb]") {
  // Module id: the name "mymodule1" in 6-bit characters, version 3.
  uint64_t id = 0;
  for (char c : std::string("mymodule1")) {
    id = (id << 6) | static_cast<uint64_t>(std::string(kModuleNameCharset).find(c));
  }
  id = (id << 10) | 3;
  std::string v;
  WriteLength(&v, id);
  Loaded l = LoadBytes(OldFile(kTypeModule2, "m", v, 11));
  CHECK(l.status.code() == Status::Code::kUnsupported);
  CHECK(l.status.message().find("'mymodule1'") != std::string::npos);
  std::string f;
  WriteHeader(&f);
  f.push_back(static_cast<char>(kOpFunctionPreGa));
  CHECK(LoadBytes(f).status.message() == "Pre-release function format not supported.");
}

TEST_CASE("RDB refuses duplicates and inconsistent packed values", "[rdb]") {
  auto corrupt = [](uint8_t type, const std::string& value) {
    Loaded l = LoadBytes(OldFile(type, "k", value, 11));
    INFO(l.status.message());
    return l.status.code() == Status::Code::kCorrupt && l.keys.empty();
  };
  auto lp = [](std::vector<std::string_view> items) {
    uint8_t* l = ds::lp::AppendAll(ds::lp::New(), items);
    std::string s(reinterpret_cast<const char*>(l), ds::lp::Bytes(l));
    ds::lp::Free(l);
    return Str(s);
  };
  CHECK(corrupt(kTypeSetListpack, lp({"a", "b", "a"})));
  CHECK(corrupt(kTypeHashListpack, lp({"f", "1", "f", "2"})));
  CHECK(corrupt(kTypeHashListpack, lp({"f", "1", "g"})));
  CHECK(corrupt(kTypeZSetListpack, lp({"m", "1", "m", "2"})));
  CHECK(corrupt(kTypeZSetListpack, lp({"m", "notanumber"})));
  CHECK(corrupt(kTypeSet, "\x02" + Str("x") + Str("x")));
  CHECK(corrupt(kTypeHash, "\x02" + Str("f") + Str("1") + Str("f") + Str("2")));
  CHECK(corrupt(kTypeZSet2,
                "\x02" + Str("m") + std::string(8, '\0') + Str("m") + std::string(8, '\0')));
  std::string intset;
  Le(&intset, 2, 4);
  Le(&intset, 2, 4);
  Le(&intset, 5, 2);
  Le(&intset, 3, 2);  // not ascending
  CHECK(corrupt(kTypeSetIntset, Str(intset)));
  // An encoded-string marker where a count belongs is corruption, not a short read.
  CHECK(corrupt(kTypeStreamListpacks3, "\xC0"));
  CHECK(corrupt(kTypeList, "\xC0"));
  // An empty listpack is an empty key: skipped, not an error.
  Loaded l = LoadBytes(OldFile(kTypeSetListpack, "k", lp({}), 11));
  CHECK(l.status.ok());
  CHECK(l.keys.empty());
}

TEST_CASE("RDB forged lengths fail at the end of input without allocating them", "[rdb]") {
  std::string f;
  WriteHeader(&f);
  f.push_back(kTypeString);
  f += Str("k");
  WriteLength(&f, uint64_t{1} << 40);  // a 1 TB string in a 30-byte file
  f += "abc";
  CHECK(LoadBytes(f).status.code() == Status::Code::kIo);
  std::string g;
  WriteHeader(&g);
  g.push_back(kTypeList);
  g += Str("k");
  WriteLength(&g, uint64_t{1} << 62);
  g += Str("a");
  CHECK(LoadBytes(g).status.code() == Status::Code::kIo);
  // LZF claiming a 1 GB result from 3 bytes.
  std::string h;
  WriteHeader(&h);
  h.push_back(kTypeString);
  h += Str("k");
  h.push_back(static_cast<char>(0xC3));
  WriteLength(&h, 3);
  WriteLength(&h, uint64_t{1} << 30);
  h += "abc";
  CHECK(LoadBytes(h).status.code() == Status::Code::kCorrupt);
}

// Every prefix of a file must fail cleanly, and every flipped byte must either load or fail.
TEST_CASE("RDB truncation at every byte and random flips never crash", "[rdb][corrupt]") {
  // The small samples (one of each kind of encoding that fits in a few hundred bytes) keep
  // the every-byte loop quick; the flips also run over the big ones.
  auto samples = testing::SampleEntries();
  std::vector<testing::Sample> small;
  for (const auto& s : samples) {
    if (DumpPayload(*s.entry).size() < 400) small.push_back(s);
  }
  REQUIRE(small.size() >= 10);
  std::vector<std::string> ignored;
  const std::string file = WriteFile(small, true, &ignored);
  const std::string big_file = WriteFile(samples, true, &ignored);
  for (size_t n = 0; n < file.size(); ++n) {
    Loaded l = LoadBytes(std::string_view(file).substr(0, n));
    INFO(n);
    REQUIRE_FALSE(l.status.ok());
  }
  std::mt19937 rng(1234);
  LoadOptions no_crc;
  no_crc.check_crc = false;
  int failures = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string c = i % 10 == 0 ? big_file : file;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < flips; ++j)
      c[9 + rng() % (c.size() - 9)] ^= static_cast<char>(1 + rng() % 255);
    failures += !LoadBytes(c, no_crc).status.ok();
  }
  CHECK(failures > 0);
  // With the checksum on, any flip is caught.
  std::string c = file;
  c[file.size() / 2] ^= 0x20;
  CHECK_FALSE(LoadBytes(c).status.ok());
  FreeAll(samples);
}

TEST_CASE("DUMP payload truncation and flips never crash", "[rdb][corrupt]") {
  auto samples = testing::SampleEntries();
  LoadOptions no_crc;
  no_crc.check_crc = false;
  std::mt19937 rng(99);
  for (const auto& s : samples) {
    const std::string p = DumpPayload(*s.entry);
    const std::string body = p.substr(0, p.size() - 10);
    const std::string footer = p.substr(p.size() - 10);
    for (size_t n = 0; n < body.size(); n += 1 + body.size() / 200) {
      auto r = ParseDumpPayload("k", body.substr(0, n) + footer, no_crc);
      if (r.ok()) Entry::Free(*r);
    }
    for (int i = 0; i < 300; ++i) {
      std::string c = body;
      c[rng() % c.size()] ^= static_cast<char>(1 + rng() % 255);
      auto r = ParseDumpPayload("k", c + footer, no_crc);
      if (r.ok()) Entry::Free(*r);
    }
  }
  FreeAll(samples);
}

}  // namespace
}  // namespace tessera::persistence::rdb

namespace tessera::persistence::rdb {
namespace {

// The Redis Tcl suite's RDB assets (files Redis 2.x-7.x wrote), read where the suite is
// checked out beside the repository (or at $REDIS_SUITE); skipped otherwise.  They are not
// copied into the repository.
std::string SuiteAsset(const char* name) {
  const char* env = std::getenv("REDIS_SUITE");
  const std::string dir =
      env != nullptr ? env : std::string(TESSERA_SOURCE_DIR) + "/../redis-suite";
  FILE* f = std::fopen((dir + "/tests/assets/" + name).c_str(), "rb");
  if (f == nullptr) return {};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

std::map<std::string, std::string> ByKey(const Loaded& l) {
  std::map<std::string, std::string> out;
  for (const std::string& d : l.keys) {
    const size_t at = d.find("\"key\":\"") + 7;
    out[d.substr(at, d.find('"', at) - at)] = d;
  }
  return out;
}

TEST_CASE("RDB reads the Redis suite's assets", "[rdb]") {
  const std::string enc = SuiteAsset("encodings.rdb");
  if (enc.empty()) {
    WARN("Redis suite assets not found: skipped");
    return;
  }
  Loaded l = LoadBytes(enc);
  REQUIRE(l.status.ok());
  auto keys = ByKey(l);
  CHECK(keys.size() == 13);
  CHECK(
      keys["hash_zipped"] ==
      R"({"db":0,"key":"hash_zipped","type":"hash","encoding":"listpack","expire":-1,"value":{"a":"1","b":"2","c":"3"}})");
  CHECK(keys["set_zipped_3"].find(R"("encoding":"intset")") != std::string::npos);
  CHECK(keys["set_zipped_3"].find(R"(["1000000000","2000000000","3000000000")") !=
        std::string::npos);
  CHECK(keys["list_zipped"].find(R"(["1","2","3","a","b","c","100000","6000000000"])") !=
        std::string::npos);
  CHECK(keys["zset"].find(R"("bbbb","5000000000"])") != std::string::npos);
  CHECK(keys["compressible"].find(std::string(130, 'a')) != std::string::npos);

  for (const char* f : {"hash-zipmap.rdb", "hash-ziplist.rdb"}) {
    Loaded h = LoadBytes(SuiteAsset(f));
    REQUIRE(h.status.ok());
    REQUIRE(h.keys.size() == 1);
    CHECK(
        h.keys[0] ==
        R"({"db":0,"key":"hash","type":"hash","encoding":"listpack","expire":-1,"value":{"f1":"v1","f2":"v2"}})");
  }
  Loaded z = LoadBytes(SuiteAsset("zset-ziplist.rdb"));
  REQUIRE(z.status.ok());
  CHECK(
      z.keys ==
      std::vector<std::string>{
          R"({"db":0,"key":"zset","type":"zset","encoding":"listpack","expire":-1,"value":["one","1","two","2"]})"});
  Loaded q = LoadBytes(SuiteAsset("list-quicklist.rdb"));
  REQUIRE(q.status.ok());
  CHECK(ByKey(q)["list"] ==
        R"({"db":0,"key":"list","type":"list","encoding":"listpack","expire":-1,"value":["7"]})");
  // Every key of this one is an empty aggregate: skipped, not an error.
  Loaded e = LoadBytes(SuiteAsset("corrupt_empty_keys.rdb"));
  CHECK(e.status.ok());
  CHECK(e.keys.empty());
  Loaded c = LoadBytes(SuiteAsset("corrupt_ziplist.rdb"));
  CHECK(c.status.code() == Status::Code::kCorrupt);
}

}  // namespace
}  // namespace tessera::persistence::rdb

namespace tessera::persistence::rdb {
namespace {

// Redis 5's stream layout (type 15): no first ID, max deleted ID, entries added, group
// entries-read or consumer active time.  Built from a sample stream's own nodes.
TEST_CASE("RDB reads Redis 5 streams (type 15) and derives the 7.x counters", "[rdb]") {
  auto* s = new types::StreamValue();
  types::StreamLimits limits{4096, 3};
  for (uint64_t i = 1; i <= 7; ++i) {
    std::string v = std::to_string(i);
    std::string_view fv[] = {"f", v};
    s->Append(types::StreamID{i, 0}, fv, limits);
  }
  std::string body;
  body.push_back(static_cast<char>(kTypeStreamListpacks));
  WriteLength(&body, s->node_count());
  std::vector<uint8_t> scratch;
  for (size_t i = 0; i < s->node_count(); ++i) {
    std::string id;
    for (int b = 7; b >= 0; --b) id.push_back(static_cast<char>(s->node_master(i).ms >> (8 * b)));
    id.append(8, '\0');
    WriteString(&body, id, false);
    const uint8_t* l = s->node_listpack(i, &scratch);
    WriteString(&body, std::string_view(reinterpret_cast<const char*>(l), ds::lp::Bytes(l)), true);
  }
  WriteLength(&body, 7);  // length
  WriteLength(&body, 7);  // last ID
  WriteLength(&body, 0);
  WriteLength(&body, 1);  // one group at 7-0 with one pending entry for one consumer
  WriteString(&body, "g", false);
  WriteLength(&body, 7);
  WriteLength(&body, 0);
  WriteLength(&body, 1);
  const std::string raw_id = std::string("\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\0", 16);
  body += raw_id;
  body += std::string("\x10\x27\0\0\0\0\0\0", 8);  // delivery time 10000
  WriteLength(&body, 2);
  WriteLength(&body, 1);
  WriteString(&body, "alice", false);
  body += std::string("\x20\x4e\0\0\0\0\0\0", 8);  // seen time 20000
  WriteLength(&body, 1);
  body += raw_id;
  std::string payload = body;
  payload.push_back(9);  // written by RDB 9 (Redis 5)
  payload.push_back(0);
  AppendChecksum(&payload, Crc64(0, payload));
  auto r = ParseDumpPayload("x", payload, {});
  INFO(r.status().message());
  REQUIRE(r.ok());
  CHECK(testing::DescribeValue(**r) ==
        R"({"entries":[["1-0",["f","1"]],["2-0",["f","2"]],["3-0",["f","3"]],["4-0",["f","4"]],)"
        R"(["5-0",["f","5"]],["6-0",["f","6"]],["7-0",["f","7"]]],"length":7,"last_id":"7-0",)"
        R"("entries_added":7,"max_deleted_id":"0-0","groups":[{"name":"g","last_id":"7-0",)"
        R"("entries_read":7,"pel":[["2-0","alice",2]],"consumers":[["alice",1]]}]})");
  const auto* loaded = (*r)->object_as<types::StreamValue>();
  CHECK(loaded->first_id() == types::StreamID{1, 0});
  const auto* alice = loaded->FindGroup("g")->FindConsumer("alice");
  CHECK(alice->seen_time == 20000);
  CHECK(alice->active_time == 20000);
  Entry::Free(*r);
  delete s;
}

}  // namespace
}  // namespace tessera::persistence::rdb

namespace tessera::persistence::rdb {
namespace {

// Many batches of the parallel decoder (rdb_parallel.h), values of every type, an expired
// key and an empty one among them: LoadBytes compares the serial and the parallel load.
TEST_CASE("RDB decode threads give the serial load's keys and errors", "[rdb][rdbload]") {
  auto samples = testing::SampleEntries();
  std::string f;
  WriteHeader(&f);
  WriteAux(&f, "redis-ver", "7.2.4");
  WriteSelectDb(&f, 0);
  WriteOptions opts;
  for (int round = 0; round < 24; ++round) {
    if (round == 12) {
      WriteSelectDb(&f, 1);
      WriteResizeDb(&f, 10, 0);
    }
    for (const auto& s : samples) WriteKey(&f, *s.entry, opts);
  }
  WriteEof(&f);
  AppendChecksum(&f, Crc64(0, f));
  Loaded all = LoadBytes(f);
  REQUIRE(all.status.ok());
  CHECK(all.keys.size() == 24 * samples.size());
  INFO("file of " << f.size() << " bytes");
  // Cuts and flips across the file: the same first error (or none) either way.
  std::mt19937 rng(14);
  LoadOptions no_crc;
  no_crc.check_crc = false;
  for (int i = 0; i < 30; ++i) {
    const size_t at = rng() % f.size();
    LoadBytes(std::string_view(f).substr(0, at));
    std::string flipped = f;
    flipped[at] ^= static_cast<char>(1 + rng() % 255);
    LoadBytes(flipped, no_crc);
  }
  // Through a file: the reader's window moves under values being framed and read.
  for (size_t buffer : {size_t{61}, size_t{4096}}) {
    CheckFileLoad(f, {}, buffer);
    for (int i = 0; i < 4; ++i) {
      const size_t at = rng() % f.size();
      CheckFileLoad(std::string_view(f).substr(0, at), {}, buffer);
      std::string flipped = f;
      flipped[at] ^= static_cast<char>(1 + rng() % 255);
      CheckFileLoad(flipped, no_crc, buffer);
    }
  }
  FreeAll(samples);
}

}  // namespace
}  // namespace tessera::persistence::rdb
