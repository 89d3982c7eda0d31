// Fuzz target: the RDB reader (persistence/rdb_reader.h) on untrusted bytes.
//
// The input is a DUMP payload's body (type byte + value).  It is read twice: as a RESTORE
// payload (footer appended, checksum not checked, so the deep validation is what stands
// between the bytes and the value) and as the body of an RDB 11 file, loaded on one thread
// and again with a decoder thread (which must give the same keys and the same error).  Checks: no
// crash or sanitizer report, and a value that is accepted round-trips: DUMP of it parses back to
// the same contents; allocations stay within a bound of the input's size (strings grow as their
// bytes arrive, at most one 1 MiB piece ahead; LZF expands at most 100x).
#include <cstdint>
#include <string>

#include "core/keyspace/entry.h"
#include "fuzz/fuzz_check.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"
#include "tests/core/alloc_counter.h"
#include "tests/persistence/describe.h"

namespace rdb = tessera::persistence::rdb;
using tessera::keyspace::Entry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  rdb::LoadOptions opts;
  opts.check_crc = false;
  opts.now_ms = 1700000000000;

  std::string payload = body;
  payload.append("\x0b\x00", 2);
  payload.append(8, '\0');
  size_t allocated;
  auto r = [&] {
    tessera::testing::AllocationCounter counter;
    auto result = rdb::ParseDumpPayload("k", payload, opts);
    allocated = counter.bytes();
    return result;
  }();
  FUZZ_CHECK(allocated <= 200 * size + (size_t{4} << 20), "allocated %zu for %zu bytes", allocated,
             size);
  if (r.ok()) {
    Entry* e = *r;
    const std::string again = rdb::DumpPayload(*e);
    auto back = rdb::ParseDumpPayload("k", again, opts);
    FUZZ_CHECK(back.ok(), "accepted value did not round-trip: %s", back.status().message().c_str());
    FUZZ_CHECK(tessera::testing::DescribeValue(**back) == tessera::testing::DescribeValue(*e));
    Entry::Free(*back);
    Entry::Free(e);
  }

  std::string file = "REDIS0011" + body;
  std::string serial_keys;
  rdb::LoadCallbacks cb;
  cb.on_key = [&](int db, Entry* e) {
    serial_keys += tessera::testing::Describe(db, *e) + "\n";
    Entry::Free(e);
  };
  tessera::persistence::Status serial;
  {
    rdb::MemorySource src(file);
    tessera::testing::AllocationCounter counter;
    serial = rdb::Load(src, opts, cb);
    FUZZ_CHECK(counter.bytes() <= 200 * size + (size_t{4} << 20), "file: allocated %zu",
               counter.bytes());
  }
  // The same file with a decoder thread (persistence/rdb_parallel.h), whose framing walk reads
  // the same untrusted bytes: the same keys, and the same error with the same text.
  std::string parallel_keys;
  cb.on_key = [&](int db, Entry* e) {
    parallel_keys += tessera::testing::Describe(db, *e) + "\n";
    Entry::Free(e);
  };
  opts.decode_threads = 1;
  rdb::MemorySource src(file);
  const tessera::persistence::Status parallel = rdb::Load(src, opts, cb);
  FUZZ_CHECK(parallel.code() == serial.code() && parallel.message() == serial.message(),
             "decoder thread: '%s', serial: '%s'", parallel.message().c_str(),
             serial.message().c_str());
  FUZZ_CHECK(parallel_keys == serial_keys);
  return 0;
}
