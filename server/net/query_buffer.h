// A connection's query buffer: bytes read from the socket, whose unused room is never written.
//
// Why not std::string: growing a string writes zeroes into all of its new room.  A client that
// declares a 512 MB argument gets room for all of it at once (as Redis's query buffer does, so
// the argument arrives in one allocation); zero-filling it would bring the whole reservation
// into the process's resident memory before a byte of it arrived, where an untouched
// allocation costs only address space until the data comes.  `std::make_unique_for_overwrite`
// leaves the bytes uninitialised, and jemalloc maps large allocations without touching them.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace tessera::server::net {

class QueryBuffer {
 public:
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  // Bytes allocated (held and free); what CLIENT LIST's qbuf + qbuf-free add up to.
  size_t size() const { return size_; }

  // Gives the buffer exactly `n` bytes, keeping its first `keep` (keep <= n, keep <= size()).
  // The rest is uninitialised.  0 frees it.
  void Reallocate(size_t n, size_t keep) {
    if (n == 0) {
      data_.reset();
      size_ = 0;
      return;
    }
    auto bigger = std::make_unique_for_overwrite<char[]>(n);
    if (keep > 0) std::memcpy(bigger.get(), data_.get(), keep);
    data_ = std::move(bigger);
    size_ = n;
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

}  // namespace tessera::server::net
