#include "persistence/rdb_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "core/base/crc64.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_input.h"
#include "persistence/rdb_parallel.h"

namespace tessera::persistence::rdb {

namespace {

using keyspace::Entry;

// Reads and drops a module's serialized data (MODULE_AUX), opcode by opcode.
Status SkipModuleValue(Input& in) {
  enum : uint64_t { kEof = 0, kSint = 1, kUint = 2, kFloat = 3, kDouble = 4, kString = 5 };
  std::string scratch;
  for (;;) {
    uint64_t op, v;
    if (!in.ReadLength(&op)) return in.ReadError();
    switch (op) {
      case kEof:
        return Status::Ok();
      case kSint:
      case kUint:
        if (!in.ReadLength(&v)) return in.ReadError();
        break;
      case kFloat: {
        uint8_t b[4];
        if (!in.Read(b, 4)) return in.ReadError();
        break;
      }
      case kDouble: {
        uint8_t b[8];
        if (!in.Read(b, 8)) return in.ReadError();
        break;
      }
      case kString:
        if (Status st = in.ReadString(&scratch); !st.ok()) return st;
        break;
      default:
        return in.Corrupt("Unknown module opcode " + std::to_string(op));
    }
  }
}

Status ReadHeader(Input& in, int* version) {
  char magic[9];
  if (!in.Read(magic, 9)) return in.ReadError();
  if (std::memcmp(magic, "REDIS", 5) != 0) {
    return Status::Corrupt("Wrong signature trying to load DB from file");
  }
  int v = 0;
  for (int i = 5; i < 9; ++i) {
    if (magic[i] < '0' || magic[i] > '9')
      return Status::Corrupt("Wrong signature trying to load DB from file");
    v = v * 10 + (magic[i] - '0');
  }
  if (v < kMinReadVersion || v > kMaxReadVersion) {
    return Status::Corrupt("Can't handle RDB format version " + std::to_string(v));
  }
  *version = v;
  return Status::Ok();
}

Status ReadKey(Input& in, uint8_t type, int db, KeyPrefix* prefix, const LoadOptions& opts,
               const LoadCallbacks& cb, ParallelDecoder* par) {
  std::string key;
  if (Status st = in.ReadString(&key); !st.ok()) return st;
  const KeyPrefix p = *prefix;
  *prefix = KeyPrefix();
  if (par != nullptr && IsDeferredType(type)) {
    return par->AddDeferred(in, type, std::move(key), db, p);
  }
  Entry* e = nullptr;
  Status st = ReadValue(in, type, key, opts, &e);
  if (par != nullptr) return par->AddDecoded(st, e, std::move(key), db, p);
  return DeliverKey(st, e, key, db, p, opts, cb);
}

Status ReadBodyOn(Input& in, const LoadOptions& opts, const LoadCallbacks& cb,
                  ParallelDecoder* par);

}  // namespace

bool IsDeferredType(uint8_t type) {
  switch (type) {
    case kTypeString:
    case kTypeList:
    case kTypeSet:
    case kTypeZSet2:
    case kTypeHash:
    case kTypeListZiplist:
    case kTypeSetIntset:
    case kTypeSetListpack:
    case kTypeZSetZiplist:
    case kTypeZSetListpack:
    case kTypeHashZipmap:
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return true;
  }
  return false;
}

Status DeliverKey(Status st, Entry* e, std::string_view key, int db, const KeyPrefix& p,
                  const LoadOptions& opts, const LoadCallbacks& cb) {
  if (st.code() == Status::Code::kEmptyKey) {
    if (cb.on_warning) cb.on_warning("rdbLoadObject skipping empty key: " + std::string(key));
    if (cb.on_empty_key) cb.on_empty_key(db, key);
    return Status::Ok();
  }
  if (!st.ok()) return st;
  if (p.expire_ms != keyspace::kNoExpiry) {
    if (opts.skip_expired && p.expire_ms < opts.now_ms) {
      if (cb.on_expired) cb.on_expired(db, key);
      Entry::Free(e);
      return Status::Ok();
    }
    Entry* with = Entry::WithExpiry(e, p.expire_ms);
    if (with != e) Entry::FreeShell(e);
    e = with;
  }
  if (p.idle >= 0) e->set_clock(static_cast<uint32_t>(opts.clock - p.idle) & 0xFFFFFF);
  if (cb.on_key) {
    cb.on_key(db, e);
  } else {
    Entry::Free(e);
  }
  return Status::Ok();
}

namespace {

// With decode threads, every exit first delivers the keys still queued: an error among them
// comes earlier in the file than anything the reading thread meets after them.
Status ReadBody(Input& in, const LoadOptions& opts, const LoadCallbacks& cb) {
  if (opts.decode_threads <= 0) return ReadBodyOn(in, opts, cb, nullptr);
  ParallelDecoder par(opts, cb);
  Status st = ReadBodyOn(in, opts, cb, &par);
  Status queued = par.Drain();
  return queued.ok() ? st : queued;
}

Status ReadBodyOn(Input& in, const LoadOptions& opts, const LoadCallbacks& cb,
                  ParallelDecoder* par) {
  // A callback other than on_key runs only once the keys before it are delivered.
  auto drained = [&] { return par != nullptr ? par->Drain() : Status::Ok(); };
  int db = 0;
  KeyPrefix prefix;
  uint64_t next_progress = opts.progress_bytes;
  std::string a, b;
  for (;;) {
    if (cb.on_progress && in.offset() >= next_progress) {
      cb.on_progress(in.offset());
      next_progress = in.offset() + opts.progress_bytes;
    }
    uint8_t type;
    if (!in.ReadByte(&type)) return in.ReadError();
    uint64_t x, y, z;
    switch (type) {
      case kOpEof:
        return Status::Ok();
      case kOpExpireTime: {
        uint8_t s[4];
        if (!in.Read(s, 4)) return in.ReadError();
        prefix.expire_ms =
            int64_t(uint32_t(s[0] | s[1] << 8 | s[2] << 16 | uint32_t(s[3]) << 24)) * 1000;
        continue;
      }
      case kOpExpireTimeMs:
        if (!in.ReadMillis(&prefix.expire_ms)) return in.ReadError();
        continue;
      case kOpFreq: {
        uint8_t f;
        if (!in.ReadByte(&f)) return in.ReadError();
        continue;  // no LFU policy here: the counter has nothing to feed
      }
      case kOpIdle:
        if (!in.ReadLength(&x)) return in.ReadError();
        prefix.idle = static_cast<int64_t>(x & 0xFFFFFF);
        continue;
      case kOpSelectDb:
        if (!in.ReadLength(&x)) return in.ReadError();
        if (x >= static_cast<uint64_t>(opts.num_dbs)) {
          return Status::Corrupt(
              "FATAL: Data file was created with a Redis server configured "
              "to handle more than " +
              std::to_string(opts.num_dbs) + " databases. Exiting");
        }
        db = static_cast<int>(x);
        continue;
      case kOpResizeDb:
        if (!in.ReadLength(&x) || !in.ReadLength(&y)) return in.ReadError();
        if (Status d = drained(); !d.ok()) return d;
        if (cb.on_resize_db) cb.on_resize_db(db, x, y);
        continue;
      case kOpSlotInfo:
        if (!in.ReadLength(&x) || !in.ReadLength(&y) || !in.ReadLength(&z)) {
          return in.ReadError();
        }
        continue;
      case kOpAux:
        if (Status st = in.ReadString(&a); !st.ok()) return st;
        if (Status st = in.ReadString(&b); !st.ok()) return st;
        if (Status d = drained(); !d.ok()) return d;
        if (cb.on_aux) cb.on_aux(a, b);
        continue;
      case kOpModuleAux: {
        if (!in.ReadLength(&x) || !in.ReadLength(&y) || !in.ReadLength(&z)) {
          return in.ReadError();
        }
        if (Status st = SkipModuleValue(in); !st.ok()) return st;
        if (Status d = drained(); !d.ok()) return d;
        if (cb.on_warning) {
          cb.on_warning("Skipped module aux data of module id " + std::to_string(x) +
                        ": no modules are loaded");
        }
        continue;
      }
      case kOpFunctionPreGa:
        return Status::Error(Status::Code::kUnsupported,
                             "Pre-release function format not supported.");
      case kOpFunction2:
        if (Status st = in.ReadString(&a); !st.ok()) return st;
        if (Status d = drained(); !d.ok()) return d;
        if (cb.on_function) cb.on_function(a);
        continue;
    }
    if (!IsValueType(type)) return in.Corrupt("Unknown RDB encoding type " + std::to_string(type));
    if (Status st = ReadKey(in, type, db, &prefix, opts, cb, par); !st.ok()) return st;
  }
}

}  // namespace

uint64_t Source::ConsumedCrc() {
  if (track_crc_)
    crc_ = Crc64(crc_, std::string_view(crc_from_, static_cast<size_t>(pos_ - crc_from_)));
  crc_from_ = pos_;
  return crc_;
}

bool Source::ReadSlow(void* buf, size_t n) {
  auto* out = static_cast<char*>(buf);
  for (;;) {
    const size_t take = std::min(n, static_cast<size_t>(end_ - pos_));
    if (take > 0) std::memcpy(out, pos_, take);
    pos_ += take;
    out += take;
    n -= take;
    if (n == 0) return true;
    if (direct_min_ <= n && record_ == nullptr) return ReadDirect(out, n);
    if (!Refill()) return false;
  }
}

bool Source::SkipSlow(uint64_t n) {
  for (;;) {
    const uint64_t take = std::min(n, static_cast<uint64_t>(end_ - pos_));
    pos_ += take;
    n -= take;
    if (n == 0) return true;
    if (!Refill()) return false;
  }
}

FileSource::FileSource(int fd, size_t buffer_size)
    : fd_(fd), buf_(new char[buffer_size]), cap_(buffer_size) {
  SetWindow(buf_.get(), buf_.get(), buf_.get(), 0);
  direct_min_ = cap_;  // reads as large as the buffer bypass it
}

bool FileSource::Refill() {
  FlushConsumed();  // the window's bytes are about to go
  const uint64_t at = bytes_read();
  for (;;) {
    const ssize_t r = ::read(fd_, buf_.get(), cap_);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      io_error_ = r < 0;
      return false;
    }
    SetWindow(buf_.get(), buf_.get(), buf_.get() + r, at);
    return true;
  }
}

bool FileSource::ReadDirect(char* out, size_t n) {
  FlushConsumed();
  SetWindow(buf_.get(), buf_.get(), buf_.get(), bytes_read());
  while (n > 0) {
    const ssize_t r = ::read(fd_, out, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      io_error_ = r < 0;
      return false;
    }
    if (track_crc_) crc_ = Crc64(crc_, std::string_view(out, static_cast<size_t>(r)));
    win_offset_ += static_cast<uint64_t>(r);
    out += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

Status Load(Source& src, const LoadOptions& opts, const LoadCallbacks& cb) {
  if (opts.check_crc) src.TrackCrc();
  Input in(src);
  int version = 0;
  if (Status st = ReadHeader(in, &version); !st.ok()) return st;
  if (Status st = ReadBody(in, opts, cb); !st.ok()) return st;
  if (version < 5) return Status::Ok();  // no checksum before RDB 5
  const uint64_t computed = opts.check_crc ? src.ConsumedCrc() : 0;
  uint8_t b[8];
  if (!in.Read(b, 8)) return in.ReadError();
  uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) stored = (stored << 8) | b[i];
  if (opts.check_crc && stored != 0 && stored != computed) {
    char msg[160];
    // Two log lines, as Redis prints them (tools match on "RDB CRC error").
    std::snprintf(msg, sizeof(msg),
                  "Wrong RDB checksum expected: (%" PRIx64 ") got: (%" PRIx64
                  "). Aborting now.\nInternal error in RDB reading -> RDB CRC error",
                  stored, computed);
    return Status::Corrupt(msg);
  }
  return Status::Ok();
}

StatusOr<Entry*> ParseDumpPayload(std::string_view key, std::string_view payload,
                                  const LoadOptions& opts) {
  const Status bad_footer =
      Status::Error(Status::Code::kBadFooter, "DUMP payload version or checksum are wrong");
  if (payload.size() < 10) return bad_footer;
  const auto* footer = reinterpret_cast<const uint8_t*>(payload.data() + payload.size() - 10);
  const int version = footer[0] | (footer[1] << 8);
  if (version > kMaxDumpVersion) return bad_footer;
  if (opts.check_crc) {
    uint64_t stored = 0;
    for (int i = 9; i >= 2; --i) stored = (stored << 8) | footer[i];
    if (Crc64(0, payload.substr(0, payload.size() - 8)) != stored) return bad_footer;
  }
  MemorySource src(payload.substr(0, payload.size() - 10));
  Input in(src);
  uint8_t type;
  if (!in.ReadByte(&type) || !IsValueType(type)) return Status::Corrupt("Bad data format");
  Entry* e = nullptr;
  Status st = ReadValue(in, type, key, opts, &e);
  if (!st.ok()) return st;
  return e;
}

}  // namespace tessera::persistence::rdb
