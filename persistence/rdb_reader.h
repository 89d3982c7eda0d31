// Reading Redis's RDB format: whole files (versions 1-12, every encoding Redis 2.6-7.4
// writes) and DUMP payloads.
//
// The reader pulls bytes from a Source and builds Tessera values directly, in the encoding
// Redis 7.2 would report after loading the same bytes (its conversion rules on load: packed
// blobs stay packed unless they hold more entries than the *-max-listpack-entries limits,
// plain types take the encoding their contents call for, ziplists become listpacks).
//
// Every input is untrusted: a corrupt or truncated file gives a Status, never a crash, a hang
// or a half-built value (values under construction are owned by RAII holders).  Allocation
// is bounded by bytes actually read: strings grow as their bytes arrive, so a forged length
// costs nothing until the bytes are there; LZF lengths are capped by the largest expansion
// LZF can give; counts are never used to reserve memory.  Validation is always deep
// (Redis's sanitize-dump-payload yes): packed blobs are walked in full, duplicates in sets,
// hashes and sorted sets are refused, stream nodes and consumer-group PELs are checked.
//
// Pure apart from the FileSource's reads: no clock (now_ms comes in), no globals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/keyspace/entry.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/zset_value.h"
#include "persistence/status.h"

namespace tessera::persistence::rdb {

// A byte source.  Read returns false at a short read (no bytes are consumed then... or some:
// the load fails either way).
// Sources also keep the CRC64 of the bytes consumed (for the file's footer) when asked to:
// they fold it over large pieces (a buffer before it is refilled) rather than per Read, which
// for the one- and two-byte reads of lengths cost more in calls than in checksumming.
class Source {
 public:
  virtual ~Source() = default;
  virtual bool Read(void* buf, size_t n) = 0;
  virtual uint64_t bytes_read() const = 0;
  // Starts keeping the CRC (from the next byte read; call it before reading).
  void TrackCrc() { track_crc_ = true; }
  // The CRC64 of every byte consumed since TrackCrc.
  virtual uint64_t ConsumedCrc() = 0;

 protected:
  bool track_crc_ = false;
  uint64_t crc_ = 0;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  bool Read(void* buf, size_t n) override;
  uint64_t bytes_read() const override { return pos_; }
  uint64_t ConsumedCrc() override;
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  size_t crc_pos_ = 0;  // crc_ covers data_[0, crc_pos_)
};

// Reads a file descriptor (not owned) through a 1 MB buffer.
class FileSource : public Source {
 public:
  explicit FileSource(int fd, size_t buffer_size = size_t{1} << 20);
  bool Read(void* buf, size_t n) override;
  uint64_t bytes_read() const override { return consumed_; }
  uint64_t ConsumedCrc() override;
  // True iff a read failed with an error other than end of file.
  bool io_error() const { return io_error_; }

 private:
  int fd_;
  std::unique_ptr<char[]> buf_;
  size_t cap_, begin_ = 0, end_ = 0;
  size_t crc_pos_ = 0;  // crc_ covers the bytes consumed before buf_[crc_pos_]
  uint64_t consumed_ = 0;
  bool io_error_ = false;
};

struct LoadCallbacks {
  // A loaded key; the callee owns `e` (key, value, expiry in absolute ms, access clock from
  // an IDLE opcode).  Keys already expired at now_ms are skipped when skip_expired.
  std::function<void(int db, keyspace::Entry* e)> on_key;
  std::function<void(std::string_view key, std::string_view value)> on_aux;
  std::function<void(std::string_view library_code)> on_function;
  std::function<void(int db, uint64_t db_size, uint64_t expires_size)> on_resize_db;
  std::function<void(uint64_t bytes_read)> on_progress;  // every progress_bytes
  // A key skipped because its expiry had passed (for "keys expired: N" in the log).
  std::function<void(int db, std::string_view key)> on_expired;
  // A key skipped because its value was empty (Redis counts them: "empty keys skipped").
  std::function<void(int db, std::string_view key)> on_empty_key;
  // Things skipped that Redis logs (module aux data, empty keys): a line for the log.
  std::function<void(std::string_view message)> on_warning;
};

struct LoadOptions {
  bool check_crc = true;     // rdbchecksum: verify the file's / payload's CRC64
  int64_t now_ms = 0;        // for skip_expired and field TTLs
  uint32_t clock = 0;        // the access clock loaded keys get (minus any IDLE)
  bool skip_expired = true;  // drop keys whose expiry passed (Redis does, on a primary)
  int num_dbs = 16;          // SELECTDB past this fails, as in Redis
  uint64_t progress_bytes = uint64_t{2} << 20;
  // Threads that decode values while the calling thread reads on (rdb_parallel.h); 0 decodes
  // everything on the calling thread.  Callbacks run on the calling thread either way, in
  // file order.
  int decode_threads = 0;
  // The encoding thresholds; the defaults are Redis's (hash-max-listpack-entries 512).
  types::ListLimits list;
  types::HashLimits hash{512, 64};
  types::SetLimits set;
  types::ZSetLimits zset;
};

// Loads a whole RDB file: header, opcodes, keys, EOF, checksum.  On failure the message is
// what Redis logs ("Short read or OOM loading DB. Unrecoverable error, aborting now.",
// "Wrong RDB checksum expected: (...) got: (...). Aborting now.", "Can't handle RDB format
// version N", "Internal error in RDB reading offset N -> reason", ...).  Keys delivered
// before a failure belong to the callee.
Status Load(Source& src, const LoadOptions& opts, const LoadCallbacks& cb);

// RESTORE's payload: checks the footer (RDB version <= 11, CRC64 unless !check_crc) --
// Status::Code::kBadFooter -- then reads the value in depth (kCorrupt, kEmptyKey,
// kUnsupported).  On success the caller owns the entry (key `key`, no expiry).
StatusOr<keyspace::Entry*> ParseDumpPayload(std::string_view key, std::string_view payload,
                                            const LoadOptions& opts);

}  // namespace tessera::persistence::rdb
