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
#include <cstring>
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
// The bytes a source holds in memory are a window [win_, end_) with the read position pos_
// in it: Read and Skip within the window are inline (most of a load's reads are one- and
// two-byte lengths); past it, the virtual Refill moves the window on.
// Sources also keep the CRC64 of the bytes consumed (for the file's footer) when asked to:
// they fold it over large pieces (a window before it moves) rather than per Read, which
// for the one- and two-byte reads of lengths cost more in calls than in checksumming.
class Source {
 public:
  virtual ~Source() = default;
  bool Read(void* buf, size_t n) {
    if (n <= static_cast<size_t>(end_ - pos_)) {
      std::memcpy(buf, pos_, n);
      pos_ += n;
      return true;
    }
    return ReadSlow(buf, n);
  }
  // Consumes n bytes without copying them out (they still count for the CRC and a record).
  bool Skip(uint64_t n) {
    if (n <= static_cast<uint64_t>(end_ - pos_)) {
      pos_ += n;
      return true;
    }
    return SkipSlow(n);
  }
  uint64_t bytes_read() const { return win_offset_ + static_cast<uint64_t>(pos_ - win_); }
  // Bytes known to be there without reading further (a lower bound on what is left).
  uint64_t buffered() const { return static_cast<uint64_t>(end_ - pos_); }
  // The next n bytes if they are buffered (nullptr if not), for parsing in place; Advance
  // then consumes them.
  const uint8_t* Peek(size_t n) const {
    return n <= static_cast<size_t>(end_ - pos_) ? reinterpret_cast<const uint8_t*>(pos_) : nullptr;
  }
  void Advance(size_t n) { pos_ += n; }
  // Starts keeping the CRC (from the next byte read; call it before reading).
  void TrackCrc() { track_crc_ = true; }
  // The CRC64 of every byte consumed since TrackCrc.
  uint64_t ConsumedCrc();
  // From StartRecord to EndRecord, every byte consumed is also appended to *record (the
  // framing of rdb_parallel.cc): in pieces of a window, not per Read.
  void StartRecord(std::string* record) {
    record_ = record;
    record_from_ = pos_;
  }
  void EndRecord() {
    FlushRecord();
    record_ = nullptr;
  }

 protected:
  // Called with the window consumed (pos_ == end_): moves it on to the next bytes (bringing
  // the CRC and the record up to date first: FlushConsumed).  False at end of input.
  virtual bool Refill() = 0;
  // Folds the CRC and the record over the bytes consumed so far, before they go.
  void FlushConsumed() {
    ConsumedCrc();
    FlushRecord();
  }
  // Points the window at [win, end) with the read position at pos; win is at file offset
  // `offset`.
  void SetWindow(const char* win, const char* pos, const char* end, uint64_t offset) {
    win_ = win;
    pos_ = pos;
    end_ = end;
    crc_from_ = pos;
    record_from_ = pos;
    win_offset_ = offset;
  }
  const char* pos() const { return pos_; }
  const char* end() const { return end_; }
  // A read of at least this many bytes that finds the window empty (and no record kept)
  // goes to ReadDirect instead of through the window.
  size_t direct_min_ = SIZE_MAX;
  virtual bool ReadDirect(char* out, size_t n) { return false; }

 private:
  bool ReadSlow(void* buf, size_t n);
  bool SkipSlow(uint64_t n);
  void FlushRecord() {
    if (record_ != nullptr) record_->append(record_from_, static_cast<size_t>(pos_ - record_from_));
    record_from_ = pos_;
  }

  const char* win_ = nullptr;
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
  uint64_t win_offset_ = 0;
  bool track_crc_ = false;
  uint64_t crc_ = 0;
  const char* crc_from_ = nullptr;  // crc_ covers the bytes consumed before it
  std::string* record_ = nullptr;
  const char* record_from_ = nullptr;  // *record_ holds the bytes consumed before it

  friend class FileSource;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string_view data) {
    SetWindow(data.data(), data.data(), data.data() + data.size(), 0);
  }
  size_t remaining() const { return static_cast<size_t>(end() - pos()); }

 private:
  bool Refill() override { return false; }
};

// Reads a file descriptor (not owned) through a 1 MB buffer.
class FileSource : public Source {
 public:
  explicit FileSource(int fd, size_t buffer_size = size_t{1} << 20);
  // True iff a read failed with an error other than end of file.
  bool io_error() const { return io_error_; }

 private:
  bool Refill() override;
  bool ReadDirect(char* out, size_t n) override;

  int fd_;
  std::unique_ptr<char[]> buf_;
  size_t cap_;
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
