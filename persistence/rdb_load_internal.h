// Helpers shared by the value readers (internal to persistence/).
#pragma once

#include <string_view>

#include "core/keyspace/entry.h"
#include "persistence/rdb_input.h"

namespace tessera::persistence::rdb {

// Owns a value under construction, so that an error return frees it (no half-built value
// escapes).  The types' mutators take T** (they may move the object): addr() gives it.
template <class T>
class Owned {
 public:
  Owned() = default;
  explicit Owned(T* p) : p_(p) {}
  ~Owned() { delete p_; }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T** addr() { return &p_; }
  void reset(T* p) {
    delete p_;
    p_ = p;
  }
  T* release() {
    T* p = p_;
    p_ = nullptr;
    return p;
  }

 private:
  T* p_ = nullptr;
};

// Stream types 15, 19 and 21 (rdb_load_stream.cc).
Status ReadStream(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                  keyspace::Entry** out);

}  // namespace tessera::persistence::rdb
